"""One round trip to SQLite's thread for a whole batch of statements, through sqlite3's
documented ``factory`` hook (see :class:`BatchingConnection`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from storage.sql.unit import Statement


@dataclass
class Result:
    """One statement's outcome (:class:`storage.sql.unit.Outcome`)."""

    rows: list[Any]
    rowcount: int
    lastrowid: int | None


@dataclass
class Batch:
    """Statements to run in order in one call to SQLite's thread (see :class:`BatchingConnection`).
    ``always``: statements run after them even when one of them failed (a setting put back)."""

    statements: list[Statement]
    always: list[Statement] = field(default_factory=list)

    def run(self, conn: sqlite3.Connection) -> list[Result]:
        """Runs on SQLite's thread. The first error stops the batch and is raised."""
        results: list[Result] = []
        try:
            for sql, params, many in self.statements:
                cur = conn.executemany(sql, params) if many else sqlite3.Connection.execute(conn, sql, params)
                try:
                    results.append(Result(cur.fetchall(), cur.rowcount, cur.lastrowid))
                finally:
                    cur.close()
        finally:
            for sql, params, _ in self.always:
                sqlite3.Connection.execute(conn, sql, params).close()
        return results


class _Ran(list[Result]):
    """A batch's outcome in the shape aiosqlite reads an ``execute`` result in."""

    def fetchall(self) -> list[Result]:
        return list(self)


class BatchingConnection(sqlite3.Connection):
    """The sqlite3 connection aiosqlite drives, through sqlite3's documented ``factory`` hook.

    Why: aiosqlite proxies each call to its own thread and back, and under load such a round
    trip costs more than the statement it carries (a survey turn is several statements; one
    round trip each doubled the CPU of a turn). aiosqlite's ``execute_fetchall(sql)`` is a
    proxy for this connection's ``execute(sql).fetchall()``; given a :class:`Batch` instead of
    a string, ``execute`` runs every statement of it, so a whole batch is one round trip. A
    change in how aiosqlite proxies ``execute`` would fail every transaction at once, loudly
    (sqlite3 refuses a non-string statement), never silently.
    """

    def execute(self, sql: Any, parameters: Any = (), /) -> Any:
        if isinstance(sql, Batch):
            return _Ran(sql.run(self))
        return super().execute(sql, parameters)
