"""A fake Telegram Bot API server that speaks the real wire format.

The real python-telegram-bot library (or any HTTP client) can be pointed at it::

    async with FakeTelegramAPI() as fake:
        bot = telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        fake.send_text(42, "/start")               # queue an update for getUpdates
        ...                                          # run the bot
        await fake.wait_for(lambda f: f.texts(42))  # wait for the bot's reply
        assert fake.texts(42) == ["Welcome!"]

It serves ``/bot{token}/{method}`` (POST or GET) on 127.0.0.1 with a free port. Request bodies are
decoded the way Telegram does: empty bodies, form-encoded values (lists and dicts as JSON strings),
multipart uploads and JSON bodies. Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.

Every call is recorded in :attr:`FakeTelegramAPI.calls`; every message the bot sends or edits is kept
in a per-chat store (:meth:`FakeTelegramAPI.messages`). Faults can be injected at run time:
latency, the next N calls of a method failing, blocked chats, Telegram-like rate limits and
connections dropped without an answer.

Text with ``parse_mode`` is checked and rendered approximately like Telegram does: HTML must use
Telegram's tag set and be balanced (``<br>`` is rejected, as by Telegram), MarkdownV2 must escape
``# + - = { } . !``; the stored ``text`` is the rendered plain text (tags and escapes removed), while
the raw text stays in the recorded call's params.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import html
import inspect
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import BodyPartReader, web

__all__ = [
    "BOT_USER",
    "DEFAULT_TOKEN",
    "ApiCall",
    "FakeAPIError",
    "FakeTelegramAPI",
    "UploadedFile",
]

JSON = dict[str, Any]
MethodHandler = Callable[[JSON, dict[str, "UploadedFile"]], Any]

_log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST"

BOT_USER: JSON = {
    "id": 123456,
    "is_bot": True,
    "first_name": "FeedbackBot",
    "username": "feedback_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

#: Methods that post a new message into a chat: they are subject to blocking and rate limits.
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
#: Methods refused with 403 in a blocked chat.
BLOCKABLE_METHODS = SEND_METHODS | {"sendchataction"}
# Methods naming a chat that answer "upgraded to a supergroup" for a migrated group's old id.
CHAT_METHODS = BLOCKABLE_METHODS | {"getchatmember", "editmessagetext", "editmessagecaption"}

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
     "blockquote", "tg-emoji"}
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_MDV2_ALWAYS_RESERVED = frozenset("#+-={}.!")
_MDV2_MARKUP = frozenset("*_~|`")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class FakeAPIError(Exception):
    """Raise from a method handler (also custom ones, see :meth:`FakeTelegramAPI.add_method`) to answer
    with a Bot API error."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> JSON:
        out: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        parameters: JSON = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            out["parameters"] = parameters
        return out


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    size: int
    data: bytes = dataclasses.field(repr=False)

    def summary(self) -> JSON:
        return {"filename": self.filename, "size": self.size, "content_type": self.content_type}


@dataclass
class ApiCall:
    """One recorded request. ``status`` is the HTTP status answered (0 while pending or when the
    connection was dropped); ``error`` the error description, if any."""

    method: str
    params: JSON
    time: float
    files: dict[str, UploadedFile] = dataclasses.field(default_factory=dict)
    http_method: str = "POST"
    token: str = ""
    status: int = 0
    error: str | None = None
    result: Any = None


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass(order=True)
class _Pending:
    update_id: int
    seq: int
    update: Any = dataclasses.field(compare=False)
    sticky: bool = dataclasses.field(default=False, compare=False)
    served: bool = dataclasses.field(default=False, compare=False)


# ----------------------------------------------------------------------------------------------------------------------
# Value helpers



def _clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars): what the fake stores and
    hands out. ``copy.deepcopy`` did the same about five times slower, and its cost grew
    with every button of a keyboard, which charged the bot under test for the fake's work."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value

def _decode_value(value: Any) -> Any:
    """Form values are strings; lists and dicts arrive as JSON strings. Decode those, keep the rest."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                return json.loads(stripped)
            except ValueError:
                return value
    return value


def _as_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError):
        return default


def _as_float(value: Any, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if math.isfinite(out) else default


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def chat_type_for(chat_id: int) -> str:
    """Telegram's id conventions: users are positive, supergroups/channels start with -100, groups are
    other negative ids."""
    if chat_id > 0:
        return "private"
    if str(chat_id).startswith("-100"):
        return "supergroup"
    return "group"


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _render_html(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:lt])
        match = _HTML_TAG_RE.match(text, lt)
        if match is None:
            bad = re.match(r"</?([^\s<>]*)", text[lt:])
            raise FakeAPIError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{bad.group(1) if bad else ""}" '
                f"at byte offset {_byte_offset(text, lt)}",
            )
        closing, name, _attrs = match.group(1), match.group(2).lower(), match.group(3)
        if name not in _HTML_TAGS:
            raise FakeAPIError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                f"{_byte_offset(text, lt)}",
            )
        if closing:
            if not stack or stack[-1] != name:
                raise FakeAPIError(
                    400,
                    f'Bad Request: can\'t parse entities: Unmatched end tag at byte offset {_byte_offset(text, lt)}, '
                    f'expected "</{stack[-1] if stack else ""}>", found "</{name}>"',
                )
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    if stack:
        raise FakeAPIError(
            400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"'
        )
    return html.unescape("".join(out))


def _render_markdown_v2(text: str) -> str:
    out: list[str] = []
    in_code = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        elif not in_code and ch in _MDV2_ALWAYS_RESERVED:
            raise FakeAPIError(
                400,
                f"Bad Request: can't parse entities: Character '{ch}' is reserved and must be escaped with the "
                "preceding '\\'",
            )
        elif not in_code and ch in _MDV2_MARKUP:
            pass
        else:
            out.append(ch)
        i += 1
    rendered = "".join(out)
    return re.sub(r"\[([^\]]*)\]\(([^)]*)\)", r"\1", rendered)


def render_text(text: str, parse_mode: Any) -> str:
    """Approximation of Telegram's text rendering: validate markup and return the visible plain text."""
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return _render_html(text)
    if mode == "markdownv2":
        return _render_markdown_v2(text)
    return text


def _check_reply_markup(markup: Any) -> JSON | None:
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise FakeAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is not None:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise FakeAPIError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be "
                                    "an Object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text", "")):
                    raise FakeAPIError(400, "Bad Request: can't parse inline keyboard button: Text buttons are "
                                            "unallowed in the inline keyboard")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= 64:
                        raise FakeAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


# ----------------------------------------------------------------------------------------------------------------------


class FakeTelegramAPI:
    """In-process fake of the Telegram Bot API (see the module docstring)."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, host: str = "127.0.0.1", port: int = 0,
                 latency: float = 0.0, bot_user: JSON | None = None) -> None:
        self.token = token
        self.host = host
        self.port = port
        #: Seconds added to every API call (asyncio sleep), changeable at any time.
        self.latency = latency
        #: The clock of the rate-limit windows (seconds); a test may replace it to hold time
        #: still, so a loaded machine cannot stretch a burst past a window.
        self.clock: Callable[[], float] = time.monotonic
        self.bot_user: JSON = dict(bot_user or BOT_USER)
        bot_id = _as_int(token.split(":", 1)[0])
        if bot_user is None and bot_id is not None:
            self.bot_user["id"] = bot_id

        #: Every request, in arrival order.
        self.calls: list[ApiCall] = []
        self.rate_limited_count = 0
        # The most getUpdates calls from connected clients at one moment (Telegram allows one).
        self.max_concurrent_polls = 0
        self._polls: dict[int, web.Request] = {}  # by id(): requests are mappings, not hashable
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_params: JSON = {}
        self.allowed_updates: list[str] | None = None
        #: callback_query_id -> params of answerCallbackQuery
        self.callback_answers: dict[str, JSON] = {}
        self.uploads: list[UploadedFile] = []

        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._wakeup: asyncio.Event | None = None
        self._pending: list[_Pending] = []
        self._seq = itertools.count()
        self._next_update_id = 1
        self._transcripts: dict[int, list[JSON]] = {}
        self._message_ids: dict[int, int] = {}
        self._sources: dict[tuple[int, int], tuple[str, str]] = {}
        self._chat_types: dict[int, str] = {}
        self._users: dict[int, JSON] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._drops: dict[str, int] = {}
        self._callback_ids: set[str] = set()
        self._callback_counter = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, UploadedFile | None] = {}
        self._file_counter = itertools.count(1)
        self._sent_count = 0
        self._rate_limits: tuple[int, int, int] | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._custom: dict[str, MethodHandler] = {}
        self._methods: dict[str, MethodHandler] = {
            "getme": self._m_get_me,
            "getupdates": self._m_get_updates,
            "deletewebhook": self._m_delete_webhook,
            "setwebhook": self._m_set_webhook,
            "getwebhookinfo": self._m_get_webhook_info,
            "setmycommands": self._m_set_my_commands,
            "getmycommands": self._m_get_my_commands,
            "deletemycommands": self._m_delete_my_commands,
            "sendmessage": self._m_send_message,
            "editmessagetext": self._m_edit_message_text,
            "editmessagereplymarkup": self._m_edit_message_reply_markup,
            "answercallbackquery": self._m_answer_callback_query,
            "sendphoto": self._m_send_photo,
            "senddocument": self._m_send_document,
            "sendchataction": self._m_send_chat_action,
            "getchat": self._m_get_chat,
            "getchatmember": self._m_get_chat_member,
            "deletemessage": self._m_delete_message,
            "getfile": self._m_get_file,
            "close": self._m_true,
            "logout": self._m_true,
        }

    # ------------------------------------------------------------------------------------------------------------------
    # Lifecycle

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``Bot(token, base_url=...)``: python-telegram-bot appends ``{token}/{method}``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        self._stopping = False
        self._wakeup = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        if runner.addresses:
            self.port = int(runner.addresses[0][1])
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Wake every open long poll (they answer ``[]`` at once), then close the server."""
        if self._runner is None:
            return
        self._stopping = True
        self._wake()
        await asyncio.sleep(0)
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # ------------------------------------------------------------------------------------------------------------------
    # Inspection

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive, like Telegram)."""
        key = method.lower()
        return [call for call in self.calls if call.method.lower() == key]

    def clear_calls(self) -> None:
        self.calls.clear()

    def messages(self, chat_id: int) -> list[JSON]:
        """Current state of every message the bot sent to a chat (edits applied, deleted ones gone)."""
        bot_id = self.bot_user["id"]
        return [_clone(m) for m in self._transcripts.get(chat_id, []) if m.get("from", {}).get("id") == bot_id]

    def transcript(self, chat_id: int) -> list[JSON]:
        """Both sides of a chat in order: the users' messages queued as updates and the bot's messages."""
        return _clone(self._transcripts.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        found = self._find_message(chat_id, message_id)
        return _clone(found) if found is not None else None

    def texts(self, chat_id: int) -> list[str]:
        """Text (or caption) of each message the bot sent to a chat."""
        return [str(m.get("text", m.get("caption", ""))) for m in self.messages(chat_id)]

    def last_message(self, chat_id: int) -> JSON | None:
        sent = self.messages(chat_id)
        return sent[-1] if sent else None

    def chats(self) -> list[int]:
        return list(self._transcripts)

    @property
    def sent_count(self) -> int:
        """Number of messages the bot sent successfully (sendMessage, sendPhoto, sendDocument)."""
        return self._sent_count

    def commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON]:
        """Commands set with setMyCommands for a language (``""`` = default) and scope (None = default)."""
        return _clone(self._commands.get((self._scope_key(scope), language_code or ""), []))

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by an offset."""
        return len(self._pending)

    async def wait_for(
        self, predicate: Callable[[FakeTelegramAPI], Any], timeout: float = 5.0, interval: float = 0.005
    ) -> Any:
        """Wait until ``predicate(fake)`` is truthy and return its value; TimeoutError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if loop.time() >= deadline:
                recent = ", ".join(f"{c.method}->{c.status}" for c in self.calls[-8:])
                raise TimeoutError(f"condition not met within {timeout}s (last calls: {recent or 'none'})")
            await asyncio.sleep(interval)

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until the bot has sent at least ``count`` messages to a chat; return them."""
        await self.wait_for(lambda f: len(f.messages(chat_id)) >= count, timeout=timeout)
        return self.messages(chat_id)

    # ------------------------------------------------------------------------------------------------------------------
    # Configuration and faults

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Status getChatMember answers: creator, administrator, member, restricted, left (default), kicked."""
        self._members[(chat_id, user_id)] = status

    def set_chat_type(self, chat_id: int, chat_type: str) -> None:
        self._chat_types[chat_id] = chat_type

    def fail_next(self, method: str, status: int, description: str | None = None, retry_after: int | None = None,
                  count: int = 1) -> None:
        """The next ``count`` calls of ``method`` answer this error (429 gets parameters.retry_after)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, "Error")
        self._faults.setdefault(method.lower(), deque()).append(_Fault(status, description, retry_after, count))

    def drop_connection_next(self, method: str, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` get their connection closed without any answer."""
        key = method.lower()
        self._drops[key] = self._drops.get(key, 0) + count

    def block(self, chat_id: int) -> None:
        """Sends to this chat answer 403 (user blocked the bot / bot kicked from the group)."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def enable_rate_limits(self, global_per_second: int = 30, per_chat_per_second: int = 1,
                           group_per_minute: int = 20) -> None:
        """Telegram-like flood limits on sends (sliding windows). A send over a limit answers 429 with an
        integer retry_after >= 1 and does not count towards the windows. A limit of 0 disables it. Calling
        this again restarts the windows."""
        self._rate_limits = (global_per_second, per_chat_per_second, group_per_minute)
        self._global_window.clear()
        self._chat_windows.clear()
        self._group_windows.clear()

    def disable_rate_limits(self) -> None:
        self._rate_limits = None

    def add_method(self, name: str, handler: MethodHandler) -> None:
        """Serve an extra (or override a) method: ``handler(params, files)`` returns the result (sync or async)
        or raises :class:`FakeAPIError`."""
        self._custom[name.lower()] = handler

    # ------------------------------------------------------------------------------------------------------------------
    # Updates

    def queue_raw(self, update: Any) -> Any:
        """Queue anything as an update, served verbatim. An int ``update_id`` orders it; otherwise the
        next free id is used internally (the dict itself is left as is, so it may be unparseable)."""
        uid = update.get("update_id") if isinstance(update, dict) else None
        if isinstance(uid, int) and not isinstance(uid, bool):
            self._next_update_id = max(self._next_update_id, uid + 1)
        else:
            uid = self._next_update_id
            self._next_update_id += 1
        if isinstance(update, dict):
            self._register_update(update)
        self._insert(_Pending(uid, next(self._seq), update))
        return update

    def requeue(self, update: JSON, *, new_update_id: bool = False) -> JSON:
        """Deliver an update again (redelivery). By default with the same ``update_id``: it is served once
        more even if the bot's offset already confirmed it."""
        if new_update_id:
            fresh = _clone(update)
            fresh["update_id"] = self._next_update_id
            self._next_update_id += 1
            self._insert(_Pending(fresh["update_id"], next(self._seq), fresh))
            return fresh
        uid = _as_int(update.get("update_id"), 0) or 0
        self._insert(_Pending(uid, next(self._seq), _clone(update), sticky=True))
        return update

    def clear_updates(self) -> int:
        """Forget every queued update (e.g. to unstick a bot fed an unparseable one); returns how many."""
        count = len(self._pending)
        self._pending.clear()
        return count

    def send_text(self, user_id: int, text: str, *, chat_id: int | None = None, first_name: str = "Ann",
                  username: str | None = None, language_code: str | None = "en", chat_type: str | None = None,
                  reply_to_message_id: int | None = None, last_name: str | None = None) -> JSON:
        """Queue a message update from a user (private chat with the user unless ``chat_id`` is given)."""
        user = self._user(user_id, first_name=first_name, username=username, language_code=language_code,
                          last_name=last_name)
        cid = user_id if chat_id is None else chat_id
        if chat_type is not None:
            self._chat_types[cid] = chat_type
        message: JSON = {
            "message_id": self._next_message_id(cid),
            "from": user,
            "chat": self._chat(cid),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else "/"
            length = len(command.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_target(cid, reply_to_message_id)
        return self._queue_new({"message": message})

    def press(self, user_id: int, data: str, message_id: int, chat_id: int | None = None, *, first_name: str = "Ann",
              username: str | None = None, language_code: str | None = "en", inaccessible: bool = False) -> JSON:
        """Queue a callback_query update: the user pressed a button with ``data`` on a message."""
        user = self._user(user_id, first_name=first_name, username=username, language_code=language_code)
        cid = user_id if chat_id is None else chat_id
        stored = self._find_message(cid, message_id)
        if inaccessible:
            message: JSON = {"message_id": message_id, "date": 0, "chat": self._chat(cid)}
        elif stored is not None:
            message = _clone(stored)
        else:
            message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat(cid),
                       "from": self._bot_from()}
        query_id = f"{user_id}{next(self._callback_counter):08d}"
        self._callback_ids.add(query_id)
        return self._queue_new({
            "callback_query": {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": f"ci{cid}",
                "data": data,
            }
        })

    def my_chat_member(self, user_id: int, old_status: str, new_status: str, *, chat_id: int | None = None,
                       first_name: str = "Ann") -> JSON:
        """Queue a my_chat_member update, e.g. ``("member", "kicked")`` when a user blocks the bot."""
        user = self._user(user_id, first_name=first_name)
        cid = user_id if chat_id is None else chat_id
        if new_status == "kicked" and cid > 0:
            self._blocked.add(cid)
        elif new_status in ("member", "administrator") and cid > 0:
            self._blocked.discard(cid)
        return self._queue_new({
            "my_chat_member": {
                "chat": self._chat(cid),
                "from": user,
                "date": int(time.time()),
                "old_chat_member": self._member_json(old_status, self._bot_from()),
                "new_chat_member": self._member_json(new_status, self._bot_from()),
            }
        })

    def migrate_group(self, old_chat_id: int, new_chat_id: int, *, user_id: int = 1, queue_update: bool = True) -> None:
        """A basic group upgraded to a supergroup: from now on every call naming the old id answers 400 with
        ``parameters.migrate_to_chat_id``, as Telegram does; with ``queue_update`` the service message
        (``migrate_to_chat_id`` in the old chat) is queued too. Members carry over."""
        self._migrated[old_chat_id] = new_chat_id
        self._chat_types[new_chat_id] = "supergroup"
        for (chat, user), status in list(self._members.items()):
            if chat == old_chat_id:
                self._members[(new_chat_id, user)] = status
        if queue_update:
            self._queue_new({
                "message": {
                    "message_id": self._next_message_id(old_chat_id),
                    "from": self._user(user_id, first_name="Admin"),
                    "chat": self._chat(old_chat_id),
                    "date": int(time.time()),
                    "migrate_to_chat_id": new_chat_id,
                }
            })

    # ------------------------------------------------------------------------------------------------------------------
    # Internals: update queue

    def _queue_new(self, body: JSON) -> JSON:
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self._register_update(update)
        self._insert(_Pending(update["update_id"], next(self._seq), update))
        return _clone(update)

    def _insert(self, pending: _Pending) -> None:
        bisect.insort(self._pending, pending)
        self._wake()

    def _wake(self) -> None:
        event = self._wakeup
        if event is not None:
            self._wakeup = asyncio.Event()
            event.set()

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            del self._pending[: max(0, len(self._pending) + offset)]
            return
        self._pending = [p for p in self._pending if p.update_id >= offset or (p.sticky and not p.served)]

    def _take(self, limit: int) -> list[Any]:
        batch = self._pending[:limit]
        for pending in batch:
            pending.served = True
        return [pending.update for pending in batch]

    def _register_update(self, update: JSON) -> None:
        """Make messages and callback queries of raw updates known (for replies, edits, answers)."""
        for key in ("message", "edited_message", "channel_post"):
            message = update.get(key)
            if isinstance(message, dict):
                chat = message.get("chat")
                cid = chat.get("id") if isinstance(chat, dict) else None
                mid = message.get("message_id")
                if isinstance(cid, int) and isinstance(mid, int):
                    self._message_ids[cid] = max(self._message_ids.get(cid, 0), mid)
                    if key != "edited_message" and self._find_message(cid, mid) is None:
                        self._transcripts.setdefault(cid, []).append(_clone(message))
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._callback_ids.add(query["id"])

    # ------------------------------------------------------------------------------------------------------------------
    # Internals: chats, users, messages

    def _user(self, user_id: int, *, first_name: str = "Ann", username: str | None = None,
              language_code: str | None = None, last_name: str | None = None) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return dict(user)

    def _bot_from(self) -> JSON:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username") if k in self.bot_user}

    def _chat(self, chat_id: int) -> JSON:
        kind = self._chat_types.get(chat_id) or chat_type_for(chat_id)
        chat: JSON = {"id": chat_id, "type": kind}
        if kind == "private":
            user = self._users.get(chat_id, {})
            chat["first_name"] = user.get("first_name", "User")
            if user.get("username"):
                chat["username"] = user["username"]
        else:
            chat["title"] = f"Chat {chat_id}"
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        mid = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = mid
        return mid

    def _find_message(self, chat_id: int, message_id: int) -> JSON | None:
        for message in reversed(self._transcripts.get(chat_id, [])):
            if message.get("message_id") == message_id:
                return message
        return None

    def _reply_target(self, chat_id: int, message_id: int) -> JSON:
        stored = self._find_message(chat_id, message_id)
        if stored is not None:
            target = _clone(stored)
            target.pop("reply_to_message", None)
            return target
        return {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id)}

    def _member_json(self, status: str, user: JSON) -> JSON:
        out: JSON = {"status": status, "user": user}
        if status == "creator":
            out["is_anonymous"] = False
        elif status == "administrator":
            out.update({key: False for key in (
                "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
                "can_post_stories", "can_edit_stories", "can_delete_stories")})
            out["can_manage_chat"] = True
        elif status == "restricted":
            out.update({key: False for key in (
                "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages", "can_send_polls",
                "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
                "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
                "can_send_voice_notes", "can_edit_tag", "can_react_to_messages")})
            out["is_member"] = True
            out["until_date"] = 0
        elif status == "kicked":
            out["until_date"] = 0
        return out

    def _chat_id(self, params: JSON) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise FakeAPIError(400, "Bad Request: chat_id is empty")
        cid = _as_int(raw)
        if cid is None or str(raw).strip().startswith("@"):
            raise FakeAPIError(400, "Bad Request: chat not found")
        return cid

    def _store_bot_message(self, chat_id: int, content: JSON, params: JSON) -> JSON:
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_from(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        reply_to = self._reply_to_id(params)
        if reply_to is not None:
            message["reply_to_message"] = self._reply_target(chat_id, reply_to)
        markup = _check_reply_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        self._transcripts.setdefault(chat_id, []).append(message)
        return _clone(message)

    @staticmethod
    def _reply_to_id(params: JSON) -> int | None:
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            return _as_int(reply_parameters.get("message_id"))
        return _as_int(params.get("reply_to_message_id"))

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope:
            return "default"
        if isinstance(scope, dict):
            return json.dumps(scope, sort_keys=True)
        return str(scope)

    # ------------------------------------------------------------------------------------------------------------------
    # Internals: rate limits

    def _check_rate_limit(self, chat_id: int) -> None:
        if self._rate_limits is None:
            return
        global_limit, chat_limit, group_limit = self._rate_limits
        now = self.clock()
        waits: list[float] = []
        for window, span, limit in (
            (self._global_window, 1.0, global_limit),
            (self._chat_windows.setdefault(chat_id, deque()), 1.0, chat_limit),
            (self._group_windows.setdefault(chat_id, deque()), 60.0, group_limit if chat_id < 0 else 0),
        ):
            if limit <= 0:
                continue
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                waits.append(window[len(window) - limit] + span - now)
        if waits:
            self.rate_limited_count += 1
            retry_after = max(1, math.ceil(max(waits)))
            raise FakeAPIError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def _note_send(self, chat_id: int) -> None:
        self._sent_count += 1
        if self._rate_limits is None:
            return
        now = self.clock()
        self._global_window.append(now)
        self._chat_windows.setdefault(chat_id, deque()).append(now)
        if chat_id < 0:
            self._group_windows.setdefault(chat_id, deque()).append(now)

    # ------------------------------------------------------------------------------------------------------------------
    # HTTP

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
        params: JSON = {key: _decode_value(value) for key, value in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return params, files
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or not part.name:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read(decode=False))
                    upload = UploadedFile(part.name, part.filename,
                                          part.headers.get("Content-Type", "application/octet-stream"), len(data), data)
                    files[part.name] = upload
                else:
                    params[part.name] = _decode_value(await part.text())
            for key, value in list(params.items()):
                if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                    files[key] = files[value[9:]]
            for key, upload in files.items():
                params[key] = upload.summary()
        elif ctype == "application/x-www-form-urlencoded":
            form = await request.post()
            for key, value in form.items():
                params[key] = _decode_value(value) if isinstance(value, str) else str(value)
        else:
            body = await request.read()
            if body.strip():
                try:
                    decoded = json.loads(body)
                except ValueError as exc:
                    if ctype == "application/json":
                        raise FakeAPIError(400, "Bad Request: can't parse JSON encoded request body") from exc
                    decoded = None
                if isinstance(decoded, dict):
                    params.update({str(k): _decode_value(v) for k, v in decoded.items()})
        return params, files

    @staticmethod
    def _respond(call: ApiCall, status: int, body: JSON) -> web.Response:
        call.status = status
        if not body.get("ok"):
            call.error = body.get("description")
        else:
            call.result = body.get("result")
        return web.Response(status=status, body=json.dumps(body, ensure_ascii=False, default=str).encode(),
                            content_type="application/json")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info.get("token", "")
        method = request.match_info.get("method", "")
        call = ApiCall(method=method, params={}, time=time.time(), http_method=request.method, token=token)
        self.calls.append(call)
        try:
            call.params, call.files = await self._read_params(request)
            self.uploads.extend(call.files.values())
        except FakeAPIError as exc:
            return self._respond(call, exc.status, exc.body())
        except Exception as exc:  # a fake must never crash on odd input
            _log.debug("unreadable request to %s", method, exc_info=True)
            return self._respond(call, 400, FakeAPIError(400, f"Bad Request: can't parse request: {exc}").body())
        key = method.lower()

        if self._drops.get(key):
            self._drops[key] -= 1
            call.error = "connection dropped"
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never delivered: the transport is gone

        if self.latency > 0 and not self._stopping:
            await asyncio.sleep(self.latency)

        polling = key == "getupdates"
        if polling:
            # Telegram allows one getUpdates consumer per bot: count the polls that overlap
            # another poll whose client is still connected (a killed client's poll lingers
            # here until its timeout, but nobody is waiting for it any more).
            live = [r for r in self._polls.values() if r.transport is not None and not r.transport.is_closing()]
            self.max_concurrent_polls = max(self.max_concurrent_polls, len(live) + 1)
            self._polls[id(request)] = request
        try:
            if token != self.token:
                raise FakeAPIError(401, "Unauthorized")
            result = await self._dispatch(key, call.params, call.files)
        except FakeAPIError as exc:
            return self._respond(call, exc.status, exc.body())
        except Exception as exc:
            _log.debug("fake Telegram API handler for %s failed", method, exc_info=True)
            return self._respond(call, 500, FakeAPIError(500, f"Internal Server Error: {exc}").body())
        finally:
            if polling:
                self._polls.pop(id(request), None)
        return self._respond(call, 200, {"ok": True, "result": result})

    async def _dispatch(self, key: str, params: JSON, files: dict[str, UploadedFile]) -> Any:
        faults = self._faults.get(key)
        if faults:
            fault = faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.popleft()
            raise FakeAPIError(fault.status, fault.description, retry_after=fault.retry_after)
        handler = self._custom.get(key) or self._methods.get(key)
        if handler is None:
            raise FakeAPIError(404, "Not Found: method not found")
        moved_to = self._migrated.get(_as_int(params.get("chat_id")) or 0) if key in CHAT_METHODS else None
        if moved_to is not None:
            raise FakeAPIError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               migrate_to_chat_id=moved_to)
        if key in BLOCKABLE_METHODS:
            chat_id = self._chat_id(params)
            if chat_id in self._blocked:
                if chat_id > 0:
                    raise FakeAPIError(403, "Forbidden: bot was blocked by the user")
                raise FakeAPIError(403, "Forbidden: bot was kicked from the group chat")
            if key in SEND_METHODS:
                self._check_rate_limit(chat_id)
        result = handler(params, files)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info.get("token") != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        path = request.match_info.get("path", "")
        upload = self._files.get(path.rsplit("/", 1)[-1])
        if upload is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=upload.data, content_type=upload.content_type or "application/octet-stream")

    # ------------------------------------------------------------------------------------------------------------------
    # Methods

    def _m_true(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return True

    def _m_get_me(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        return dict(self.bot_user)

    async def _m_get_updates(self, params: JSON, files: dict[str, UploadedFile]) -> list[Any]:
        if self.webhook_url:
            raise FakeAPIError(409, "Conflict: can't use getUpdates method while webhook is active; use "
                                    "deleteWebhook to delete the webhook first")
        offset = _as_int(params.get("offset"))
        limit = min(100, max(1, _as_int(params.get("limit"), 100) or 100))
        timeout = max(0.0, _as_float(params.get("timeout"), 0.0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(item) for item in allowed]
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0 or self._wakeup is None:
                return batch
            event = self._wakeup
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []

    def _m_delete_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_params = {}
        if _as_bool(params.get("drop_pending_updates")):
            self._pending.clear()
        return True

    def _m_set_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://") and not url.startswith("http://"):
            raise FakeAPIError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        secret = params.get("secret_token")
        self.webhook_secret = str(secret) if secret not in (None, "") else None
        self.webhook_params = dict(params)
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = [str(item) for item in params["allowed_updates"]]
        if _as_bool(params.get("drop_pending_updates")):
            self._pending.clear()
        return True

    def _m_get_webhook_info(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = _as_int(self.webhook_params.get("max_connections"), 40)
        if self.allowed_updates is not None:
            info["allowed_updates"] = list(self.allowed_updates)
        return info

    def _m_set_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise FakeAPIError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise FakeAPIError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise FakeAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise FakeAPIError(400, "Bad Request: command description is empty or too long")
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _m_get_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return _clone(self._commands.get(key, []))

    def _m_delete_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    def _text_param(self, params: JSON, name: str, *, required: bool, limit: int) -> tuple[str, str] | None:
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise FakeAPIError(400, "Bad Request: message text is empty")
            return None
        raw_text = raw if isinstance(raw, str) else json.dumps(raw)
        parse_mode = str(params.get("parse_mode") or "")
        rendered = render_text(raw_text, parse_mode)
        if required and not rendered.strip():
            raise FakeAPIError(400, "Bad Request: message text is empty")
        if len(rendered) > limit:
            raise FakeAPIError(400, "Bad Request: message is too long" if name == "text"
                               else "Bad Request: message caption is too long")
        return raw_text, rendered

    def _m_send_message(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_id(params)
        text = self._text_param(params, "text", required=True, limit=4096)
        assert text is not None
        message = self._store_bot_message(chat_id, {"text": text[1]}, params)
        self._sources[(chat_id, message["message_id"])] = (text[0], str(params.get("parse_mode") or ""))
        self._note_send(chat_id)
        return message

    def _file_ref(self, params: JSON, files: dict[str, UploadedFile], name: str) -> tuple[str, UploadedFile | None]:
        upload = files.get(name)
        if upload is not None:
            file_id = f"{name.upper()}-{next(self._file_counter):06d}"
            self._files[file_id] = upload
            return file_id, upload
        value = params.get(name)
        if not isinstance(value, str) or not value:
            raise FakeAPIError(400, f"Bad Request: there is no {name} in the request")
        if value in self._files:
            return value, self._files[value]
        file_id = f"{name.upper()}-{next(self._file_counter):06d}"
        self._files[file_id] = None
        return file_id, None

    def _media_message(self, params: JSON, chat_id: int, content: JSON) -> JSON:
        caption = self._text_param(params, "caption", required=False, limit=1024)
        if caption is not None:
            content["caption"] = caption[1]
        message = self._store_bot_message(chat_id, content, params)
        self._note_send(chat_id)
        return message

    def _m_send_photo(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_id(params)
        file_id, upload = self._file_ref(params, files, "photo")
        size = upload.size if upload else 0
        photo = [
            {"file_id": f"{file_id}-s", "file_unique_id": f"u{file_id}-s", "width": 90, "height": 67,
             "file_size": size // 10},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600, "file_size": size},
        ]
        return self._media_message(params, chat_id, {"photo": photo})

    def _m_send_document(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_id(params)
        file_id, upload = self._file_ref(params, files, "document")
        document: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if upload is not None:
            document.update({"file_name": upload.filename or "file", "mime_type": upload.content_type,
                             "file_size": upload.size})
        return self._media_message(params, chat_id, {"document": document})

    def _m_send_chat_action(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        self._chat_id(params)
        if not params.get("action"):
            raise FakeAPIError(400, "Bad Request: wrong parameter action in request")
        return True

    def _editable(self, params: JSON) -> tuple[int, JSON] | None:
        if params.get("inline_message_id"):
            return None
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise FakeAPIError(400, "Bad Request: message identifier is not specified")
        message = self._find_message(chat_id, message_id)
        if message is None:
            raise FakeAPIError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise FakeAPIError(400, "Bad Request: message can't be edited")
        return chat_id, message

    def _m_edit_message_text(self, params: JSON, files: dict[str, UploadedFile]) -> JSON | bool:
        target = self._editable(params)
        text = self._text_param(params, "text", required=True, limit=4096)
        markup = _check_reply_markup(params.get("reply_markup"))
        if target is None:
            return True
        assert text is not None
        chat_id, message = target
        source = (text[0], str(params.get("parse_mode") or ""))
        key = (chat_id, message["message_id"])
        if (message.get("text") == text[1] and self._sources.get(key, source) == source
                and message.get("reply_markup") == markup):
            raise FakeAPIError(400, _NOT_MODIFIED)
        message["text"] = text[1]
        self._sources[key] = source
        self._set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return _clone(message)

    def _m_edit_message_reply_markup(self, params: JSON, files: dict[str, UploadedFile]) -> JSON | bool:
        target = self._editable(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        if target is None:
            return True
        _chat_id, message = target
        if message.get("reply_markup") == markup:
            raise FakeAPIError(400, _NOT_MODIFIED)
        self._set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return _clone(message)

    @staticmethod
    def _set_markup(message: JSON, markup: JSON | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    def _m_answer_callback_query(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callback_ids or query_id in self.callback_answers:
            raise FakeAPIError(400, _QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise FakeAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = dict(params)
        return True

    def _m_get_chat(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat = self._chat(self._chat_id(params))
        chat.update({
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                    "premium_subscription": False, "gifts_from_channels": False},
        })
        return chat

    def _m_get_chat_member(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_id(params)
        user_id = _as_int(params.get("user_id"))
        if user_id is None:
            raise FakeAPIError(400, "Bad Request: user not found")
        if user_id == self.bot_user["id"]:
            user: JSON = self._bot_from()
        else:
            user = dict(self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "User"})
        return self._member_json(self._members.get((chat_id, user_id), "left"), user)

    def _m_delete_message(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        transcript = self._transcripts.get(chat_id, [])
        for index, message in enumerate(transcript):
            if message.get("message_id") == message_id:
                del transcript[index]
                return True
        raise FakeAPIError(400, "Bad Request: message to delete not found")

    def _m_get_file(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise FakeAPIError(400, "Bad Request: invalid file_id")
        upload = self._files[file_id]
        out: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if upload is not None:
            out.update({"file_size": upload.size, "file_path": f"files/{file_id}"})
        return out

