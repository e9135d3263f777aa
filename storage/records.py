"""Rows as typed values, so nothing outside storage/ handles sqlite rows or column names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surveys.model import OutMessage


@dataclass(frozen=True)
class Respondent:
    id: int
    platform: str
    user_id: str
    chat_id: str | None
    display_name: str
    handle: str
    language: str | None
    opted_out: bool
    unreachable: bool

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Respondent:
        return cls(
            id=int(row["id"]),
            platform=row["platform"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            display_name=row["display_name"],
            handle=row["handle"],
            language=row["language"],
            opted_out=bool(row["opted_out"]),
            unreachable=bool(row["unreachable"]),
        )


@dataclass(frozen=True)
class OutboxRow:
    id: int
    platform: str
    chat_id: str
    lane: str
    message: OutMessage
    attempts: int
    created_at: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OutboxRow:
        return cls(
            id=int(row["id"]),
            platform=row["platform"],
            chat_id=row["chat_id"],
            lane=row["lane"],
            message=OutMessage.from_json(json.loads(row["payload"])),
            attempts=int(row["attempts"]),
            created_at=float(row["created_at"]),
        )


EXPORT_FIELDS: tuple[str, ...] = (
    "id",
    "survey_id",
    "kind",
    "status",
    "score",
    "category",
    "comment",
    "comment_truncated",
    "comment_status",
    "sentiment",
    "sentiment_label",
    "flags",
    "language",
    "channel",
    "platform",
    "user_id",
    "display_name",
    "handle",
    "context",
    "source",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class ResponseRow:
    """A response joined with who gave it: what exports and digests read."""

    values: dict[str, Any]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ResponseRow:
        keys = row.keys() if hasattr(row, "keys") else []
        raw = {k: row[k] for k in keys}
        values = {
            **{k: raw.get(k) for k in EXPORT_FIELDS},
            "platform": raw.get("r_platform"),
            "user_id": raw.get("r_user_id"),
            "display_name": raw.get("r_name"),
            "handle": raw.get("r_handle"),
            "comment_truncated": bool(raw.get("comment_truncated")),
            "context": json.loads(raw.get("context") or "{}"),
            "flags": [f for f in (raw.get("flags") or "").split(",") if f],
        }
        return cls(values)
