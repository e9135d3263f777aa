"""Leadership on PostgreSQL: session advisory locks on one dedicated connection.

``pg_try_advisory_lock`` is held by a database session until it unlocks or ends, so the lock
lives exactly as long as the connection that took it. That is the property leadership needs:

* The holder's process dies (SIGKILL, OOM): the kernel closes its socket, the server ends the
  session and frees the lock at once (another session took it within 10 ms in our tests).
* The holder's host dies or is cut off: nothing closes the socket, so the server finds out
  through TCP keepalives and ``tcp_user_timeout`` (set below for this connection only; about
  ten seconds), and frees the lock then.
* The holder is alive but its connection failed (a restart of PostgreSQL, a network blip):
  the holder must stop at once, because the lock may already be someone else's. asyncpg tells
  us when the connection closes (a termination listener), and a heartbeat every second catches
  a connection that hangs; either sets ``lost`` on every lease taken through it. The heartbeat
  notices within about two seconds, well before the server would free the lock for a new
  holder, so an old leader has stopped before a new one can start.

The connection is dedicated: it never runs application statements, so a long transaction
elsewhere cannot delay the heartbeat, and closing it drops every role of this instance at once.
Behind PgBouncer it needs *session* pooling (transaction pooling would hand the session, and
its locks, to another client).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# The first half of every lease's two-int advisory key, so feedbackbot's roles never meet the
# single-bigint keys other code locks (conversations take pg_advisory_xact_lock(bigint)) in a
# way that matters: the two forms share one key space, and a collision needs this exact value.
LEASE_CLASS = int.from_bytes(b"fbLE", "big")  # 1717718085, fits a signed int4

OUTBOX_CHANNEL = "feedbackbot_outbox"  # NOTIFY'd by a trigger on outbox inserts (PostgreSQL schema)
HEARTBEAT = 1.0  # seconds between checks that the lock connection is alive
# Server side, for this session only: a host that vanished frees its locks within about
# KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT seconds, or USER_TIMEOUT when
# the server has sent something unacknowledged (the heartbeat's answer).
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 5, 2, 3
USER_TIMEOUT_MS = 10_000


def lease_key(role: str) -> int:
    """A stable signed 32-bit key for a role name (the same on every instance and release)."""
    value = int.from_bytes(hashlib.blake2b(role.encode(), digest_size=4).digest(), "big")
    return value - (1 << 32) if value >= 1 << 31 else value


class PgLease:
    def __init__(self, owner: PgLeases, role: str, key: int) -> None:
        self.role = role
        self.key = key
        self._owner = owner
        self._lost = asyncio.Event()

    @property
    def lost(self) -> asyncio.Event:
        return self._lost

    async def release(self) -> None:
        await self._owner.release(self)


class PgLeases:
    """Roles of this instance, held on one connection of their own (see the module doc)."""

    def __init__(self, dsn: str, *, heartbeat: float = HEARTBEAT, connect_timeout: float = 5.0) -> None:
        self.dsn = dsn
        self.heartbeat = heartbeat
        self.connect_timeout = connect_timeout
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._held: dict[str, PgLease] = {}
        self._beat: asyncio.Task[None] | None = None
        self._closed = False
        self._wakers: list[Callable[[], None]] = []

    @property
    def held(self) -> list[str]:
        return sorted(role for role, lease in self._held.items() if not lease.lost.is_set())

    async def try_acquire(self, role: str) -> PgLease | None:
        if self._closed:
            return None
        current = self._held.get(role)
        if current is not None and not current.lost.is_set():
            return current
        key = lease_key(role)
        try:
            async with self._lock:
                conn = await self._connection()
                got = await conn.fetchval(
                    "SELECT pg_try_advisory_lock($1, $2)", LEASE_CLASS, key, timeout=self.heartbeat * 2
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("could not ask PostgreSQL for the %s role (%s); asking again shortly", role, _describe(exc))
            await self._drop_connection()
            return None
        if not got:
            return None
        lease = self._held[role] = PgLease(self, role, key)
        return lease

    def watch_outbox(self, wake: Callable[[], None]) -> None:
        """LISTEN on the lease connection (it is up whenever this instance can lead anything);
        the outbox's statement-level trigger NOTIFYs at each commit that adds rows."""
        self._wakers.append(wake)

    def _notified(self, *args: Any) -> None:
        for wake in self._wakers:
            wake()

    async def release(self, lease: PgLease) -> None:
        if self._held.get(lease.role) is lease:
            del self._held[lease.role]
        if lease.lost.is_set():
            return
        lease.lost.set()
        conn = self._conn
        if conn is None or conn.is_closed():
            return
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            async with self._lock:
                await conn.fetchval("SELECT pg_advisory_unlock($1, $2)", LEASE_CLASS, lease.key, timeout=5)

    async def close(self) -> None:
        self._closed = True
        for lease in list(self._held.values()):
            await self.release(lease)
        await self._drop_connection()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        conn = await asyncpg.connect(
            self.dsn,
            timeout=self.connect_timeout,
            server_settings={
                "application_name": "feedbackbot leases",
                "tcp_keepalives_idle": str(KEEPALIVE_IDLE),
                "tcp_keepalives_interval": str(KEEPALIVE_INTERVAL),
                "tcp_keepalives_count": str(KEEPALIVE_COUNT),
                "tcp_user_timeout": str(USER_TIMEOUT_MS),
            },
        )
        conn.add_termination_listener(self._terminated)
        if self._wakers:
            try:
                await conn.add_listener(OUTBOX_CHANNEL, self._notified)
            except BaseException:
                conn.terminate()
                raise
        self._conn = conn
        self._beat = asyncio.create_task(self._heartbeat(conn), name="lease-heartbeat")
        return conn

    def _terminated(self, conn: Any) -> None:
        if conn is self._conn:
            self._lose_all("the lock connection closed")

    async def _heartbeat(self, conn: asyncpg.Connection) -> None:
        while not conn.is_closed():
            await asyncio.sleep(self.heartbeat)
            if not self._current(conn):
                return
            if not self._held:
                continue  # nothing to lose; try_acquire finds out about a dead connection itself
            try:
                async with self._lock:
                    if not self._current(conn):
                        return
                    await conn.fetchval("SELECT 1", timeout=self.heartbeat * 2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                self._lose_all(f"the lock connection failed ({_describe(exc)})")
                self._conn = None
                conn.terminate()
                return

    def _current(self, conn: asyncpg.Connection) -> bool:
        return self._conn is conn

    def _lose_all(self, why: str) -> None:
        if self._held and not self._closed:
            log.warning("lost the %s role(s): %s", ", ".join(sorted(self._held)), why)
        for lease in self._held.values():
            lease.lost.set()
        self._held.clear()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        self._lose_all("the lock connection was closed")
        beat, self._beat = self._beat, None
        if beat is not None and beat is not asyncio.current_task():
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                conn.terminate()


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
