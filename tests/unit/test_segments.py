"""Segment tables: folding, ranking, the rows adding up, and every statistic checked against an
independent computation (numpy over the expanded scores, and published reference values)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveys.digest import segment_row_text
from surveys.kinds import Kind
from surveys.segments import NOT_GIVEN, OTHER, SegmentCounts, moved_most, segment_table, value_label


def expand(counts: dict[int, int]) -> np.ndarray:
    return np.repeat(np.array(list(counts), dtype=float), list(counts.values()))


def test_small_segments_fold_into_other_and_rows_add_up_to_the_total() -> None:
    current = {"ann": {10: 20, 0: 5}, "bob": {9: 5, 3: 10}, "cai": {10: 3}, "dee": {6: 4}}
    prior = {"ann": {10: 10}, "cai": {2: 2}, "eve": {9: 7}}
    total_current = {10: 23 + 6, 0: 5, 9: 5, 3: 10, 6: 4, 8: 2}  # 6 tens and 2 eights without an agent
    total_prior = {10: 10, 2: 2, 9: 7}
    table = segment_table(Kind.NPS, SegmentCounts("agent", current, prior, total_current, total_prior, min_n=10))
    values = [row.value for row in table.rows]
    # ann (+60) before bob (−33): best first; cai, dee and eve (no responses now) folded
    assert values == ["ann", "bob", OTHER, NOT_GIVEN]
    other = table.rows[2]
    assert other.folded == 3 and other.label == "other (3 values)"
    assert (other.n, other.prior_n) == (7, 9)  # cai 3 + dee 4 now; cai 2 + eve 7 before
    assert sum(row.n for row in table.rows) == sum(total_current.values())
    assert table.rows[3].n == 8 and table.rows[3].prior_n == 0
    # ann: 20 promoters, 5 detractors of 25
    assert table.rows[0].score == pytest.approx(100 * (20 - 5) / 25)
    assert table.rows[0].low_sample and "⚠ low sample" in segment_row_text(Kind.NPS, table.rows[0], "week")


def test_csat_segment_change_matches_the_published_two_proportion_test() -> None:
    # 45 of 100 satisfied before, 60 of 100 now. R: prop.test(c(60, 45), c(100, 100), correct = FALSE)
    # gives X-squared = 4.5113, p-value = 0.03367 (z = 2.124).
    before = {5: 45, 1: 55}
    now = {4: 60, 2: 40}
    table = segment_table(Kind.CSAT, SegmentCounts("plan", {"pro": now}, {"pro": before}, min_n=10))
    row = table.rows[0]
    assert row.change.delta == pytest.approx(15.0)
    assert row.change.p_value == pytest.approx(0.03367, abs=5e-5)
    assert row.change.significant
    assert row.interval is not None
    # Wilson 95% for 60/100 (Newcombe 1998, method 3): 0.5020 to 0.6906.
    assert (row.interval.low, row.interval.high) == (pytest.approx(50.20, abs=0.01), pytest.approx(69.06, abs=0.01))
    assert "significant (p = 0.03)" in segment_row_text(Kind.CSAT, row, "week")


def test_ces_segment_change_matches_welch_over_the_expanded_scores() -> None:
    before = {7: 20, 6: 15, 5: 10, 4: 5, 2: 5}
    now = {7: 8, 6: 10, 5: 12, 4: 10, 3: 6, 1: 4}
    table = segment_table(Kind.CES, SegmentCounts("team", {"north": now}, {"north": before}, min_n=10))
    row = table.rows[0]
    a, b = expand(before), expand(now)
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    z = (b.mean() - a.mean()) / se
    p = 2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2))))
    assert row.score == pytest.approx(b.mean())
    assert row.change.delta == pytest.approx(b.mean() - a.mean())
    assert row.change.p_value == pytest.approx(p, rel=1e-9)
    half = 1.96 * b.std(ddof=1) / math.sqrt(b.size)
    assert row.interval is not None and row.interval.low == pytest.approx(b.mean() - half)


def test_nps_segment_change_matches_an_independent_difference_of_means() -> None:
    before = {10: 30, 8: 10, 3: 20}
    now = {10: 18, 7: 12, 2: 30}
    table = segment_table(Kind.NPS, SegmentCounts("agent", {"bob": now}, {"bob": before}, min_n=10))
    row = table.rows[0]

    def trinary(counts: dict[int, int]) -> np.ndarray:
        scores = expand(counts)
        return np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))

    a, b = trinary(before), trinary(now)
    se = math.sqrt(a.var(ddof=0) / a.size + b.var(ddof=0) / b.size)
    z = (b.mean() - a.mean()) / se
    assert row.change.delta == pytest.approx(100 * (b.mean() - a.mean()))
    assert row.change.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)
    assert moved_most(table)[0].value == "bob"


def test_too_few_on_either_side_is_reported_but_not_tested() -> None:
    table = segment_table(Kind.CSAT, SegmentCounts("agent", {"ann": {5: 12}}, {"ann": {1: 40}}, min_n=10))
    row = table.rows[0]
    assert row.change.delta == pytest.approx(100.0) and row.change.p_value is None and not row.change.significant
    assert "too few to test" in segment_row_text(Kind.CSAT, row, "week")


def test_value_labels_are_one_line_and_hidden_keys_are_hidden() -> None:
    assert value_label("agent", "  Ann\n Lee ") == "Ann Lee"
    assert value_label("agent", "x" * 60).endswith("…") and len(value_label("agent", "x" * 60)) == 40
    assert value_label("email", "ann@example.com", hidden=["email"]) == "hidden"
    # hidden values merge into one row rather than leaking how many people there are
    counts = SegmentCounts("email", {"a@x": {5: 12}, "b@x": {4: 12}}, {}, min_n=10)
    table = segment_table(Kind.CSAT, counts, hidden=["email"])
    assert [(r.value, r.n) for r in table.rows] == [("hidden", 24)]


def test_hidden_keys_travel_with_the_counts() -> None:
    counts = SegmentCounts("email", {"a@x": {5: 12}}, {"a@x": {5: 3}}, min_n=10, hidden=("email",))
    assert [(r.value, r.n, r.prior_n) for r in segment_table(Kind.CSAT, counts).rows] == [("hidden", 12, 3)]
