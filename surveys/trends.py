"""Trend alerts: has a survey's score dropped significantly, now, rather than at the next digest?

Pure and synchronous. The caller passes score counts for the period in progress (from its
start until now), for the complete period before it, and for the trailing periods before the
current one; this module tests the current period against the previous one and against the
trailing periods pooled, and returns the clearest significant drop, if any.

Tests, two-sided, with the same statistics as the digest (:mod:`surveys.metrics`): CSAT by the
two-proportion z-test (pooled), NPS by the two-sample z-test on the +1/0/−1 scores (the
two-proportion test generalised to promoters minus detractors), CES by Welch's test. A drop
counts only when both sides have at least ``min_n`` responses and p is below ``level``; the
level is stricter than the digest's 5% by default because the check runs many times a day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from surveys.digest import Result, headline, result_from_counts, short_interval, short_score
from surveys.kinds import Kind
from surveys.metrics import CesResult, Change, CsatResult, NpsResult, compare_ces, compare_csat, compare_nps
from surveys.model import Block
from surveys.segments import SegmentRow

DEFAULT_LEVEL = 0.01
DEFAULT_TRAILING = 4


@dataclass(frozen=True)
class Drop:
    """A significant fall of the current period's score against ``against`` ("previous" or
    "trailing")."""

    against: str
    current: Result
    baseline: Result
    change: Change


def _compare(prev: Result, cur: Result, min_n: int) -> Change:
    if isinstance(prev, NpsResult) and isinstance(cur, NpsResult):
        return compare_nps(prev, cur, min_n=min_n)
    if isinstance(prev, CsatResult) and isinstance(cur, CsatResult):
        return compare_csat(prev, cur, min_n=min_n)
    if isinstance(prev, CesResult) and isinstance(cur, CesResult):
        return compare_ces(prev, cur, min_n=min_n)
    raise TypeError("cannot compare results of different survey kinds")


def pooled(counts: Sequence[Mapping[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for period in counts:
        for score, count in period.items():
            out[score] = out.get(score, 0) + count
    return out


def find_drop(
    kind: Kind,
    current: Mapping[int, int],
    previous: Mapping[int, int],
    trailing: Sequence[Mapping[int, int]],
    *,
    min_n: int,
    level: float = DEFAULT_LEVEL,
) -> Drop | None:
    """The significant drop with the smallest p-value (against the previous period or the
    trailing periods pooled), None if the score did not fall significantly."""
    now = result_from_counts(kind, current)
    found: list[Drop] = []
    for against, counts in (("previous", previous), ("trailing", pooled(trailing))):
        base = result_from_counts(kind, counts)
        change = _compare(base, now, min_n)
        if change.delta is not None and change.delta < 0 and change.p_value is not None and change.p_value < level:
            found.append(Drop(against, now, base, change))
    return min(found, key=lambda d: d.change.p_value or 1.0) if found else None


def _p(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def _figure(kind: Kind, result: Result) -> str:
    value, interval = headline(result)
    if value is None:
        return f"no responses (n={result.n})"
    text = short_score(kind, value)
    if interval is not None:
        text += f" (95% CI {short_interval(kind, interval)})"
    return f"{text}, n={result.n}"


def alert_blocks(
    *,
    kind: Kind,
    survey_id: str,
    product: str,
    current_label: str,
    baseline_label: str,
    drop: Drop,
    moved: Sequence[tuple[str, SegmentRow]] = (),
) -> tuple[Block, ...]:
    """The alert: what fell, by how much, how sure, and which segments moved most."""
    assert drop.change.delta is not None and drop.change.p_value is not None
    digits = 2 if kind is Kind.CES else 0
    unit = "" if kind is Kind.CES else " pts"
    delta = f"{drop.change.delta:+.{digits}f}".replace("-", "−") + unit
    blocks = [
        Block("heading", f"📉 {kind.value.upper()} drop · {product} ({survey_id})"[:150]),
        Block("field", _figure(kind, drop.current), current_label),
        Block("field", _figure(kind, drop.baseline), baseline_label),
        Block("field", f"{delta}, significant ({_p(drop.change.p_value)}, {drop.change.test})", "Change"),
    ]
    if moved:
        blocks.append(Block("text", "Segments that moved most:"))
        for key, row in moved:
            assert row.change.delta is not None
            shift = f"{row.change.delta:+.{digits}f}".replace("-", "−") + unit
            now = short_score(kind, row.score) if row.score is not None else "–"
            text = f"{shift} (now {now}, n={row.n}; before n={row.prior_n})"
            blocks.append(Block("field", text, f"{key} {row.label}"))
    blocks.append(Block("context", "Sent once per survey and period; the next digest has the full picture."))
    return tuple(blocks)
