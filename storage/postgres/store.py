"""The PostgreSQL store (:class:`storage.port.Store`), for one or several instances.

A pool of asyncpg connections; each unit of work is one transaction on one connection. What
SQLite gets from its single writer, PostgreSQL gets from locks:

* a turn's first statement takes ``pg_advisory_xact_lock`` on its conversation key, so two
  instances never run two turns of one chat at once (it also works before the person's row
  exists, which a row lock could not);
* the outbox is claimed by status with ``FOR UPDATE SKIP LOCKED`` (a lower id can commit after a
  higher one here, so no high-water mark), and status writes are fenced on the status they
  expect, so a sender that lost its claim changes nothing;
* migrations run under ``pg_advisory_lock``, so instances starting together migrate once.

A lost connection (server restart, failover, ``pg_terminate_backend``) is not a fault: the unit
of work runs again on a fresh connection (see :mod:`storage.postgres.faults`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, TypeVar

import asyncpg

from storage.port.errors import StorageError, newer_schema
from storage.postgres import engine
from storage.postgres.faults import operator_message, retryable
from storage.postgres.unit import Tx
from storage.postgres.url import redact
from storage.records import OutboxRow
from storage.sql.store import SqlStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# Advisory lock keys. One-bigint keys: the migration lock and conversations (hashes of
# "platform:chat"). Leadership locks use the two-int4 form, a separate key space.
MIGRATION_LOCK = 0x6662_6D69_6772_6174  # "fbmigrat"
RECONNECT_FOR = 60.0  # seconds a unit of work keeps retrying while the server is away
CONNECT_TIMEOUT = 10.0
DURABILITY = {"full": "on", "normal": "off"}  # synchronous_commit
# New outbox rows are NOTIFY'd on "feedbackbot_outbox" (payload: the platform) by a trigger
# (see the migration), whoever inserts them: a turn, a CLI command, a copy.


def _migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.postgres.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


async def _setup_connection(conn: asyncpg.Connection) -> None:
    # AVG and SUM over bigint are numeric: floats, as SQLite gives, not Decimals.
    await conn.set_type_codec("numeric", encoder=str, decoder=float, schema="pg_catalog", format="text")


class Store(SqlStore):
    """The PostgreSQL store: the port's operations on a pool of asyncpg connections."""

    backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.path = redact(url)  # what messages name the database by
        self.on_fault: Callable[[StorageError], None] | None = None
        self.fault: StorageError | None = None

    @classmethod
    async def open(cls, url: str, durability: str = "full", *, min_size: int = 1, max_size: int = 10) -> Store:
        """Connect (a pool), and migrate under the migration lock. ``durability = "normal"``
        turns ``synchronous_commit`` off: the last commits may be lost if the server crashes
        (never the database's consistency)."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT,
                init=_setup_connection,
                server_settings={"synchronous_commit": DURABILITY[durability], "application_name": "feedbackbot"},
            )
        except Exception as exc:
            message = operator_message(exc, url)
            if message is None:
                raise
            raise StorageError(message) from None
        store = cls(pool, url)
        try:
            await store._migrate()
        except BaseException as exc:
            await pool.close()
            message = operator_message(exc, url) if isinstance(exc, Exception) else None
            if message is not None:
                raise StorageError(message) from None
            raise
        return store

    async def close(self) -> None:
        await self.pool.close()

    async def _migrate(self) -> None:
        """Apply what the database lacks, under a session advisory lock: an instance starting
        beside another waits for it, then finds the schema current."""
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                async with conn.transaction():
                    await conn.execute("CREATE TABLE IF NOT EXISTS feedbackbot_schema (version integer NOT NULL)")
                    current = await conn.fetchval("SELECT max(version) FROM feedbackbot_schema") or 0
                    if current > SCHEMA_VERSION:
                        raise newer_schema(self.path, current, SCHEMA_VERSION)
                    for version, sql in MIGRATIONS:
                        if version <= current:
                            continue
                        log.info("applying PostgreSQL migration %04d", version)
                        await conn.execute(sql)
                        await conn.execute("DELETE FROM feedbackbot_schema")
                        await conn.execute("INSERT INTO feedbackbot_schema (version) VALUES ($1)", version)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    async def schema_version(self) -> int:
        return int(await self._fetchval("SELECT max(version) FROM feedbackbot_schema") or 0)

    def _check(self, exc: BaseException) -> None:
        """Report a fault that retrying cannot fix to ``on_fault`` (once)."""
        if self.fault is not None or not isinstance(exc, Exception) or retryable(exc):
            return
        if isinstance(exc, asyncpg.DiskFullError | asyncpg.InsufficientPrivilegeError | asyncpg.InvalidPasswordError):
            message = operator_message(exc, self.url)
            if message is not None:
                self.fault = StorageError(message)
                if self.on_fault is not None:
                    self.on_fault(self.fault)

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` again on a fresh connection while the server is away (restart,
        failover, a terminated backend), for up to :data:`RECONNECT_FOR` seconds."""
        deadline = time.monotonic() + RECONNECT_FOR
        delay = 0.05
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not retryable(exc) or time.monotonic() + delay > deadline:
                    self._check(exc)
                    message = operator_message(exc, self.url) if retryable(exc) else None
                    if message is not None:
                        raise StorageError(message) from exc
                    raise
                log.warning(
                    "PostgreSQL at %s: %s (%s); trying again in %.2f s",
                    self.path,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def run(self, work: Callable[[Tx], Awaitable[T]], *, key: tuple[str, str] | None = None) -> T:
        """Run ``work`` in one transaction and return its result once committed. ``key``
        (platform, chat id): take the conversation's lock first. Run again from the start
        on a fresh connection if the connection is lost (it did not commit, or if the COMMIT's
        answer was lost, the work finds its event id claimed and changes nothing)."""

        async def attempt() -> T:
            conn = await self.pool.acquire()
            try:
                async with conn.transaction():
                    tx = Tx(conn)
                    if key is not None:
                        await tx.lock_conversation(*key)
                    result = await work(tx)
                    await tx.flush()
                return result
            finally:
                await self._release(conn)

        return await self._retrying(attempt)

    async def _release(self, conn: asyncpg.Connection) -> None:
        """Give a connection back. One that broke is closed by the pool; the error that says
        so is not the caller's (its work committed, or failed with its own error)."""
        try:
            await self.pool.release(conn)
        except Exception as exc:
            log.debug("dropped a broken PostgreSQL connection: %s", exc)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction of its own (maintenance, imports, digests, staff work)."""
        conn = await self._retrying(self._acquire)
        try:
            async with conn.transaction():
                tx = Tx(conn)
                try:
                    yield tx
                    await tx.flush()
                except Exception as exc:
                    self._check(exc)
                    raise
        finally:
            await self._release(conn)

    async def _acquire(self) -> asyncpg.Connection:
        conn = await self.pool.acquire()
        try:
            await conn.execute("SELECT 1")  # a pooled connection may have died with the server
        except BaseException:
            await self._release(conn)
            raise
        return conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Any]:
        """A connection for read-only queries (reports, exports), statements in the shared
        (SQLite) spelling."""
        conn = await self._retrying(self._acquire)
        try:
            # One snapshot for the whole read (a digest's figures agree with each other); not
            # read-only: the read side also records what it posted (digest runs, trend alerts).
            async with conn.transaction(isolation="repeatable_read"):
                yield engine.Connection(conn)
        finally:
            await self._release(conn)

    async def _statement(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement as its own transaction (retried while the server is away)."""

        async def attempt(conn: asyncpg.Connection) -> list[Any]:
            return (await engine.execute(conn, sql, params)).rows

        return await self._retrying(lambda: self._with_connection(attempt))

    async def _fetchval(self, sql: str, *args: Any) -> Any:
        async def attempt(conn: asyncpg.Connection) -> Any:
            return await conn.fetchval(sql, *args)

        return await self._retrying(lambda: self._with_connection(attempt))

    async def _with_connection(self, use: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """``use`` on a pooled connection (autocommit), released whatever happens."""
        conn = await self.pool.acquire()
        try:
            return await use(conn)
        finally:
            await self._release(conn)

    # -- the outbox ------------------------------------------------------------------------

    async def claim_pending(self, limit: int = 5000, platforms: Sequence[str] | None = None) -> list[OutboxRow]:
        """Take pending rows for sending, oldest first (pending -> sending). Rows another
        sender is claiming right now are skipped, not waited for; a row whose transaction
        commits late is simply pending at a later claim (no high-water mark of ids).
        ``platforms``: only these shards' rows (a sender leads some platforms).

        If the connection is lost while claiming, the claim may have committed without its
        answer arriving: the retry then also takes the shards' rows already ``sending`` (the
        delivery loop skips the ones it holds), so none is left claimed by nobody."""
        tries = 0

        async def attempt(conn: asyncpg.Connection) -> list[Any]:
            nonlocal tries
            tries += 1
            where = "status = 'pending'" if tries == 1 else "status IN ('pending', 'sending')"
            params: list[Any] = [limit]
            if platforms is not None:
                where += " AND platform = ANY($2::text[])"
                params.append(list(platforms))
            sql = (
                "UPDATE outbox SET status = 'sending' WHERE id IN (SELECT id FROM outbox WHERE "
                f"{where} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING *"
            )
            return list(await conn.fetch(sql, *params))

        rows = await self._retrying(lambda: self._with_connection(attempt))
        return sorted((OutboxRow.from_row(r) for r in rows), key=lambda row: row.id)

    async def release_claims(self, platforms: Sequence[str] | None = None) -> int:
        """Rows a previous sender claimed and did not finish are pending again (called by
        the sender of those platforms when it starts leading them)."""
        sql = "UPDATE outbox SET status = 'pending' WHERE status = 'sending'"
        if platforms is not None:
            return len(await self._fetch(sql + " AND platform = ANY($1::text[]) RETURNING 1", list(platforms)))
        return len(await self._fetch(sql + " RETURNING 1"))

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        async def attempt(conn: asyncpg.Connection) -> list[Any]:
            return list(await conn.fetch(sql, *args))

        return await self._retrying(lambda: self._with_connection(attempt))

    async def mark_sent(self, row_id: int, message_id: str | None, now: float) -> None:
        """Record a send; fenced: only a row still being sent changes (a row another sender
        already finished, or that an erasure removed, stays as it is)."""
        await self._fetch(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, error = NULL, message_id = $1, sent_at = $2 "
            "WHERE id = $3 AND status = 'sending' RETURNING 1",
            message_id,
            now,
            row_id,
        )

    async def reschedule(self, row_id: int, next_at: float, error: str) -> None:
        await self._fetch(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, error = $2 "
            "WHERE id = $3 AND status = 'sending' RETURNING 1",
            next_at,
            error[:500],
            row_id,
        )

    # Tables an erasure writes to: VACUUM makes their dead row versions' space reusable and
    # drops them from the table files (see README "Privacy and data" for the WAL and backups).
    ERASED_TABLES = (
        "respondents",
        "sessions",
        "responses",
        "response_context",
        "segment_days",
        "segment_weeks",
        "invitations",
        "escalations",
        "outbox",
        "inbox",
        "processed_events",
    )

    async def compact(self) -> None:
        """VACUUM the tables an erasure touches, so the erased rows' old versions are gone
        from the table files (not only invisible). VACUUM cannot run in a transaction."""

        async def attempt(conn: asyncpg.Connection) -> None:
            await conn.execute("VACUUM (ANALYZE) " + ", ".join(self.ERASED_TABLES))

        await self._retrying(lambda: self._with_connection(attempt))
