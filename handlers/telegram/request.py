"""python-telegram-bot's network layer on aiohttp instead of httpx.

Why: PTB's default transport (httpx over httpcore) re-checks every pooled connection, with a
socket poll and a ``getpeername`` each, every time a request is queued or a connection is
released. With the 16 or so requests the delivery loop keeps in flight that bookkeeping was
the largest single cost of a survey turn in a profile: about a third of the bot's CPU. aiohttp,
which the bot already runs for its HTTP server and Slack, keeps its pool in a plain dict of
deques, so a request costs the same whatever the concurrency.

This is PTB's documented extension point (:class:`telegram.request.BaseRequest`): PTB still
builds every request, parses every answer and raises its own errors; only the bytes on the
wire travel through aiohttp.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}


def _seconds(value: Any, default: float | None) -> float | None:
    """PTB passes ``BaseRequest.DEFAULT_NONE`` for "use the default" and None for "no limit"."""
    return default if value is BaseRequest.DEFAULT_NONE else value


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool, for one PTB Bot.

    Timeouts mean what they mean for PTB's own transport: ``connect`` for opening a
    connection, ``pool`` for waiting for a free one, ``read`` for the answer. aiohttp has no
    write timeout of its own; the write and read timeouts together bound the whole exchange,
    so a stalled upload still ends.
    """

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 16,
        *,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect = connect_timeout
        self._read = read_timeout
        self._write = write_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # PTB reads JSON itself; aiohttp must not raise on 4xx/5xx (PTB maps them to errors).
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None and request_data.contains_files else None
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, uploading=bool(files))
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in files.items():
                    filename, content = part[0], part[1]
                    content_type = part[2] if len(part) > 2 else None
                    form.add_field(name, content, filename=filename, content_type=content_type)
                body = form
            elif parameters := request_data.parameters:
                # A JSON body, which the Bot API accepts for every call without files: one
                # C-level json.dumps, where a form needs each nested value (a keyboard) dumped
                # to a string and then percent-encoded character by character in Python.
                body = json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()
                headers = _JSON
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, asyncio.TimeoutError) as err:  # noqa: UP041 (aiohttp raises both spellings)
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    def _timeout(
        self, read: Any, write: Any, connect: Any, pool: Any, *, uploading: bool
    ) -> aiohttp.ClientTimeout:
        read_s = _seconds(read, self._read)
        write_s = _seconds(write, self._media_write if uploading else self._write)
        connect_s = _seconds(connect, self._connect)
        pool_s = _seconds(pool, self._pool)
        # aiohttp's ``connect`` covers waiting for the pool and connecting; ``sock_connect`` the latter.
        acquire = None if pool_s is None or connect_s is None else pool_s + connect_s
        exchange = None if read_s is None or write_s is None else read_s + write_s
        total = None if acquire is None or exchange is None else acquire + exchange
        return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect_s, sock_read=read_s)


class PollingRequest(AiohttpRequest):
    """The request that carries ``getUpdates`` (PTB's ``get_updates_request``), through PTB's
    documented ``do_request``.

    Two jobs besides the transport:

    * Every batch of updates is handed to ``on_batch`` (the inbox) before ``do_request``
      returns, so before PTB sees it and before the next poll confirms it to Telegram: a crash
      between fetching and handling loses nothing. The decoded batch stays in ``last_batch``
      for a bot that must parse it update by update (see ``bot.platforms.telegram.wiring.SafeExtBot``).
    * Under load, polls gather: after a batch that was not full, the next poll starts no sooner
      than ``gather`` seconds after the last one started, so updates arriving meanwhile come in
      one answer instead of one poll each (a long poll answers as soon as anything is waiting).
      A full batch (more may be waiting) or an empty one (a long poll that timed out) is
      followed by the next poll at once, so a quiet bot answers as fast as before.
    """

    __slots__ = ("_last_size", "_last_start", "gather", "last_batch", "on_batch", "polls")

    def __init__(
        self,
        *args: Any,
        on_batch: Callable[[list[Any]], Awaitable[None]] | None = None,
        gather: float = 0.0,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.on_batch = on_batch
        self.gather = gather
        self.last_batch: list[Any] = []
        self.polls = 0
        self._last_start = 0.0
        self._last_size: int | None = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        polling = url.rpartition("/")[2].lower() == "getupdates"
        if polling:
            await self._gather(request_data)
            self.polls += 1
        status, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if polling:
            self.last_batch = _updates(body) if status == 200 else []
            self._last_size = len(self.last_batch) if status == 200 else None
            if self.last_batch and self.on_batch is not None:
                await self.on_batch(self.last_batch)
        return status, body

    async def _gather(self, request_data: RequestData | None) -> None:
        size, self._last_size = self._last_size, None
        asked = request_data.parameters.get("limit") if request_data is not None else None
        limit = asked if isinstance(asked, int) and asked > 0 else 100
        loop = asyncio.get_running_loop()
        if self.gather > 0 and size and size < limit:
            wait = self._last_start + self.gather - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_start = loop.time()


def _updates(body: bytes) -> list[Any]:
    """The updates of a ``getUpdates`` answer (empty if it is not one PTB would accept)."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return []
    result = decoded.get("result") if isinstance(decoded, dict) and decoded.get("ok") else None
    return result if isinstance(result, list) else []
