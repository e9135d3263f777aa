"""The bot's one aiohttp server: Slack's HTTP mode, Telegram's webhook, the send API and
``/healthz`` all share it (and the event loop), so an operator opens one port."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class HttpServer:
    def __init__(self, addresses: list[str]) -> None:
        self.addresses = list(dict.fromkeys(addresses))
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None
        self.ports: list[int] = []
        self.healthy = True

    async def _health(self, request: web.Request) -> web.Response:
        status = 200 if self.healthy else 503
        return web.json_response({"status": "ok" if self.healthy else "degraded"}, status=status)

    async def start(self) -> None:
        """Routes must all be added before this: aiohttp freezes the router here."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        for address in self.addresses:
            host, _, port = address.rpartition(":")
            site = web.TCPSite(self._runner, host, int(port))
            await site.start()
            server = getattr(site, "_server", None)
            sockets = getattr(server, "sockets", None) or []
            self.ports.extend(s.getsockname()[1] for s in sockets)
            log.info("HTTP server listening on %s", address)

    async def stop_intake(self) -> None:
        """Webhooks and the send API are intake: at shutdown the server closes first."""
        await self.stop()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
