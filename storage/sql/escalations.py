"""Alerts (escalations): their life from open to resolved, the copies posted to staff
chats, the reminder ladder and the daily summary's claim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.records import Escalation
from storage.sql.rows import alert_range
from storage.sql.unit import Statements


class Escalations(Statements):
    """Escalation rows and the outbox rows that are their copies."""

    # -- escalations -----------------------------------------------------------------

    async def create_escalation(
        self, response_id: int, respondent_id: int, survey_id: str, rules: Sequence[str], now: float
    ) -> int | None:
        """The alert for a response, once: None if that response already has one."""
        cur = await self._exec(
            "INSERT OR IGNORE INTO escalations (response_id, respondent_id, survey_id, rules, opened_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (response_id, respondent_id, survey_id, ",".join(rules), now),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def escalation_for_response(self, response_id: int) -> Escalation | None:
        return await self._one_escalation("response_id = ?", (response_id,))

    async def escalation(self, escalation_id: int) -> Escalation | None:
        return await self._one_escalation("id = ?", (escalation_id,))

    async def escalation_replying(self, staff_key: str) -> Escalation | None:
        """The alert this staff member pressed Reply on and has not answered yet."""
        return await self._one_escalation("reply_pending_by = ? AND state != 'resolved' ORDER BY id DESC", (staff_key,))

    async def escalation_relaying(self, respondent_id: int) -> Escalation | None:
        return await self._one_escalation(
            "respondent_id = ? AND relay_open = 1 AND state != 'resolved' ORDER BY id DESC", (respondent_id,)
        )

    async def escalation_awaiting_recovery(self, respondent_id: int) -> Escalation | None:
        return await self._one_escalation(
            "respondent_id = ? AND recovery_asked_at IS NOT NULL AND recovered IS NULL ORDER BY id DESC",
            (respondent_id,),
        )

    async def escalation_by_message(self, platform: str, chat_id: str, message_id: str) -> Escalation | None:
        """Which alert a staff reply refers to (a Telegram reply, a Slack thread)."""
        row = await self._one(
            "SELECT ref_key FROM outbox WHERE platform = ? AND chat_id = ? AND message_id = ? "
            "AND ref_key LIKE 'alert:%' LIMIT 1",
            (platform, chat_id, message_id),
        )
        if row is None:
            return None
        return await self.escalation(int(str(row[0]).split(":")[1]))

    async def _one_escalation(self, where: str, params: tuple[Any, ...]) -> Escalation | None:
        row = await self._one(f"SELECT * FROM escalations WHERE {where} LIMIT 1", params)
        return None if row is None else Escalation.from_row(row)

    async def update_escalation(self, escalation_id: int, **fields: Any) -> None:
        allowed = {
            "state",
            "claimed_by",
            "claimed_by_name",
            "resolved_by",
            "resolved_by_name",
            "resolution_note",
            "recovered",
            "claimed_at",
            "first_reply_at",
            "resolved_at",
            "reminded_at",
            "reminders",
            "reply_pending_by",
            "relay_open",
            "recovery_asked_at",
            "rules",
        }
        unknown = set(fields) - allowed
        if unknown or not fields:
            # A real check, not an assert (``python -O`` strips those): the names become SQL.
            raise ValueError(f"update_escalation: not a column that may be updated: {sorted(unknown) or 'none given'}")
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self._hold(f"UPDATE escalations SET {assignments} WHERE id = ?", (*fields.values(), escalation_id))

    async def alert_facts(self, escalation_id: int) -> dict[str, Any] | None:
        """Everything an alert shows, in one query plus one for the customer's history."""
        row = await self._one(
            """
            SELECT e.*, r.kind, r.score, r.category, r.comment, r.comment_status, r.sentiment, r.sentiment_label,
                   r.context, r.language AS r_language, r.created_at AS response_at,
                   p.display_name, p.handle, p.platform, p.user_id, p.chat_id, p.language AS p_language
            FROM escalations e
            JOIN responses r ON r.id = e.response_id
            LEFT JOIN respondents p ON p.id = e.respondent_id
            WHERE e.id = ?
            """,
            (escalation_id,),
        )
        if row is None:
            return None
        facts = {k: row[k] for k in row.keys()}
        history = await self._all(
            "SELECT kind, score FROM responses WHERE respondent_id = ? AND created_at < ? AND score IS NOT NULL "
            "ORDER BY created_at DESC LIMIT 20",
            (row["respondent_id"], row["response_at"]),
        )
        facts["history"] = [(str(r[0]), int(r[1])) for r in history]
        return facts

    async def alert_copies(self, escalation_id: int) -> dict[tuple[str, str], str]:
        """Every chat an alert was queued to, with the state of its copy there ('sent',
        'pending' or 'dead'; a live copy wins over a dead one). Copies are the outbox rows
        whose ref key is ``alert:<id>:<platform>:<chat>`` (a range on the ref index)."""
        low, high = alert_range(escalation_id)
        rows = await self._all(
            "SELECT platform, chat_id, status FROM outbox WHERE ref_key >= ? AND ref_key < ?", (low, high)
        )
        copies: dict[tuple[str, str], str] = {}
        for platform, chat_id, status in rows:
            key = (str(platform), str(chat_id))
            if copies.get(key) in (None, "dead"):
                copies[key] = str(status)
        return copies

    async def dead_alerts(self, platform: str, chat_id: str, since: float) -> list[int]:
        """Alerts opened since ``since``, not resolved, whose copy for this chat could not be
        delivered (the bot was removed, the channel archived)."""
        rows = await self._all(
            "SELECT DISTINCT e.id FROM outbox o JOIN escalations e "
            "ON o.ref_key = 'alert:' || e.id || ':' || o.platform || ':' || o.chat_id "
            "WHERE o.ref_key >= 'alert:' AND o.ref_key < 'alert;' AND o.status = 'dead' "
            "AND o.platform = ? AND o.chat_id = ? AND e.opened_at >= ? AND e.state != 'resolved' ORDER BY e.id",
            (platform, chat_id, since),
        )
        return [int(r[0]) for r in rows]

    async def escalations_to_remind(
        self, now: float, *, first: float, repeat: float, unresolved: float, limit: int
    ) -> list[Escalation]:
        """Alerts due a reminder on the ladder: unclaimed ones ``first`` seconds after opening,
        then every ``repeat``; claimed ones ``unresolved`` seconds after the claim (never
        counting reminders from before it), then as often again; at most ``limit`` reminders
        per state (the claim starts the count again). Erased customers' alerts are never due."""
        rows = await self._all(
            f"""
            SELECT * FROM escalations
            WHERE respondent_id IS NOT NULL AND reminders < ? AND (
                  (state = 'open' AND reminders = 0 AND opened_at <= ?)
               OR (state = 'open' AND reminders > 0 AND reminded_at <= ?)
               OR (state = 'claimed'
                   AND {self.GREATEST}(COALESCE(claimed_at, opened_at), COALESCE(reminded_at, 0)) <= ?))
            ORDER BY id
            """
            + self.claiming(),
            (limit, now - first, now - repeat, now - unresolved),
        )
        return [Escalation.from_row(r) for r in rows]

    async def unresolved_escalations(self, opened_before: float) -> list[Escalation]:
        """Every alert still open or claimed, opened before the given moment (for the summary)."""
        rows = await self._all(
            "SELECT * FROM escalations WHERE state != 'resolved' AND respondent_id IS NOT NULL AND opened_at <= ? "
            "ORDER BY id",
            (opened_before,),
        )
        return [Escalation.from_row(r) for r in rows]

    async def close_orphaned_escalations(self, now: float, note: str) -> int:
        """Close the alerts whose customer was erased (``/forget``, ``forget``, retention): nobody
        can be helped any more, so they are resolved with ``note`` and never reminded about."""
        cur = await self._exec(
            "UPDATE escalations SET state = 'resolved', resolved_at = ?, resolved_by = 'feedbackbot', "
            "resolved_by_name = 'feedbackbot', resolution_note = ?, reply_pending_by = NULL, relay_open = 0 "
            "WHERE respondent_id IS NULL AND state != 'resolved'",
            (now, note),
        )
        return int(cur.rowcount)

    async def record_summary(self, key: str, day: str, now: float) -> bool:
        """Claim the summary ``key`` for ``day`` (once; recorded beside the digests' runs)."""
        cur = await self._exec(
            "INSERT OR IGNORE INTO digest_runs (digest_id, period_start, period_end, status, created_at) "
            "VALUES (?, ?, ?, 'posted', ?)",
            (key, day, day, now),
        )
        return int(cur.rowcount) == 1
