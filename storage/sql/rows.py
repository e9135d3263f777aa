"""Small pieces both backends' statements are built from: how a session row becomes a
:class:`Session`, a person's fields, event subjects and alert ref-key ranges."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage.records import PersonSeen, subject_of
from surveys.engine import Session, Stage

__all__ = [
    "CLAIM_SQL",
    "UPSERT_RESPONDENT",
    "alert_range",
    "carries",
    "person_fields",
    "respondent_upsert",
    "session_from_row",
    "subject_of",
]

CLAIM_SQL = (
    "INSERT INTO processed_events (event_id, processed_at, subject) VALUES (?, ?, ?) "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)

# A person as a platform describes them, upserted. The existing row's columns are named by
# table: PostgreSQL finds a bare ``chat_id`` ambiguous beside ``excluded.chat_id``.
UPSERT_RESPONDENT = """
    INSERT INTO respondents (platform, user_id, chat_id, display_name, handle, language, timezone,
                             created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, user_id) DO UPDATE SET
        chat_id = COALESCE(excluded.chat_id, respondents.chat_id),
        display_name = CASE WHEN excluded.display_name != '' THEN excluded.display_name
                            ELSE respondents.display_name END,
        handle = CASE WHEN excluded.handle != '' THEN excluded.handle ELSE respondents.handle END,
        language = COALESCE(excluded.language, respondents.language),
        timezone = COALESCE(excluded.timezone, respondents.timezone),
        unreachable = CASE WHEN excluded.chat_id IS NOT NULL THEN 0 ELSE respondents.unreachable END,
        updated_at = excluded.updated_at
    RETURNING *
"""


def alert_range(escalation_id: int) -> tuple[str, str]:
    """Bounds of the ref keys of one alert's copies (``alert:<id>:...``), for the ref index."""
    return f"alert:{escalation_id}:", f"alert:{escalation_id};"


def person_fields(seen: PersonSeen) -> tuple[Any, ...]:
    return (
        seen.platform,
        seen.user_id,
        seen.chat_id,
        seen.display_name[:200],
        seen.handle[:200],
        seen.language,
        seen.timezone,
    )


def respondent_upsert(seen: PersonSeen, now: float) -> tuple[str, tuple[Any, ...]]:
    return UPSERT_RESPONDENT, (*person_fields(seen), now, now)


def session_from_row(row: Any) -> Session:
    """A session from its row (a driver's row, or a dict decoded from JSON)."""
    return Session(
        id=int(row["id"]),
        survey_id=row["survey_id"],
        stage=Stage(row["stage"]),
        language=row["language"],
        nonce=row["nonce"],
        score=row["score"],
        attempts=int(row["attempts"]),
        context=json.loads(row["context"] or "{}"),
        escalated=bool(row["escalated"]),
        started_at=float(row["started_at"]),
        expires_at=float(row["expires_at"]),
    )


def carries(value: Any, messages: set[tuple[str, str]], texts: Sequence[str]) -> bool:
    """Whether a stored update (decoded JSON) quotes one of these messages (chat id, message
    id), as a staff press or reply on an alert does, or contains one of these texts."""
    if isinstance(value, dict):
        chat = value.get("chat")
        if isinstance(chat, dict) and (str(chat.get("id")), str(value.get("message_id"))) in messages:
            return True
        return any(carries(v, messages, texts) for v in value.values())
    if isinstance(value, list):
        return any(carries(v, messages, texts) for v in value)
    if isinstance(value, str):
        return any(t in value for t in texts)
    return False
