"""The Slack adapter: Slack payloads in, ``Inbound`` out; ``OutMessage`` in, Block Kit out.

It knows slack_sdk and the survey model and nothing else (no storage, no service), so the
wiring in ``bot/slack_wiring.py`` decides *when* things run while this module decides *what*
a Slack payload means and how a message looks. The payload conversions are pure functions
so they can be tested with a dict; the few facts only the Web API knows (a person's locale
and name, who is staff, the id of the app's DM with someone) live in ``SlackDirectory``,
which caches them because every one of them would otherwise cost a round-trip per turn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.base import DeliveryError, PermanentError, RetryLater, TransientError, Unreachable
from handlers.console import split_command
from surveys.locales import MESSAGES
from surveys.model import Block, Choice, Inbound, OutMessage

log = logging.getLogger(__name__)

PLATFORM = "slack"

# Every survey/alert button carries this action_id prefix plus its index in the message:
# Slack rejects a message whose action_ids repeat, and one regex listener then routes all.
BUTTON_ACTION_PREFIX = "fb_"
BUTTON_ACTION_PATTERN = r"^fb_\d+$"
HOME_ACTIONS = {"home_feedback": ("feedback", ""), "home_stop": ("stop", ""), "home_start": ("start", "")}
HOME_ACTION_PATTERN = r"^home_(feedback|stop|start)$"

# `/feedback <word>`: these words are sub-commands, anything else is a survey id. Slack
# reserves every message starting with "/" for slash commands, so /stop, /skip... typed in
# the DM never reach us; one registered command with sub-commands replaces them.
# Sub-commands that act in the staff channel when typed there (the service checks the person is staff).
STAFF_SUBCOMMANDS = frozenset({"digest", "resolve", "cause", "action", "actions", "done"})
FEEDBACK_SUBCOMMANDS = frozenset({"stop", "start", "help", "cancel", "skip", "mydata", "forget"}) | STAFF_SUBCOMMANDS

# Message subtypes that still carry a person's own words; every other subtype is an edit,
# a deletion, a join, a bot post or some other system message that must not become a turn.
TEXT_SUBTYPES = frozenset({"thread_broadcast", "file_share"})

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTONS_PER_ACTIONS = 25
MAX_BLOCKS = 50
FALLBACK_LIMIT = 3000
DM_ATTEMPTS = 3

UNREACHABLE_ERRORS = frozenset(
    {"user_disabled", "account_inactive", "cannot_dm_bot", "user_not_found", "user_not_visible", "is_archived"}
)
TRANSIENT_ERRORS = frozenset(
    {
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
        # A revoked or rotated token is an operator problem that a restart with the right token
        # fixes; until then rows wait (with backoff) instead of being dropped.
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
    }
)


# "Got it!" and "You already answered this question." in every language. On Slack the
# pressed message itself is edited to show the answer, so these would only add a lingering
# "only visible to you" line (and a Web API call) per press; refusals (stale, finished,
# someone else's) are still posted.
ACKNOWLEDGEMENT_TOASTS = frozenset(
    m[key] for m in MESSAGES.values() for key in ("toast_recorded", "toast_already_answered") if key in m
)


def is_acknowledgement(toast: str) -> bool:
    return toast in ACKNOWLEDGEMENT_TOASTS


# ---------------------------------------------------------------------- small caches

K = TypeVar("K")
V = TypeVar("V")


class TtlLru(Generic[K, V]):
    """A bounded LRU whose entries also expire: a long-running bot sees many people once,
    and a person's name or locale may change, so neither growth nor staleness is forever."""

    def __init__(self, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self.clock = clock
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self.clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        self._data[key] = (self.clock() + (self.ttl if ttl is None else ttl), value)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


# ---------------------------------------------------------------------- payloads -> Inbound


def _map(value: Any) -> Mapping[str, Any]:
    """Payload fields are trusted for nothing, not even their type: a malformed or forged
    payload becomes "not ours", never an exception."""
    return value if isinstance(value, Mapping) else {}


def _scalar(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None


def _first(value: Any) -> Mapping[str, Any]:
    return _map(value[0]) if isinstance(value, list) and value else {}


def _base_inbound(event_id: str, user_id: str, chat_id: str, **kw: Any) -> Inbound:
    return Inbound(event_id=event_id, platform=PLATFORM, user_id=user_id, chat_id=chat_id, **kw)


def inbound_from_message(body: Mapping[str, Any], *, bot_user_id: str | None, staff_channel: str) -> Inbound | None:
    """An Events API ``message`` envelope as a turn, or None when it is not one of ours.

    The id is the envelope's ``event_id``: Slack keeps it across retries (``X-Slack-Retry-Num``)
    and replays, and the service claims each id exactly once, so a redelivery changes nothing.
    DMs with the app are customer turns; in the staff channel only thread replies count (a
    staff member answering under an alert); everything else in channels is chatter.
    """
    event = _map(body.get("event"))
    if event.get("type") != "message":
        return None
    subtype = event.get("subtype")
    if subtype is not None and (not isinstance(subtype, str) or subtype not in TEXT_SUBTYPES):
        return None
    user = _scalar(event.get("user"))
    if not user or event.get("bot_id") or event.get("bot_profile") or user == bot_user_id:
        return None
    channel = _scalar(event.get("channel")) or ""
    envelope_id = _scalar(body.get("event_id"))
    if not channel or not envelope_id:
        return None
    raw_text = event.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    ts = _scalar(event.get("ts")) or ""
    thread_ts = _scalar(event.get("thread_ts"))
    reply_to = str(thread_ts) if thread_ts and thread_ts != ts else None
    event_id = f"slack:{envelope_id}"
    if event.get("channel_type") == "im":
        if subtype == "file_share" and not text.strip():
            return None
        command = split_command(text)
        if command is not None:
            # Slack only delivers "/..." text typed with a leading space; treat it as the
            # command the person meant, like every other channel does.
            return _base_inbound(
                event_id, str(user), channel, command=command[0], args=command[1], message_id=ts or None
            )
        return _base_inbound(
            event_id, str(user), channel, text=text, message_id=ts or None, reply_to_message_id=reply_to
        )
    if staff_channel and channel == staff_channel and reply_to is not None:
        return _base_inbound(
            event_id,
            str(user),
            channel,
            text=text,
            message_id=ts or None,
            reply_to_message_id=reply_to,
            is_private=False,
        )
    return None


def inbound_from_action(body: Mapping[str, Any]) -> Inbound | None:
    """A button press on one of our messages as a turn (the value is the engine's own
    button data, so a forged or stale value is judged by the engine, not here)."""
    container = _map(body.get("container"))
    action = _first(body.get("actions"))
    user = _scalar(_map(body.get("user")).get("id"))
    if not action or not user or container.get("type") != "message":
        return None
    channel = _scalar(container.get("channel_id")) or _scalar(_map(body.get("channel")).get("id"))
    message_ts = _scalar(container.get("message_ts"))
    value = _scalar(action.get("value"))
    if not channel or not message_ts or value is None:
        return None
    action_ts = _scalar(action.get("action_ts")) or _scalar(body.get("trigger_id")) or ""
    return _base_inbound(
        f"slack:action:{channel}:{message_ts}:{action_ts}:{user}",
        str(user),
        str(channel),
        button=str(value),
        message_id=str(message_ts),
        is_private=str(channel).startswith("D"),
    )


def parse_feedback_command(text: str) -> tuple[str, str]:
    """``/feedback`` -> ("feedback", ""); ``/feedback csat`` -> ("feedback", "csat");
    ``/feedback stop`` -> ("stop", "")."""
    words = text.split()
    if not words:
        return "feedback", ""
    head = words[0].lower()
    if head in FEEDBACK_SUBCOMMANDS:
        return head, " ".join(words[1:])
    return "feedback", " ".join(words)


def inbound_from_command(command: Mapping[str, Any], dm_channel: str, staff_channel: str = "") -> Inbound:
    """A slash command as a turn in the person's DM with the app, wherever it was typed:
    surveys are private, and the answer buttons must land where only they can press them.
    The one exception is ``/feedback digest`` typed in the staff channel: staff asked for
    the numbers there, so they are posted there (the service checks the person is staff)."""
    name, args = parse_feedback_command(str(command.get("text") or ""))
    channel = _scalar(command.get("channel_id")) or ""
    in_staff_channel = name in STAFF_SUBCOMMANDS and bool(staff_channel) and channel == staff_channel
    return _base_inbound(
        f"slack:cmd:{command.get('trigger_id')}",
        str(command.get("user_id")),
        channel if in_staff_channel else dm_channel,
        command=name,
        args=args,
        is_private=not in_staff_channel,
        answers_privately=True,  # through the command's response_url, seen by this person alone
    )


def inbound_from_home_action(body: Mapping[str, Any], dm_channel: str) -> Inbound | None:
    """A Home tab button as the command it stands for, answered in the DM."""
    action = _first(body.get("actions"))
    user = _scalar(_map(body.get("user")).get("id"))
    if not action or not user:
        return None
    found = HOME_ACTIONS.get(str(action.get("action_id")))
    if found is None:
        return None
    stamp = _scalar(action.get("action_ts")) or _scalar(body.get("trigger_id")) or ""
    return _base_inbound(f"slack:action:home:{user}:{stamp}", str(user), dm_channel, command=found[0], args=found[1])


# ---------------------------------------------------------------------- Web API facts


@dataclass(frozen=True)
class Profile:
    display_name: str = ""
    handle: str = ""
    language: str | None = None
    timezone: str | None = None  # Slack's ``tz``, an IANA name; None when unknown or not one we know


def known_zone(name: object) -> str | None:
    """``name`` when it is an IANA time zone this machine knows, else None (never trust a
    platform's string to be loadable: quiet hours would fail on it)."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return name


class SlackDirectory:
    """Who someone is (name, locale), whether they are staff, and where their DM is.

    Everything is cached: users.info and conversations.open per person (LRU with a TTL),
    the staff channel's member list for a few minutes. A failed lookup degrades (no name,
    default language, not staff) rather than losing the turn, and the failure is cached
    briefly so a Slack hiccup does not turn into a storm of retries.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        staff_channel: str = "",
        staff_user_ids: Sequence[str] = (),
        profile_ttl: float = 3600.0,
        staff_ttl: float = 300.0,
        failure_ttl: float = 60.0,
        maxsize: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.staff_channel = staff_channel
        self.staff_user_ids = frozenset(staff_user_ids)
        self.staff_ttl = staff_ttl
        self.failure_ttl = failure_ttl
        self.clock = clock
        self._profiles: TtlLru[str, Profile] = TtlLru(maxsize, profile_ttl, clock)
        self._dms: TtlLru[str, str] = TtlLru(maxsize, 24 * 3600.0, clock)
        self._staff: frozenset[str] = frozenset()
        self._staff_expires = 0.0
        self._staff_lock = asyncio.Lock()

    async def profile(self, user_id: str) -> Profile:
        cached = self._profiles.get(user_id)
        if cached is not None:
            return cached
        try:
            resp = await self.client.users_info(user=user_id, include_locale=True)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("users.info failed (%s); continuing without name and locale", _error_code(exc))
            self._profiles.put(user_id, Profile(), ttl=self.failure_ttl)
            return Profile()
        user = resp.get("user") or {}
        profile = user.get("profile") or {}
        found = Profile(
            display_name=str(user.get("real_name") or profile.get("real_name") or user.get("name") or ""),
            handle=str(user.get("name") or ""),
            language=str(user["locale"]) if user.get("locale") else None,
            timezone=known_zone(user.get("tz")),
        )
        self._profiles.put(user_id, found)
        return found

    async def dm_channel(self, user_id: str) -> str:
        """The app's DM with ``user_id`` (raises the SDK's error when Slack refuses it)."""
        cached = self._dms.get(user_id)
        if cached is not None:
            return cached
        for attempt in range(DM_ATTEMPTS):
            try:
                resp = await self.client.conversations_open(users=user_id)
                break
            except Exception as exc:
                # The command was already acknowledged, so without the DM it is lost: worth
                # waiting out a rate limit or a blip, but not an error that will not change.
                problem = translate_error(exc)
                if attempt + 1 == DM_ATTEMPTS or not isinstance(problem, RetryLater | TransientError):
                    raise
                delay = min(problem.retry_after, 30.0) if isinstance(problem, RetryLater) else 1.0 + attempt
                await asyncio.sleep(delay)
        channel = str((resp.get("channel") or {})["id"])
        self._dms.put(user_id, channel)
        return channel

    async def dm_channel_first_contact(self, user_id: str) -> str:
        """``dm_channel``, and on first contact the profile lookup in parallel with it: a
        newcomer's first turn needs both, and two Slack round-trips side by side instead of
        one after the other halve the wait before their first answer."""
        if self._dms.get(user_id) is not None or self._profiles.get(user_id) is not None:
            return await self.dm_channel(user_id)
        dm, _ = await asyncio.gather(self.dm_channel(user_id), self.profile(user_id))
        return dm

    def remember_dm(self, user_id: str, channel: str) -> None:
        """DM events tell us the channel for free; remembering it saves a conversations.open."""
        if channel.startswith("D") and self._dms.get(user_id) is None:
            self._dms.put(user_id, channel)

    async def is_staff(self, user_id: str) -> bool:
        if user_id in self.staff_user_ids:
            return True
        if not self.staff_channel:
            return False
        return user_id in await self._staff_members()

    async def _staff_members(self) -> frozenset[str]:
        if self.clock() < self._staff_expires:
            return self._staff
        async with self._staff_lock:
            if self.clock() < self._staff_expires:  # another task refreshed it while we waited
                return self._staff
            try:
                members: list[str] = []
                cursor = ""
                while True:
                    resp = await self.client.conversations_members(
                        channel=self.staff_channel, limit=1000, cursor=cursor or None
                    )
                    members.extend(str(m) for m in resp.get("members") or [])
                    cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
                    if not cursor:
                        break
            except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning(
                    "could not list the staff channel's members (%s): is the app invited to it? "
                    "Only slack.staff_user_ids count as staff until it works",
                    _error_code(exc),
                )
                self._staff_expires = self.clock() + self.failure_ttl
                return self._staff
            self._staff = frozenset(members)
            self._staff_expires = self.clock() + self.staff_ttl
            return self._staff

    async def enrich(self, inbound: Inbound) -> Inbound:
        """Add what the payload does not carry: name, handle, locale and the staff flag."""
        profile = await self.profile(inbound.user_id)
        staff = await self.is_staff(inbound.user_id)
        return replace(
            inbound,
            display_name=profile.display_name,
            handle=profile.handle,
            language=profile.language,
            timezone=profile.timezone,
            is_staff=staff,
        )


# ---------------------------------------------------------------------- OutMessage -> Block Kit


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters (links, mentions such as
    <!channel>): customer text must never be able to produce either."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_len(ch: str) -> int:
    return 5 if ch == "&" else 4 if ch in "<>" else 1


def _fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` once escaped: the cut falls between
    characters of the plain text, so ``&amp;`` is never cut into ``&am`` + ``p;``."""
    used = 0
    for index, ch in enumerate(text):
        used += _escaped_len(ch)
        if used > limit:
            return index
    return len(text)


def escape_within(text: str, limit: int) -> str:
    """``text`` escaped and no longer than ``limit``, cut before escaping (with an ellipsis)."""
    if _fit(text, limit) == len(text):
        return escape(text)
    return escape(text[: _fit(text, limit - 1)]) + "\u2026"


def _chunks(text: str, limit: int, prefix: str = "") -> Iterator[str]:
    """Escaped parts of plain ``text`` of at most ``limit`` characters each, split at line
    breaks where possible so a long comment stays readable, always between characters of the
    plain text. ``prefix`` starts every line (``> `` for a quote), in every part."""
    lines = text.split("\n")
    part: list[str] = []
    used = 0
    for line in lines:
        while True:
            sep = 1 if part else 0
            head = prefix if line else prefix.rstrip()
            size = len(head) + sum(_escaped_len(ch) for ch in line)
            if used + sep + size <= limit:
                part.append(head + escape(line))
                used += sep + size
                break
            if part:
                yield "\n".join(part)
                part, used = [], 0
                continue
            # One line longer than a whole part: cut it, preferring a space.
            at = _fit(line, limit - len(prefix))
            space = line.rfind(" ", at // 2, at)
            at = space + 1 if space > 0 else max(at, 1)
            yield prefix + escape(line[:at])
            line = line[at:]
            if not line:
                break
    if part:
        yield "\n".join(part)


def _section(text: str, prefix: str = "") -> list[dict[str, Any]]:
    """Plain ``text`` as escaped mrkdwn sections within Slack's limit."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": part}}
        for part in _chunks(text, SECTION_LIMIT, prefix)
    ]


def _field_text(block: Block) -> str:
    if not block.label:
        return escape_within(block.text, FIELD_LIMIT)
    label = f"*{escape(block.label)}:* "
    return label + escape_within(block.text, FIELD_LIMIT - len(label))


def _content_blocks(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    fields: list[dict[str, str]] = []

    def flush_fields() -> None:
        for i in range(0, len(fields), FIELDS_PER_SECTION):
            out.append({"type": "section", "fields": fields[i : i + FIELDS_PER_SECTION]})
        fields.clear()

    for block in blocks:
        if block.kind == "field":
            fields.append({"type": "mrkdwn", "text": _field_text(block)})
            continue
        if block.kind == "mention" and block.text.isalnum():
            fields.append({"type": "mrkdwn", "text": f"*Agent:* <@{block.text}> ({escape(block.label)})"[:FIELD_LIMIT]})
            continue
        flush_fields()
        if block.kind == "heading":
            if block.text.strip():
                # plain_text shows characters literally, so no mrkdwn escaping here.
                out.append({"type": "header", "text": {"type": "plain_text", "text": block.text[:HEADER_LIMIT]}})
        elif block.kind == "quote":
            out.extend(_section("\n".join(block.text.splitlines()) or "", prefix="> "))
        elif block.kind == "context":
            if block.text.strip():
                text = escape_within(block.text, SECTION_LIMIT)
                out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
        elif block.kind == "divider":
            out.append({"type": "divider"})
        elif block.text.strip():
            out.extend(_section(block.text))
    flush_fields()
    return out


def _button(index: int, choice: Choice) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": f"{BUTTON_ACTION_PREFIX}{index}",
        "text": {"type": "plain_text", "text": choice.label[:BUTTON_TEXT_LIMIT], "emoji": True},
        "value": choice.value,
    }


def _fallback_text(message: OutMessage) -> str:
    text = message.text
    if not text:
        text = next((b.text for b in message.blocks if b.text.strip()), "")
    return escape_within(text, FALLBACK_LIMIT)


# Slack reserves a leading "/" for registered slash commands and only /feedback is ours:
# the catalogs' "/skip" becomes "/feedback skip" here (the adapter maps it back).
_COMMAND_WORDS = re.compile(r"(?<![\w/])/(skip|cancel|stop|start|help|mydata|forget|done|actions|action|cause)\b")


def slack_commands(text: str) -> str:
    return _COMMAND_WORDS.sub(r"/feedback \1", text)


def render(message: OutMessage) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks). Each row of choices becomes its own actions block, so
    NPS 0-10 arrives as the engine's two rows; an edit without choices drops the buttons
    because the blocks are always sent in full."""
    if "/" in message.text or any("/" in b.text for b in message.blocks):  # most messages name no command
        message = replace(
            message,
            text=slack_commands(message.text),
            blocks=tuple(replace(b, text=slack_commands(b.text)) for b in message.blocks),
        )
    if message.blocks:
        blocks = _content_blocks(message.blocks)
    else:
        blocks = _section(message.text) if message.text.strip() else []
    index = 0
    for row in message.choices:
        for start in range(0, len(row), BUTTONS_PER_ACTIONS):
            elements = []
            for choice in row[start : start + BUTTONS_PER_ACTIONS]:
                elements.append(_button(index, choice))
                index += 1
            blocks.append({"type": "actions", "elements": elements})
    if len(blocks) > MAX_BLOCKS:
        # Keep every button: they are what the person must be able to press.
        actions = [b for b in blocks if b["type"] == "actions"]
        blocks = [b for b in blocks if b["type"] != "actions"][: MAX_BLOCKS - len(actions)] + actions
    return _fallback_text(message), blocks


# ---------------------------------------------------------------------- errors


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        try:
            return str(exc.response.get("error") or exc.response.status_code)
        except Exception:
            return "slack_api_error"
    return type(exc).__name__


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def translate_error(exc: BaseException) -> DeliveryError | None:
    """The SDK's exceptions as the delivery loop's vocabulary (None: not a Slack/network
    error, let it propagate as the bug it is)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        code = _error_code(exc)
        if status == 429 or code == "ratelimited":
            return RetryLater(_retry_after(exc), f"slack rate limit ({code})")
        if code in UNREACHABLE_ERRORS:
            return Unreachable(code)
        if status >= 500 or code in TRANSIENT_ERRORS:
            return TransientError(f"slack {status} {code}")
        return PermanentError(code)
    if isinstance(exc, SlackRequestError):
        # The upload step of files_upload_v2 reports an HTTP failure this way.
        text = str(exc)
        if text.startswith("Failed to upload"):
            return TransientError(text.split("(", 1)[0].strip())
        return PermanentError(text[:200])
    if isinstance(exc, aiohttp.ClientError | TimeoutError | ConnectionError):
        return TransientError(type(exc).__name__)
    if isinstance(exc, SlackClientError):
        return TransientError(type(exc).__name__)
    return None


# ---------------------------------------------------------------------- the outbound channel


class SlackChannel:
    """Implements ``handlers.base.Channel`` over the Web API; message ids are Slack ``ts``."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, dm_channel: Callable[[str], Awaitable[str]] | None = None) -> None:
        self.client = client
        self.dm_channel = dm_channel

    async def _channel(self, chat_id: str) -> str:
        """Invitations address people by user id (U…); chat.update needs the DM's channel
        id, so both sending and editing resolve it (cached by the directory)."""
        if self.dm_channel is not None and chat_id[:1] in ("U", "W"):
            try:
                return await self.dm_channel(chat_id)
            except Exception as exc:
                raise _translated(exc) from exc
        return chat_id

    def _check_open(self) -> None:
        # At shutdown the delivery loop may still hold a row after Slack stopped: leave the
        # row pending for the next start instead of logging a "session is closed" traceback.
        session = self.client.session
        if session is not None and session.closed:
            raise TransientError("the Slack client is closed (shutting down)")

    async def send(self, message: OutMessage, reply_to: str | None) -> str | None:
        self._check_open()
        thread_ts = reply_to or message.to.thread_ref
        try:
            if message.attachment:
                return await self._upload(message, thread_ts)
            text, blocks = render(message)
            resp = await self.client.chat_postMessage(
                channel=await self._channel(message.to.chat_id),
                text=text,
                blocks=blocks or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            raise _translated(exc) from exc
        return str(resp["ts"])

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        self._check_open()
        text, blocks = render(message)
        try:
            channel = await self._channel(chat_id)
            await self.client.chat_update(channel=channel, ts=message_id, text=text, blocks=blocks)
        except Exception as exc:
            raise _translated(exc) from exc

    async def _upload(self, message: OutMessage, thread_ts: str | None) -> str | None:
        path = _attachment_path(message)
        resp = await self.client.files_upload_v2(
            channel=message.to.chat_id,
            file=path,
            filename=os.path.basename(path),
            initial_comment=_fallback_text(message) or None,
            thread_ts=thread_ts,
        )
        # The share's ts (when Slack reports it) is what a later reply would thread under.
        file_info = resp.get("file") or {}
        shares = file_info.get("shares") or {}
        for scope in ("public", "private"):
            for ts_list in (shares.get(scope) or {}).values():
                if ts_list and ts_list[0].get("ts"):
                    return str(ts_list[0]["ts"])
        return None

    async def post_ephemeral(self, chat_id: str, user_id: str, text: str) -> None:
        """A note only the presser sees: Slack's counterpart of a Telegram callback toast.
        It is transient feedback, so it bypasses the outbox and a failure is only logged."""
        try:
            await self.client.chat_postEphemeral(channel=chat_id, user=user_id, text=escape(text))
        except Exception as exc:
            log.info("could not post an ephemeral note (%s)", _error_code(exc))


def _attachment_path(message: OutMessage) -> str:
    """A missing file is a permanent failure; the SDK would report it as a generic error."""
    path = message.attachment or ""
    if not os.path.isfile(path):
        raise PermanentError(f"attachment {os.path.basename(path)!r} does not exist")
    return path


def _translated(exc: BaseException) -> BaseException:
    translated = translate_error(exc)
    return translated if translated is not None else exc


# ---------------------------------------------------------------------- Home tab

HOME_KEYS = ("title", "intro", "how", "give", "stop", "resume", "privacy")


def home_texts(render: Callable[[str], str]) -> dict[str, str]:
    """The Home tab's texts from the message catalogs (``home_<name>``), rendered by the
    caller in the person's language with the survey's overrides."""
    return {name: render(f"home_{name}") for name in HOME_KEYS}


HOME_TEXT = {name: MESSAGES["en"][f"home_{name}"] for name in HOME_KEYS}


def home_view(texts: Mapping[str, str] = HOME_TEXT) -> dict[str, Any]:
    """The App Home tab. Stop and Resume are both offered because the tab is published
    when opened, and whether invitations are on is the service's business, not ours."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": texts["title"]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": texts["intro"]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": texts["how"]}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "home_feedback",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": texts["give"]},
                        "value": "feedback",
                    },
                    {
                        "type": "button",
                        "action_id": "home_stop",
                        "text": {"type": "plain_text", "text": texts["stop"]},
                        "value": "stop",
                    },
                    {
                        "type": "button",
                        "action_id": "home_start",
                        "text": {"type": "plain_text", "text": texts["resume"]},
                        "value": "start",
                    },
                ],
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": texts["privacy"]}]},
        ],
    }
