"""The one opener: the store named by the configuration, SQLite or PostgreSQL.

``target`` is an SQLite path or a ``postgresql://`` URL. The bootstrap calls
:func:`open_store` and nothing else in ``bot/`` names a backend: what the command line needs
of one (URL checks and redaction, the copy to PostgreSQL) is re-exported here, so ``bot/``
imports ``storage.port`` and this module, never ``storage.sqlite`` or ``storage.postgres``.
"""

from __future__ import annotations

from pathlib import Path

from storage.port.errors import StorageError
from storage.port.store import Store
from storage.postgres.url import ENV_VAR as DATABASE_URL_VAR
from storage.postgres.url import SCHEMES, password, problem, redact
from storage.sqlite.faults import storage_error
from storage.transfer import TableCount, copy_sqlite_to_postgres

__all__ = [
    "DATABASE_URL_VAR",
    "TableCount",
    "check_reachable",
    "copy_sqlite_to_postgres",
    "describe_fault",
    "is_postgres",
    "name_of",
    "open_store",
    "password",
    "problem",
    "redact",
]


def is_postgres(target: str | Path) -> bool:
    """Whether ``target`` is a PostgreSQL URL (a ``Path`` is always a file)."""
    text = str(target)
    return text.split("://", 1)[0] in SCHEMES and "://" in text


async def open_store(target: str | Path, durability: str = "full") -> Store:
    """Open (creating and migrating if needed) the store at ``target``."""
    if is_postgres(target):
        from storage.postgres.store import Store as PgStore

        return await PgStore.open(str(target), durability)
    from storage.sqlite import Store as SqliteStore

    return await SqliteStore.open(target, durability)


def describe_fault(exc: BaseException, target: str | Path) -> StorageError | None:
    """One line for an operator about ``exc``, naming the database (never its password),
    or None when ``exc`` is not a fault of the database."""
    if isinstance(exc, StorageError):
        return exc
    if is_postgres(target):
        from storage.postgres.faults import operator_message

        message = operator_message(exc, str(target))
        return None if message is None else StorageError(message)
    return storage_error(exc, str(target))


def name_of(target: str | Path) -> str:
    """How messages name the database: the path, or the URL without its password."""
    return redact(str(target)) if is_postgres(target) else str(target)


async def check_reachable(target: str | Path, timeout: float = 5.0) -> str | None:
    """For ``check-config``: why the PostgreSQL server cannot be used, or None when a
    connection and a query work (an SQLite path is checked when it is opened)."""
    if not is_postgres(target):
        return None
    import asyncpg

    from storage.postgres.faults import operator_message

    url = str(target)
    try:
        conn = await asyncpg.connect(url, timeout=timeout)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
    except Exception as exc:
        found = operator_message(exc, url)
        return found or f"cannot use PostgreSQL at {redact(url)}: {type(exc).__name__}: {exc}"
    return None
