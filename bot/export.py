"""``feedbackbot export``: every response with all its fields, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import PrivacyConfig
from storage.records import EXPORT_FIELDS
from storage.sqlite import Store


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
