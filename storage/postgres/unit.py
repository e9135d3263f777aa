"""PostgreSQL's unit of work: the shared operations (:class:`storage.sql.SqlTx`), run through
:mod:`storage.postgres.engine`, with the dialect hooks PostgreSQL spells differently and a
turn that begins under its conversation's advisory lock in one statement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from storage.postgres import engine
from storage.records import PersonSeen, Respondent
from storage.sql import SqlTx
from storage.sql.rows import UPSERT_RESPONDENT, person_fields, session_from_row, subject_of
from storage.sql.unit import Outcome, Statement
from surveys.engine import Session


def conversation_key(platform: str, chat_id: str) -> str:
    return f"{platform}:{chat_id}"


# begin_turn in one round trip: the claim (skipped for a NULL event id), the upsert, and the
# person's open session as JSON (read in the statement's snapshot, which the upsert does not change).
BEGIN_TURN = f"""
    WITH claim AS (
        INSERT INTO processed_events (event_id, processed_at, subject)
        SELECT ?::text, ?::double precision, ?::text WHERE ?::text IS NOT NULL
        ON CONFLICT (event_id) DO NOTHING RETURNING 1
    ), person AS ({UPSERT_RESPONDENT})
    SELECT (SELECT count(*) FROM claim) AS claimed, person.*,
           (SELECT row_to_json(s)::text FROM sessions s WHERE s.respondent_id = person.id
            AND s.stage IN ('score', 'comment') ORDER BY s.id DESC LIMIT 1) AS open_session
    FROM person
"""


class Tx(SqlTx):
    """Operations inside one PostgreSQL transaction.

    The statements are the shared ones (``storage/sql/``), run through
    :mod:`storage.postgres.engine`; only the few whose SQL differs are written here. Held
    statements run in order before the next statement whose outcome is read."""

    GREATEST = "GREATEST"
    ERASED_ALERT_PAYLOAD = (
        "json_build_object('to', json_build_array(platform, chat_id, NULL), 'text', '(erased)')::text"
    )

    @staticmethod
    def json_text(column: str, key: str) -> str:
        return f"{column}::jsonb ->> '{key}'"

    @staticmethod
    def claiming(of: str = "") -> str:
        return f" FOR UPDATE{f' OF {of}' if of else ''} SKIP LOCKED"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._pg = conn
        self._raw = engine.Connection(conn)
        self._held = []
        self._locked: set[str] = set()

    def _raw_connection(self) -> engine.Connection:
        return self._raw

    async def _run(self, *statements: Statement) -> Sequence[Outcome]:
        todo = [*self._held, *statements]
        self._held = []
        results: list[engine.Result] = []
        for sql, params, many in todo:
            if many:
                if sql.lstrip().upper().startswith("INSERT INTO"):  # nobody reads the count: one pipelined call
                    await self._pg.executemany(engine.translate(sql, True).sql, params)
                    results.append(engine.Result([], len(params), None))
                else:
                    results.append(engine.Result([], await engine.execute_many(self._pg, sql, params), None))
            else:
                results.append(await engine.execute(self._pg, sql, params))
        return results[len(todo) - len(statements) :]

    async def commit(self) -> None:
        await self.flush()

    async def rollback(self) -> None:
        self._held = []

    async def lock_conversation(self, platform: str, chat_id: str) -> None:
        """Wait until no other transaction (on any instance) runs a turn of this chat; held
        until this transaction ends."""
        key = conversation_key(platform, chat_id)
        if key in self._locked:
            return
        await self.flush()
        await self._pg.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        self._locked.add(key)

    async def begin_turn(
        self, event_id: str | None, now: float, seen: PersonSeen
    ) -> tuple[bool, Respondent, Session | None]:
        """The shared three steps (claim the event, upsert the person, read their open
        session) in one statement, after the conversation's lock (its own statement: the
        statement after it must see what the previous turn of this chat committed)."""
        await self.lock_conversation(seen.platform, seen.chat_id or f"user:{seen.user_id}")
        claim = (event_id, now, subject_of(seen.platform, seen.user_id), event_id)
        row = await self._one(BEGIN_TURN, (*claim, *person_fields(seen), now, now))
        assert row is not None
        session: Any = json.loads(row["open_session"]) if row["open_session"] else None
        return event_id is None or bool(row["claimed"]), Respondent.from_row(row), session and session_from_row(session)
