"""SQLite's unit of work: the shared operations (:class:`storage.sql.SqlTx`), with every
statement sent to SQLite's thread in batches (what is held plus the statement whose outcome
is read: one round trip), through aiosqlite's public API."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

import aiosqlite

from storage.sql import SqlTx
from storage.sql.unit import Outcome, Statement
from storage.sqlite.batching import Batch, Result

log = logging.getLogger(__name__)


async def rollback_quietly(conn: aiosqlite.Connection) -> None:
    """Roll back whatever is open; a failure here must not hide the error that led to it."""
    try:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
    except Exception:
        log.exception("rollback failed")


class Tx(SqlTx):
    """Operations inside one transaction (or one unit of work of a group, see
    :meth:`storage.sqlite.Store.run`). ``begin``: the transaction starts with the first
    statement (``BEGIN IMMEDIATE`` travels with it)."""

    def __init__(self, conn: aiosqlite.Connection, *, begin: bool = False) -> None:
        self._raw = conn
        self._held = [("BEGIN IMMEDIATE", (), False)] if begin else []

    def _raw_connection(self) -> aiosqlite.Connection:
        return self._raw

    async def connection(self) -> aiosqlite.Connection:
        """The raw connection, for statements written elsewhere, once everything held ran."""
        await self.flush()
        return self._raw

    async def _run(self, *statements: Statement) -> Sequence[Outcome]:
        """What is held, then ``statements``, in one call to SQLite's thread; the outcome of
        each of ``statements``."""
        batch = Batch([*self._held, *statements])
        self._held = []
        results = cast(list[Result], await self._raw.execute_fetchall(cast(str, batch)))
        return results[len(batch.statements) - len(statements) :]

    async def commit(self) -> None:
        await self._exec("COMMIT")

    async def rollback(self) -> None:
        self._held = []
        await rollback_quietly(self._raw)
