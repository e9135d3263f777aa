"""Slack on the shared event loop: a slack-bolt ``AsyncApp`` whose listeners acknowledge at
once and hand the work to the service in background tasks.

Why the work is not done inside the listener: Slack redelivers anything not acknowledged
within 3 seconds, and a turn (a SQLite transaction, maybe a users.info call on first
contact) must never race that clock. Why tasks are chained per person: Bolt runs listeners
concurrently, yet a score and the comment typed right after it must reach the service in
the order they arrived. Why a semaphore: a burst of events must not open hundreds of
transactions and Web API calls at once (the field notes measured ~16 as the sweet spot).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.config import ConfigError
from bot.lifecycle import PlatformUnavailable
from bot.services.locks import KeyedLocks
from bot.web.http import error_response
from handlers.slack.channel import SlackChannel
from handlers.slack.commands import BUTTON_ACTION_PATTERN, HOME_ACTION_PATTERN, is_acknowledgement
from handlers.slack.directory import SlackDirectory, with_owner_resolved
from handlers.slack.home import home_texts, home_view
from handlers.slack.inbound import (
    inbound_from_action,
    inbound_from_command,
    inbound_from_home_action,
    inbound_from_message,
)
from handlers.slack.render import escape
from surveys.locales import normalise_language
from surveys.model import Inbound
from surveys.texts import text

log = logging.getLogger(__name__)
# Bolt logs the whole request body (customers' messages) at INFO when a signature check
# fails; message text must never reach logs at INFO or above.
logging.getLogger("slack_bolt").setLevel(logging.WARNING)

EVENTS_PATH = "/slack/events"
CONCURRENCY = 16  # service turns at once
LOOKUP_CONCURRENCY = 64  # Web API lookups at once (users.info, conversations.open): waiting, not work
CONNECT_TIMEOUT = 30.0
#: ``apps.connections.open`` errors that mean the app-level token itself is wrong.
REFUSED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked", "account_inactive", "missing_scope"}
)
STOP_TIMEOUT = 8.0  # run.py gives every component 10 s to stop
# Listeners only ack and spawn a task, so running them inline before the HTTP response
# (True) costs nothing. With False, Bolt wraps each listener in one more task and, for
# commands and buttons (not auto-acknowledged), polls for the ack every 10 ms: 10 ms more
# per command/button request and a wake-up per poll. bench.slack_turns: p50 turn 46 -> 38 ms.
PROCESS_BEFORE_RESPONSE = True


class SlackComponent:
    """Lifecycle for Slack: ``start()``/``stop()`` as ``bot.bootstrap.run`` expects.

    Built synchronously (inside the running loop) so the channel is registered with the
    delivery loop before it starts: rows left in the outbox by a previous run must find
    their channel, or they would be dropped as "not enabled".
    """

    def __init__(self, runtime: App, *, concurrency: int = CONCURRENCY) -> None:
        settings = runtime.config.slack
        self.runtime = runtime
        self.settings = settings
        base_url = settings.api_base_url if settings.api_base_url.endswith("/") else settings.api_base_url + "/"
        # One session for every call (the field notes measured 1080 -> 1765 events/s), and
        # no SDK retry handlers: the delivery loop owns retries and 429 pacing, and a
        # silent connection retry could post a message twice.
        self._session = aiohttp.ClientSession()
        self.client = AsyncWebClient(
            token=settings.bot_token,
            base_url=base_url,
            session=self._session,
            retry_handlers=[],
            logger=_settled_logger("slack_sdk.web.feedbackbot"),
        )
        self.directory = SlackDirectory(
            self.client, staff_channel=settings.staff_channel, staff_user_ids=settings.staff_user_ids
        )
        self.channel = SlackChannel(self.client, self.directory.dm_channel)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret,
            process_before_response=PROCESS_BEFORE_RESPONSE,
            logger=_settled_logger("slack_bolt.feedbackbot"),
        )
        # HTTP mode only (Socket Mode has no signing secret, and no requests to verify).
        self._verifier = SignatureVerifier(settings.signing_secret) if settings.mode == "http" else None
        self._register(self.app)
        self._tasks: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._lookups = asyncio.Semaphore(LOOKUP_CONCURRENCY)
        self._order: KeyedLocks[str] = KeyedLocks()
        self._stopping = False
        self._socket: AsyncSocketModeHandler | None = None
        runtime.add_channel(self.channel)
        # Invitations to people who never wrote to the bot use their Slack locale and time zone.
        runtime.inviter.profiles["slack"] = self._platform_facts
        if settings.mode == "http":
            if runtime.http is None:
                raise RuntimeError("slack.mode = 'http' needs the shared HTTP server (runtime.http)")
            runtime.http.app.router.add_post(EVENTS_PATH, self.handle_http)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.settings.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, app_token=self.settings.app_token)
            try:
                # Ask for the connection URL ourselves first: a network outage or a refused app
                # token surfaces here as one error, where the SDK's connect loop would log a
                # traceback and retry forever. ``connect_async`` then uses this URL.
                self._socket.client.wss_uri = await asyncio.wait_for(
                    self._socket.client.issue_new_wss_url(), CONNECT_TIMEOUT
                )
                await asyncio.wait_for(self._socket.connect_async(), CONNECT_TIMEOUT)
            except Exception as exc:
                await self._socket.close_async()
                self._socket = None
                raise self._start_failure(exc) from None
            log.info("Slack connected (Socket Mode)")
        else:
            log.info("Slack listening on %s (HTTP mode)", EVENTS_PATH)

    def _start_failure(self, exc: Exception) -> Exception:
        """What a failed Socket Mode start means for ``run``: a refused token is a
        configuration mistake (exit 2, naming the variable); anything on the way to Slack is
        ``PlatformUnavailable``, so ``run`` keeps the other platforms going and tries again
        with backoff."""
        if isinstance(exc, SlackApiError):
            code = str(exc.response.get("error", "")) if exc.response is not None else ""
            if code in REFUSED_TOKEN_ERRORS:
                return ConfigError(
                    "SLACK_APP_TOKEN",
                    f"Slack refused the app-level token ({code}); create one with the connections:write "
                    "scope under Basic Information > App-Level Tokens and set SLACK_APP_TOKEN to it",
                )
            reason = f"Slack answered {code or 'an error'}"
        elif isinstance(exc, TimeoutError):
            reason = f"no answer within {CONNECT_TIMEOUT:.0f} s"
        else:
            reason = str(exc) or type(exc).__name__
        for secret in (self.settings.app_token, self.settings.bot_token):
            if secret:
                reason = reason.replace(secret, "[REDACTED]")
        return PlatformUnavailable(f"cannot reach Slack at {self.settings.api_base_url} ({reason})")

    async def stop_intake(self) -> None:
        """Stop taking events and let turns in flight commit; the Web API client stays open,
        so their replies can still be sent (``feedbackbot run`` drains them next)."""
        self._stopping = True
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        await self.drain(STOP_TIMEOUT)

    async def stop(self) -> None:
        """Stop taking events, let turns in flight commit (so nothing is half-written), then
        release the connections."""
        await self.stop_intake()
        for task in list(self._tasks):
            task.cancel()
        if not self._session.closed:
            await self._session.close()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for every accepted event to be handled (tests and shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                log.warning("%d Slack events still being handled at shutdown", len(self._tasks))
                return
            await asyncio.wait(list(self._tasks), timeout=remaining)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # ------------------------------------------------------------------ HTTP mode

    async def _platform_facts(self, user_id: str) -> tuple[str | None, str | None]:
        """(locale, time zone) from users.info, cached by the directory."""
        async with self._lookups:
            profile = await self.directory.profile(user_id)
        return profile.language, profile.timezone

    async def handle_http(self, request: web.Request) -> web.Response:
        if self._stopping:
            return web.Response(status=503, text="shutting down")  # Slack retries later
        assert self._verifier is not None  # the route exists in HTTP mode only
        refused = _refuse(request, await request.read(), self._verifier)
        if refused is not None:
            return refused
        bolt_request = await to_bolt_request(request)
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # ------------------------------------------------------------------ listeners

    def _register(self, app: AsyncApp) -> None:
        # Bolt tries listeners in registration order, and every matcher it tries costs a
        # kwargs injection (tens of microseconds): the frequent requests come first.
        app.event("message")(self._on_message)
        app.action(re.compile(BUTTON_ACTION_PATTERN))(self._on_button)
        app.command("/feedback")(self._on_command)
        app.event("app_home_opened")(self._on_home_opened)
        app.action(re.compile(HOME_ACTION_PATTERN))(self._on_home_button)

    async def _on_message(self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        inbound = inbound_from_message(body, bot_user_id=context.bot_user_id, staff_channel=self.settings.staff_channel)
        if inbound is None:
            return
        if inbound.is_private:
            self.directory.remember_dm(inbound.user_id, inbound.chat_id)
        self._spawn(_order_key(inbound.user_id, inbound.chat_id), _ready(inbound))

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        inbound = inbound_from_action(body)
        if inbound is None:
            return
        self._spawn(_order_key(inbound.user_id, inbound.chat_id), _ready(inbound), toast=True)

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        user = str(command.get("user_id") or "")
        if not user:
            return

        async def prepare() -> Inbound | None:
            dm = await self._dm_or_none(user)
            if dm is None:
                return None
            inbound = inbound_from_command(command, dm, self.settings.staff_channel)
            if inbound.command == "action":
                async with self._lookups:
                    inbound = await with_owner_resolved(inbound, self.directory)
            return inbound

        async def answer(toast: str) -> None:
            await respond(text=escape(toast), response_type="ephemeral")

        self._spawn(_order_key(user, ""), prepare, toast=True, answer=answer)

    async def _on_home_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user = str((body.get("user") or {}).get("id") or "")
        if not user:
            return

        async def prepare() -> Inbound | None:
            dm = await self._dm_or_none(user)
            return inbound_from_home_action(body, dm) if dm is not None else None

        self._spawn(_order_key(user, ""), prepare)

    async def _on_home_opened(self, ack: AsyncAck, event: dict[str, Any]) -> None:
        await ack()
        user = str(event.get("user") or "")
        if not user or event.get("tab", "home") != "home":
            return

        async def publish() -> Inbound | None:
            try:
                async with self._lookups:
                    profile = await self.directory.profile(user)
                await self.client.views_publish(user_id=user, view=home_view(self._home_texts(profile.language)))
            except Exception as exc:
                log.warning("could not publish the Home tab (%s)", type(exc).__name__)
            return None  # not a turn: nothing for the service

        self._spawn(f"home:{user}", publish)

    def _home_texts(self, language: str | None) -> dict[str, str]:
        """The Home tab in the person's language (their Slack locale), worded by the default
        survey's ``[surveys.texts]`` overrides where it has any."""
        cfg = self.runtime.config
        lang = normalise_language(language, cfg.bot.default_language)
        survey = cfg.surveys.get(cfg.bot.default_survey)
        return home_texts(lambda key: text(lang, key, survey))

    # ------------------------------------------------------------------ work

    def _spawn(
        self,
        key: str,
        prepare: Callable[[], Awaitable[Inbound | None]],
        *,
        toast: bool = False,
        answer: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Create the task now, in arrival order: the per-key FIFO lock it takes first is
        what keeps one person's events in order while others run concurrently."""
        if self._stopping:
            log.warning("Slack event received while stopping; dropped (Slack may redeliver it)")
            return
        task = asyncio.create_task(self._run(key, prepare, toast, answer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        key: str,
        prepare: Callable[[], Awaitable[Inbound | None]],
        toast: bool,
        answer: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Web API lookups (a DM id, users.info on first contact: pure waiting) and the
        service turn (a transaction: real work) are bounded separately, so a slow Slack
        round-trip for one newcomer never holds a slot that a turn could use."""
        try:
            async with self._order.hold(key):
                async with self._lookups:
                    inbound = await prepare()
                    if inbound is None:
                        return
                    inbound = await self.directory.enrich(inbound)
                async with self._semaphore:
                    result = await self.runtime.service.handle(inbound)
            if toast and result.toast and not result.duplicate and not is_acknowledgement(result.toast):
                if answer is not None:
                    await answer(result.toast)
                else:
                    await self.channel.post_ephemeral(inbound.chat_id, inbound.user_id, result.toast)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Already acknowledged: the event is lost to this run, so make it loud, but never
            # let one bad event take the listener down. (No payload in the log: personal data.)
            log.exception("handling a Slack event failed")

    async def _dm_or_none(self, user: str) -> str | None:
        try:
            return await self.directory.dm_channel_first_contact(user)
        except Exception as exc:
            log.warning("could not open a DM with a Slack user (%s); the command is dropped", _describe(exc))
            return None


def _refuse(request: web.Request, body: bytes, verifier: SignatureVerifier) -> web.Response | None:
    """Check what Bolt would choke on before it sees the request: Bolt answers a timestamp
    that is not a number with a 500 and an ERROR traceback (before checking the signature,
    so anyone could flood the log), and a signed body that is not an object, or an event
    that is not one, with a 500 that makes Slack retry it for an hour. None: pass it on."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signature:
        return error_response(401, "unauthorized", "missing or malformed Slack signature headers")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return error_response(401, "unauthorized", "invalid or expired Slack signature")
    try:
        text = body.decode("utf-8")
        if request.content_type == "application/json" or text.startswith("{"):
            payload = json.loads(text)
            event = payload.get("event", {}) if isinstance(payload, dict) else None
            if not isinstance(event, dict) or (event and not isinstance(event.get("type"), str)):
                raise ValueError("event must be an object with a type")
        else:
            form = urllib.parse.parse_qs(text)
            if "payload" in form:
                payload = json.loads(form["payload"][0])
                if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
                    raise ValueError("payload must be an object with a type")
    except (ValueError, RecursionError):
        return error_response(400, "bad_request", "the body is not a Slack request")
    return None


def _settled_logger(name: str) -> logging.Logger:
    """A logger whose own level is its current effective level. slack_sdk and Bolt guard
    their debug output with ``logger.level <= DEBUG`` (the logger's *own* level, NOTSET = 0
    by default), so with an unset level every Web API call formats its whole request and
    response (blocks included) into debug strings that are then thrown away: about 35 us
    per call. Debug logging configured before start-up still works (the level follows it)."""
    logger = logging.getLogger(name)
    logger.setLevel(logger.getEffectiveLevel())
    return logger


def _ready(inbound: Inbound) -> Callable[[], Awaitable[Inbound | None]]:
    async def prepare() -> Inbound | None:
        return inbound

    return prepare


def _describe(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            return str(response.get("error") or type(exc).__name__)
        except Exception:
            pass
    return type(exc).__name__


def _order_key(user_id: str, chat_id: str) -> str:
    """DMs and commands are ordered per person (a command's DM id is only known later);
    shared channels (the staff channel) per channel, since several people write there."""
    if not chat_id or chat_id.startswith("D"):
        return f"u:{user_id}"
    return f"c:{chat_id}"


def slack_component(runtime: App) -> SlackComponent:
    """Entry point used by ``bot.bootstrap.run.build_components`` (call it inside the running loop)."""
    return SlackComponent(runtime)
