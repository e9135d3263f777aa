"""Windowed report queries for digests: only SQL lives here.

Every query reads one survey's rows inside a time window ``[start, end)`` through an index
(``responses (survey_id, created_at, status, score)``, ``escalations (survey_id, opened_at)``,
``sessions (survey_id, started_at)``), so the cost of a digest follows the size of the window,
never the size of the history.

``Reports`` wraps a connection: use :func:`reading` for a read-only view under the store's lock,
or ``Reports(tx.conn)`` inside a transaction that is already open (the ``/digest`` command runs
inside the event's transaction, which holds the lock).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from storage.sqlite import Store
from surveys.digest import ChannelRate, Comment, EscalationFacts

MAX_COMMENT_CHARS = 600  # what is read of a comment for quotes and themes


@asynccontextmanager
async def reading(store: Store) -> AsyncIterator[Reports]:
    """Report queries under the store's lock (so they never interleave with a transaction)."""
    async with store.reading() as conn:
        yield Reports(conn)


class Reports:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    # -- responses -------------------------------------------------------------------

    async def score_counts(self, survey_id: str, windows: Sequence[tuple[float, float]]) -> list[dict[int, int]]:
        """Answered responses by score in each window, in one statement: one index range per
        window (a covering index, the table itself is not read)."""
        if not windows:
            return []
        arms = []
        params: list[Any] = []
        for i, (start, end) in enumerate(windows):
            arms.append(
                f"SELECT {int(i)} AS w, score, COUNT(*) AS n FROM responses "
                "WHERE survey_id = ? AND created_at >= ? AND created_at < ? "
                "AND status = 'answered' AND score IS NOT NULL GROUP BY score"
            )
            params += [survey_id, start, end]
        counts: list[dict[int, int]] = [{} for _ in windows]
        for w, score, n in await self._all(" UNION ALL ".join(arms), params):
            counts[int(w)][int(score)] = int(n)
        return counts

    def _window(self) -> str:
        return "survey_id = ? AND created_at >= ? AND created_at < ? AND status = 'answered'"

    async def sentiment_counts(self, survey_id: str, start: float, end: float) -> dict[str, int]:
        """Comments given in the window, by sentiment label (positive/neutral/negative/unscored)."""
        rows = await self._all(
            f"SELECT sentiment_label, COUNT(*) FROM responses WHERE {self._window()} "
            "AND comment_status = 'given' GROUP BY sentiment_label",
            (survey_id, start, end),
        )
        return {str(label): int(n) for label, n in rows}

    async def extreme_comments(
        self, survey_id: str, start: float, end: float, negative: int = 3, positive: int = 2
    ) -> tuple[list[Comment], list[Comment]]:
        """The most negative and most positive scored comments of the window (by VADER
        compound; ties: newest first). Unscored comments (other languages) are not ranked."""
        found: list[list[Comment]] = []
        for label, order, limit in (("negative", "ASC", negative), ("positive", "DESC", positive)):
            rows = await self._all(
                f"SELECT substr(comment, 1, ?), score, sentiment FROM responses WHERE {self._window()} "
                f"AND comment_status = 'given' AND sentiment_label = ? AND sentiment IS NOT NULL "
                f"ORDER BY sentiment {order}, created_at DESC LIMIT ?",
                (MAX_COMMENT_CHARS, survey_id, start, end, label, limit),
            )
            found.append([Comment(str(text), score, float(s)) for text, score, s in rows if text])
        return found[0], found[1]

    async def theme_comments(
        self, survey_id: str, start: float, end: float, negative_max_score: int, limit: int
    ) -> list[tuple[str, str]]:
        """The newest ``limit`` negative comments of the window as (text, language): negative
        by sentiment, or by score (at most ``negative_max_score``) so that comments in
        languages VADER cannot score still count."""
        rows = await self._all(
            f"SELECT substr(comment, 1, ?), COALESCE(language, 'en') FROM responses WHERE {self._window()} "
            "AND comment_status = 'given' AND (sentiment_label = 'negative' OR score <= ?) "
            "ORDER BY created_at DESC LIMIT ?",
            (MAX_COMMENT_CHARS, survey_id, start, end, negative_max_score, limit),
        )
        return [(str(text), str(lang)) for text, lang in rows if text]

    # -- escalations and invitations -----------------------------------------------------

    async def escalation_facts(self, survey_id: str, start: float, end: float) -> EscalationFacts:
        """Escalations opened in the window and how far each got (as they stand now)."""
        rows = await self._all(
            "SELECT opened_at, claimed_at, resolved_at, recovered FROM escalations "
            "WHERE survey_id = ? AND opened_at >= ? AND opened_at < ?",
            (survey_id, start, end),
        )
        claim = tuple(float(c) - float(o) for o, c, _r, _x in rows if c is not None)
        resolve = tuple(float(r) - float(o) for o, _c, r, _x in rows if r is not None)
        return EscalationFacts(
            opened=len(rows),
            claimed=len(claim),
            resolved=len(resolve),
            claim_seconds=claim,
            resolve_seconds=resolve,
            recovered=sum(1 for *_, x in rows if x == 1),
            not_recovered=sum(1 for *_, x in rows if x == 0),
        )

    async def invitation_counts(self, survey_id: str, start: float, end: float) -> list[ChannelRate]:
        """Per channel: survey sessions started in the window ("invited") and how many of those
        have an answered response ("responded"), whenever the answer came."""
        rows = await self._all(
            """
            SELECT COALESCE(p.platform, 'unknown') AS channel, COUNT(*), COUNT(r.id)
            FROM sessions s
            LEFT JOIN respondents p ON p.id = s.respondent_id
            LEFT JOIN responses r ON r.session_id = s.id AND r.status = 'answered'
            WHERE s.survey_id = ? AND s.started_at >= ? AND s.started_at < ?
            GROUP BY channel ORDER BY channel
            """,
            (survey_id, start, end),
        )
        return [ChannelRate(str(channel), int(invited), int(responded)) for channel, invited, responded in rows]

    # -- digest runs ---------------------------------------------------------------------

    async def digest_run(self, digest_id: str, period_start: str) -> str | None:
        """The recorded status of a digest for a period, None if it never ran."""
        rows = await self._all(
            "SELECT status FROM digest_runs WHERE digest_id = ? AND period_start = ?", (digest_id, period_start)
        )
        return str(rows[0][0]) if rows else None

    async def record_run(self, digest_id: str, period_start: str, period_end: str, status: str, now: float) -> bool:
        """Record a run; False if this digest already has a run for the period. Call it in the
        transaction that enqueues the digest, so posting and recording commit together."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO digest_runs (digest_id, period_start, period_end, status, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (digest_id, period_start, period_end, status, now),
        )
        inserted = cur.rowcount == 1
        await cur.close()
        return inserted

    async def runs(self, digest_id: str, limit: int = 20) -> list[tuple[str, str, str, float]]:
        """The latest runs of a digest: (period_start, period_end, status, created_at)."""
        rows = await self._all(
            "SELECT period_start, period_end, status, created_at FROM digest_runs WHERE digest_id = ? "
            "ORDER BY created_at DESC LIMIT ?",
            (digest_id, limit),
        )
        return [(str(a), str(b), str(c), float(d)) for a, b, c, d in rows]
