"""Telegram wiring: python-telegram-bot's Application on the shared event loop.

The Application is driven by hand (``initialize``, ``start_polling``, ``start``; then ``stop``
in reverse) so Slack, the scheduler, the delivery loop and the HTTP server share the loop with
it. Three things differ from a stock PTB bot, each for a reason measured or seen in the field:

* Update processing is our own: different chats run concurrently up to
  ``[telegram] concurrency``, while updates of one chat run strictly one after another. PTB's
  ``concurrent_updates`` only bounds concurrency; two quick taps of one user could reach the
  service in the wrong order. (Dispatch cost measured about the same: 0.16 ms per update here,
  0.19 ms with PTB's one task per update, 0.15 ms one at a time; all small beside a turn.)
* A ``getUpdates`` batch PTB cannot parse is parsed again update by update. PTB parses the
  whole batch at once, so a single update it cannot parse raises every time, the offset never
  advances and the bot is stuck behind it for good. Here the bad one is logged (without its
  contents) and skipped. Every batch reaches the inbox first, in the polling request
  (:class:`handlers.telegram.request.PollingRequest`).
* Outgoing messages never leave from a handler: the service writes them to the outbox and the
  delivery loop sends them through :class:`handlers.telegram.channel.TelegramChannel`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dtm
import hmac
import inspect
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Hashable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, CallbackContext, ExtBot, TypeHandler

from bot.app import App
from bot.config import ConfigError
from bot.leadership import NotReady
from bot.lifecycle import PlatformUnavailable
from handlers.telegram.channel import TelegramChannel
from handlers.telegram.commands import register_commands
from handlers.telegram.directory import StaffDirectory
from handlers.telegram.inbound import ALLOWED_UPDATES, TelegramUpdates, update_chat_key
from handlers.telegram.persistence import ForgetfulPersistence
from handlers.telegram.request import AiohttpRequest, PollingRequest
from surveys.model import HandleResult, Inbound

log = logging.getLogger(__name__)
PLATFORM_KEY = "telegram"

# The failures of the turn a webhook request waits for. Set inside the task that runs the
# update (the chat's worker), so the service call below it, and a callback query's turn task
# (which copies the context), report to that request only.
_webhook_failures: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar(
    "telegram_webhook_failures", default=None
)

# Under load a poll waits until this long after the previous one started (see PollingRequest):
# at most 10 polls a second while updates keep coming, each answering with all that arrived.
POLL_GATHER = 0.1
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _chat_of(raw: dict[str, Any]) -> str | None:
    """The private chat (= user) an update came from, so /forget can erase it from the inbox."""
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = raw.get(key)
        if isinstance(part, dict):
            sender = part.get("from")
            if isinstance(sender, dict) and sender.get("id") is not None:
                return str(sender["id"])
    return None


class _NoBatchContents(logging.Filter):
    """PTB logs a whole polled batch, everybody's messages included, at CRITICAL when one
    update of it cannot be parsed. :class:`SafeExtBot` then handles the batch update by update
    and names the bad one without its contents; PTB's record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error while parsing updates")


for _name in ("telegram.ext.ExtBot", "telegram.Bot"):  # PTB's loggers for the two bot classes
    logging.getLogger(_name).addFilter(_NoBatchContents())


class SafeExtBot(ExtBot[None]):
    """ExtBot whose ``getUpdates`` survives an update the library cannot parse.

    PTB parses a polled batch all at once, so one update it cannot parse fails the whole call
    every time and polling is stuck behind it for good. When that happens this bot parses the
    same batch again, update by update, from what ``polling`` (its ``get_updates_request``)
    received: the bad one is logged and confirmed, the others handled."""

    def __init__(self, token: str, *, polling: PollingRequest | None = None, **kw: Any) -> None:
        super().__init__(token, get_updates_request=polling, **kw)
        self._polling = polling  # PTB freezes public attributes after __init__; this one is ours

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise
        except Exception:
            if self._polling is None or not self._polling.last_batch:
                raise
        updates: list[Update] = []
        for raw in self._polling.last_batch:
            update = self.parse_update(raw, placeholder=True)
            if update is not None:
                self.insert_callback_data(update)
                updates.append(update)
        return tuple(updates)

    def parse_update(self, raw: Any, *, placeholder: bool = False) -> Update | None:
        """Parse one update; None when it cannot be parsed. With ``placeholder``, an unparseable
        update that has an id becomes an empty Update with that id instead, so polling confirms
        it and moves on. Its contents are never logged (they are somebody's message)."""
        try:
            return Update.de_json(raw, self)
        except Exception as exc:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            keys = sorted(str(k) for k in raw if k != "update_id") if isinstance(raw, dict) else []
            log.warning(
                "skipped Telegram update %s that could not be parsed (%s; fields %s)",
                update_id,
                type(exc).__name__,
                ", ".join(keys) or "none",
            )
            if placeholder and isinstance(update_id, int) and not isinstance(update_id, bool):
                return Update(update_id=update_id)
            return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Bounded concurrency across chats, strict order within a chat.

    PTB's fetcher hands updates over one at a time (we declare a concurrency of 1 to PTB), in
    the order they arrived. Each chat with work gets one worker task that runs its updates in
    order; a chat already being worked on just gets the update appended to its queue. At most
    ``concurrency`` chats are worked on at once; when all slots are taken the fetcher waits,
    which is the back pressure. The per-chat lock in the service alone could not guarantee the
    order: with concurrent handling, two updates of one chat may reach it in either order."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(1)
        self.concurrency = max(1, concurrency)
        self._slots = asyncio.Semaphore(self.concurrency)
        self._queues: dict[Hashable, deque[Awaitable[Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._anonymous = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_chat_key(update)
        if key is None:
            self._anonymous += 1
            key = ("update", self._anonymous)
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(coroutine)
            return
        queue = self._queues[key] = deque([coroutine])
        await self._slots.acquire()
        task = asyncio.create_task(self._work(key, queue), name="telegram-chat")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, key: Hashable, queue: deque[Awaitable[Any]]) -> None:
        try:
            while queue:
                coroutine = queue.popleft()
                try:
                    await coroutine
                except Exception:
                    log.exception("processing a Telegram update failed")
        finally:
            for left in queue:  # only on cancellation: close them so nothing warns "never awaited"
                if inspect.iscoroutine(left):
                    left.close()
            queue.clear()
            self._queues.pop(key, None)
            self._slots.release()

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def join(self, timeout: float) -> bool:
        """Wait for the updates already handed over; True when all finished in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _file_url(api_base_url: str) -> str:
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else "https://api.telegram.org/file/bot"


class TelegramComponent:
    """The Telegram platform as a component of ``feedbackbot run`` (``start()`` / ``stop()``)."""

    def __init__(
        self,
        runtime: App,
        *,
        poll_timeout: float = 30.0,
        poll_gather: float = POLL_GATHER,
        stop_timeout: float = 5.0,
        flush_timeout: float = 3.0,
        staff_ttl: float = 300.0,
        connection_pool_size: int | None = None,
        poll_by_role: bool = False,
    ) -> None:
        cfg = runtime.config.telegram
        self.runtime = runtime
        self.settings = cfg
        self.poll_timeout = poll_timeout
        self.stop_timeout = stop_timeout
        self.flush_timeout = flush_timeout
        self.webhook = cfg.mode == "webhook"
        # Polling only while this instance holds the poller role (``feedbackbot run`` wires it
        # through bot.leadership; several instances may share the database): start() then
        # leaves it to start_polling().
        self.poll_by_role = poll_by_role and not self.webhook
        # API calls come from the delivery loop (bounded by its concurrency) and from the handlers
        # (callback answers, staff lookups): the pool has room for both. Sent over aiohttp, not
        # PTB's default httpx, whose pool bookkeeping cost a third of the CPU of a turn (see
        # handlers/telegram/request.py).
        pool = connection_pool_size or max(cfg.concurrency, runtime.delivery.concurrency_for(PLATFORM_KEY)) + 4
        request = AiohttpRequest(
            pool,
            connect_timeout=10.0,
            read_timeout=15.0,
            write_timeout=15.0,
            pool_timeout=15.0,
            media_write_timeout=60.0,
        )
        polling_request = PollingRequest(
            2,
            connect_timeout=10.0,
            read_timeout=10.0,
            write_timeout=10.0,
            pool_timeout=10.0,
            on_batch=None if self.webhook else self._keep,
            gather=poll_gather,
        )
        self._requests = (request, polling_request)
        self.bot = SafeExtBot(
            cfg.token,
            base_url=cfg.api_base_url,
            base_file_url=_file_url(cfg.api_base_url),
            request=request,
            polling=polling_request,
        )
        self.processor = ChatOrderedProcessor(cfg.concurrency)
        # A persistence that keeps nothing: without one, PTB's per-user/per-chat bookkeeping grows
        # with every new customer for good (see handlers/telegram/persistence.py).
        self.persistence = ForgetfulPersistence()
        builder = (
            ApplicationBuilder()
            .bot(self.bot)
            .job_queue(None)
            .concurrent_updates(self.processor)
            .persistence(self.persistence)
        )
        if self.webhook:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.persistence.forget_through(self.app)
        self.staff = StaffDirectory(cfg.staff_chat_id, cfg.staff_user_ids, ttl=staff_ttl)
        self.updates = TelegramUpdates(self._handle, self.staff)
        self.app.add_handler(TypeHandler(Update, self.updates))
        self.app.add_error_handler(self._on_error)
        self.channel = TelegramChannel(self.bot, moves=self.staff.moves)
        # Registered now, not in start(): the delivery loop may already be running and must not
        # drop rows for a platform it believes disabled. Sends wait until start() opens the channel.
        runtime.add_channel(self.channel)
        self._accepting = False
        self._commands_task: asyncio.Task[int] | None = None
        if self.webhook:
            if runtime.http is None:
                raise RuntimeError("telegram.mode = 'webhook' needs the bot's HTTP server (runtime.http)")
            runtime.http.app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def _handle(self, inbound: Inbound) -> HandleResult:
        """The service's turn; a failure is also told to the webhook request waiting for it
        (if any), which then answers 500 so Telegram sends the update again."""
        try:
            return await self.runtime.service.handle(inbound)
        except Exception as exc:
            failures = _webhook_failures.get()
            if failures is not None:
                failures.append(exc)
            raise

    async def _on_error(self, update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error while handling Telegram update %s", update_id, exc_info=context.error)

    async def start(self) -> None:
        for request in self._requests:  # again after a failed start (PTB counts them as ready)
            await request.initialize()
        try:
            await self.app.initialize()  # getMe: a wrong token fails here, loudly and early
        except Exception as exc:
            for request in self._requests:  # the Application never counted as initialized
                await request.shutdown()
            if isinstance(exc, InvalidToken):
                raise ConfigError(
                    "TELEGRAM_BOT_TOKEN", "Telegram does not accept this token; copy it again from @BotFather"
                ) from None
            if isinstance(exc, NetworkError):  # TimedOut included: run tries again later
                reason = str(exc).replace(self.settings.token, "[REDACTED]") if self.settings.token else str(exc)
                raise PlatformUnavailable(f"cannot reach Telegram at {self.settings.api_base_url} ({reason})") from None
            log.error(
                "cannot start the Telegram bot (%s); check TELEGRAM_BOT_TOKEN and telegram.api_base_url",
                type(exc).__name__,
            )
            raise
        try:
            await self._start_receiving()
        except BaseException:
            await self.stop()
            raise
        self.channel.open()
        log.info("Telegram bot @%s started (%s)", self.bot.username, self.settings.mode)

    async def _keep(self, raw_updates: list[Any]) -> None:
        items = [
            (str(raw["update_id"]), _chat_of(raw), json.dumps(raw, ensure_ascii=False))
            for raw in raw_updates
            if isinstance(raw, dict) and isinstance(raw.get("update_id"), int)
        ]
        await self.runtime.store.inbox_add(PLATFORM_KEY, items, time.time())

    async def _replay_inbox(self) -> int:
        """Updates fetched before a crash but perhaps never handled: handle them again.
        Those already handled stop at the service's event-id claim."""
        replayed = 0
        for payload in await self.runtime.store.inbox_recent(PLATFORM_KEY, time.time() - 24 * 3600):
            # Everything still in the inbox at start-up arrived before the last stop.
            update = self.bot.parse_update(json.loads(payload))
            if update is not None:
                await self.app.update_queue.put(update)
                replayed += 1
        if replayed:
            log.info("replaying %d Telegram updates received before the last stop", replayed)
        return replayed

    async def _start_receiving(self) -> None:
        self._commands_task = asyncio.create_task(
            register_commands(self.bot, self.settings.staff_chat_id), name="telegram-commands"
        )
        allowed = list(ALLOWED_UPDATES)
        if not self.webhook and not self.poll_by_role:
            await self._start_polling()
        await self.app.start()
        if self.webhook:
            self._accepting = True
            await self.bot.set_webhook(
                url=self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=allowed,
                drop_pending_updates=False,
            )

    async def _start_polling(self) -> None:
        assert self.app.updater is not None
        await self._replay_inbox()
        await self.app.updater.start_polling(
            poll_interval=0,
            timeout=dtm.timedelta(seconds=self.poll_timeout),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    async def start_polling(self) -> None:
        """This instance became the poller: handle again what the inbox holds (updates an
        earlier poller fetched and perhaps never handled; handled ones stop at the event-id
        claim), then poll."""
        if not self.app.running or self.app.updater is None:
            raise NotReady("Telegram is not started yet")
        if not self.app.updater.running:
            await self._start_polling()

    async def stop_polling(self) -> None:
        """The poller role is lost or given up: no more getUpdates from this instance (the
        updates already fetched are handled)."""
        if self.app.updater is not None and self.app.updater.running:
            try:
                await asyncio.wait_for(self.app.updater.stop(), self.stop_timeout)
            except Exception:
                log.exception("Telegram: error while stopping polling")

    async def stop_intake(self) -> None:
        """Stop taking updates and finish the ones taken; the connections stay open, so the
        replies those commit can still be sent (``feedbackbot run`` drains them next)."""
        self._accepting = False
        steps: list[tuple[str, Any]] = []
        if self.app.updater is not None and self.app.updater.running:
            steps.append(("stopping the updater", self.app.updater.stop))
        if self.app.running:
            steps.append(("stopping the application", self.app.stop))
        for what, step in steps:
            try:
                await asyncio.wait_for(step(), self.stop_timeout)
            except Exception:
                log.exception("Telegram: error while %s", what)
        if not await self.processor.join(self.stop_timeout):
            log.warning("Telegram: %d chats still being handled at shutdown", self.processor.busy)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones taken, give replies a moment to go out, then
        close the HTTP clients. Every step is bounded, so stopping takes seconds, not minutes."""
        await self.stop_intake()
        await self._flush_outbox()
        await self.channel.close(self.stop_timeout)
        if self._commands_task is not None:
            self._commands_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._commands_task
        try:
            await asyncio.wait_for(self.app.shutdown(), self.stop_timeout)
        except Exception:
            log.exception("Telegram: error while shutting down")

    async def _flush_outbox(self) -> None:
        """Replies to the updates just handled are usually a few milliseconds from being sent;
        let them go now rather than at the next start (they would not be lost either way)."""
        if not self.runtime.delivering:
            return
        with contextlib.suppress(TimeoutError):
            await self.runtime.delivery.drain(timeout=self.flush_timeout)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        expected = self.settings.webhook_secret
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=403)
        if not self._accepting:
            return web.Response(status=503)  # Telegram retries; nothing is lost while we restart
        try:
            data = await request.json()
        except ValueError:
            log.warning("Telegram webhook: dropped a request whose body is not JSON")
            return web.Response(status=200)  # a 4xx/5xx would make Telegram resend it forever
        if not isinstance(data, dict):
            log.warning("Telegram webhook: dropped a request whose body is not an update")
            return web.Response(status=200)
        if not self._accepting:
            return web.Response(status=503)  # stopped while the body was read: let Telegram resend it
        update = self.bot.parse_update(data)
        if update is None:
            return web.Response(status=200)
        # Answered only once the turn has committed (or failed): the Bot API sends a chat's next
        # update only after a 2xx for the previous one, so with several instances behind a load
        # balancer, a chat's updates are still handled one after another, in order. A failed
        # turn gets 500 and Telegram sends the update again (its event id was not claimed).
        outcome: asyncio.Future[list[BaseException]] = asyncio.get_running_loop().create_future()

        async def turn() -> None:
            failures: list[BaseException] = []
            token = _webhook_failures.set(failures)
            try:
                await self.app.process_update(update)
            except Exception as exc:
                failures.append(exc)
            finally:
                _webhook_failures.reset(token)
                if not outcome.done():
                    outcome.set_result(failures)

        await self.processor.process_update(update, turn())
        failures = await asyncio.shield(outcome)
        if failures or self.runtime.store.fault is not None:
            return web.Response(status=500)
        return web.Response(status=200)


def telegram_component(
    runtime: App, *, poll_timeout: float = 30.0, poll_by_role: bool = False
) -> TelegramComponent:
    """Entry point used by ``bot.bootstrap.run.build_components``."""
    return TelegramComponent(runtime, poll_timeout=poll_timeout, poll_by_role=poll_by_role)
