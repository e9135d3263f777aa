"""Trend alert statistics against published references and an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveys.kinds import Kind
from surveys.trends import alert_blocks, find_drop


def test_csat_drop_matches_the_published_two_proportion_test() -> None:
    # 80 of 100 satisfied, then 60 of 100. R: prop.test(c(80, 60), c(100, 100), correct = FALSE)
    # gives X-squared = 9.5238, p-value = 0.002028.
    before = {5: 80, 1: 20}
    now = {4: 60, 2: 40}
    drop = find_drop(Kind.CSAT, now, before, [before], min_n=30, level=0.01)
    assert drop is not None and drop.change.delta == pytest.approx(-20.0) and drop.against == "previous"
    assert drop.change.p_value == pytest.approx(0.002028, abs=2e-6)
    assert find_drop(Kind.CSAT, now, before, [before], min_n=30, level=0.001) is None  # not that sure
    assert find_drop(Kind.CSAT, before, now, [now] * 4, min_n=30, level=0.01) is None  # a rise is no alert
    small = {4: 12, 2: 8}  # 60% again, but only 20 responses
    assert find_drop(Kind.CSAT, small, before, [before] * 4, min_n=30, level=0.5) is None


def test_a_drop_against_the_trailing_periods_when_last_period_was_already_low() -> None:
    good = {5: 40, 1: 10}  # 80% in each of the four trailing periods
    last = {5: 30, 1: 20}  # 60% last period: not significantly above now
    now = {5: 26, 1: 24}  # 52%
    drop = find_drop(Kind.CSAT, now, last, [good, good, good, last], min_n=30, level=0.01)
    assert drop is not None and drop.against == "trailing"
    pooled_s, pooled_n = 150, 200
    p_hat = (pooled_s + 26) / (pooled_n + 50)
    z = (26 / 50 - pooled_s / pooled_n) / math.sqrt(p_hat * (1 - p_hat) * (1 / 50 + 1 / pooled_n))
    assert drop.change.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)


def test_ces_drop_uses_welch_over_the_expanded_scores() -> None:
    before = {7: 30, 6: 20, 5: 10}
    now = {7: 10, 5: 20, 3: 20, 2: 10}
    drop = find_drop(Kind.CES, now, before, [before], min_n=30, level=0.01)
    assert drop is not None and drop.change.test.startswith("Welch")
    a = np.repeat([7.0, 6.0, 5.0], [30, 20, 10])
    b = np.repeat([7.0, 5.0, 3.0, 2.0], [10, 20, 20, 10])
    z = (b.mean() - a.mean()) / math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert drop.change.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)
    blocks = alert_blocks(
        kind=Kind.CES,
        survey_id="ces",
        product="Acme",
        current_label="This week so far",
        baseline_label="Previous week",
        drop=drop,
    )
    assert blocks[0].text == "📉 CES drop · Acme (ces)"
    assert blocks[3].text.startswith(f"−{a.mean() - b.mean():.2f}, significant (p < 0.001")
