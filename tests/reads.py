"""What tests read back from a store, in one place, for every backend.

Tests check what the application stored. Where the store has a public method for that read
(``tx.respondent``, ``store.message_id_for``, ``store.personal_data``, the report queries),
tests call it. The few facts nothing in the application reads back (the status of an outbox
row, how many rows a table holds after an erasure or a prune) are read here, and only here:
each helper is one statement in the shared SQL spelling, run through the store's public
read-only view (``store.reading()``), which on PostgreSQL translates it. So no test outside
the storage tests writes SQL, and a test written against SQLite runs unchanged on PostgreSQL.

One write is here too, because no store method can make it: an outbox row with an id the test
chooses (:func:`outbox_row_with_id`), to give SQLite the commit order PostgreSQL can produce.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from storage.port import Store

# Tables a test may count; the name becomes SQL, so it is checked against this list.
TABLES = frozenset(
    {
        "respondents",
        "sessions",
        "responses",
        "response_context",
        "processed_events",
        "outbox",
        "escalations",
        "digest_runs",
        "invitations",
        "inbox",
        "trend_alerts",
        "segment_days",
        "response_days",
        "actions",
        "action_alerts",
    }
)


async def _all(store: Store, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with store.reading() as conn:
        rows = await conn.execute_fetchall(sql, params)
    return [dict(row) for row in rows]


async def count(store: Store, table: str) -> int:
    """How many rows ``table`` holds."""
    if table not in TABLES:
        raise ValueError(f"not a table tests count: {table!r}")
    rows = await _all(store, f"SELECT COUNT(*) AS n FROM {table}")
    return int(rows[0]["n"])


@asynccontextmanager
async def opened(target: str) -> AsyncIterator[Store]:
    """The store at ``target`` (a path or URL), opened as the bot opens it, for tests that look
    at a database other processes write (commands, instances)."""
    from storage.backends import open_store

    store = await open_store(target)
    try:
        yield store
    finally:
        await store.close()


async def count_in(target: str, table: str) -> int:
    """How many rows ``table`` holds in the database at ``target``."""
    async with opened(target) as store:
        return await count(store, table)


async def answers(store: Store) -> list[dict[str, Any]]:
    """Every response with who gave it (``store.responses()``, what exports read), oldest
    first: score, comment, context, platform, user_id, display_name, ..."""
    return [row.values async for row in store.responses()]


async def counts(store: Store, *tables: str) -> dict[str, int]:
    return {table: await count(store, table) for table in tables}


async def outbox(store: Store, platform: str | None = None, chat_id: str | None = None) -> list[dict[str, Any]]:
    """Every outbox row (optionally of one chat), oldest first, with the columns tests look at:
    id, platform, chat_id, lane, status, attempts, message_id, ref_key, error, payload,
    next_attempt_at, created_at, sent_at."""
    sql = (
        "SELECT id, platform, chat_id, lane, status, attempts, message_id, ref_key, error, payload, "
        "next_attempt_at, created_at, sent_at FROM outbox WHERE 1 = 1"
    )
    params: list[Any] = []
    if platform is not None:
        sql += " AND platform = ?"
        params.append(platform)
    if chat_id is not None:
        sql += " AND chat_id = ?"
        params.append(chat_id)
    return await _all(store, sql + " ORDER BY id", tuple(params))


async def payloads(store: Store, chat_id: str | None = None) -> list[dict[str, Any]]:
    """The messages queued (or sent) to a chat, as written (``OutMessage.to_json``), oldest first."""
    return [json.loads(row["payload"]) for row in await outbox(store, chat_id=chat_id)]


async def texts(store: Store, chat_id: str | None = None) -> list[str]:
    """The text of every message queued (or sent) to a chat, oldest first (slimmed rows have none)."""
    return [str(payload.get("text", "")) for payload in await payloads(store, chat_id)]


async def outbox_row(store: Store, row_id: int) -> dict[str, Any] | None:
    found = [row for row in await outbox(store) if row["id"] == row_id]
    return found[0] if found else None


async def respondents(store: Store) -> list[dict[str, Any]]:
    """Every respondent row, in id order (identity fields and flags)."""
    return await _all(
        store,
        "SELECT id, platform, user_id, chat_id, display_name, handle, language, timezone, person_key, opted_out, "
        "unreachable FROM respondents ORDER BY id",
    )


async def responses(store: Store) -> list[dict[str, Any]]:
    """Every response row with all its columns, in id order, including rows no longer linked
    to anyone (erased or past retention) and imported ones."""
    return await _all(store, "SELECT * FROM responses ORDER BY id")


async def sessions(store: Store) -> list[dict[str, Any]]:
    """Every survey session with all its columns, in id order."""
    return await _all(store, "SELECT * FROM sessions ORDER BY id")


async def invitations(store: Store) -> list[dict[str, Any]]:
    return await _all(
        store,
        "SELECT id, respondent_id, survey_id, status, reason, campaign_id, session_id, sent_at, reminded_at "
        "FROM invitations ORDER BY id",
    )


async def escalations(store: Store) -> list[dict[str, Any]]:
    """Every alert with all its columns (timings, relay state, route), in id order."""
    return await _all(store, "SELECT * FROM escalations ORDER BY id")


async def actions(store: Store) -> list[dict[str, Any]]:
    """Every corrective action with all its columns (open and closed), in id order."""
    return await _all(store, "SELECT * FROM actions ORDER BY id")


async def event_ids(store: Store) -> list[str]:
    """The handled event ids, sorted."""
    return sorted(str(r["event_id"]) for r in await _all(store, "SELECT event_id FROM processed_events"))


async def inbox_keys(store: Store) -> list[tuple[str, str]]:
    """(platform, update key) of every kept inbound update, sorted."""
    rows = await _all(store, "SELECT platform, update_key FROM inbox")
    return sorted((str(r["platform"]), str(r["update_key"])) for r in rows)


async def outbox_row_with_id(store: Store, row_id: int, message: Any, now: float) -> None:
    """Commit an outbox row with the id ``row_id`` (``message`` an ``OutMessage``). On
    PostgreSQL an id is taken at INSERT and seen at COMMIT, so a lower id can commit after a
    higher one; SQLite commits ids in order, so a test that needs that order picks the ids."""
    async with store.transaction() as tx:
        conn = await tx.connection()
        await conn.execute(
            "INSERT INTO outbox (id, platform, chat_id, lane, payload, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row_id,
                message.to.platform,
                message.to.chat_id,
                message.lane,
                json.dumps(message.to_json(), ensure_ascii=False),
                now,
                now,
            ),
        )
