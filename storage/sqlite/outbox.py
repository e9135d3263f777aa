"""SQLite's outbox: claims by status and sends recorded in batches (the dead letters, lookups
and the inbox are the shared :class:`storage.sql.store.SqlStore`'s).

One writer means no fencing is needed: a row is ``sending`` only for the sender that claimed it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import aiosqlite

from storage.records import OutboxRow
from storage.sql.unit import Statement
from storage.sqlite.batching import Batch, Result
from storage.sqlite.engine import Engine

MARK_BATCH = 300  # sends recorded by one statement at most (three parameters each)


@dataclass
class _Marks:
    """Sends that finished while the database was busy, recorded together."""

    rows: list[tuple[int, str | None, float]]
    done: asyncio.Future[None]


class Outbox(Engine):
    """The outbox and inbox operations of :class:`storage.sqlite.Store`."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        super().__init__(conn, path)
        self._marks: _Marks | None = None
        self._mark_tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        if self._mark_tasks:
            await asyncio.wait(list(self._mark_tasks))
        await super().close()

    async def claim_pending(self, limit: int = 5000, platforms: Sequence[str] | None = None) -> list[OutboxRow]:
        """Take pending rows for sending, oldest first: they become ``sending``, so the next
        claim returns only rows committed since, whatever order their ids committed in (a
        high-water mark of ids would miss a lower id committed after a higher one). With
        ``platforms``, only theirs (the shards this instance sends for)."""
        where, params = _platforms_clause(platforms)
        claim: Statement = (
            "UPDATE outbox SET status = 'sending' WHERE id IN "
            f"(SELECT id FROM outbox WHERE status = 'pending'{where} ORDER BY id LIMIT ?) RETURNING *",
            (*params, limit),
            False,
        )
        # No fsync of its own: nothing ever relies on a claim surviving a power loss (``sending``
        # rows are given back at every start, ``release_claims``; a send is recorded by a durable
        # ``mark_sent``), and at durability full that fsync held the store's lock for a few ms
        # between every commit of turns and the send of their replies. Still committed at once
        # (a crash of the process keeps it; WAL), and the next durable commit's fsync covers it.
        # The connection's setting is put back in the same call, whatever happens.
        relaxed = self.synchronous != "NORMAL"
        batch = Batch(
            [("PRAGMA synchronous=NORMAL", (), False), claim] if relaxed else [claim],
            always=[(f"PRAGMA synchronous={self.synchronous}", (), False)] if relaxed else [],
        )
        try:
            async with self._lock:
                results = cast(list[Result], await self.conn.execute_fetchall(cast(str, batch)))
        except Exception as exc:
            self._check(exc)
            raise
        return sorted((OutboxRow.from_row(r) for r in results[-1].rows), key=lambda row: row.id)

    async def release_claims(self, platforms: Sequence[str] | None = None) -> int:
        """Rows a previous run (or sender) claimed but did not finish (it stopped or crashed)
        are pending again; the delivery loop calls this when it starts sending for a platform."""
        where, params = _platforms_clause(platforms)
        return len(
            await self._statement(
                f"UPDATE outbox SET status = 'pending' WHERE status = 'sending'{where} RETURNING 1", params
            )
        )

    async def mark_sent(self, row_id: int, message_id: str | None, now: float) -> None:
        """Record a send. Sends that finish while another write holds the database join
        one batch, written by one statement (so one autocommit, atomic without BEGIN/COMMIT
        hops) as soon as the lock is free: under load a send used to queue behind the lock
        for its own commit. The write runs in a task of its own, so a caller cancelled at
        shutdown never leaves the others' sends unrecorded.

        Fenced, as every status write is (and as on PostgreSQL): only a row still being sent
        changes, so a second mark, or a late one after the row was given back, marked dead or
        erased, does nothing."""
        batch = self._marks
        if batch is None or len(batch.rows) >= MARK_BATCH:
            batch = self._marks = _Marks([], asyncio.get_running_loop().create_future())
            task = asyncio.create_task(self._write_marks(batch))
            self._mark_tasks.add(task)
            task.add_done_callback(self._mark_tasks.discard)
        batch.rows.append((row_id, message_id, now))
        await asyncio.shield(batch.done)

    async def _write_marks(self, batch: _Marks) -> None:
        try:
            async with self._lock:
                if self._marks is batch:
                    self._marks = None  # sends finishing from now on start the next batch
                await self.conn.execute(*_mark_sent_sql(batch.rows))
        except asyncio.CancelledError:
            batch.done.cancel()
            raise
        except BaseException as exc:
            self._check(exc)
            if self._marks is batch:
                self._marks = None
            batch.done.set_exception(exc)
            batch.done.exception()  # every waiter re-raises it; none may be left to read it
        else:
            batch.done.set_result(None)

    async def reschedule(self, row_id: int, next_at: float, error: str) -> None:
        await self._statement(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ? "
            "WHERE id = ? AND status = 'sending'",
            (next_at, error[:500], row_id),
        )


def _platforms_clause(platforms: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if platforms is None:
        return "", ()
    return f" AND platform IN ({', '.join('?' for _ in platforms) or 'NULL'})", tuple(platforms)


def _mark_sent_sql(rows: Sequence[tuple[int, str | None, float]]) -> tuple[str, list[Any]]:
    """One UPDATE for any number of sends. A CTE rather than UPDATE ... FROM, which needs
    SQLite 3.33 (older distributions still ship 3.31)."""
    done = "status = 'sent', attempts = attempts + 1, error = NULL"
    if len(rows) == 1:
        row_id, message_id, sent_at = rows[0]
        return (
            f"UPDATE outbox SET {done}, message_id = ?, sent_at = ? WHERE id = ? AND status = 'sending'",
            [message_id, sent_at, row_id],
        )
    values = ", ".join("(?, ?, ?)" for _ in rows)
    sql = (
        f"WITH m(id, message_id, sent_at) AS (VALUES {values}) "
        f"UPDATE outbox SET {done}, "
        "message_id = (SELECT m.message_id FROM m WHERE m.id = outbox.id), "
        "sent_at = (SELECT m.sent_at FROM m WHERE m.id = outbox.id) "
        "WHERE id IN (SELECT id FROM m) AND status = 'sending'"
    )
    return sql, [value for row in rows for value in row]
