"""SQL for root causes and corrective actions (issue 19): the cause stored with an alert,
actions and their links to alerts, the cause report's rows and the escalation export.

Every function takes the open connection: ``await tx.connection()`` inside the event's
transaction (staff commands, reminders), or a read-only one from ``store.reading()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from storage.port.connection import Connection
from surveys.causes import OpenAction


@dataclass(frozen=True)
class ActionRow:
    id: int
    title: str
    owner: str
    due: date | None
    platform: str
    chat_id: str
    done_at: float | None
    reminded_on: date | None
    alert_ids: tuple[int, ...]
    owner_id: str = ""  # the owner's member id on ``platform`` (Slack), for the reminder's mention

    def as_open(self) -> OpenAction:
        return OpenAction(self.id, self.title, self.owner, self.due, self.alert_ids)


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


async def set_cause(conn: Connection, escalation_id: int, cause: str) -> None:
    await conn.execute("UPDATE escalations SET cause = ? WHERE id = ?", (cause, escalation_id))


async def cause_of(conn: Connection, escalation_id: int) -> str | None:
    async with conn.execute("SELECT cause FROM escalations WHERE id = ?", (escalation_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None or row[0] is None else str(row[0])


async def existing_alerts(conn: Connection, ids: Sequence[int]) -> set[int]:
    marks = ",".join("?" * len(ids))
    async with conn.execute(f"SELECT id FROM escalations WHERE id IN ({marks})", tuple(ids)) as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def create_action(
    conn: Connection,
    *,
    title: str,
    owner: str,
    due: date | None,
    platform: str,
    chat_id: str,
    created_by_name: str,
    alert_ids: Sequence[int],
    now: float,
    owner_id: str = "",
) -> int:
    cur = await conn.execute(
        "INSERT INTO actions (title, owner, due, platform, chat_id, created_by_name, created_at, owner_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (title, owner, due.isoformat() if due else None, platform, chat_id, created_by_name, now, owner_id),
    )
    action_id = int(cur.lastrowid or 0)
    await conn.executemany(
        "INSERT OR IGNORE INTO action_alerts (action_id, escalation_id) VALUES (?, ?)",
        [(action_id, i) for i in alert_ids],
    )
    return action_id


async def _links(conn: Connection, action_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    if not action_ids:
        return {}
    marks = ",".join("?" * len(action_ids))
    async with conn.execute(
        f"SELECT action_id, escalation_id FROM action_alerts WHERE action_id IN ({marks}) "
        "ORDER BY action_id, escalation_id",
        tuple(action_ids),
    ) as cur:
        rows = await cur.fetchall()
    out: dict[int, list[int]] = {}
    for a, e in rows:
        out.setdefault(int(a), []).append(int(e))
    return {k: tuple(v) for k, v in out.items()}


async def _actions(conn: Connection, where: str, params: tuple[Any, ...] = ()) -> list[ActionRow]:
    async with conn.execute(f"SELECT * FROM actions WHERE {where} ORDER BY id", params) as cur:
        rows = await cur.fetchall()
    links = await _links(conn, [int(r["id"]) for r in rows])
    return [
        ActionRow(
            id=int(r["id"]),
            title=str(r["title"]),
            owner=str(r["owner"] or ""),
            due=_day(r["due"]),
            platform=str(r["platform"]),
            chat_id=str(r["chat_id"]),
            done_at=r["done_at"],
            reminded_on=_day(r["reminded_on"]),
            alert_ids=links.get(int(r["id"]), ()),
            owner_id=str(r["owner_id"] or ""),
        )
        for r in rows
    ]


async def action(conn: Connection, action_id: int) -> ActionRow | None:
    found = await _actions(conn, "id = ?", (action_id,))
    return found[0] if found else None


async def open_actions(conn: Connection) -> list[ActionRow]:
    return await _actions(conn, "done_at IS NULL")


async def actions_due_by(conn: Connection, today: date) -> list[ActionRow]:
    """Open actions due today or earlier: the candidates for a reminder."""
    return await _actions(conn, "done_at IS NULL AND due IS NOT NULL AND due <= ?", (today.isoformat(),))


async def close_action(conn: Connection, action_id: int, by: str, now: float) -> bool:
    cur = await conn.execute(
        "UPDATE actions SET done_at = ?, done_by_name = ? WHERE id = ? AND done_at IS NULL", (now, by, action_id)
    )
    return cur.rowcount == 1


async def mark_reminded(conn: Connection, action_id: int, today: date) -> None:
    await conn.execute("UPDATE actions SET reminded_on = ? WHERE id = ?", (today.isoformat(), action_id))


async def actions_of_alert(conn: Connection, escalation_id: int) -> list[tuple[int, bool]]:
    """(action id, done) of the actions linked to one alert, for the alert's own line."""
    async with conn.execute(
        "SELECT a.id, a.done_at IS NOT NULL FROM action_alerts l JOIN actions a ON a.id = l.action_id "
        "WHERE l.escalation_id = ? ORDER BY a.id",
        (escalation_id,),
    ) as cur:
        return [(int(r[0]), bool(r[1])) for r in await cur.fetchall()]


ESCALATION_EXPORT_FIELDS = (
    "alert",
    "survey_id",
    "route",
    "destinations",
    "state",
    "rules",
    "score",
    "category",
    "cause",
    "opened_at",
    "claimed_at",
    "first_reply_at",
    "resolved_at",
    "claimed_by",
    "resolved_by",
    "recovered",
    "actions",
)


async def escalation_rows(
    conn: Connection, since: float | None, until: float | None, survey: str | None
) -> AsyncIterator[dict[str, Any]]:
    """Every alert opened in the window with its linked actions (the audit trail)."""
    sql = (
        "SELECT e.id, e.survey_id, e.state, e.rules, r.score, r.category, e.cause, e.opened_at, e.claimed_at, "
        "e.first_reply_at, e.resolved_at, e.claimed_by_name, e.resolved_by_name, e.recovered, "
        "e.route, e.route_destinations "
        "FROM escalations e JOIN responses r ON r.id = e.response_id WHERE 1 = 1"
    )
    params: list[Any] = []
    if since is not None:
        sql += " AND e.opened_at >= ?"
        params.append(since)
    if until is not None:
        sql += " AND e.opened_at < ?"
        params.append(until)
    if survey:
        sql += " AND e.survey_id = ?"
        params.append(survey)
    async with conn.execute(sql + " ORDER BY e.id", params) as cur:
        rows = await cur.fetchall()
    for r in rows:
        async with conn.execute(
            "SELECT a.id, a.title, a.owner, a.due, a.done_at FROM action_alerts l JOIN actions a "
            "ON a.id = l.action_id WHERE l.escalation_id = ? ORDER BY a.id",
            (r[0],),
        ) as cur:
            linked = [
                {"id": int(a[0]), "title": a[1], "owner": a[2], "due": a[3], "done_at": a[4]}
                for a in await cur.fetchall()
            ]
        yield {
            "alert": int(r[0]),
            "survey_id": r[1],
            "state": r[2],
            "rules": r[3],
            "score": r[4],
            "category": r[5],
            "cause": r[6],
            "opened_at": r[7],
            "claimed_at": r[8],
            "first_reply_at": r[9],
            "resolved_at": r[10],
            "claimed_by": r[11],
            "resolved_by": r[12],
            "recovered": None if r[13] is None else bool(r[13]),
            "route": r[14],
            "destinations": r[15],
            "actions": linked,
        }
