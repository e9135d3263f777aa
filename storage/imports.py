"""SQL for importing historical responses (``feedbackbot import``).

Imported rows are ordinary answered responses with ``source = 'import'`` and no session or
respondent; ``import_key`` (UNIQUE) makes importing the same row twice a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.port.connection import Connection

_CHUNK = 500


@dataclass(frozen=True)
class ImportedResponse:
    import_key: str
    survey_id: str
    kind: str
    score: int
    category: str
    comment: str | None
    comment_truncated: bool
    sentiment: float | None
    sentiment_label: str
    flags: str
    language: str
    channel: str
    context: str  # JSON
    created_at: float


async def existing_import_keys(conn: Connection, keys: Iterable[str]) -> set[str]:
    """Which of these import keys are already in the database."""
    found: set[str] = set()
    pending = list(keys)
    for i in range(0, len(pending), _CHUNK):
        chunk = pending[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(f"SELECT import_key FROM responses WHERE import_key IN ({marks})", chunk) as cur:
            found.update(str(row[0]) for row in await cur.fetchall())
    return found


async def insert_imported(conn: Connection, rows: Sequence[ImportedResponse], now: float) -> int:
    """Insert the rows (inside the caller's transaction); rows whose key exists are skipped.
    Returns how many were inserted."""
    if not rows:
        return 0
    cur = await conn.executemany(
        """
        INSERT OR IGNORE INTO responses (survey_id, kind, status, score, category, comment, comment_truncated,
            comment_status, sentiment, sentiment_label, flags, language, channel, context, source, import_key,
            created_at, updated_at)
        VALUES (?, ?, 'answered', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, ?, ?)
        """,
        [
            (
                r.survey_id,
                r.kind,
                r.score,
                r.category,
                r.comment,
                int(r.comment_truncated),
                "given" if r.comment else "skipped",
                r.sentiment,
                r.sentiment_label,
                r.flags,
                r.language,
                r.channel,
                r.context,
                r.import_key,
                r.created_at,
                now,
            )
            for r in rows
        ],
    )
    inserted = cur.rowcount
    await cur.close()
    return max(0, inserted)
