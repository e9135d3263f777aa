"""Segments: one survey's score broken down by a context key (agent, team, plan, ...), by
platform, language or survey, with what a manager needs to act on a difference.

Pure and synchronous: the storage layer passes score counts per segment value for the current
and the previous period; this module computes each segment's score, 95% interval, change and its
significance (the same methods as the headline, :mod:`surveys.metrics`), folds segments with too
few responses into "other", and ranks the rest best first.

Why fold: a segment of three responses has an interval so wide that its rank means nothing, and
twenty such rows hide the few that matter. Folded values still count in "other", so the rows
always add up to the survey's total.

Every label a manager sees for a segment goes through :func:`value_label`, the one place that
decides how a key's value is shown (anonymous mode hides identifying keys there too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from surveys.kinds import Kind
from surveys.metrics import LOW_SAMPLE, Change, Interval

OTHER = "other"
NOT_GIVEN = "(not given)"
DEFAULT_MIN_N = 10  # segments with fewer responses in the period are folded into "other"
BUILTIN_KEYS = ("platform", "language", "survey")  # segments that are not context keys

Counts = Mapping[int, int]


@dataclass(frozen=True)
class SegmentCounts:
    """What storage reads for one key: score counts per value in the current and the previous
    period. ``total_current``/``total_prior`` are the survey's whole counts, so responses
    without the key show as their own row (:data:`NOT_GIVEN`)."""

    key: str
    current: Mapping[str, Counts]
    prior: Mapping[str, Counts]
    total_current: Counts | None = None
    total_prior: Counts | None = None
    min_n: int = DEFAULT_MIN_N
    hidden: tuple[str, ...] = ()  # keys whose values must not be shown (anonymous mode), see value_label


@dataclass(frozen=True)
class SegmentRow:
    """One row of a segment table. ``value`` is the segment's value, :data:`OTHER` for the folded
    ones (``folded`` says how many values) or :data:`NOT_GIVEN`."""

    value: str
    n: int
    score: float | None
    interval: Interval | None
    prior_n: int
    prior_score: float | None
    change: Change
    low_sample: bool
    folded: int = 0

    @property
    def label(self) -> str:
        if self.value == OTHER and self.folded:
            return f"other ({self.folded} {'value' if self.folded == 1 else 'values'})"
        return self.value


@dataclass(frozen=True)
class SegmentTable:
    key: str
    kind: Kind
    min_n: int
    rows: tuple[SegmentRow, ...]

    @property
    def n(self) -> int:
        return sum(r.n for r in self.rows)


def value_label(key: str, value: str, hidden: Iterable[str] = ()) -> str:
    """How a segment's value is shown: as given, trimmed to one line of 40 characters, or
    ``hidden`` for a key that identifies a person when the digest must not (anonymous mode)."""
    if key in set(hidden):
        return "hidden"
    flat = " ".join(str(value).split()) or "(empty)"
    return flat if len(flat) <= 40 else flat[:39] + "…"


def _add(into: dict[int, int], counts: Counts) -> None:
    for score, count in counts.items():
        into[score] = into.get(score, 0) + count


def _minus(total: Counts, parts: Iterable[Counts]) -> dict[int, int]:
    left = dict(total)
    for part in parts:
        for score, count in part.items():
            left[score] = left.get(score, 0) - count
    return {s: c for s, c in left.items() if c > 0}


def _row(kind: Kind, value: str, current: Counts, prior: Counts, folded: int = 0) -> SegmentRow:
    # Imported here: surveys.digest imports this module for its summaries.
    from surveys.digest import compare, headline, result_from_counts

    now = result_from_counts(kind, current)
    before = result_from_counts(kind, prior)
    score, interval = headline(now)
    prior_score, _ = headline(before)
    return SegmentRow(
        value=value,
        n=now.n,
        score=score,
        interval=interval,
        prior_n=before.n,
        prior_score=prior_score,
        change=compare(before, now),
        low_sample=0 < now.n < LOW_SAMPLE,
        folded=folded,
    )


def segment_table(kind: Kind, counts: SegmentCounts, hidden: Iterable[str] = ()) -> SegmentTable:
    """Rows for one key: each value with at least ``min_n`` responses this period, best score
    first; then "other" (every smaller value, their counts added in both periods); then the
    responses that did not carry the key."""
    min_n = max(1, counts.min_n)
    hidden = (*hidden, *counts.hidden)
    labelled: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
    for value in dict.fromkeys([*counts.current, *counts.prior]):
        label = value_label(counts.key, value, hidden)
        cur, pri = labelled.setdefault(label, ({}, {}))
        _add(cur, counts.current.get(value, {}))
        _add(pri, counts.prior.get(value, {}))
    kept: list[SegmentRow] = []
    other_cur: dict[int, int] = {}
    other_pri: dict[int, int] = {}
    folded = 0
    for label, (cur, pri) in labelled.items():
        if sum(cur.values()) >= min_n and label not in (OTHER, NOT_GIVEN):
            kept.append(_row(kind, label, cur, pri))
        else:
            folded += 1
            _add(other_cur, cur)
            _add(other_pri, pri)
    kept.sort(key=lambda r: (-(r.score if r.score is not None else float("-inf")), -r.n, r.value))
    rows = list(kept)
    if folded:
        rows.append(_row(kind, OTHER, other_cur, other_pri, folded))
    if counts.total_current is not None and counts.total_prior is not None:
        rest_cur = _minus(counts.total_current, counts.current.values())
        rest_pri = _minus(counts.total_prior, counts.prior.values())
        if sum(rest_cur.values()) or sum(rest_pri.values()):
            rows.append(_row(kind, NOT_GIVEN, rest_cur, rest_pri))
    return SegmentTable(key=counts.key, kind=kind, min_n=min_n, rows=tuple(rows))


def moved_most(table: SegmentTable, limit: int = 3) -> tuple[SegmentRow, ...]:
    """The rows whose score fell (or rose) the most since the previous period, largest drop
    first: what a trend alert names as the segments that moved."""
    moved = [r for r in table.rows if r.change.delta is not None and r.value != NOT_GIVEN]
    moved.sort(key=lambda r: r.change.delta if r.change.delta is not None else 0.0)
    return tuple(moved[:limit])
