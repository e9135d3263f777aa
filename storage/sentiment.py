"""SQL for scoring comments after the commit (the scoring worker) and for ``feedbackbot rescore``.

The survey turn stores a comment with ``sentiment_label = 'pending'``; the worker reads
pending rows in id order, scores them in a batch and writes each score back with
:func:`record_scores`, inside the transaction that also opens or refreshes the alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.port.connection import Connection

PENDING = "pending"


@dataclass(frozen=True)
class CommentRow:
    """A comment to score, with what the sentiment rules need to judge it."""

    id: int
    comment: str
    language: str | None  # the person's locale when they answered: a hint for short texts
    survey_id: str
    kind: str
    score: int | None
    respondent_id: int | None
    flags: tuple[str, ...]
    label: str = PENDING
    updated_at: float = 0.0  # for a pending comment: when its turn committed


@dataclass(frozen=True)
class ScoreWrite:
    response_id: int
    sentiment: float | None
    label: str
    comment_language: str | None
    scorer: str
    flags: tuple[str, ...]


_COLUMNS = "id, comment, language, survey_id, kind, score, respondent_id, flags, sentiment_label, updated_at"


def _row(row: Any) -> CommentRow:
    return CommentRow(
        id=int(row["id"]),
        comment=str(row["comment"] or ""),
        language=row["language"],
        survey_id=str(row["survey_id"]),
        kind=str(row["kind"]),
        score=row["score"],
        respondent_id=row["respondent_id"],
        flags=tuple(f for f in str(row["flags"] or "").split(",") if f),
        label=str(row["sentiment_label"]),
        updated_at=float(row["updated_at"]),
    )


async def pending_comments(conn: Connection, limit: int) -> list[CommentRow]:
    """The oldest comments still waiting for a score (the partial index keeps this cheap)."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses WHERE sentiment_label = ? ORDER BY id LIMIT ?", (PENDING, limit)
    ) as cur:
        return [_row(r) for r in await cur.fetchall()]


async def comments_since(conn: Connection, since: float, after_id: int, limit: int) -> list[CommentRow]:
    """Given comments created at or after ``since``, in id order after ``after_id`` (rescore).
    Pending comments are left to the scoring worker, which also runs their alert rules."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses WHERE id > ? AND created_at >= ? AND comment IS NOT NULL "
        "AND comment != '' AND sentiment_label != ? ORDER BY id LIMIT ?",
        (after_id, since, PENDING, limit),
    ) as cur:
        return [_row(r) for r in await cur.fetchall()]


async def record_scores(conn: Connection, writes: Sequence[ScoreWrite], now: float, *, only_pending: bool) -> list[int]:
    """Write scores back; returns the ids actually written. ``only_pending``: leave a row
    alone if something else (a rescore, an erasure) already changed it."""
    written: list[int] = []
    guard = " AND sentiment_label = 'pending'" if only_pending else ""
    for w in writes:
        cur = await conn.execute(
            "UPDATE responses SET sentiment = ?, sentiment_label = ?, comment_language = ?, sentiment_scorer = ?, "
            f"flags = ?, updated_at = ? WHERE id = ? AND comment IS NOT NULL{guard}",
            (w.sentiment, w.label, w.comment_language, w.scorer, ",".join(w.flags), now, w.response_id),
        )
        if cur.rowcount:
            written.append(w.response_id)
        await cur.close()
    return written


async def count_pending(conn: Connection) -> int:
    async with conn.execute("SELECT count(*) FROM responses WHERE sentiment_label = ?", (PENDING,)) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0
