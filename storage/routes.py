"""SQL for routing rules (issue 19): the route an alert took, and alerts held for their comment.

Every function takes the open connection (``await tx.connection()`` inside the event's or
the reminder job's transaction), like :mod:`storage.quality`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from storage.port.connection import Connection


async def set_route(
    conn: Connection,
    escalation_id: int,
    names: Sequence[str],
    why: Sequence[tuple[str, Sequence[tuple[str, str]]]],
    destinations: Sequence[str],
    now: float,
) -> None:
    """Record where an alert went and why; ``routed_at`` set means it is no longer held."""
    await conn.execute(
        "UPDATE escalations SET route = ?, route_why = ?, route_destinations = ?, routed_at = ? WHERE id = ?",
        (
            ", ".join(names),
            json.dumps([[name, [list(r) for r in reasons]] for name, reasons in why], ensure_ascii=False),
            ", ".join(destinations),
            now,
            escalation_id,
        ),
    )


async def held_alerts(conn: Connection, opened_before: float) -> list[int]:
    """Alerts still waiting for their comment that opened before ``opened_before`` (the
    partial index ``escalations_held`` holds only those)."""
    async with conn.execute(
        "SELECT id FROM escalations WHERE routed_at IS NULL AND opened_at < ? ORDER BY id", (opened_before,)
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


def route_why(raw: object) -> list[tuple[str, list[tuple[str, str]]]]:
    """``escalations.route_why`` read back (empty for alerts routed before it existed)."""
    if not raw:
        return []
    try:
        data = json.loads(str(raw))
    except ValueError:
        return []
    return [(str(name), [(str(w), str(v)) for w, v in reasons]) for name, reasons in data]


async def route_destinations(conn: Connection, escalation_id: int) -> list[str]:
    """The destinations an alert's route recorded (empty before it was routed)."""
    async with conn.execute("SELECT route_destinations FROM escalations WHERE id = ?", (escalation_id,)) as cur:
        row = await cur.fetchone()
    return [d for d in str(row[0] or "").split(", ") if d] if row else []
