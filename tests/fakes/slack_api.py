"""A fake Slack platform for tests: Web API, Socket Mode and signed inbound requests.

Everything binds to 127.0.0.1 on an ephemeral port; nothing leaves the machine.

* :class:`FakeSlackAPI`: an aiohttp server answering the Web API methods feedbackbot uses, with a
  recorded call log, message store, fault injection and an optional rate limiter. Point
  ``AsyncWebClient(base_url=fake.base_url)`` at it (the trailing slash matters: slack_sdk joins
  with ``urljoin``).
* :class:`FakeSocketMode` (``fake.socket_mode``): ``apps.connections.open`` plus the WebSocket
  endpoint. ``AsyncSocketModeHandler`` connects through the app's web client, so an ``AsyncApp``
  whose client points at the fake needs nothing else.
* :class:`SlackRequestSender`: signs and POSTs Events API, interactivity and slash-command
  requests to a Bolt app served over HTTP (see :func:`serve_bolt_app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import math
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Self
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

__all__ = [
    "FakeSlackAPI",
    "FakeSocketMode",
    "RecordedCall",
    "SentResponse",
    "SlackRequestSender",
    "block_actions_payload",
    "channel_message",
    "command_form",
    "dm_message",
    "event_callback",
    "serve_bolt_app",
]

TEAM_ID = "T1"
TEAM_NAME = "Fake Team"
TEAM_URL = "https://fake-team.slack.com/"
APP_ID = "A1"
BOT_USER_ID = "UBOT"
BOT_USER_NAME = "feedbackbot"
BOT_ID = "BBOT"
BOT_SCOPES = "chat:write,im:write,im:history,users:read,channels:read,groups:read,files:write,commands"

# Parameters that clients send as JSON strings inside form bodies or query strings.
_JSON_PARAMS = frozenset({"blocks", "attachments", "view", "files", "metadata", "unfurl", "user_auth_blocks"})


class RecordedCall(NamedTuple):
    """One Web API call as the fake received it. ``time`` is ``time.monotonic()`` (== ``loop.time()``)."""

    method: str
    params: dict[str, Any]
    time: float


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class _ResponseTarget:
    channel: str | None
    message_ts: str | None
    user: str | None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _decode_param(key: str, value: Any) -> Any:
    if key in _JSON_PARAMS and isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _split_csv(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _slack_error(error: str, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status, headers=headers)


class FakeSlackAPI:
    """Fake Slack Web API served by aiohttp on 127.0.0.1:<ephemeral port>.

    Usage::

        async with FakeSlackAPI() as fake:
            client = AsyncWebClient(token="xoxb-test", base_url=fake.base_url)
            await client.chat_postMessage(channel="D1", text="hi")
            assert fake.messages("D1")[0]["text"] == "hi"
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        host: str = "127.0.0.1",
        latency: float = 0.0,
        port: int = 0,
    ) -> None:
        """``port``: 0 picks a free one; a fixed port lets a test start the "platform" late."""
        self.bot_token = bot_token
        self.app_token = app_token
        self.host = host
        self.port: int = 0
        self._bind_port = port
        #: Seconds of simulated latency added to every Web API, upload and response_url request.
        self.latency = latency
        #: When true, chat.* to a channel that is neither added, opened nor a DM ("D...") fails channel_not_found.
        self.strict_channels = False

        self.calls: list[RecordedCall] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}  # views.publish: user_id -> latest home view
        self.view_history: list[dict[str, Any]] = []  # every views.publish / views.open / views.update
        self.opened_views: list[dict[str, Any]] = []  # views.open (modals) in order
        self.uploads: list[dict[str, Any]] = []  # completed uploads (files.completeUploadExternal)
        self.responses: list[dict[str, Any]] = []  # POSTs to response_url
        self.rate_limited_count = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}

        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._pending_uploads: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._limits: dict[str, int] = {}
        self._limit_window = 60.0
        self._limit_hits: dict[str, deque[float]] = {}
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.socket_mode = FakeSocketMode(self)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        if not self.port:
            raise RuntimeError("FakeSlackAPI is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Web API base URL with the trailing slash slack_sdk needs: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.url}/api/"

    async def start(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{response_id}", self._handle_response_url)
        app.router.add_get("/socket", self.socket_mode._handle_ws)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._bind_port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        await self.socket_mode.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ configuration

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        locale: str = "en-US",
        tz: str = "Europe/Berlin",
        deleted: bool = False,
        is_bot: bool = False,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Register a user for users.info (and conversations.open checks). Returns the stored record."""
        name = name or user_id.lower()
        real_name = real_name or name.title()
        record = {
            "id": user_id,
            "name": name,
            "real_name": real_name,
            "locale": locale,
            "tz": tz,
            "deleted": deleted,
            "is_bot": is_bot,
            "email": email,
        }
        self.users[user_id] = record
        return record

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: Iterable[str] = (),
        is_private: bool = False,
        is_im: bool = False,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Register a conversation for conversations.info / conversations.members."""
        record = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "members": list(members),
            "is_private": is_private,
            "is_im": is_im,
            "user": user,
        }
        self.channels[channel_id] = record
        return record

    def set_members(self, channel_id: str, members: Iterable[str]) -> None:
        if channel_id not in self.channels:
            self.add_channel(channel_id, members=members)
        else:
            self.channels[channel_id]["members"] = list(members)

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int | None = 1,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail.

        ``status=429`` answers HTTP 429 with ``Retry-After: retry_after``; a 5xx status answers that status;
        ``status=200`` answers ``{"ok": false, "error": error}`` like a normal Slack API error.
        ``method`` may also be ``"upload"`` (the upload URL) or ``"response_url"``.
        """
        self._faults.setdefault(method, deque()).append(_Fault(error, status, retry_after, count))

    def clear_faults(self) -> None:
        self._faults.clear()

    def enable_rate_limits(self, per_method_per_minute: dict[str, int], *, window: float = 60.0) -> None:
        """Sliding-window limiter: more than N calls of a method within ``window`` seconds get HTTP 429.

        Rejected calls do not count toward the window. ``Retry-After`` is the whole seconds until the oldest
        accepted call leaves the window (at least 1).
        """
        self._limits = dict(per_method_per_minute)
        self._limit_window = window
        self._limit_hits = {m: deque() for m in self._limits}

    def disable_rate_limits(self) -> None:
        self._limits = {}
        self._limit_hits = {}

    def new_response_url(
        self, *, channel: str | None = None, message_ts: str | None = None, user: str | None = None
    ) -> str:
        """A response_url served by the fake. With ``channel``/``message_ts`` known, ``replace_original`` and
        ``delete_original`` act on the stored message; ``response_type: in_channel`` posts a message, anything
        else is recorded as an ephemeral for ``user``. Every POST is recorded in ``responses``."""
        response_id = f"R{next(self._id_counter):06d}"
        self._response_targets[response_id] = _ResponseTarget(channel, message_ts, user)
        return f"{self.url}/response/{response_id}"

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Current state (after updates/deletes) of the bot's messages in ``channel``, oldest first."""
        return [dict(m) for m in self._messages.get(channel, [])]

    def all_messages(self) -> list[dict[str, Any]]:
        out = [dict(m) for msgs in self._messages.values() for m in msgs]
        out.sort(key=lambda m: m["ts"])
        return out

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m.get("thread_ts") == thread_ts]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self._find_message(channel, ts)
        return dict(found) if found is not None else None

    @property
    def message_count(self) -> int:
        return sum(len(msgs) for msgs in self._messages.values())

    def reset(self) -> None:
        """Forget recorded traffic (calls, messages, views, uploads, responses); keep users/channels/config."""
        self.calls.clear()
        self._messages.clear()
        self.ephemerals.clear()
        self.views.clear()
        self.view_history.clear()
        self.opened_views.clear()
        self.uploads.clear()
        self.responses.clear()
        self.rate_limited_count = 0

    async def wait_for(
        self,
        predicate: Callable[[FakeSlackAPI], bool | Awaitable[bool]],
        timeout: float = 5.0,
        interval: float = 0.01,
    ) -> None:
        """Poll until ``predicate(fake)`` is true; raise ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; last calls: {self.calls[-5:]}")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ helpers

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + next(self._ts_counter) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):08d}"

    def _find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        for msg in self._messages.get(channel, []):
            if msg["ts"] == ts:
                return msg
        return None

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user ID delivers to the DM with that user, as Slack does.
        if channel[:1] in ("U", "W") and channel != BOT_USER_ID:
            return "D" + channel
        return channel

    def _channel_known(self, channel: str) -> bool:
        return not self.strict_channels or channel in self.channels or channel.startswith("D")

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def _fault_response(self, fault: _Fault) -> web.Response:
        headers: dict[str, str] = {}
        if fault.status == 429:
            self.rate_limited_count += 1
            headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        return _slack_error(fault.error, status=fault.status, headers=headers)

    def _rate_limit(self, method: str) -> web.Response | None:
        limit = self._limits.get(method)
        if limit is None:
            return None
        hits = self._limit_hits.setdefault(method, deque())
        now = time.monotonic()
        while hits and hits[0] <= now - self._limit_window:
            hits.popleft()
        if len(hits) >= limit:
            self.rate_limited_count += 1
            retry_after = max(1, math.ceil(hits[0] + self._limit_window - now))
            return _slack_error("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        hits.append(now)
        return None

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if request.can_read_body:
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key in form:
                    value = form.getone(key)
                    if isinstance(value, web.FileField):
                        params[key] = value.file.read()
                        params[f"{key}__filename"] = value.filename
                    else:
                        params[key] = value
            else:
                raw = await request.read()
                if raw:
                    params["__body"] = raw
        return {k: _decode_param(k, v) for k, v in params.items()}

    # ------------------------------------------------------------------ HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            params = await self._read_params(request)
        except ValueError:
            self.calls.append(RecordedCall(method, {}, time.monotonic()))
            return _slack_error("invalid_json")
        body_token = params.pop("token", None)
        self.calls.append(RecordedCall(method, params, time.monotonic()))

        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else (str(body_token) if body_token else "")
        if method == "apps.connections.open":
            if token != self.app_token:
                return _slack_error("not_allowed_token_type" if token == self.bot_token else "invalid_auth")
        elif token != self.bot_token:
            return _slack_error("invalid_auth")

        fault = self._take_fault(method)
        if fault is not None:
            return self._fault_response(fault)
        limited = self._rate_limit(method)
        if limited is not None:
            return limited

        handler = self._methods.get(method)
        if handler is None:
            return _slack_error("unknown_method")
        result = handler(self, params)
        if isinstance(result, web.StreamResponse):
            return result
        headers = {"x-oauth-scopes": BOT_SCOPES} if method == "auth.test" else None
        return web.json_response(result, headers=headers)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._take_fault("upload")
        if fault is not None:
            return web.Response(status=fault.status if fault.status != 200 else 500, text=fault.error)
        file_id = request.match_info["file_id"]
        pending = self._pending_uploads.get(file_id)
        if pending is None:
            return web.Response(status=404, text="file_not_found")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            data = b""
            for key in form:
                value = form.getone(key)
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    break
        else:
            data = await request.read()
        pending["data"] = data
        pending["size"] = len(data)
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        response_id = request.match_info["response_id"]
        target = self._response_targets.get(response_id)
        try:
            body = await request.json()
        except ValueError:
            body = {"__raw": await request.text()}
        self.responses.append({"id": response_id, "body": body, "time": time.monotonic()})
        fault = self._take_fault("response_url")
        if fault is not None:
            return web.Response(status=fault.status if fault.status != 200 else 404, text=fault.error)
        if target is None:
            return web.Response(status=404, text="no_response_url")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        channel, message_ts = target.channel, target.message_ts
        if _truthy(body.get("delete_original")):
            if channel and message_ts and self._find_message(channel, message_ts):
                self._messages[channel] = [m for m in self._messages[channel] if m["ts"] != message_ts]
        elif _truthy(body.get("replace_original")):
            msg = self._find_message(channel, message_ts) if channel and message_ts else None
            if msg is not None:
                for key in ("text", "blocks", "attachments"):
                    if key in body:
                        msg[key] = body[key]
                msg["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        elif body.get("response_type") == "in_channel" and channel:
            self._store_message(channel, body, thread_ts=body.get("thread_ts"))
        else:
            self.ephemerals.append(
                {
                    "channel": channel,
                    "user": target.user,
                    "text": body.get("text"),
                    "blocks": body.get("blocks"),
                    "thread_ts": body.get("thread_ts"),
                    "message_ts": self._next_ts(),
                    "via": "response_url",
                }
            )
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ Web API methods

    def _store_message(self, channel: str, params: dict[str, Any], *, thread_ts: Any = None) -> dict[str, Any]:
        ts = self._next_ts()
        msg: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "text": params.get("text", ""),
            "blocks": params.get("blocks"),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
        }
        for key in ("attachments", "metadata", "username", "icon_emoji", "icon_url", "unfurl_links", "mrkdwn"):
            if key in params:
                msg[key] = params[key]
        if thread_ts:
            msg["thread_ts"] = str(thread_ts)
            if _truthy(params.get("reply_broadcast")):
                msg["reply_broadcast"] = True
        self._messages.setdefault(channel, []).append(msg)
        return msg

    @staticmethod
    def _public_message(msg: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in msg.items() if k != "channel" and v is not None}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": TEAM_URL,
            "team": TEAM_NAME,
            "user": BOT_USER_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = _split_csv(params.get("users"))
        if not users:
            channel = params.get("channel")
            if channel:
                return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel}}
            return {"ok": False, "error": "users_list_not_supplied"}
        for user_id in users:
            record = self.users.get(user_id)
            if record is not None and record["deleted"]:
                return {"ok": False, "error": "user_disabled"}
            if record is not None and record["is_bot"]:
                return {"ok": False, "error": "cannot_dm_bot"}
        if len(users) == 1:
            channel_id = "D" + users[0]
            if channel_id not in self.channels:
                self.add_channel(channel_id, is_im=True, user=users[0], members=[users[0], BOT_USER_ID])
        else:
            channel_id = "G" + "".join(sorted(users))
            if channel_id not in self.channels:
                self.add_channel(channel_id, is_private=True, members=[*users, BOT_USER_ID])
        channel_obj: dict[str, Any] = {"id": channel_id}
        if _truthy(params.get("return_im")):
            channel_obj = self._channel_object(channel_id)
        return {"ok": True, "channel": channel_obj}

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        channel = self._resolve_channel(str(channel))
        if not self._channel_known(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        thread_ts = params.get("thread_ts")
        if thread_ts and self._find_message(channel, str(thread_ts)) is None and self.strict_channels:
            return {"ok": False, "error": "thread_not_found"}
        msg = self._store_message(channel, params, thread_ts=thread_ts)
        return {"ok": True, "channel": channel, "ts": msg["ts"], "message": self._public_message(msg)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        ts = str(params.get("ts") or "")
        msg = self._find_message(channel, ts)
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                msg[key] = params[key]
        msg["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"ok": True, "channel": channel, "ts": ts, "text": msg["text"], "message": self._public_message(msg)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        ts = str(params.get("ts") or "")
        if self._find_message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        self._messages[channel] = [m for m in self._messages[channel] if m["ts"] != ts]
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        user = params.get("user")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not user:
            return {"ok": False, "error": "user_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        members = self.channels.get(str(channel), {}).get("members")
        if self.strict_channels and members is not None and user not in members:
            return {"ok": False, "error": "user_not_in_channel"}
        message_ts = self._next_ts()
        self.ephemerals.append(
            {
                "channel": channel,
                "user": user,
                "text": params.get("text"),
                "blocks": params.get("blocks"),
                "thread_ts": params.get("thread_ts"),
                "message_ts": message_ts,
                "via": "chat.postEphemeral",
            }
        )
        return {"ok": True, "message_ts": message_ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        ts = str(params.get("message_ts") or "")
        if self._find_message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "permalink": f"{TEAM_URL}archives/{channel}/p{ts.replace('.', '')}"}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        record = self.users.get(user_id)
        if record is None:
            return {"ok": False, "error": "user_not_found"}
        try:
            now = datetime.now(ZoneInfo(record["tz"]))
            utc_offset = now.utcoffset()
            offset = int(utc_offset.total_seconds()) if utc_offset is not None else 0
            tz_label = now.tzname() or record["tz"]
        except (KeyError, ValueError):
            offset, tz_label = 0, record["tz"]
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": record["name"],
            "real_name": record["real_name"],
            "deleted": record["deleted"],
            "is_bot": record["is_bot"],
            "is_app_user": False,
            "tz": record["tz"],
            "tz_label": tz_label,
            "tz_offset": offset,
            "profile": {
                "real_name": record["real_name"],
                "display_name": record["name"],
                "email": record["email"],
            },
        }
        if _truthy(params.get("include_locale")):
            user["locale"] = record["locale"]
        return {"ok": True, "user": user}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """users.list, paginated like Slack (a cursor is the index of the next member)."""
        limit = int(params.get("limit") or 200)
        start = int(params.get("cursor") or 0)
        records = list(self.users.values())
        page = records[start : start + limit]
        members = [
            {
                "id": r["id"],
                "team_id": TEAM_ID,
                "name": r["name"],
                "real_name": r["real_name"],
                "deleted": r["deleted"],
                "is_bot": r["is_bot"],
                "profile": {"real_name": r["real_name"], "display_name": r["name"]},
            }
            for r in page
        ]
        cursor = str(start + limit) if start + limit < len(records) else ""
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": cursor}}

    def _channel_object(self, channel_id: str) -> dict[str, Any]:
        record = self.channels.get(channel_id)
        if record is None and channel_id.startswith("D"):
            record = {"id": channel_id, "is_im": True, "user": channel_id[1:], "is_private": True, "members": None}
        assert record is not None
        obj: dict[str, Any] = {
            "id": channel_id,
            "created": 1_600_000_000,
            "is_im": record["is_im"],
            "is_private": record["is_private"],
            "is_archived": False,
        }
        if record["is_im"]:
            obj["user"] = record["user"]
        else:
            obj.update(
                {
                    "name": record.get("name"),
                    "is_channel": not record["is_private"],
                    "is_group": record["is_private"],
                    "is_member": BOT_USER_ID in (record.get("members") or []),
                    "num_members": len(record.get("members") or []),
                }
            )
        return obj

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(params.get("channel") or "")
        if channel_id not in self.channels and not channel_id.startswith("D"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": self._channel_object(channel_id)}

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(params.get("channel") or "")
        record = self.channels.get(channel_id)
        if record is None:
            return {"ok": False, "error": "channel_not_found"}
        members: list[str] = record.get("members") or []
        limit = int(params.get("limit") or 100) or 100
        start = int(params.get("cursor") or 0) if str(params.get("cursor") or "0").isdigit() else 0
        page = members[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _record_view(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        view_id = str(params.get("view_id") or self._new_id("V"))
        stored = {**view, "id": view_id, "hash": self._new_id("h"), "app_id": APP_ID, "team_id": TEAM_ID}
        entry: dict[str, Any] = {"method": method, "view": stored}
        entry.update({k: params[k] for k in ("user_id", "trigger_id") if k in params})
        self.view_history.append(entry)
        return {"ok": True, "view": stored}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        result = self._record_view("views.publish", params)
        if result["ok"]:
            self.views[str(user_id)] = result["view"]
        return result

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        result = self._record_view("views.open", params)
        if result["ok"]:
            self.opened_views.append({"trigger_id": params["trigger_id"], "view": result["view"]})
        return result

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._record_view("views.update", params)

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length = params.get("length")
        if not filename or length in (None, ""):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._new_id("F")
        self._pending_uploads[file_id] = {
            "file_id": file_id,
            "filename": str(filename),
            "length": int(length),
            "alt_txt": params.get("alt_txt"),
            "snippet_type": params.get("snippet_type"),
            "data": None,
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        pendings = []
        for item in files:
            pending = self._pending_uploads.get(str(item.get("id")))
            if pending is None or pending["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            pendings.append((item, pending))
        channels = _split_csv(params.get("channels"))
        channel_id = params.get("channel_id")
        out = []
        for item, pending in pendings:
            del self._pending_uploads[pending["file_id"]]
            title = item.get("title") or pending["filename"]
            record = {
                **pending,
                "title": title,
                "channel_id": channel_id,
                "channels": channels,
                "initial_comment": params.get("initial_comment"),
                "thread_ts": params.get("thread_ts"),
            }
            self.uploads.append(record)
            out.append(
                {
                    "id": pending["file_id"],
                    "title": title,
                    "name": pending["filename"],
                    "size": pending["size"],
                    "permalink": f"{TEAM_URL}files/{BOT_USER_ID}/{pending['file_id']}/{pending['filename']}",
                }
            )
        return {"ok": True, "files": out}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_mode._issue_url()}

    _methods: dict[str, Callable[[FakeSlackAPI, dict[str, Any]], dict[str, Any] | web.StreamResponse]] = {
        "auth.test": _auth_test,
        "conversations.open": _conversations_open,
        "conversations.info": _conversations_info,
        "conversations.members": _conversations_members,
        "chat.postMessage": _chat_post_message,
        "chat.update": _chat_update,
        "chat.delete": _chat_delete,
        "chat.postEphemeral": _chat_post_ephemeral,
        "chat.getPermalink": _chat_get_permalink,
        "users.info": _users_info,
        "users.list": _users_list,
        "views.publish": _views_publish,
        "views.open": _views_open,
        "views.update": _views_update,
        "files.getUploadURLExternal": _files_get_upload_url_external,
        "files.completeUploadExternal": _files_complete_upload_external,
        "apps.connections.open": _apps_connections_open,
    }


# ---------------------------------------------------------------------- Socket Mode


class FakeSocketMode:
    """Socket Mode side of :class:`FakeSlackAPI` (``fake.socket_mode``).

    ``apps.connections.open`` (with the app token) hands out ``ws://127.0.0.1:PORT/socket?ticket=...``; a
    client connecting there gets a ``hello``. Envelopes go to the most recent open connection.
    """

    def __init__(self, api: FakeSlackAPI) -> None:
        self._api = api
        self.connections: list[web.WebSocketResponse] = []
        self.connect_count = 0
        self.acks: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.other_messages: list[Any] = []  # anything the client sent that is not an ack
        self.pings = 0
        self._tickets: set[str] = set()
        self._ack_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._acks_by_id: dict[str, dict[str, Any]] = {}
        self._connected = asyncio.Event()
        self._env_counter = itertools.count(1)

    @property
    def open_connections(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.connections if not ws.closed]

    def _issue_url(self) -> str:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return f"ws://{self._api.host}:{self._api.port}/socket?ticket={ticket}&app_id={APP_ID}"

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=False, timeout=2.0)
        await ws.prepare(request)
        self.connections.append(ws)
        self.connect_count += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.open_connections),
                "debug_info": {"host": "fake-slack-socket", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._connected.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PING:
                    self.pings += 1
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            if not self.open_connections:
                self._connected.clear()
        return ws

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self.other_messages.append(data)
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            self.other_messages.append(message)
            return
        self.acks.append(message)
        self._acks_by_id.setdefault(envelope_id, message)
        waiter = self._ack_waiters.pop(envelope_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    async def wait_connected(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope (``events_api`` | ``interactive`` | ``slash_commands``) and return its envelope_id."""
        await self.wait_connected(timeout)
        conns = self.open_connections
        if not conns:
            raise RuntimeError("no open Socket Mode connection")
        envelope_id = envelope_id or f"env-{next(self._env_counter):06d}-{uuid.uuid4().hex[:8]}"
        if accepts_response_payload is None:
            accepts_response_payload = type != "events_api"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        self.sent.append(envelope)
        await conns[-1].send_json(envelope)
        return envelope_id

    async def send_event(self, event: dict[str, Any], **envelope_kwargs: Any) -> str:
        """Wrap ``event`` in an event_callback body and send it as an ``events_api`` envelope."""
        return await self.send_envelope("events_api", event_callback(event), **envelope_kwargs)

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's ack ``{"envelope_id": ..., "payload"?: ...}`` for ``envelope_id``."""
        if envelope_id in self._acks_by_id:
            return self._acks_by_id[envelope_id]
        waiter = self._ack_waiters.get(envelope_id)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._ack_waiters[envelope_id] = waiter
        return await asyncio.wait_for(asyncio.shield(waiter), timeout)

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, like Slack's ``{"type": "disconnect"}`` message."""
        for ws in self.open_connections:
            await ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack-socket"}})

    async def close_all(self) -> None:
        for ws in list(self.connections):
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self._connected.clear()


# ---------------------------------------------------------------------- inbound payload builders

_event_counter = itertools.count(1)
_last_message_micros = 0


def _new_message_ts() -> str:
    """A unique, increasing user-message ts near the current time."""
    global _last_message_micros
    _last_message_micros = max(int(time.time() * 1_000_000), _last_message_micros + 1)
    micros = _last_message_micros
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def dm_message(
    user: str,
    text: str,
    channel: str | None = None,
    ts: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` event in the DM between ``user`` and the bot (channel defaults to ``"D" + user``)."""
    return _message_event(user, text, channel or "D" + user, "im", ts, subtype, bot_id, thread_ts, extra)


def channel_message(
    user: str,
    text: str,
    channel: str = "C1",
    ts: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` event in a public channel (``channel_type: "channel"``)."""
    return _message_event(user, text, channel, "channel", ts, subtype, bot_id, thread_ts, extra)


def _message_event(
    user: str,
    text: str,
    channel: str,
    channel_type: str,
    ts: str | None,
    subtype: str | None,
    bot_id: str | None,
    thread_ts: str | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    ts = ts or _new_message_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type,
        "team": TEAM_ID,
    }
    if subtype is None and bot_id is None:
        event["client_msg_id"] = str(uuid.uuid4())
    if subtype is not None:
        event["subtype"] = subtype
    if bot_id is not None:
        event["bot_id"] = bot_id
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def event_callback(event: dict[str, Any], *, event_id: str | None = None, token: str = "vtoken") -> dict[str, Any]:
    """The Events API envelope Slack POSTs (and puts in a Socket Mode ``events_api`` payload)."""
    return {
        "token": token,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_counter):010d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def block_actions_payload(
    user: str,
    action_id: str,
    value: str,
    *,
    channel: str,
    message_ts: str,
    block_id: str = "b",
    trigger_id: str | None = None,
    response_url: str | None = None,
    message: dict[str, Any] | None = None,
    token: str = "vtoken",
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button press on the message ``message_ts`` in ``channel``."""
    action_ts = f"{time.time():.6f}"
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or f"{next(_event_counter)}.{uuid.uuid4().hex[:12]}",
        "team": {"id": TEAM_ID, "domain": "fake-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else channel.lower()},
        "message": message or {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "bot_id": BOT_ID, "text": ""},
        "state": {"values": {}},
        "response_url": response_url or "http://127.0.0.1:9/response/unset",
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "action_ts": action_ts,
                "text": {"type": "plain_text", "text": value, "emoji": True},
            }
        ],
    }


def command_form(
    user: str,
    command: str = "/feedback",
    text: str = "",
    channel_id: str | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    token: str = "vtoken",
) -> dict[str, str]:
    """Slash-command fields (plain form fields over HTTP; the payload dict in Socket Mode)."""
    channel_id = channel_id or "D" + user
    return {
        "token": token,
        "team_id": TEAM_ID,
        "team_domain": "fake-team",
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else channel_id.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or "http://127.0.0.1:9/response/unset",
        "trigger_id": trigger_id or f"{next(_event_counter)}.{uuid.uuid4().hex[:12]}",
    }


# ---------------------------------------------------------------------- signed HTTP requests to a Bolt app


@dataclass
class SentResponse:
    """What the Bolt app answered."""

    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


class SlackRequestSender:
    """Sends correctly signed Slack requests to a Bolt app served over HTTP.

    Pass ``fake=`` to have action/command ``response_url`` values point at the fake (recorded in
    ``fake.responses``; ``replace_original`` etc. act on the fake's message store).
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        fake: FakeSlackAPI | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.fake = fake
        self._verifier = SignatureVerifier(signing_secret)
        self._bad_verifier = SignatureVerifier(signing_secret + "-wrong")
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    def signed_headers(
        self, body: bytes, *, timestamp: int | None = None, bad_signature: bool = False
    ) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        verifier = self._bad_verifier if bad_signature else self._verifier
        signature = verifier.generate_signature(timestamp=ts, body=body)
        assert signature is not None
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def raw(self, body: bytes, headers: dict[str, str]) -> SentResponse:
        """POST ``body`` with exactly ``headers`` (nothing signed for you)."""
        async with self._get_session().post(self.app_url, data=body, headers=headers) as resp:
            text = await resp.text()
            return SentResponse(resp.status, text, dict(resp.headers))

    async def _send_signed(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None,
        bad_signature: bool,
        extra_headers: dict[str, str] | None = None,
    ) -> SentResponse:
        headers = {
            "Content-Type": content_type,
            **self.signed_headers(body, timestamp=timestamp, bad_signature=bad_signature),
        }
        if extra_headers:
            headers.update(extra_headers)
        return await self.raw(body, headers)

    # builders exposed on the sender for convenience
    dm_message = staticmethod(dm_message)
    channel_message = staticmethod(channel_message)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> SentResponse:
        """POST an Events API ``event_callback`` wrapping ``event`` (JSON, signed)."""
        body = json.dumps(event_callback(event, event_id=event_id)).encode()
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        elif retry_reason is not None:
            extra["X-Slack-Retry-Reason"] = retry_reason
        return await self._send_signed(
            body, "application/json", timestamp=timestamp, bad_signature=bad_signature, extra_headers=extra
        )

    async def action(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str,
        message_ts: str,
        block_id: str = "b",
        trigger_id: str | None = None,
        response_url: str | None = None,
        message: dict[str, Any] | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> SentResponse:
        """POST a ``block_actions`` button press as form field ``payload=<json>`` (signed).

        ``message`` defaults to the fake's stored message ``(channel, message_ts)`` when a fake is attached.
        """
        if response_url is None and self.fake is not None:
            response_url = self.fake.new_response_url(channel=channel, message_ts=message_ts, user=user)
        if message is None and self.fake is not None:
            stored = self.fake.message(channel, message_ts)
            if stored is not None:
                message = {k: v for k, v in stored.items() if k != "channel" and v is not None}
        payload = block_actions_payload(
            user,
            action_id,
            value,
            channel=channel,
            message_ts=message_ts,
            block_id=block_id,
            trigger_id=trigger_id,
            response_url=response_url,
            message=message,
        )
        return await self.interactive(payload, timestamp=timestamp, bad_signature=bad_signature)

    async def interactive(
        self, payload: dict[str, Any], *, timestamp: int | None = None, bad_signature: bool = False
    ) -> SentResponse:
        """POST any interactivity payload (block_actions, view_submission, shortcut...) as ``payload=<json>``."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send_signed(
            body, "application/x-www-form-urlencoded", timestamp=timestamp, bad_signature=bad_signature
        )

    async def command(
        self,
        user: str,
        command: str = "/feedback",
        text: str = "",
        channel_id: str | None = None,
        trigger_id: str | None = None,
        *,
        response_url: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> SentResponse:
        """POST a slash command as plain form fields (signed)."""
        channel_id = channel_id or "D" + user
        if response_url is None and self.fake is not None:
            response_url = self.fake.new_response_url(channel=channel_id, user=user)
        form = command_form(user, command, text, channel_id, trigger_id, response_url)
        body = urllib.parse.urlencode(form).encode()
        return await self._send_signed(
            body, "application/x-www-form-urlencoded", timestamp=timestamp, bad_signature=bad_signature
        )


# ---------------------------------------------------------------------- serving a Bolt app


@contextlib.asynccontextmanager
async def serve_bolt_app(app: Any, path: str = "/slack/events", host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve ``AsyncApp.web_app(path)`` on ``host``:<ephemeral port>; yields the full events URL.

    (``app.start()`` binds 0.0.0.0 and blocks, so tests run the aiohttp app themselves.)
    """
    runner = web.AppRunner(app.web_app(path=path), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = int(runner.addresses[0][1])
        yield f"http://{host}:{port}{path}"
    finally:
        await runner.cleanup()
