"""``feedbackbot export``: every response with all its fields, or (``--escalations``) every
alert with its audit trail, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import PrivacyConfig
from storage.port import Store
from storage.quality import ESCALATION_EXPORT_FIELDS, escalation_rows
from storage.records import EXPORT_FIELDS


def iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _row(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["created_at"] = iso(values.get("created_at"))
    out["updated_at"] = iso(values.get("updated_at"))
    return out


IDENTITY_FIELDS = ("user_id", "display_name", "handle")


async def export(
    store: Store,
    out: TextIO,
    fmt: str,
    since: float | None,
    until: float | None,
    survey: str | None,
    anonymous: bool = False,
    privacy: PrivacyConfig | None = None,
) -> int:
    """``anonymous`` (the ``[privacy] anonymous`` setting) leaves identities out, and the
    context keys ``privacy`` names as identifying (every context key when it names none)."""
    count = 0
    writer: csv.DictWriter[str] | None = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS), extrasaction="ignore")
        writer.writeheader()
    async for response in store.responses(since, until, survey):
        row = _row(response.values)
        if anonymous:
            row.update(dict.fromkeys(IDENTITY_FIELDS, ""))
            rules = privacy if privacy is not None else PrivacyConfig(anonymous=True)
            row["context"] = rules.visible_context(dict(row.get("context") or {}))
        if writer is not None:
            flat = dict(row)
            flat["flags"] = ";".join(row["flags"])
            flat["context"] = json.dumps(row["context"], ensure_ascii=False) if row["context"] else ""
            writer.writerow(flat)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    out.flush()
    return count


async def export_escalations(
    store: Store,
    out: TextIO,
    fmt: str,
    since: float | None,
    until: float | None,
    survey: str | None,
    route_of: Callable[[str], str] = lambda survey_id: "",
) -> int:
    """``feedbackbot export --escalations``: the audit trail of every alert opened in the
    window: the routes that sent it (``route``; "default" when none matched) and where it
    went (``destinations``; ``route_of`` fills them in for alerts from before routes were
    recorded), its root cause, when it was opened, claimed, first
    answered and resolved, the customer's recovery answer and the linked corrective actions
    (CSV: ``#id title (owner, due, done)`` joined with ``; ``; JSON Lines: a list)."""
    count = 0
    writer: csv.DictWriter[str] | None = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(ESCALATION_EXPORT_FIELDS), extrasaction="ignore")
        writer.writeheader()
    async with store.reading() as conn:
        rows = [row async for row in escalation_rows(conn, since, until, survey)]
    for row in rows:
        row["route"] = row["route"] or "default"
        if not row["destinations"]:
            row["destinations"] = route_of(row["survey_id"])
        for key in ("opened_at", "claimed_at", "first_reply_at", "resolved_at"):
            row[key] = None if row[key] is None else iso(row[key])
        for action in row["actions"]:
            action["done_at"] = None if action["done_at"] is None else iso(action["done_at"])
        if writer is not None:
            flat = dict(row)
            flat["recovered"] = "" if row["recovered"] is None else ("yes" if row["recovered"] else "no")
            flat["actions"] = "; ".join(_action_cell(a) for a in row["actions"])
            writer.writerow(flat)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    out.flush()
    return count


def _action_cell(action: dict[str, Any]) -> str:
    details = [
        action["owner"] or "",
        f"due {action['due']}" if action["due"] else "",
        "done" if action["done_at"] else "open",
    ]
    return f"#{action['id']} {action['title']} ({', '.join(d for d in details if d)})"
