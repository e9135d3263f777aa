"""The facts only Slack's Web API knows (a person's locale, time zone and name, who is staff,
the id of the app's DM with someone), cached, because every one of them would otherwise cost a
round trip per turn."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.base import RetryLater, TransientError
from handlers.slack.errors import error_code, translate_error
from surveys.model import Inbound

log = logging.getLogger(__name__)


DM_ATTEMPTS = 3


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
        self._member_list: list[dict[str, str]] = []
        self._members_expires = 0.0

    async def profile(self, user_id: str) -> Profile:
        cached = self._profiles.get(user_id)
        if cached is not None:
            return cached
        try:
            resp = await self.client.users_info(user=user_id, include_locale=True)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("users.info failed (%s); continuing without name and locale", error_code(exc))
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

    async def find_member(self, typed: str) -> tuple[str, str] | None:
        """A person named in a staff command (an action's ``owner:``): a mention as Slack
        escapes it (``<@U0123|maria>``), a member id, or ``@name`` / ``name`` matched against
        every member's handle, display name and real name (case ignored; the handle first).
        Returns (member id, handle), or None when nobody (or more than one person) fits."""
        found = _MEMBER.match(typed.strip())
        if found is not None:
            member = found.group(1) or found.group(3)
            try:
                resp = await self.client.users_info(user=member)
            except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
                log.info("users.info failed (%s) looking up an action owner", error_code(exc))
                resp = None
            user = (resp.get("user") if resp is not None else None) or {}
            if user and not user.get("deleted"):
                return member, str(user.get("name") or found.group(2) or member)
            if found.group(3) is None:
                return None  # a mention of someone Slack does not know (any more)
            # A bare word that only looks like a member id ("WILLIAMS"): try it as a name.
        wanted = typed.strip().lstrip("@").casefold()
        if not wanted:
            return None
        members = await self._members()
        for fields in (("name",), ("display_name", "real_name")):
            fits = [(m["id"], m["name"]) for m in members if any(m[f].casefold() == wanted for f in fields)]
            if len(fits) == 1:
                return fits[0]
            if fits:
                return None  # two people answer to it: a guess could remind the wrong one
        return None

    async def _members(self) -> list[dict[str, str]]:
        """The workspace's people (users.list, every page; bots and deactivated accounts
        left out), cached like the staff list."""
        if self.clock() < self._members_expires:
            return self._member_list
        members: list[dict[str, str]] = []
        cursor = ""
        try:
            while True:
                resp = await self.client.users_list(limit=200, cursor=cursor or None)
                for user in resp.get("members") or []:
                    if user.get("deleted") or user.get("is_bot") or not user.get("id"):
                        continue
                    profile = user.get("profile") or {}
                    members.append(
                        {
                            "id": str(user["id"]),
                            "name": str(user.get("name") or ""),
                            "display_name": str(profile.get("display_name") or ""),
                            "real_name": str(user.get("real_name") or profile.get("real_name") or ""),
                        }
                    )
                cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    break
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not list the workspace's members (%s) to find an action owner", error_code(exc))
            self._members_expires = self.clock() + self.failure_ttl
            self._member_list = []
            return []
        self._member_list = members
        self._members_expires = self.clock() + self.staff_ttl
        return members

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
                    error_code(exc),
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


# A member as typed in a command: Slack's escaped mention <@U0123|name>, or a bare member id.
_MEMBER = re.compile(r"^(?:<@([UW][A-Z0-9]{2,})(?:\|([^>]*))?>|([UW][A-Z0-9]{6,}))$")
_OWNER = re.compile(r"(?i)(?<!\S)owner:(\S+)")


async def with_owner_resolved(inbound: Inbound, directory: SlackDirectory) -> Inbound:
    """``/feedback action ... owner:@maria``: the owner written as the member mention
    ``<@U0123|maria>`` when the workspace has exactly one such person, so the reminder
    notifies them. Left as typed otherwise (the service then refuses the action, saying the
    owner cannot be reached)."""
    found = _OWNER.search(inbound.args)
    if inbound.command != "action" or found is None:
        return inbound
    member = await directory.find_member(found.group(1))
    if member is None:
        return inbound
    args = f"{inbound.args[: found.start(1)]}<@{member[0]}|{member[1]}>{inbound.args[found.end(1) :]}"
    return replace(inbound, args=args)
