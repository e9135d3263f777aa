"""SQLite's engine: one aiosqlite connection, one asyncio lock, and the group-commit writer.

Every write happens inside a unit of work (:meth:`Engine.run`) or ``transaction()``, so an
event's whole effect (claimed id, session, response, outbox rows) commits together or not at
all. WAL keeps readers from blocking the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

import aiosqlite

from storage.port.errors import StorageError
from storage.sql.store import SqlStore
from storage.sql.unit import Statement
from storage.sqlite.batching import BatchingConnection
from storage.sqlite.faults import _FATAL, storage_error
from storage.sqlite.schema import _when_free, migrate, user_version
from storage.sqlite.unit import Tx, rollback_quietly

log = logging.getLogger(__name__)
T = TypeVar("T")

DURABILITY = {"full": "FULL", "normal": "NORMAL"}
GROUP_MAX = 64  # units of work committed together at most (see Engine.run)


@dataclass
class _Job(Generic[T]):
    """A unit of work waiting for :meth:`Store.run`'s writer, and where its result goes."""

    work: Callable[[Tx], Awaitable[T]]
    done: asyncio.Future[T]


def _fail(job: _Job[Any], exc: BaseException) -> None:
    if not job.done.done():
        job.done.set_exception(exc)


class Engine(SqlStore):
    """The connection, its lock and the writer of groups (see :class:`storage.sqlite.Store`)."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._queue: deque[_Job[Any]] = deque()
        self._writer: asyncio.Task[None] | None = None
        # Called once with the first fault retrying cannot fix (``run`` stops on it).
        self.on_fault: Callable[[StorageError], None] | None = None
        self.fault: StorageError | None = None
        # PRAGMA synchronous of the connection (``durability``), put back after a write that
        # needs no fsync of its own (the outbox claim, see ``Outbox.claim_pending``).
        self.synchronous = "FULL"

    @classmethod
    async def open(cls, path: str | Path, durability: str = "full") -> Self:
        """Open (creating if needed) and migrate. ``durability='full'`` survives power
        loss; ``'normal'`` can lose the last commits on power loss (never on a crash of
        the process) in exchange for fewer fsyncs."""
        path = str(path)
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None, factory=BatchingConnection)
        except Exception as exc:
            raise storage_error(exc, path) or exc from None
        # From here on the connection's thread keeps the process alive until it is closed:
        # every way out of this method closes it.
        try:
            conn.row_factory = aiosqlite.Row
            # First, so that two processes opening a fresh file wait for each other.
            await conn.execute("PRAGMA busy_timeout=5000")
            await _when_free(conn, "PRAGMA journal_mode=WAL")
            await conn.execute(f"PRAGMA synchronous={DURABILITY[durability]}")
            await conn.execute("PRAGMA foreign_keys=ON")
            # Deleted content is overwritten, not just unlinked: erasure must leave no trace.
            await conn.execute("PRAGMA secure_delete=ON")
            store = cls(conn, path)
            store.synchronous = DURABILITY[durability]
            await store._migrate()
        except BaseException as exc:
            await conn.close()
            fault = storage_error(exc, path) if isinstance(exc, Exception) else None
            if fault is not None and fault is not exc:
                raise fault from None
            raise
        return store

    def _check(self, exc: BaseException) -> None:
        """Report a fault that retrying cannot fix to ``on_fault`` (once)."""
        if self.fault is not None or not isinstance(exc, sqlite3.Error):
            return
        name = getattr(exc, "sqlite_errorname", "") or ""
        if not name.startswith(_FATAL):
            return
        self.fault = storage_error(exc, self.path)
        if self.fault is not None and self.on_fault is not None:
            self.on_fault(self.fault)

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.wait([self._writer])
        await self.conn.close()

    async def _migrate(self) -> None:
        await migrate(self.conn, self.path)

    async def schema_version(self) -> int:
        return await user_version(self.conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction of its own under the store's lock (maintenance, imports, digests:
        work that may take a while or read through the raw connection). Turns go through
        :meth:`run`, which commits many of them together."""
        async with self._lock:
            tx = Tx(self.conn, begin=True)
            try:
                yield tx
                await tx.commit()
            except BaseException as exc:
                self._check(exc)
                try:
                    await tx.rollback()
                except sqlite3.Error:
                    if self.fault is None:  # a damaged file may refuse the rollback too
                        raise
                raise

    async def run(self, work: Callable[[Tx], Awaitable[T]], *, key: tuple[str, str] | None = None) -> T:
        """Run ``work`` (a coroutine function given a :class:`Tx`) as one unit of work and
        return its result once it is committed.

        Group commit: units of work queued while the database is busy run together in one
        transaction, each in its own SAVEPOINT, so one that fails rolls back only itself (its
        caller gets the exception; the others commit). One COMMIT, so one fsync, for the whole
        group: at ``durability = "full"`` the fsync, not the statements, is what a turn costs
        most. Nobody hears of a result before the COMMIT that makes it durable.

        ``key`` (the conversation) changes nothing here: one writer already runs one unit at
        a time. A caller cancelled before its work started is skipped; once started, its work runs to
        the end with the others (as if the cancellation came a moment later).
        """
        job: _Job[T] = _Job(work, asyncio.get_running_loop().create_future())
        self._queue.append(job)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_groups(), name="store-writer")
        try:
            return await job.done
        except Exception as exc:
            self._check(exc)
            raise

    async def _write_groups(self) -> None:
        try:
            while self._queue:
                async with self._lock:
                    await self._write_group()
        finally:
            self._writer = None
            if self._queue and asyncio.current_task().cancelling():  # type: ignore[union-attr]
                while self._queue:  # the store is closing: nobody will run these
                    self._queue.popleft().done.cancel()

    async def _write_group(self) -> None:
        """One transaction for the units of work queued now (and those queued while it runs,
        up to :data:`GROUP_MAX`). BEGIN, and each later unit's SAVEPOINT, travel with the
        unit's first statement. The first unit needs no savepoint: if it fails, the
        transaction has nothing else to lose and is rolled back whole."""
        done: list[tuple[_Job[Any], Any]] = []
        taken = 0
        job: _Job[Any] | None = None
        try:
            while self._queue and taken < GROUP_MAX:
                job = self._queue.popleft()
                if job.done.done():
                    continue  # its caller was cancelled before it started
                taken += 1
                tx = Tx(self.conn)
                savepoint = f"unit{taken}" if self.conn.in_transaction else None
                opening: Statement = (f"SAVEPOINT {savepoint}" if savepoint else "BEGIN IMMEDIATE", (), False)
                tx._held.append(opening)
                try:
                    result = await job.work(tx)
                    await tx.flush()  # what it left held is part of it
                except Exception as exc:
                    self._check(exc)
                    if tx._held[:1] == [opening]:
                        pass  # it failed before anything of it ran
                    elif savepoint and self.conn.in_transaction:
                        # Undo this unit only. Its savepoint stays open (nested in the next
                        # one's); COMMIT releases them all.
                        await self.conn.execute(f"ROLLBACK TO {savepoint}")
                    else:
                        # The first unit, or an error SQLite answered by rolling back the whole
                        # transaction (disk full, I/O): everything in it so far is gone.
                        await rollback_quietly(self.conn)
                        for earlier, _ in done:
                            _fail(earlier, exc)
                        done = []
                    _fail(job, exc)
                else:
                    done.append((job, result))
                job = None
            if self.conn.in_transaction:
                await self.conn.execute("COMMIT")
        except BaseException as exc:
            self._check(exc)
            await rollback_quietly(self.conn)
            for failed in [j for j, _ in done] + ([job] if job is not None else []):
                _fail(failed, exc)
            if not isinstance(exc, Exception):
                raise
            log.error("a group of storage writes failed (%s); each caller was told", type(exc).__name__)
            return
        for finished, result in done:
            if not finished.done.done():
                finished.done.set_result(result)

    async def _statement(self, sql: str, params: Any = ()) -> list[aiosqlite.Row]:
        """One statement as its own (autocommit) transaction."""
        try:
            async with self._lock:
                return list(await self.conn.execute_fetchall(sql, params))
        except Exception as exc:
            self._check(exc)
            raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for read-only queries (reports, exports), under the same lock so
        a read never interleaves with another coroutine's open transaction."""
        async with self._lock:
            try:
                yield self.conn
            except Exception as exc:
                self._check(exc)
                raise

    # -- reads and small writes that are their own transaction ------------------------
