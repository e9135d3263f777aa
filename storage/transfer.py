"""Copying an SQLite database into PostgreSQL (``feedbackbot migrate-storage``).

Both schemas are the same version (each store migrates itself first), so the copy goes table
by table, parents before children, keeping every id. It is one PostgreSQL transaction (all or
nothing) and can be run again: rows whose primary key is already there are left as they are
(``ON CONFLICT DO NOTHING``), so a second run adds only what the first did not copy. Rows go
in by COPY into a temporary table, then one INSERT ... SELECT, which is fast for millions of
rows. Afterwards every table is counted on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite
import asyncpg

from storage.postgres.store import Store as PgStore
from storage.sqlite import Store as SqliteStore

# Parents before children (foreign keys), derived tables after the responses they come from
# (the per-day counts are not copied: PostgreSQL's triggers count the rows as they arrive).
TABLES = (
    "respondents",
    "sessions",
    "responses",
    "response_context",
    "escalations",
    "invitations",
    "processed_events",
    "outbox",
    "digest_runs",
    "inbox",
    "trend_alerts",
    "actions",
    "action_alerts",
)
BATCH = 5000  # rows read from SQLite and copied at a time


@dataclass(frozen=True)
class TableCount:
    table: str
    sqlite: int
    postgres: int
    copied: int  # rows this run added

    @property
    def matches(self) -> bool:
        return self.sqlite == self.postgres


class TransferError(RuntimeError):
    """The copy cannot be made; the message says why and what to do."""


def _adapt(value: Any, pg_type: str) -> Any:
    """SQLite stores what it was given; COPY needs the column's own type."""
    if value is None:
        return None
    if pg_type == "text":
        return value if isinstance(value, str) else str(value)
    if pg_type in ("integer", "bigint"):
        return int(value)
    if pg_type == "double precision":
        return float(value)
    return value


async def copy_sqlite_to_postgres(
    sqlite_path: str, url: str, progress: Callable[[str], None] = lambda line: None
) -> list[TableCount]:
    """Copy everything; the per-table counts after the copy."""
    source = await SqliteStore.open(sqlite_path)  # migrates the file to this feedbackbot's schema,
    await source.close()  # as the PostgreSQL store does: the two are the same version
    target = await PgStore.open(url)
    try:
        async with aiosqlite.connect(f"file:{sqlite_path}?mode=ro", uri=True) as lite:
            async with target.pool.acquire() as conn, conn.transaction():
                counts = []
                for table in TABLES:
                    counts.append(await _copy_table(lite, conn, table, progress))
                await _advance_sequences(lite, conn)
        return counts
    finally:
        await target.close()


async def _columns(conn: asyncpg.Connection, table: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def _primary_key(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary",
        table,
    )
    return [str(r[0]) for r in rows]


async def _copy_table(
    lite: aiosqlite.Connection, conn: asyncpg.Connection, table: str, progress: Callable[[str], None]
) -> TableCount:
    columns = await _columns(conn, table)
    async with lite.execute(f"SELECT * FROM {table} LIMIT 0") as cur:
        present = {d[0] for d in cur.description}
    missing = [c for c, _ in columns if c not in present]
    if missing:
        raise TransferError(
            f"the SQLite table {table} has no column {', '.join(missing)}; is {table} from a feedbackbot database?"
        )
    names = [c for c, _ in columns]
    types = [t for _, t in columns]
    staging = f"feedbackbot_copy_{table}"
    await conn.execute(f"CREATE TEMPORARY TABLE {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
    select = f"SELECT {', '.join(names)} FROM {table}"
    copied_from = 0
    async with lite.execute(select) as cur:
        while True:
            rows = await cur.fetchmany(BATCH)
            if not rows:
                break
            records = [tuple(_adapt(v, t) for v, t in zip(row, types, strict=True)) for row in rows]
            await conn.copy_records_to_table(staging, records=records, columns=names)
            copied_from += len(records)
    key = ", ".join(await _primary_key(conn, table))
    status = await conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) "
        f"SELECT {', '.join(names)} FROM {staging} ON CONFLICT ({key}) DO NOTHING"
    )
    added = int(status.rsplit(" ", 1)[-1])
    async with lite.execute(f"SELECT count(*) FROM {table}") as cur:
        row = await cur.fetchone()
    in_sqlite = int(row[0]) if row else 0
    in_postgres = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    progress(f"{table}: {copied_from} read, {added} added")
    return TableCount(table, in_sqlite, in_postgres, added)


async def _advance_sequences(lite: aiosqlite.Connection, conn: asyncpg.Connection) -> None:
    """New rows on PostgreSQL get ids after every copied one (and, for the outbox, after every
    id SQLite ever gave out: its ids are never reused)."""
    used: dict[str, int] = {}
    async with lite.execute("SELECT name, seq FROM sqlite_sequence") as cur:
        for name, seq in await cur.fetchall():
            used[str(name)] = int(seq)
    for table in ("respondents", "sessions", "responses", "escalations", "invitations", "outbox", "actions"):
        highest = max(int(await conn.fetchval(f"SELECT COALESCE(max(id), 0) FROM {table}")), used.get(table, 0))
        if highest > 0:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)", highest)
