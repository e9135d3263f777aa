"""The report queries digests, agent reports and trend alerts read, as a protocol.

A unit of work hands them out for its own transaction (``await tx.reports()``: what they record
commits with the rest), and a store for a read of its own (``async with store.reports()``).
``storage/reports.py`` implements them once, in SQL both backends run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from storage.port.connection import Connection
from storage.records import CommentFacts
from surveys.causes import Resolved, Tally
from surveys.digest import ChannelRate, Comment, EscalationFacts


class Reports(Protocol):
    """Windowed, index-backed report queries, and the records of what was posted."""

    @property
    def conn(self) -> Connection:
        """The connection they read through (the cause report reads through it too)."""

    async def score_counts(
        self, survey_id: str, scores: Sequence[int], windows: Sequence[tuple[float, float]]
    ) -> list[dict[int, int]]:
        """Answered responses by score in each window, in one statement: the whole UTC weeks of a
        window from ``response_weeks`` and its other whole days from ``response_days`` (short
        ranges, see :func:`week_split`), the parts of its edge days from the covering index
        ``responses (survey_id, created_at, status, score, ...)`` (see :func:`day_split`)."""

    async def segment_counts(
        self, survey_id: str, key: str, windows: Sequence[tuple[float, float]], scores: Sequence[int] = ()
    ) -> list[dict[str, dict[int, int]]]:
        """Answered responses by segment value and score in each window (see :meth:`segments`)."""

    async def segments(
        self,
        survey_id: str,
        keys: Sequence[str],
        windows: Sequence[tuple[float, float]],
        scores: Sequence[int] = (),
    ) -> dict[str, list[dict[str, dict[int, int]]]]:
        """For each key, answered responses by segment value and score in each window, in one
        statement."""

    async def segment_comments(
        self, survey_id: str, key: str, value: str, start: float, end: float, limit: int
    ) -> list[Comment]:
        """The newest comments of the responses whose context has ``key = value`` (one agent's own
        comments), through the segment index: never another value's comments."""

    async def comment_facts(
        self,
        survey_id: str,
        start: float,
        end: float,
        *,
        negative_max_score: int,
        negatives: int = 3,
        positives: int = 2,
        theme_limit: int = 200,
    ) -> CommentFacts:
        """The window's comments in three statements, none of which hands over a row per comment: the
        sentiment mix grouped by the database, the ids of the quote candidates and of the theme
        sample picked by it (ordered and limited through the covering index ``responses_comments``),
        then the text of just those rows by id."""

    async def escalation_facts(self, survey_id: str, start: float, end: float) -> EscalationFacts:
        """Escalations opened in the window and how far each got (as they stand now)."""

    async def invitation_counts(self, survey_id: str, start: float, end: float) -> list[ChannelRate]:
        """Per channel: invitations delivered in the window ("invited", read through ``invitations
        (survey_id, sent_at)``) and how many of their sessions got a score ("responded"), whenever
        the answer came."""

    async def self_started(self, survey_id: str, start: float, end: float) -> tuple[int, int]:
        """Survey sessions started in the window that no invitation started (``/feedback``, a deep
        link, a button): how many, and how many got a score."""

    async def resolved(
        self, current: tuple[float, float], previous: tuple[float, float], surveys: Sequence[str] = ()
    ) -> tuple[Resolved, Resolved]:
        """The alerts resolved in ``current`` and in ``previous`` (in that order) as the cause report
        needs them: :meth:`resolved_tallies` of both, :meth:`resolve_medians` of ``current``."""

    async def resolved_tallies(
        self, current: tuple[float, float], previous: tuple[float, float], surveys: Sequence[str] = ()
    ) -> tuple[list[Tally], list[Tally]]:
        """Counts and customers' answers per cause and route of the alerts resolved in ``current`` and
        in ``previous`` (in that order), grouped by the database in one statement through the
        covering index ``escalations_resolved_causes (survey_id, resolved_at, ...)`` (migration
        0019): no row of the table is read."""

    async def resolve_medians(
        self, window: tuple[float, float], surveys: Sequence[str] = ()
    ) -> tuple[dict[str, float], dict[str, float]]:
        """The median time to resolve of the alerts resolved in ``window``, per cause and per route
        name (in every-match mode a route string such as "app, billing" counts in each route it
        names): each alert's time as one row of three values, no object per alert. Cheaper than
        picking the middle rows by window functions in SQL (a sort per grouping: 4.6 ms against 2 ms
        at 2,300 alerts a week)."""

    async def digest_run(self, digest_id: str, period_start: str) -> str | None:
        """The recorded status of a digest for a period, None if it never ran."""

    async def record_run(self, digest_id: str, period_start: str, period_end: str, status: str, now: float) -> bool:
        """Record a run; False if this digest already has a run for the period."""

    async def trend_alerted(self, survey_id: str, period_start: str) -> bool:
        """Whether this survey already had a trend alert for the period."""

    async def record_trend_alert(
        self, survey_id: str, period_start: str, against: str, p_value: float, delta: float, now: float
    ) -> bool:
        """False if this survey already had a trend alert for the period; call it in the transaction
        that queues the alert."""

    async def event_processed(self, event_id: str) -> bool:
        """Whether an inbound event's transaction committed (its id was claimed)."""

    async def runs(self, digest_id: str, limit: int = 20) -> list[tuple[str, str, str, float]]:
        """The latest runs of a digest: (period_start, period_end, status, created_at)."""
