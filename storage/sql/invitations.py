"""Invitations: idempotent creation, the schedule, reminders."""

from __future__ import annotations

import json
from typing import Any

from storage.sql.unit import Statements


class Invitations(Statements):
    """Invitation rows."""

    async def invitation_by_key(self, key: str) -> dict[str, Any] | None:
        row = await self._one("SELECT * FROM invitations WHERE idempotency_key = ?", (key,))
        return None if row is None else dict(row)

    async def last_invited(self, respondent_id: int, survey_id: str) -> tuple[float | None, float | None]:
        """(last invitation to anything, last to this survey), across every identity that
        shares the person's key, so someone on both Telegram and Slack counts once."""
        row = await self._one(
            """
            SELECT MAX(i.sent_at), MAX(CASE WHEN i.survey_id = ? THEN i.sent_at END)
            FROM invitations i
            WHERE i.status = 'sent' AND i.respondent_id IN (
                SELECT id FROM respondents WHERE id = ?
                UNION
                SELECT o.id FROM respondents o JOIN respondents me ON me.id = ?
                WHERE me.person_key IS NOT NULL AND o.person_key = me.person_key
            )
            """,
            (survey_id, respondent_id, respondent_id),
        )
        return (None, None) if row is None else (row[0], row[1])

    async def insert_invitation(
        self,
        respondent_id: int,
        survey_id: str,
        status: str,
        reason: str | None,
        key: str | None,
        campaign_id: str | None,
        context: dict[str, str],
        lane: str,
        not_before: float,
        now: float,
        request_hash: str | None = None,
    ) -> int | None:
        cur = await self._exec(
            "INSERT OR IGNORE INTO invitations (respondent_id, survey_id, status, reason, idempotency_key, "
            "campaign_id, context, lane, not_before, created_at, request_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                respondent_id,
                survey_id,
                status,
                reason,
                key,
                campaign_id,
                json.dumps(context),
                lane,
                not_before,
                now,
                request_hash,
            ),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def due_invitations(self, now: float, limit: int) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT * FROM invitations WHERE status = 'scheduled' AND not_before <= ? ORDER BY not_before, id LIMIT ?"
            + self.claiming(),
            (now, limit),
        )
        return [dict(r) for r in rows]

    async def invitation(self, invitation_id: int) -> dict[str, Any] | None:
        row = await self._one("SELECT * FROM invitations WHERE id = ?", (invitation_id,))
        return None if row is None else dict(row)

    async def mark_invitation(
        self,
        invitation_id: int,
        status: str,
        *,
        reason: str | None = None,
        session_id: int | None = None,
        sent_at: float | None = None,
    ) -> None:
        self._hold(
            "UPDATE invitations SET status = ?, reason = COALESCE(?, reason), session_id = COALESCE(?, session_id), "
            "sent_at = COALESCE(?, sent_at) WHERE id = ?",
            (status, reason, session_id, sent_at, invitation_id),
        )

    async def reminders_due(self, sent_before: float, limit: int) -> list[dict[str, Any]]:
        """Invitations whose survey is still waiting for its first answer."""
        rows = await self._all(
            """
            SELECT i.id, i.survey_id, s.nonce, s.language, p.platform, p.chat_id, p.timezone
            FROM invitations i
            JOIN sessions s ON s.id = i.session_id
            JOIN respondents p ON p.id = i.respondent_id
            WHERE i.status = 'sent' AND i.reminded_at IS NULL AND i.sent_at <= ? AND s.stage = 'score'
              AND p.opted_out = 0 AND p.unreachable = 0
            ORDER BY i.sent_at LIMIT ?
            """
            + self.claiming(of="i"),
            (sent_before, limit),
        )
        return [dict(r) for r in rows]

    async def mark_reminded(self, invitation_id: int, now: float) -> None:
        self._hold("UPDATE invitations SET reminded_at = ? WHERE id = ?", (now, invitation_id))
