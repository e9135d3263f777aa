"""Migrations of the SQLite file: ``storage/migrations/NNNN_*.sql``, applied in one
transaction that holds the write lock, the version kept in ``PRAGMA user_version``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from importlib import resources

import aiosqlite

from storage.port.errors import newer_schema

log = logging.getLogger(__name__)


def _migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _when_free(conn: aiosqlite.Connection, sql: str, attempts: int = 100) -> None:
    """A statement that needs the file's lock while another process may be setting it up.
    ``busy_timeout`` covers most waits, but SQLite answers "database is locked" at once when
    waiting could deadlock (two connections switching a fresh file to WAL together, each
    holding a shared lock), and a migration on a slow disk may outlast it: ask again."""
    for attempt in range(attempts):
        try:
            await conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05)


def _statements(script: str) -> list[str]:
    """A migration script cut into its statements (``sqlite3.complete_statement`` knows
    where a trigger's body or a string ends)."""
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                out.append(pending.strip())
            pending = ""
    if pending.strip() and not all(ln.strip().startswith("--") for ln in pending.splitlines() if ln.strip()):
        out.append(pending.strip())
    return out


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


async def user_version(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0]) if rows else 0


async def migrate(conn: aiosqlite.Connection, path: str) -> None:
    """Apply the migrations this file lacks, all in one transaction that takes the write
    lock before it reads the version: of two processes starting on a fresh file, the
    second waits, then finds the schema current (reading first, both migrated and the
    second failed on "duplicate column name")."""
    await _when_free(conn, "BEGIN IMMEDIATE", attempts=10)
    try:
        current = await user_version(conn)
        if current > SCHEMA_VERSION:
            raise newer_schema(path, current, SCHEMA_VERSION)
        for version, sql in MIGRATIONS:
            if version <= current:
                continue
            log.info("applying database migration %04d", version)
            # executescript() would commit first: statement by statement keeps the lock.
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version={version}")
        await conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error, ValueError):
            await conn.execute("ROLLBACK")
        raise
