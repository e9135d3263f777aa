"""``feedbackbot run``: every enabled channel, the delivery loop, the scheduler and the
HTTP server on one event loop, stopped by SIGTERM or Ctrl-C with a drained shutdown (intake
stops, what is committed is sent for up to a grace period, then everything closes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from bot.bootstrap.runtime import Runtime
from bot.config import served_platforms
from bot.delivery.outbox import Delivery
from bot.leadership import Leadership, Role
from bot.lifecycle import Component, PlatformUnavailable
from bot.platforms.console import run_shell
from bot.scheduling.scheduler import Scheduler
from bot.web.api import SendApi
from bot.web.http import HttpServer
from storage.port import StorageError

log = logging.getLogger(__name__)


RETRY_FIRST = 2.0  # seconds before the first retry of an unreachable platform
RETRY_MAX = 60.0


def needs_http(runtime: Runtime) -> bool:
    cfg = runtime.config
    return (
        cfg.http.enabled
        or cfg.http.send_api
        or (cfg.slack.enabled and cfg.slack.mode == "http")
        or (cfg.telegram.enabled and cfg.telegram.mode == "webhook")
    )


def build_components(runtime: Runtime) -> list[Component]:
    """Platform components first (they add their routes), the HTTP server last, because
    aiohttp freezes its routes when it starts."""
    cfg = runtime.config
    if needs_http(runtime) and runtime.http is None:
        addresses = [cfg.http.listen]
        if cfg.slack.enabled and cfg.slack.mode == "http" and cfg.slack.listen:
            addresses.append(cfg.slack.listen)
        runtime.http = HttpServer(addresses)
        runtime.install_health(runtime.http)
        if cfg.http.send_api:
            SendApi(runtime.inviter, cfg.api_token).install(runtime.http.app)
        elif cfg.api_token:
            log.warning("FEEDBACKBOT_API_TOKEN is set but [http] send_api is off: the send API is not served")
    components: list[Component] = []
    # One sender per platform, one poller, one scheduler across instances (bot.leadership);
    # on SQLite this instance is the only one and holds them all from the start.
    roles = [
        _sender(runtime.delivery, platform)
        for platform in sorted(served_platforms(cfg.telegram.enabled, cfg.slack.enabled))
    ]
    runtime.delivery.owned = set()  # until the sender roles are taken
    # A platform's SDK is imported only when the platform is enabled (a Telegram-only bot never
    # loads slack_bolt): the one reason for imports inside a function here.
    if cfg.telegram.enabled:
        from bot.platforms.telegram.wiring import telegram_component

        telegram = telegram_component(runtime, poll_by_role=True)
        components.append(telegram)
        if telegram.poll_by_role:
            roles.append(Role("telegram-poller", telegram.start_polling, telegram.stop_polling, intake=True))
    if cfg.slack.enabled:
        from bot.platforms.slack.wiring import slack_component

        components.append(slack_component(runtime))
    scheduler = Scheduler(runtime)  # digests, expiry, reminders: one scheduler for all platforms
    roles.append(Role("scheduler", scheduler.start, scheduler.stop, intake=True))
    runtime.leases.watch_outbox(runtime.delivery.wake)  # rows other instances commit
    leadership = Leadership(runtime.leases, roles)
    components.append(leadership)
    if runtime.http is not None:
        runtime.http.leading = leadership.leading
        components.append(runtime.http)
    return components


def _sender(delivery: Delivery, platform: str) -> Role:
    async def take() -> None:
        delivery.own(platform)

    async def drop() -> None:
        delivery.disown(platform)

    return Role(f"sender:{platform}", take, drop)


async def run_forever(runtime: Runtime) -> None:
    components = build_components(runtime)
    if all(getattr(c, "background", False) for c in components):
        log.info("no chat platform enabled: running the terminal channel")
        cfg = runtime.config.console
        for component in components:  # the scheduler runs beside the terminal too
            await component.start()
        try:
            await run_shell(
                runtime, user=cfg.user, name=cfg.name, language=cfg.language, stdin=sys.stdin, stdout=sys.stdout
            )
        finally:
            for component in reversed(components):
                await component.stop()
        if runtime.store.fault is not None:
            raise runtime.store.fault
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def storage_failed(fault: StorageError) -> None:
        stop.set()  # the command line prints the one line that says what happened

    # A damaged file or a full disk fails every event from now on: stop (non-zero exit, so a
    # service manager notices and restarts) instead of running on and failing each one.
    runtime.store.on_fault = storage_failed
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runtime.start_delivery()
    started: list[Component] = []
    retrying: list[asyncio.Task[None]] = []
    try:
        for component in components:
            try:
                await component.start()
            except PlatformUnavailable as exc:
                # The others start meanwhile: Slack need not wait for Telegram's network.
                retrying.append(asyncio.create_task(_start_when_reachable(component, exc, started)))
                continue
            started.append(component)
        log.info("feedbackbot running; send SIGTERM or press Ctrl-C to stop")
        await stop.wait()
        log.info("stopping")
    finally:
        for task in retrying:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await shut_down(runtime, started)
    if runtime.store.fault is not None:
        raise runtime.store.fault


async def shut_down(runtime: Runtime, started: Sequence[Component]) -> None:
    """A drained stop, in three steps. (1) No new events: every platform stops receiving and
    finishes the events it already took (their answers commit). (2) What is committed is
    sent, for up to ``[bot] shutdown_grace_seconds``, while the platforms' connections are
    still open. (3) Sends in flight finish, then everything closes. What is still queued
    after the grace period stays in the outbox and goes out at the next start."""
    for component in reversed(started):
        stop_intake = getattr(component, "stop_intake", None)
        if stop_intake is None:
            continue
        try:
            await asyncio.wait_for(stop_intake(), 10)
        except Exception:
            log.exception("error while stopping %s taking events", type(component).__name__)
    # A store that failed (a damaged file, a full disk) cannot record sends: nothing to drain.
    grace = runtime.config.bot.shutdown_grace_seconds if runtime.store.fault is None else 0.0
    left = await runtime.delivery.flush(grace)
    if left:
        log.warning(
            "%d messages still queued after the %g s shutdown grace period; they are sent at the next start",
            left,
            grace,
        )
    await runtime.delivery.stop()
    for component in reversed(started):
        try:
            await asyncio.wait_for(component.stop(), 10)
        except Exception:
            log.exception("error while stopping %s", type(component).__name__)


async def _start_when_reachable(component: Component, first: PlatformUnavailable, started: list[Component]) -> None:
    """Start ``component`` once its platform answers, waiting 2, 4, 8 ... 60 seconds between
    attempts; one line per failed attempt, no traceback."""
    delay, problem = RETRY_FIRST, first
    while True:
        log.warning("%s; trying again in %.0f s", problem, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX)
        try:
            await component.start()
        except PlatformUnavailable as exc:
            problem = exc
            continue
        except Exception:
            # Not the network: nothing to wait for. Stop trying, loudly (the rest runs on).
            log.exception("%s could not start", type(component).__name__)
            return
        started.append(component)
        log.info("%s started after its platform became reachable", type(component).__name__)
        return
