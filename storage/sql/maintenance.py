"""What both stores run to keep the disk bounded and personal data minimal: the prune
batches, retention, the personal-data export and the outbox statements that are the same on
both (see README "Operations" and "Privacy and data")."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from storage.port.connection import Connection
from storage.port.store import PruneReport
from storage.records import OutboxRow
from storage.sql.unit import Statements

INBOX_KEEP = 600.0  # seconds a received update is kept for a replay after a crash
# Bounded disk (see README "Operations"): how long what is done stays, in seconds.
SENT_KEEP = 600.0  # a sent message's text (named ones keep their platform id for good)
DEAD_KEEP = 7 * 86400.0  # a message that could not be delivered, for an operator to look at
EVENT_KEEP = 2 * 86400.0  # a handled event id: past every platform's redelivery window (a day)
PRUNE_BATCH = 100  # rows one prune statement touches at most (about 0.6 ms of SQLite work each)
SLIM_PAYLOAD = "{}"  # what a sent message keeps once only its platform id matters

# (field of PruneReport, statement taking (cutoff, limit), how long rows are kept)
PRUNE_STEPS: tuple[tuple[str, str, float], ...] = (
    (
        "slimmed",
        f"UPDATE outbox SET payload = '{SLIM_PAYLOAD}' WHERE id IN (SELECT id FROM outbox "
        f"WHERE status = 'sent' AND payload != '{SLIM_PAYLOAD}' AND sent_at < ? AND ref_key IS NOT NULL "
        "ORDER BY sent_at LIMIT ?) RETURNING 1",
        SENT_KEEP,
    ),
    (
        "sent",
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
        f"WHERE status = 'sent' AND payload != '{SLIM_PAYLOAD}' AND sent_at < ? AND ref_key IS NULL "
        "ORDER BY sent_at LIMIT ?) RETURNING 1",
        SENT_KEEP,
    ),
    (
        "dead",
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'dead' AND created_at < ? "
        "ORDER BY created_at LIMIT ?) RETURNING 1",
        DEAD_KEEP,
    ),
    (
        "event_ids",
        "DELETE FROM processed_events WHERE event_id IN (SELECT event_id FROM processed_events "
        "WHERE processed_at < ? ORDER BY processed_at LIMIT ?) RETURNING 1",
        EVENT_KEEP,
    ),
    (
        "inbox",
        "DELETE FROM inbox WHERE (platform, update_key) IN (SELECT platform, update_key FROM inbox "
        "WHERE received_at < ? ORDER BY received_at LIMIT ?) RETURNING 1",
        INBOX_KEEP,
    ),
)


async def prune(statement: Callable[[str, Sequence[Any]], Awaitable[list[Any]]], now: float) -> PruneReport:
    """Forget what nothing can refer to any more, in small batches (see README "Operations").

    * Sent messages lose their text ten minutes after they were sent. One that has a name
      (``ref_key``: a survey question, an alert, a digest) may still be edited (a late tap on
      a typed-answer question tidies it, an erasure redacts an alert) or replied to (a staff
      reply, an invitation reminder), so it keeps its chat and platform id, slimmed to a few
      dozen bytes, for as long as the message exists; the others are deleted.
    * Messages that could not be delivered are deleted after a week; pending (or sending) ones never.
    * Handled event ids go after two days (Telegram keeps updates a day, Slack retries
      within the hour), received updates after ten minutes (they were handled long before).

    ``statement`` runs one statement as its own short transaction. Each touches at most
    ``PRUNE_BATCH`` rows through an index range, so on SQLite it holds the database for about
    0.6 ms even with ``secure_delete`` (plus the commit's fsync with durability "full", like
    any commit; measured on 40,000 rows: median 0.63 ms a batch with "normal", 3.4 ms with
    "full"), and conversations' transactions run between the batches."""
    report = PruneReport()
    for field, sql, keep in PRUNE_STEPS:
        total = 0
        while True:
            started = time.perf_counter()
            touched = len(await statement(sql, (now - keep, PRUNE_BATCH)))
            report.batches += 1
            report.longest_batch_ms = max(report.longest_batch_ms, (time.perf_counter() - started) * 1000)
            total += touched
            if touched < PRUNE_BATCH:
                break
            await asyncio.sleep(0)
        setattr(report, field, total)
    return report


RETENTION_STEPS = {
    "comments": (
        "UPDATE responses SET comment = NULL, context = '{}', respondent_id = NULL, session_id = NULL "
        "WHERE created_at < ? AND (comment IS NOT NULL OR respondent_id IS NOT NULL)"
    ),
    "messages": "DELETE FROM outbox WHERE created_at < ? AND status NOT IN ('pending', 'sending')",
    "sessions": "DELETE FROM sessions WHERE updated_at < ? AND stage NOT IN ('score', 'comment')",
    "notes": "UPDATE escalations SET resolution_note = NULL WHERE opened_at < ? AND resolution_note IS NOT NULL",
    "people": (
        "DELETE FROM respondents WHERE updated_at < ? AND opted_out = 0 "
        "AND id NOT IN (SELECT respondent_id FROM sessions) "
        "AND id NOT IN (SELECT respondent_id FROM invitations WHERE status = 'scheduled')"
    ),
    "opted_out_identities": (
        "UPDATE respondents SET display_name = '', handle = '' WHERE updated_at < ? AND opted_out = 1 "
        "AND (display_name != '' OR handle != '')"
    ),
}


async def apply_retention(tx: Statements, older_than: float) -> dict[str, int]:
    """Anonymise what is older than the retention window, keeping scores for trends. A
    person who opted out keeps a bare record, so the opt-out is still honoured."""
    return {name: (await tx._exec(sql, (older_than,))).rowcount for name, sql in RETENTION_STEPS.items()}


PERSONAL_DATA = {
    "profile": (
        "SELECT platform, user_id, chat_id, display_name, handle, language, timezone, opted_out, "
        "unreachable, created_at, updated_at FROM respondents WHERE id = ?"
    ),
    "responses": (
        "SELECT survey_id, kind, status, score, category, comment, comment_status, sentiment, "
        "sentiment_label, flags, language, channel, context, created_at FROM responses "
        "WHERE respondent_id = ? ORDER BY created_at"
    ),
    "invitations": (
        "SELECT survey_id, status, context, created_at, sent_at FROM invitations "
        "WHERE respondent_id = ? ORDER BY created_at"
    ),
    "escalations": (
        "SELECT survey_id, state, opened_at, claimed_at, resolved_at, recovered "
        "FROM escalations WHERE respondent_id = ? ORDER BY opened_at"
    ),
}
MESSAGES_TO_PERSON = (
    "SELECT o.payload, o.created_at FROM outbox o JOIN respondents p ON p.id = ? "
    "WHERE o.platform = p.platform AND o.chat_id = p.chat_id AND o.payload != '{}' ORDER BY o.id"
)


async def personal_data(conn: Connection, respondent_id: int) -> dict[str, Any]:
    """Everything stored about one person, for /mydata."""
    out: dict[str, Any] = {}
    for name, sql in PERSONAL_DATA.items():
        out[name] = [dict(r) for r in await conn.execute_fetchall(sql, (respondent_id,))]
    rows = await conn.execute_fetchall(MESSAGES_TO_PERSON, (respondent_id,))
    out["messages_to_you"] = [{"text": json.loads(r[0])["text"], "created_at": r[1]} for r in rows]
    return out


UNDELIVERED_ALERTS = (
    "SELECT COUNT(*) FROM escalations e WHERE e.opened_at >= ? AND e.state != 'resolved' "
    "AND EXISTS (SELECT 1 FROM outbox o WHERE o.ref_key >= 'alert:' || e.id || ':' "
    "AND o.ref_key < 'alert:' || e.id || ';' AND o.status = 'dead') "
    "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ref_key >= 'alert:' || e.id || ':' "
    "AND o.ref_key < 'alert:' || e.id || ';' AND o.status IN ('sent', 'pending'))"
)
MESSAGE_ID_FOR = (
    "SELECT chat_id, message_id FROM outbox WHERE ref_key = ? AND status = 'sent' "
    "AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1"
)
INBOX_ADD = "INSERT OR IGNORE INTO inbox (platform, update_key, chat_id, payload, received_at) VALUES (?, ?, ?, ?, ?)"
INBOX_EXPIRE = "DELETE FROM inbox WHERE received_at < ?"
INBOX_RECENT = "SELECT payload FROM inbox WHERE platform = ? AND received_at >= ? ORDER BY received_at, update_key"


def hold_inbox(tx: Statements, platform: str, items: Sequence[tuple[str, str | None, str]], now: float) -> None:
    """Keep raw updates (key, chat id, payload) before the platform is told they arrived.
    Rows older than ten minutes were handled long ago and go as new ones come; a replay after
    a crash happens before anything new is added."""
    tx._hold(INBOX_ADD, [(platform, key, chat, payload, now) for key, chat, payload in items], many=True)
    tx._hold(INBOX_EXPIRE, (now - INBOX_KEEP,))


def hold_dead(tx: Statements, row: OutboxRow, error: str, unreachable: bool) -> None:
    """A message that cannot be delivered; with ``unreachable``, the person is marked and
    nothing else queued for them is tried (a person who blocked us can receive nothing).
    Fenced, as every status write is: only a row still pending or being sent changes."""
    tx._hold(
        "UPDATE outbox SET status = 'dead', error = ?, attempts = attempts + 1 "
        "WHERE id = ? AND status IN ('sending', 'pending')",
        (error[:500], row.id),
    )
    if unreachable:
        tx._hold(
            "UPDATE respondents SET unreachable = 1 WHERE platform = ? AND chat_id = ?",
            (row.platform, row.chat_id),
        )
        tx._hold(
            "UPDATE outbox SET status = 'dead', error = 'recipient unreachable' "
            "WHERE status IN ('pending', 'sending') AND platform = ? AND chat_id = ?",
            (row.platform, row.chat_id),
        )


def responses_query(since: float | None, until: float | None, survey_id: str | None) -> tuple[str, list[Any]]:
    """Every response in a time window with its respondent, oldest first (for export)."""
    sql = [
        "SELECT r.*, p.platform AS r_platform, p.user_id AS r_user_id, p.display_name AS r_name,"
        " p.handle AS r_handle FROM responses r LEFT JOIN respondents p ON p.id = r.respondent_id WHERE 1=1"
    ]
    params: list[Any] = []
    if since is not None:
        sql.append("AND r.created_at >= ?")
        params.append(since)
    if until is not None:
        sql.append("AND r.created_at < ?")
        params.append(until)
    if survey_id is not None:
        sql.append("AND r.survey_id = ?")
        params.append(survey_id)
    sql.append("ORDER BY r.created_at, r.id")
    return " ".join(sql), params
