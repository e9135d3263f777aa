"""Scoring comments after the commit, off the survey turn.

A survey turn stores a comment with sentiment ``pending`` and commits; the person's
"thank you" goes out at once. This worker then reads pending comments in batches, scores
them on a worker thread (batched inference; the model never runs on the event loop or on
SQLite's thread), and writes each score back in one transaction per batch together with
the sentiment rules' outcome: the "negative comment" or "hidden detractor" alert is opened,
or the score's alert (a low score) is refreshed to show the comment's sentiment.

Pending rows live in the database, so a restart picks up exactly where scoring stopped;
a batch whose write fails is read again on the next round (nothing lost), and a row is
written only while still pending (nothing doubled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.analysis.meaning_index import MeaningIndex
from bot.services.escalations import EscalationDesk
from storage import sentiment as sql
from storage.port import Store
from storage.records import MAX_COMMENT_CHARS
from surveys.engine import Escalation, judge_comment
from surveys.kinds import SurveyDefinition
from surveys.sentiment import CommentScorer, Scored

log = logging.getLogger(__name__)

BATCH = 64
RETRY_AFTER = 5.0  # seconds before a failed batch is tried again
# Pacing: scoring waits until commits pause for QUIET seconds, but never lets the oldest
# waiting comment wait more than MAX_DELAY seconds. Why: the model costs 8-19 ms of CPU a
# comment in a batch (150 ms alone), ten times a survey turn; scored while a burst of turns
# runs, it competed with them for the machine's cores (turns ran at 0.67-0.77 of their speed).
# Waiting for the pause moves that work after the burst and makes the batches large.
QUIET = 0.5
MAX_DELAY = 5.0


@runtime_checkable
class EmbeddingScorer(Protocol):
    """A :class:`CommentScorer` that also hands back each scored text's embedding."""

    def score_and_embed(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> tuple[list[Scored], dict[int, Any]]: ...


@dataclass
class ScoringStats:
    scored: int = 0
    batches: int = 0
    failures: int = 0


class ScoringWorker:
    def __init__(
        self,
        store: Store,
        scorer: CommentScorer,
        surveys: dict[str, SurveyDefinition],
        desk: EscalationDesk,
        *,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[], None] = lambda: None,
        on_scored: Callable[[Sequence[sql.CommentRow], Sequence[int]], None] | None = None,
        batch: int = BATCH,
        meaning: MeaningIndex | None = None,
        quiet: float = QUIET,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.surveys = surveys
        self.desk = desk
        self.clock = clock
        self.on_commit = on_commit
        self.on_scored = on_scored
        self.batch = batch
        self.quiet = quiet
        self.max_delay = max_delay
        self.meaning = meaning  # keeps the embeddings the model computes anyway, for digests
        self.stats = ScoringStats()
        self._wake = asyncio.Event()
        self._stopping = False
        self._stopped = asyncio.Event()

    def wake(self) -> None:
        """Called after every commit that may have stored a comment."""
        self._wake.set()

    async def run(self) -> None:
        self._wake.set()  # whatever was pending before a restart
        while not self._stopping:
            await self._wake.wait()
            await self._pause_in_turns()
            self._wake.clear()
            try:
                while await self.score_once() >= self.batch:
                    pass  # a full batch: more may be waiting
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.failures += 1
                log.exception("scoring comments failed; trying again in %.0f s", RETRY_AFTER)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), RETRY_AFTER)
                self._wake.set()

    async def _pause_in_turns(self) -> None:
        """Return once no commit has woken the worker for ``quiet`` seconds, or ``max_delay``
        seconds after the first wake, or when stopping."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_delay
        while not self._stopping:
            self._wake.clear()
            remaining = deadline - loop.time()
            if remaining <= 0 or self.quiet <= 0:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), min(self.quiet, remaining))
            except TimeoutError:
                return  # a pause in the turns

    def stop(self) -> None:
        self._stopping = True
        self._stopped.set()
        self._wake.set()

    async def drain(self) -> int:
        """Score everything pending now (tests, the CLI): the number of comments scored."""
        total = 0
        while True:
            count = await self.score_once()
            if not count:
                return total
            total += count

    async def score_once(self) -> int:
        """One batch: read, score on a thread, write back with the alerts. Returns how many
        comments it scored (0 when nothing is pending)."""
        async with self.store.reading() as conn:
            rows = await sql.pending_comments(conn, self.batch)
        if not rows:
            return 0
        texts, hints = [r.comment for r in rows], [r.language for r in rows]
        if self.meaning is not None and isinstance(self.scorer, EmbeddingScorer):
            scores, vectors = await asyncio.to_thread(self.scorer.score_and_embed, texts, hints)
            # keyed as the digest reads comments (their first MAX_COMMENT_CHARS characters)
            self.meaning.remember([texts[i][:MAX_COMMENT_CHARS] for i in vectors], list(vectors.values()))
        else:
            scores = await asyncio.to_thread(self.scorer.score_many, texts, hints)
        written = await self._write(rows, scores)
        self.stats.scored += len(written)
        self.stats.batches += 1
        if self.on_scored is not None:  # benchmarks: commit-to-score latency
            self.on_scored(rows, written)
        return len(rows)

    async def _write(self, rows: Sequence[sql.CommentRow], scores: Sequence[Scored]) -> list[int]:
        now = self.clock()
        writes: list[sql.ScoreWrite] = []
        decisions: dict[int, tuple[sql.CommentRow, tuple[str, ...]]] = {}
        for row, scored in zip(rows, scores, strict=True):
            survey = self.surveys.get(row.survey_id)
            flags: tuple[str, ...] = ()
            rules: tuple[str, ...] = ()
            if survey is not None and row.score is not None:
                flags, rules = judge_comment(survey, row.score, scored.compound)
            writes.append(sql.ScoreWrite(row.id, scored.compound, scored.label, scored.language, scored.scorer, flags))
            decisions[row.id] = (row, rules)
        async with self.store.transaction() as tx:
            written = await sql.record_scores(await tx.connection(), writes, now, only_pending=True)
            alerted = False
            for response_id in written:
                row, rules = decisions[response_id]
                if row.respondent_id is None:
                    continue  # imported or erased: nobody to follow up with
                await self.desk.on_response(
                    tx, Escalation(rules, update_only=not rules), response_id, row.respondent_id, row.survey_id, now
                )
                alerted = True
        if alerted:
            self.on_commit()
        return written
