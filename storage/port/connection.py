"""The small connection the shared query modules (``storage/reports.py``, ``quality.py``,
``imports.py``, ``sentiment.py``, ``routes.py``) are written against.

It is the part of aiosqlite's ``Connection`` those modules use, so an aiosqlite connection is
one as it is, and PostgreSQL's :class:`storage.postgres.engine.Connection` is one by adapting
the statements (written in SQLite's spelling) for asyncpg. Rows are read by index or by column
name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterable
from typing import Any, Protocol, TypeVar

T_co = TypeVar("T_co", covariant=True)


class Cursor(Protocol):
    """The outcome of one statement."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...

    async def close(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[Any]: ...


class Pending(Protocol[T_co]):
    """``conn.execute(...)``: awaited for its cursor, or used as ``async with ... as cursor``."""

    def __await__(self) -> Generator[Any, None, T_co]: ...

    async def __aenter__(self) -> T_co: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> Any: ...


class Connection(Protocol):
    """A connection inside a transaction (or a read) the store opened: statements in SQLite's
    spelling with ``?`` placeholders."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Pending[Cursor]: ...

    def execute_fetchall(self, sql: str, parameters: Any = ..., /) -> Awaitable[Iterable[Any]]: ...

    def executemany(self, sql: str, parameters: Any, /) -> Awaitable[Cursor]: ...
