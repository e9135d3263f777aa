"""How a unit of work runs statements: held ones first, in order, then the one whose outcome
is read. Each backend says how a list of statements reaches its driver (:meth:`Statements._run`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from storage.port.connection import Connection

# (sql, parameters, executemany?)
Statement = tuple[str, Any, bool]


class Outcome(Protocol):
    """One statement's outcome, whichever driver ran it."""

    rows: list[Any]
    rowcount: int
    lastrowid: int | None


class Statements:
    """The machinery of a unit of work.

    Statements whose outcome nobody reads (session updates, outbox rows) are *held* and run,
    in order, before the next statement whose outcome is read, or at commit: an error in a held
    statement surfaces there and rolls back the unit of work as a whole. Code outside storage
    that wants the connection (reports, imports) calls :meth:`connection`, which runs what is
    held first; ``conn`` refuses while anything is held, so nothing can ever run out of order or
    outside the transaction.

    Dialect hooks (class attributes a backend overrides): how a JSON field of the outbox
    payload is read, the payload an erased alert keeps, the scalar greatest-of function, and
    how a read of due work claims its rows (:meth:`claiming`)."""

    # SQLite's spelling; PostgreSQL's unit of work sets its own.
    GREATEST = "MAX"
    ERASED_ALERT_PAYLOAD = "json_object('to', json_array(platform, chat_id, NULL), 'text', '(erased)')"

    _held: list[Statement]

    @staticmethod
    def json_text(column: str, key: str) -> str:
        """SQL for the text of ``key`` in the JSON object stored in ``column``."""
        return f"json_extract({column}, '$.{key}')"

    @staticmethod
    def claiming(of: str = "") -> str:
        """What a read of due work (the scheduler's) ends with so that the rows it returns are
        its own until the transaction ends, and rows another transaction holds are skipped:
        during a takeover two instances may both believe for a moment that they lead, and the
        same invitation, reminder, expiry or staff reminder must not be handled twice (a row
        the other handled and committed no longer matches). ``of``: the table whose rows are
        locked, in a join. Nothing on SQLite, whose one writer runs one transaction at a time."""
        return ""

    def _raw_connection(self) -> Connection:
        raise NotImplementedError

    @property
    def conn(self) -> Connection:
        if self._held:
            raise RuntimeError("statements are held: use `await tx.connection()` instead of tx.conn")
        return self._raw_connection()

    async def connection(self) -> Connection:
        """The connection, for statements written elsewhere, once everything held ran."""
        await self.flush()
        return self._raw_connection()

    def _hold(self, sql: str, params: Any = (), *, many: bool = False) -> None:
        self._held.append((sql, params, many))

    async def _run(self, *statements: Statement) -> Sequence[Outcome]:
        """What is held, then ``statements``; the outcome of each of ``statements``."""
        raise NotImplementedError

    async def _exec(self, sql: str, params: Any = (), *, many: bool = False) -> Outcome:
        """Run what is held, then this statement; its outcome."""
        return (await self._run((sql, params, many)))[0]

    async def flush(self) -> None:
        if self._held:
            await self._run()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return (await self._exec(sql, params)).rows

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._all(sql, params)
        return rows[0] if rows else None
