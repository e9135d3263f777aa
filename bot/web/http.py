"""The bot's one aiohttp server: Slack's HTTP mode, Telegram's webhook, the send API and
``/healthz`` all share it (and the event loop), so an operator opens one port.

Every error it answers is JSON (``{"error": {"code", "message"}}``), its own 404/405/413
included, and nothing a client sends can produce a 500 or a traceback in the log: a body is
read whole, within ``BODY_TIMEOUT`` seconds and ``MAX_BODY`` bytes, before any route sees
it, so a client trickling a body in cannot hold a connection and a task forever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

MAX_BODY = 2 * 1024 * 1024  # bytes; Slack's and Telegram's requests are a few kilobytes
BODY_TIMEOUT = 10.0  # seconds to receive a whole request body

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_response(status: int, code: str, message: str) -> web.Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status)


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        if request.body_exists:
            # Read now, under a deadline: handlers' request.json()/text() reuse these bytes.
            await asyncio.wait_for(request.read(), BODY_TIMEOUT)
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _CODES.get(exc.status, f"http_{exc.status}")
        message = exc.reason if exc.status != 413 else f"the body must be at most {MAX_BODY} bytes"
        return error_response(exc.status, code, message)
    except TimeoutError:
        response = error_response(408, "request_timeout", f"the body did not arrive within {BODY_TIMEOUT:g} s")
        response.force_close()
        return response
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return error_response(500, "internal_error", "unexpected error; it has been logged")


class HttpServer:
    def __init__(self, addresses: list[str]) -> None:
        self.addresses = list(dict.fromkeys(addresses))
        self.app = web.Application(client_max_size=MAX_BODY, middlewares=[json_errors])
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None
        self.ports: list[int] = []
        self.healthy = True
        # Facts /healthz adds (``{"undelivered_alerts": 2}``); any non-zero count makes the
        # status "degraded". The answer stays 200 then: the process is fine and restarting it
        # would not help (503 is kept for a process that is not).
        self.facts: Callable[[], Awaitable[dict[str, int]]] | None = None
        # The roles this instance leads (``"leading": ["scheduler", "sender:telegram"]``): with
        # several instances, which one polls, sends and runs the scheduler.
        self.leading: Callable[[], list[str]] | None = None

    async def _health(self, request: web.Request) -> web.Response:
        status = 200 if self.healthy else 503
        body: dict[str, Any] = {"status": "ok" if self.healthy else "degraded"}
        if self.facts is not None:
            facts = await self.facts()
            body.update(facts)
            if any(facts.values()):
                body["status"] = "degraded"
        if self.leading is not None:
            body["leading"] = self.leading()
        return web.json_response(body, status=status)

    async def start(self) -> None:
        """Routes must all be added before this: aiohttp freezes the router here."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        for address in self.addresses:
            host, _, port = address.rpartition(":")
            site = web.TCPSite(self._runner, host, int(port))
            await site.start()
            log.info("HTTP server listening on %s", address)
        # The ports bound (port 0 in the configuration means "any free one").
        self.ports = [int(bound[1]) for bound in self._runner.addresses]

    async def stop_intake(self) -> None:
        """Webhooks and the send API are intake: at shutdown the server closes first."""
        await self.stop()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
