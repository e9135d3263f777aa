"""Survey metrics against values computed by hand (the arithmetic is in the comments).

z = 1.96 throughout, z² = 3.8416.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from surveys.metrics import (
    LOW_SAMPLE,
    MEANS_TEST,
    NPS_TEST,
    PROPORTION_TEST,
    CesResult,
    Change,
    CsatResult,
    Interval,
    NpsResult,
    ces,
    compare_ces,
    compare_csat,
    compare_nps,
    compare_proportion,
    csat,
    median,
    normal_cdf,
    nps,
    rate,
    sentiment_mix,
    wilson,
)

TOL = 1e-3  # expected values below are written to 3-4 decimals


def approx_interval(interval: Interval | None, low: float, high: float) -> None:
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=TOL)
    assert interval.high == pytest.approx(high, abs=TOL)


# --------------------------------------------------------------------------- NPS


@pytest.mark.parametrize(
    ("scores", "counts", "value", "low", "high"),
    [
        # 5 promoters, 3 passives, 2 detractors: NPS = (5 - 2) / 10 = 30.
        # n' = 13, p' = 5.75/13 = 0.442308, d' = 2.75/13 = 0.211538, NPS' = 3/13 = 0.230769
        # var = p' + d' - NPS'² = 8.5/13 - 9/169 = 101.5/169 = 0.600592
        # SE = √(0.600592/13) = 0.214940, 1.96·SE = 0.421283
        # interval = 0.230769 ± 0.421283 = [-0.190514, 0.652053]
        ([10, 9, 10, 9, 10, 8, 7, 8, 3, 6], (5, 3, 2), 30.0, -19.0514, 65.2053),
        # All 10 promoters: NPS 100, and the interval still has width (plain Wald gives [100, 100]).
        # n' = 13, p' = 10.75/13, d' = 0.75/13, NPS' = 10/13 = 0.769231
        # var = 11.5/13 - 100/169 = 49.5/169 = 0.292899, SE = √(0.292899/13) = 0.150102
        # 1.96·SE = 0.294200 -> [0.475031, 1.063431], upper clipped to 100.
        ([10] * 10, (10, 0, 0), 100.0, 47.5031, 100.0),
        # All 10 detractors: the mirror image.
        ([0] * 10, (0, 0, 10), -100.0, -100.0, -47.5031),
        # One promoter: n' = 4, p' = 1.75/4 = 0.4375, d' = 0.75/4 = 0.1875, NPS' = 0.25
        # var = 0.625 - 0.0625 = 0.5625, SE = √(0.5625/4) = 0.375, 1.96·SE = 0.735
        # -> [-0.485, 0.985]: centred on the adjusted estimate, so it excludes the plain NPS of 100.
        ([9], (1, 0, 0), 100.0, -48.5, 98.5),
        # One passive: p' = d' = 0.1875, NPS' = 0, var = 0.375, SE = √(0.375/4) = 0.306186
        # 1.96·SE = 0.600125 -> [-60.0125, 60.0125]
        ([7], (0, 1, 0), 0.0, -60.0125, 60.0125),
    ],
)
def test_nps_hand_computed(
    scores: list[int], counts: tuple[int, int, int], value: float, low: float, high: float
) -> None:
    result = nps(scores)
    assert (result.promoters, result.passives, result.detractors) == counts
    assert result.n == len(scores)
    assert result.nps == pytest.approx(value)
    approx_interval(result.interval, low, high)


def test_nps_all_promoters_interval_is_a_proper_interval() -> None:
    interval = nps([10] * 50).interval
    assert interval is not None
    assert interval.low < 100.0  # not the degenerate [100, 100] of the plain Wald interval
    assert interval.high == 100.0  # clipped
    assert -100.0 <= interval.low < interval.high <= 100.0


def test_nps_no_responses() -> None:
    assert nps([]) == NpsResult(0, 0, 0, 0, None, None, True)


def test_nps_accepts_any_iterable() -> None:
    assert nps(iter([10, 0])).nps == 0.0


@pytest.mark.parametrize("score", [-1, 11])
def test_nps_rejects_scores_outside_the_scale(score: int) -> None:
    with pytest.raises(ValueError):
        nps([5, score])


# --------------------------------------------------------------------------- low sample flag


@pytest.mark.parametrize(
    ("metric", "score"),
    [(nps, 9), (csat, 4), (ces, 5)],
)
@pytest.mark.parametrize(("n", "low_sample"), [(0, True), (1, True), (29, True), (30, False), (200, False)])
def test_low_sample_below_30(
    metric: Callable[[list[int]], NpsResult | CsatResult | CesResult], score: int, n: int, low_sample: bool
) -> None:
    assert LOW_SAMPLE == 30
    assert metric([score] * n).low_sample is low_sample


# --------------------------------------------------------------------------- CSAT / Wilson


@pytest.mark.parametrize(
    ("scores", "satisfied", "value", "mean", "low", "high"),
    [
        # 8 of 10 satisfied: p = 0.8, denominator = 1 + 3.8416/10 = 1.38416
        # centre = (0.8 + 3.8416/20) / 1.38416 = 0.99208 / 1.38416 = 0.716745
        # half = 1.96/1.38416 · √(0.8·0.2/10 + 3.8416/400) = 1.416021 · √0.025604 = 0.226581
        # -> [0.490164, 0.943326]; mean = (4·5 + 4·4 + 3 + 1) / 10 = 4.0
        ([5, 5, 5, 5, 4, 4, 4, 4, 3, 1], 8, 80.0, 4.0, 49.0164, 94.3326),
        # 0 of 10: lower bound exactly 0, upper z²/(n + z²) = 3.8416/13.8416 = 0.277540
        ([1] * 10, 0, 0.0, 1.0, 0.0, 27.7540),
        # 10 of 10: upper exactly 100, lower n/(n + z²) = 10/13.8416 = 0.722460
        ([5] * 10, 10, 100.0, 5.0, 72.2460, 100.0),
        # 1 of 1: lower 1/(1 + 3.8416) = 0.206543
        ([4], 1, 100.0, 4.0, 20.6543, 100.0),
        # 3 (neutral) is not satisfied: 0 of 1, upper 3.8416/4.8416 = 0.793457
        ([3], 0, 0.0, 3.0, 0.0, 79.3457),
    ],
)
def test_csat_hand_computed(
    scores: list[int], satisfied: int, value: float, mean: float, low: float, high: float
) -> None:
    result = csat(scores)
    assert result.n == len(scores)
    assert result.satisfied == satisfied
    assert result.csat == pytest.approx(value)
    assert result.mean == pytest.approx(mean)
    approx_interval(result.interval, low, high)


@pytest.mark.parametrize("n", [1, 5, 30, 1000])
def test_wilson_bounds_are_exact_at_0_and_n(n: int) -> None:
    none_satisfied = wilson(0, n)
    all_satisfied = wilson(n, n)
    assert none_satisfied is not None and all_satisfied is not None
    assert none_satisfied.low == 0.0
    assert all_satisfied.high == 100.0
    assert 0.0 < none_satisfied.high < 100.0
    assert 0.0 < all_satisfied.low < 100.0


def test_wilson_rejects_impossible_counts() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_csat_no_responses() -> None:
    result = csat([])
    assert (result.n, result.satisfied, result.csat, result.interval, result.mean) == (0, 0, None, None, None)


@pytest.mark.parametrize("score", [0, 6])
def test_csat_rejects_scores_outside_the_scale(score: int) -> None:
    with pytest.raises(ValueError):
        csat([score])


# --------------------------------------------------------------------------- CES


@pytest.mark.parametrize(
    ("scores", "easy", "difficult", "mean", "sd", "net", "interval"),
    [
        # 1..7: mean 4, sample var = (9+4+1+0+1+4+9)/6 = 28/6, sd = 2.160247
        # half = 1.96 · 2.160247/√7 = 1.600334 -> [2.399666, 5.600334]; easy 3, difficult 3, net 0
        ([7, 6, 5, 4, 3, 2, 1], 3, 3, 4.0, 2.1602, 0.0, (2.3997, 5.6003)),
        # 7,7,7,6: mean 6.75, var = (3·0.0625 + 0.5625)/3 = 0.25, sd 0.5, half = 1.96·0.5/2 = 0.49
        # -> [6.26, 7.24], clipped to the scale's 7; all easy, net 100
        ([7, 7, 7, 6], 4, 0, 6.75, 0.5, 100.0, (6.26, 7.0)),
        # 1,2,4,4: mean 2.75, easy 0, difficult 2, neutral 2 -> net = -50
        # var = (3.0625 + 0.5625 + 1.5625·2)/3 = 2.25, sd 1.5, half = 1.96·1.5/2 = 1.47 -> [1.28, 4.22]
        ([1, 2, 4, 4], 0, 2, 2.75, 1.5, -50.0, (1.28, 4.22)),
        # A single response: no sd, no interval.
        ([5], 1, 0, 5.0, None, 100.0, None),
        # No responses.
        ([], 0, 0, None, None, None, None),
    ],
)
def test_ces_hand_computed(
    scores: list[int],
    easy: int,
    difficult: int,
    mean: float | None,
    sd: float | None,
    net: float | None,
    interval: tuple[float, float] | None,
) -> None:
    result = ces(scores)
    assert (result.n, result.easy, result.difficult) == (len(scores), easy, difficult)
    assert result.mean == (None if mean is None else pytest.approx(mean))
    assert result.sd == (None if sd is None else pytest.approx(sd, abs=TOL))
    assert result.net == (None if net is None else pytest.approx(net))
    if interval is None:
        assert result.mean_interval is None
    else:
        approx_interval(result.mean_interval, *interval)


@pytest.mark.parametrize("score", [0, 8])
def test_ces_rejects_scores_outside_the_scale(score: int) -> None:
    with pytest.raises(ValueError):
        ces([score])


# --------------------------------------------------------------------------- changes


def test_normal_cdf() -> None:
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(1.96) == pytest.approx(0.975, abs=1e-4)
    assert normal_cdf(-1.96) == pytest.approx(0.025, abs=1e-4)


def test_compare_nps_large_clear_change_is_significant() -> None:
    # prev: 50 P / 25 passive / 25 D of 100 -> NPS 25; cur: 25 / 25 / 50 -> NPS -25; delta -50.
    # var = p + d - (p - d)² = 0.75 - 0.0625 = 0.6875 in both; SE = √(2 · 0.6875/100) = 0.117260
    # z = -0.5/0.117260 = -4.2640 -> two-sided p = erfc(4.2640/√2) ≈ 2.008e-5
    prev = nps([10] * 50 + [8] * 25 + [2] * 25)
    cur = nps([10] * 25 + [8] * 25 + [2] * 50)
    change = compare_nps(prev, cur)
    assert change.delta == pytest.approx(-50.0)
    assert change.significant is True
    assert change.p_value == pytest.approx(2.008e-5, rel=1e-3)
    assert change.p_value == pytest.approx(2 * (1 - normal_cdf(0.5 / math.sqrt(0.01375))))
    assert change.test == NPS_TEST


def test_compare_nps_small_samples_are_not_tested() -> None:
    # 10 each: NPS 0 (5 P, 5 D) -> 60 (8 P, 2 D). A big delta, but below 30 responses.
    prev, cur = nps([10] * 5 + [2] * 5), nps([10] * 8 + [2] * 2)
    assert compare_nps(prev, cur) == Change(60.0, False, None, NPS_TEST)
    # With the guard lowered the z-test runs: var 1 and 1 - 0.36 = 0.64,
    # SE = √(1/10 + 0.64/10) = 0.404969, z = 0.6/0.404969 = 1.48159, p = 0.1384: still not significant.
    lowered = compare_nps(prev, cur, min_n=2)
    assert lowered.significant is False
    assert lowered.p_value == pytest.approx(0.1384, abs=TOL)


@pytest.mark.parametrize(
    ("prev_detractors", "tested"),
    [
        (19, False),  # prev n = 10 + 19 = 29 < 30: not tested
        (20, True),  # prev n = 30
    ],
)
def test_compare_nps_needs_30_on_each_side(prev_detractors: int, tested: bool) -> None:
    # prev (n=30): p = 1/3, d = 2/3, NPS -33.3, var = 1 - 1/9; cur: p = 5/6, d = 1/6, NPS 66.7, var = 1 - 4/9
    # SE = √((8/9 + 5/9)/30) = 0.219427, z = 1.0/0.219427 = 4.557, p ≈ 5.2e-6
    change = compare_nps(nps([10] * 10 + [0] * prev_detractors), nps([10] * 25 + [0] * 5))
    assert change.significant is tested
    assert (change.p_value is not None) is tested


@pytest.mark.parametrize(
    ("prev", "cur", "expected"),
    [
        ([], [10] * 40, Change(None, False, None, NPS_TEST)),
        ([10] * 40, [], Change(None, False, None, NPS_TEST)),
        ([10], [0], Change(-200.0, False, None, NPS_TEST)),  # n = 1 each side
        ([8] * 40, [7] * 40, Change(0.0, False, None, NPS_TEST)),  # all passives: SE = 0
    ],
)
def test_compare_nps_edge_cases(prev: list[int], cur: list[int], expected: Change) -> None:
    assert compare_nps(nps(prev), nps(cur)) == expected


@pytest.mark.parametrize(
    ("counts", "delta", "significant", "p_value"),
    [
        # 60/100 -> 80/100: pooled 0.7, SE = √(0.7·0.3·(2/100)) = 0.064807, z = 0.2/0.064807 = 3.0861
        # p = 0.00203
        ((60, 100, 80, 100), 20.0, True, 0.00203),
        # 50/100 -> 55/100: pooled 0.525, SE = √(0.249375·0.02) = 0.070622, z = 0.708, p = 0.479
        ((50, 100, 55, 100), 5.0, False, 0.479),
        # 6/10 -> 9/10: a 30-point jump on 10 responses each is not tested.
        ((6, 10, 9, 10), 30.0, False, None),
        # Everyone satisfied in both periods: pooled 1, SE = 0.
        ((40, 40, 50, 50), 0.0, False, None),
        # An empty period: no delta.
        ((0, 0, 5, 10), None, False, None),
    ],
)
def test_compare_proportion(
    counts: tuple[int, int, int, int], delta: float | None, significant: bool, p_value: float | None
) -> None:
    change = compare_proportion(*counts)
    assert change.delta == delta
    assert change.significant is significant
    assert change.p_value == (None if p_value is None else pytest.approx(p_value, abs=1e-3))
    assert change.test == PROPORTION_TEST


def test_compare_proportion_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        compare_proportion(11, 10, 5, 10)


def test_compare_csat_uses_satisfied_counts() -> None:
    # 60 of 100 satisfied -> 80 of 100, as in the proportion table above.
    prev = csat([5] * 60 + [3] * 40)
    cur = csat([4] * 80 + [1] * 20)
    assert compare_csat(prev, cur) == compare_proportion(60, 100, 80, 100)


def test_compare_ces_welch() -> None:
    # prev: 15×3 + 15×5, mean 4, var = 30·1/29 = 1.034483; cur: 15×4 + 15×6, mean 5, same var
    # SE = √(2 · 1.034483/30) = 0.262613, z = 1/0.262613 = 3.8079, p = 0.00014
    change = compare_ces(ces([3] * 15 + [5] * 15), ces([4] * 15 + [6] * 15))
    assert change.delta == pytest.approx(1.0)
    assert change.significant is True
    assert change.p_value == pytest.approx(0.00014, abs=1e-5)
    assert change.test == MEANS_TEST


@pytest.mark.parametrize(
    ("prev", "cur", "expected"),
    [
        ([4] * 5, [6] * 5, Change(2.0, False, None, MEANS_TEST)),  # small samples
        ([4] * 40, [4] * 40, Change(0.0, False, None, MEANS_TEST)),  # sd 0 both sides: SE = 0
        ([], [4] * 40, Change(None, False, None, MEANS_TEST)),
    ],
)
def test_compare_ces_edge_cases(prev: list[int], cur: list[int], expected: Change) -> None:
    assert compare_ces(ces(prev), ces(cur)) == expected


# --------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([3], 3.0), ([1, 3, 2], 2.0), ([4, 1, 3, 2], 2.5), ([0.5, 1.5], 1.0)],
)
def test_median(values: list[float], expected: float | None) -> None:
    assert median(values) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(1, 4, 25.0), (3, 3, 100.0), (0, 7, 0.0), (0, 0, None), (2, 0, None)],
)
def test_rate(numerator: int, denominator: int, expected: float | None) -> None:
    assert rate(numerator, denominator) == expected


def test_rate_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        rate(-1, 4)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], {"positive": 0, "neutral": 0, "negative": 0, "unscored": 0}),
        (
            ["positive", "negative", "positive", "neutral", "unscored"],
            {"positive": 2, "neutral": 1, "negative": 1, "unscored": 1},
        ),
        # Case-insensitive; None, empty and unknown labels are unscored.
        (["Positive", " NEGATIVE ", None, "", "mixed"], {"positive": 1, "neutral": 0, "negative": 1, "unscored": 3}),
    ],
)
def test_sentiment_mix(labels: list[str | None], expected: dict[str, int]) -> None:
    mix = sentiment_mix(labels)
    assert mix == expected
    assert list(mix) == ["positive", "neutral", "negative", "unscored"]
