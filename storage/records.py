"""Rows as typed values, so nothing outside storage/ handles sqlite rows or column names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from surveys.digest import Comment
from surveys.model import OutMessage

MAX_COMMENT_CHARS = 600  # what is read of a comment for quotes and themes (and kept by the meaning index)


def subject_of(platform: str, user_id: str) -> str:
    """Whose event a handled event id was (``processed_events.subject``), so erasure finds
    exactly a person's own event ids."""
    return f"{platform}:{user_id}"


@dataclass(frozen=True)
class PersonSeen:
    """Who sent an event, as the platform describes them: what a respondent row is upserted
    from. ``chat_id`` is None when the event came from a group (not their private chat)."""

    platform: str
    user_id: str
    chat_id: str | None
    display_name: str
    handle: str
    language: str | None
    timezone: str | None = None


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
    timezone: str | None = None
    person_key: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Respondent:
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
            timezone=row["timezone"],
            person_key=row["person_key"],
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
    next_attempt_at: float = 0.0

    @classmethod
    def from_row(cls, row: Any) -> OutboxRow:
        return cls(
            id=int(row["id"]),
            platform=row["platform"],
            chat_id=row["chat_id"],
            lane=row["lane"],
            message=OutMessage.from_json(json.loads(row["payload"])),
            attempts=int(row["attempts"]),
            created_at=float(row["created_at"]),
            next_attempt_at=float(row["next_attempt_at"]),
        )


@dataclass(frozen=True)
class Escalation:
    id: int
    response_id: int
    respondent_id: int | None
    survey_id: str
    rules: tuple[str, ...]
    state: str
    claimed_by: str | None
    claimed_by_name: str | None
    resolved_by_name: str | None
    resolution_note: str | None
    opened_at: float
    claimed_at: float | None
    resolved_at: float | None
    reminders: int
    reply_pending_by: str | None
    recovered: bool | None

    @classmethod
    def from_row(cls, row: Any) -> Escalation:
        return cls(
            id=int(row["id"]),
            response_id=int(row["response_id"]),
            respondent_id=row["respondent_id"],
            survey_id=row["survey_id"],
            rules=tuple(r for r in (row["rules"] or "").split(",") if r),
            state=row["state"],
            claimed_by=row["claimed_by"],
            claimed_by_name=row["claimed_by_name"],
            resolved_by_name=row["resolved_by_name"],
            resolution_note=row["resolution_note"],
            opened_at=float(row["opened_at"]),
            claimed_at=row["claimed_at"],
            resolved_at=row["resolved_at"],
            reminders=int(row["reminders"]),
            reply_pending_by=row["reply_pending_by"],
            recovered=None if row["recovered"] is None else bool(row["recovered"]),
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
    def from_row(cls, row: Any) -> ResponseRow:
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


@dataclass(frozen=True)
class CommentFacts:
    """A window's comments as a digest shows them (see ``Reports.comment_facts``)."""

    sentiment: dict[str, int]  # comments by sentiment label
    negative: list[Comment]  # most negative first
    positive: list[Comment]  # most positive first
    themes: list[tuple[str, str]]  # (text, language) of the newest negative comments
