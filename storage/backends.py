"""The one opener: the store named by the configuration, SQLite or PostgreSQL.

``target`` is an SQLite path or a ``postgresql://`` URL. The bootstrap calls
:func:`open_store` and nothing else in ``bot/`` names a backend.
"""

from __future__ import annotations

from typing import Any

from storage.postgres.url import SCHEMES, redact
from storage.sqlite import StorageError, storage_error


def is_postgres(target: str) -> bool:
    return target.split("://", 1)[0] in SCHEMES and "://" in target


async def open_store(target: str, durability: str = "full") -> Any:
    """Open (creating and migrating if needed) the store at ``target``."""
    if is_postgres(target):
        from storage.postgres.store import Store as PgStore

        return await PgStore.open(target, durability)
    from storage.sqlite import Store as SqliteStore

    return await SqliteStore.open(target, durability)


def describe_fault(exc: BaseException, target: str) -> StorageError | None:
    """One line for an operator about ``exc``, naming the database (never its password),
    or None when ``exc`` is not a fault of the database."""
    if isinstance(exc, StorageError):
        return exc
    if is_postgres(target):
        from storage.postgres.faults import operator_message

        message = operator_message(exc, target)
        return None if message is None else StorageError(message)
    return storage_error(exc, target)


def name_of(target: str) -> str:
    """How messages name the database: the path, or the URL without its password."""
    return redact(target) if is_postgres(target) else target


async def check_reachable(target: str, timeout: float = 5.0) -> str | None:
    """For ``check-config``: why the PostgreSQL server cannot be used, or None when a
    connection and a query work (an SQLite path is checked when it is opened)."""
    if not is_postgres(target):
        return None
    import asyncpg

    from storage.postgres.faults import operator_message

    try:
        conn = await asyncpg.connect(target, timeout=timeout)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
    except Exception as exc:
        found = operator_message(exc, target)
        return found or f"cannot use PostgreSQL at {redact(target)}: {type(exc).__name__}: {exc}"
    return None
