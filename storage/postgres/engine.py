"""The small engine layer that lets one statement text serve SQLite and PostgreSQL.

Most of feedbackbot's SQL means the same on both databases. It is written once, in SQLite's
spelling with ``?`` placeholders, and this module adapts it for asyncpg, as Synapse's
database engines do: ``?`` becomes ``$1, $2 ...``, ``INSERT OR IGNORE`` becomes ``ON CONFLICT
DO NOTHING``, an INSERT whose new id is wanted (SQLite's ``lastrowid``) gains ``RETURNING id``,
``CAST(x AS REAL)`` (a 4-byte float on PostgreSQL) becomes double precision, and SQLite's
planner hint ``INDEXED BY`` is dropped. Statements
whose meaning differs (JSON functions, scalar ``MAX``, ``PRAGMA``, ``VACUUM``) are written per
dialect by the backend instead; nothing here guesses at those.

asyncpg is strict about Python types (a chat id given as an int for a text column is an error,
where SQLite stores whatever it is given). :func:`execute` adapts the parameters to the types
the server inferred for the statement when the first attempt is refused on the client side
(nothing reached the server, so the transaction is intact), and remembers that statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import asyncpg

# Tables whose rows have an identity ``id``: an INSERT into one reports the new id.
ID_TABLES = frozenset({"respondents", "sessions", "responses", "outbox", "escalations", "invitations", "actions"})

_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_AS_REAL = re.compile(r"\bAS\s+REAL\b", re.IGNORECASE)
_INDEXED_BY = re.compile(r"\bINDEXED\s+BY\s+\w+\s*", re.IGNORECASE)
_TEXT = frozenset({"text", "varchar", "bpchar", "name", "unknown"})
_INTEGER = frozenset({"int2", "int4", "int8"})
_FLOAT = frozenset({"float4", "float8", "numeric"})


@dataclass(frozen=True)
class Statement:
    """A statement ready for asyncpg, and how its outcome is read."""

    sql: str
    fetch: bool  # it returns rows (a SELECT, or RETURNING)
    wants_id: bool  # ``RETURNING id`` was added for SQLite's lastrowid: its rows are not the caller's


@dataclass
class Result:
    """One statement's outcome, in the shape the shared code reads (as aiosqlite's cursor)."""

    rows: list[Any]
    rowcount: int
    lastrowid: int | None


def placeholders(sql: str) -> str:
    """``?`` outside string literals, quoted names and comments becomes ``$1``, ``$2`` ..."""
    out: list[str] = []
    n = 0
    i = 0
    length = len(sql)
    while i < length:
        ch = sql[i]
        if ch in ("'", '"'):
            end = sql.find(ch, i + 1)
            while end != -1 and end + 1 < length and sql[end + 1] == ch:  # '' inside a literal
                end = sql.find(ch, end + 2)
            end = length - 1 if end == -1 else end
            out.append(sql[i : end + 1])
            i = end + 1
            continue
        if ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = length if end == -1 else end
            out.append(sql[i:end])
            i = end
            continue
        if ch == "?":
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@lru_cache(maxsize=2048)
def translate(sql: str, many: bool = False) -> Statement:
    """SQLite's spelling of a statement in PostgreSQL's (cached: the texts are constants)."""
    text = placeholders(sql).strip().rstrip(";")
    text = _AS_REAL.sub("AS double precision", text)
    text = _INDEXED_BY.sub("", text)  # SQLite's planner hint; PostgreSQL's planner picks its own index
    insert = _INSERT.match(text)
    returning = _RETURNING.search(text) is not None
    if insert and insert.group(1):
        text = "INSERT INTO " + text[insert.end() - len(insert.group(2)) :]
        found = _RETURNING.search(text)
        if found:
            text = f"{text[: found.start()]}ON CONFLICT DO NOTHING {text[found.start() :]}"
        else:
            text += " ON CONFLICT DO NOTHING"
    wants_id = bool(insert and not returning and not many and insert.group(2).lower() in ID_TABLES)
    if wants_id:
        text += " RETURNING id"
    first = text.lstrip("( \n").split(None, 1)[0].upper() if text.strip() else ""
    fetch = returning or wants_id or first in ("SELECT", "WITH", "VALUES", "SHOW")
    return Statement(text, fetch, wants_id)


def _rowcount(status: str) -> int:
    last = status.rsplit(" ", 1)[-1] if status else ""
    return int(last) if last.isdigit() else -1


# Statements whose parameters needed adapting, with the types the server gave them.
_PARAMETER_TYPES: dict[str, tuple[str, ...]] = {}


def _adapt(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name in _TEXT and not isinstance(value, str):
        return str(value)
    if type_name in _INTEGER and not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    if type_name in _FLOAT and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


async def _types_of(conn: asyncpg.Connection, sql: str) -> tuple[str, ...]:
    types = _PARAMETER_TYPES.get(sql)
    if types is None:
        prepared = await conn.prepare(sql)
        types = _PARAMETER_TYPES[sql] = tuple(t.name for t in prepared.get_parameters())
    return types


async def _call(conn: asyncpg.Connection, stmt: Statement, args: Sequence[Any]) -> Result:
    if stmt.fetch:
        rows = list(await conn.fetch(stmt.sql, *args))
        if stmt.wants_id:
            return Result([], len(rows), int(rows[0][0]) if rows else None)
        return Result(rows, len(rows), None)
    return Result([], _rowcount(await conn.execute(stmt.sql, *args)), None)


async def execute(conn: asyncpg.Connection, sql: str, params: Sequence[Any] = ()) -> Result:
    """Run one statement written in SQLite's spelling; its rows, row count and new id."""
    stmt = translate(sql)
    args = tuple(params)
    types = _PARAMETER_TYPES.get(stmt.sql)
    if types is not None:
        args = tuple(_adapt(v, t) for v, t in zip(args, types, strict=False))
    try:
        return await _call(conn, stmt, args)
    except asyncpg.DataError as exc:
        if types is not None or "invalid input for query argument" not in str(exc):
            raise
    types = await _types_of(conn, stmt.sql)
    return await _call(conn, stmt, tuple(_adapt(v, t) for v, t in zip(args, types, strict=False)))


async def execute_many(conn: asyncpg.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """One statement for each parameter row; how many rows they touched in all (asyncpg's
    ``executemany`` reports no count, and an import needs to know what was skipped)."""
    total = 0
    for params in rows:
        total += max(0, (await execute(conn, sql, params)).rowcount)
    return total


class Cursor:
    """What ``await conn.execute(...)`` gives the shared SQL modules (aiosqlite's shape)."""

    def __init__(self, result: Result) -> None:
        self._result = result
        self.rowcount = result.rowcount
        self.lastrowid = result.lastrowid
        self._at = 0

    async def fetchall(self) -> list[Any]:
        rows = self._result.rows[self._at :]
        self._at = len(self._result.rows)
        return rows

    async def fetchone(self) -> Any:
        if self._at >= len(self._result.rows):
            return None
        self._at += 1
        return self._result.rows[self._at - 1]

    async def close(self) -> None:
        return None

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class _Pending:
    """``conn.execute(...)``: awaited, or used as ``async with ... as cursor``."""

    def __init__(self, conn: asyncpg.Connection, sql: str, params: Sequence[Any]) -> None:
        self._conn, self._sql, self._params = conn, sql, params

    async def _run(self) -> Cursor:
        return Cursor(await execute(self._conn, self._sql, self._params))

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class Connection:
    """An asyncpg connection with the few methods of aiosqlite's the shared SQL modules use
    (``execute``, ``executemany``, ``execute_fetchall``), statements in SQLite's spelling."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Pending:
        return _Pending(self.raw, sql, params)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Cursor:
        return Cursor(Result([], await execute_many(self.raw, sql, rows), None))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return (await execute(self.raw, sql, params)).rows
