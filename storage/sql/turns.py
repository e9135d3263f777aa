"""A customer's turn: the event claimed, the person upserted, their session and response
saved, the replies queued in the outbox (one transaction: all of it or none)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage.records import PersonSeen, Respondent
from storage.sql.rows import CLAIM_SQL, respondent_upsert, session_from_row, subject_of
from storage.sql.unit import Statement, Statements
from surveys.engine import ResponseUpdate, Session
from surveys.model import OutMessage


class Turns(Statements):
    """Conversations: events, people as a turn sees them, sessions, responses, replies."""

    async def claim_event(self, event_id: str, now: float, subject: str | None = None) -> bool:
        """Record the event as handled; False when it already was (a redelivery).
        ``subject`` (:func:`subject_of`) is whose event it is, so erasure finds exactly theirs."""
        return bool(await self._all(CLAIM_SQL, (event_id, now, subject)))

    async def begin_turn(
        self, event_id: str | None, now: float, seen: PersonSeen
    ) -> tuple[bool, Respondent, Session | None]:
        """A customer's turn starts with three steps that depend on nothing the engine
        decides: claim the event id, upsert the person, load their open session. One hop for
        all three (with BEGIN) instead of three. When the claim fails (a redelivery) the
        caller rolls back, so the upsert leaves no trace. ``event_id`` None: already claimed."""
        statements: list[Statement] = [
            (*respondent_upsert(seen, now), False),
            (
                "SELECT * FROM sessions WHERE respondent_id = (SELECT id FROM respondents WHERE platform = ? AND "
                "user_id = ?) AND stage IN ('score', 'comment') ORDER BY id DESC LIMIT 1",
                (seen.platform, seen.user_id),
                False,
            ),
        ]
        if event_id is not None:
            statements.insert(0, (CLAIM_SQL, (event_id, now, subject_of(seen.platform, seen.user_id)), False))
        *claimed, person, session = [result.rows for result in await self._run(*statements)]
        first_time = bool(claimed[0]) if claimed else True
        return first_time, Respondent.from_row(person[0]), session_from_row(session[0]) if session else None

    async def open_session(self, respondent_id: int) -> Session | None:
        row = await self._one(
            "SELECT * FROM sessions WHERE respondent_id = ? AND stage IN ('score', 'comment') ORDER BY id DESC LIMIT 1",
            (respondent_id,),
        )
        return None if row is None else session_from_row(row)

    async def expired_session(self, respondent_id: int) -> Session | None:
        """The person's latest session when it ended by expiring (a late answer may belong to it)."""
        row = await self._one(
            "SELECT * FROM sessions WHERE respondent_id = ? ORDER BY id DESC LIMIT 1", (respondent_id,)
        )
        return None if row is None or row["stage"] != "expired" else session_from_row(row)

    async def session_by_nonce(self, nonce: str) -> tuple[Session, int] | None:
        row = await self._one("SELECT * FROM sessions WHERE nonce = ?", (nonce,))
        return None if row is None else (session_from_row(row), int(row["respondent_id"]))

    async def expired_sessions(self, now: float, limit: int = 500) -> list[tuple[Session, int]]:
        rows = await self._all(
            "SELECT * FROM sessions WHERE stage IN ('score', 'comment') AND expires_at <= ? LIMIT ?" + self.claiming(),
            (now, limit),
        )
        return [(session_from_row(r), int(r["respondent_id"])) for r in rows]

    async def respondent_platform(self, respondent_id: int) -> str:
        row = await self._one("SELECT platform FROM respondents WHERE id = ?", (respondent_id,))
        return str(row[0]) if row else ""

    async def save_session(self, session: Session, respondent_id: int, now: float) -> Session:
        if session.id is None:
            inserted = await self._exec(
                """
                INSERT INTO sessions (respondent_id, survey_id, stage, language, nonce, score, attempts, context,
                                      escalated, started_at, updated_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    respondent_id,
                    session.survey_id,
                    session.stage.value,
                    session.language,
                    session.nonce,
                    session.score,
                    session.attempts,
                    json.dumps(session.context),
                    int(session.escalated),
                    session.started_at,
                    now,
                    session.expires_at,
                ),
            )
            assert inserted.lastrowid is not None
            return Session(**{**session.__dict__, "id": inserted.lastrowid})
        self._hold(
            "UPDATE sessions SET stage = ?, score = ?, attempts = ?, escalated = ?, updated_at = ? WHERE id = ?",
            (session.stage.value, session.score, session.attempts, int(session.escalated), now, session.id),
        )
        return session

    async def save_response(
        self, session: Session, respondent_id: int, update: ResponseUpdate, channel: str, now: float
    ) -> None:
        """One response row per session: created with the score, completed by the comment."""
        self._hold(*self._response_upsert(session, respondent_id, update, channel, now))

    async def response_id(self, session_id: int) -> int:
        """The id of the session's response row (after :meth:`save_response`)."""
        row = await self._one("SELECT id FROM responses WHERE session_id = ?", (session_id,))
        assert row is not None, "save_response first"
        return int(row[0])

    @staticmethod
    def _response_upsert(
        session: Session, respondent_id: int, update: ResponseUpdate, channel: str, now: float
    ) -> tuple[str, tuple[Any, ...]]:
        return (
            """
            INSERT INTO responses (session_id, respondent_id, survey_id, kind, status, score, category, comment,
                comment_truncated, comment_status, sentiment, sentiment_label, flags, language, channel, context,
                created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET
                status = excluded.status, score = excluded.score, category = excluded.category,
                comment = excluded.comment, comment_truncated = excluded.comment_truncated,
                comment_status = excluded.comment_status, sentiment = excluded.sentiment,
                sentiment_label = excluded.sentiment_label, flags = excluded.flags, updated_at = excluded.updated_at
            """,
            (
                session.id,
                respondent_id,
                update.survey_id,
                update.kind.value,
                update.status,
                update.score,
                update.category,
                update.comment,
                int(update.comment_truncated),
                update.comment_status,
                update.sentiment,
                update.sentiment_label,
                ",".join(update.flags),
                update.language,
                channel,
                json.dumps(session.context),
                now,
                now,
            ),
        )

    async def enqueue(self, messages: Sequence[OutMessage], now: float, delay: float = 0.0) -> None:
        if not messages:
            return
        self._hold(
            "INSERT INTO outbox (platform, chat_id, lane, payload, ref_key, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    m.to.platform,
                    m.to.chat_id,
                    m.lane,
                    json.dumps(m.to_json(), ensure_ascii=False),
                    m.ref_key,
                    now + delay,
                    now,
                )
                for m in messages
            ],
            many=True,
        )
