"""Survey metrics: NPS, CSAT and CES with 95% intervals, and period-over-period change tests.

Everything here is pure and synchronous: plain scores in, frozen dataclasses out. Callers pass
answered responses only (skipped and expired invitations are not scores). Percentages and NPS
are in points (0..100, or -100..100 for NPS) and are not rounded; rounding is presentation.

Why these methods
-----------------
* **NPS interval: adjusted Wald** (Rocks 2016; Sauro & Lewis). The plain Wald interval for NPS
  collapses to zero width when every response is in one category (10 promoters out of 10 gives
  ``[100, 100]``) and under-covers with the small samples typical of chat surveys. Adding 3
  pseudo-responses (0.75 promoter, 0.75 detractor, 1.5 passive) before computing the interval
  fixes both at the cost of one line of arithmetic. The interval is centred on the *adjusted*
  estimate, while the reported point estimate stays the plain NPS, so for tiny samples the
  interval is pulled towards 0 and may not contain the point estimate (one promoter: NPS 100,
  interval about [-48.5, 98.5]); ``low_sample`` flags those cases.
* **CSAT interval: Wilson score.** It stays inside [0, 100], has a non-zero width at 0% and
  100% satisfied, and keeps close to nominal coverage for small n, all of which the Wald
  interval fails. It needs nothing beyond a square root.
* **CES mean interval:** normal approximation ``mean ± 1.96·sd/√n`` (no Student t, to stay
  table-free); slightly too narrow below about 30 responses, which ``low_sample`` flags.
* **Changes:** large-sample z-tests, two-sided at 5% (normal tail via :func:`math.erfc`):
  NPS as a difference of means of +1/0/-1 scores with unpooled per-sample variances, CSAT as a
  two-proportion test with the pooled proportion, CES as Welch's unequal-variance test with
  the normal in place of t. A change is only tested when both samples have at least ``min_n``
  responses (default 30, the ``low_sample`` threshold, never below 2); otherwise the delta is
  still reported but ``significant`` is False and ``p_value`` None.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from surveys.kinds import SCALES, Kind, classify

Z95 = 1.96  # two-sided 95% normal quantile
ALPHA = 0.05  # significance level for changes
LOW_SAMPLE = 30  # fewer answered responses than this: results are flagged ``low_sample``

NPS_TEST = "two-sample z (NPS, unpooled)"
PROPORTION_TEST = "two-proportion z (pooled)"
MEANS_TEST = "Welch z (means)"

SENTIMENTS: tuple[str, ...] = ("positive", "neutral", "negative", "unscored")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score of answered 0-10 responses.

    ``nps`` is (promoters - detractors) / n in points, -100..100, None with no responses.
    ``interval`` is the 95% adjusted-Wald interval in points, clipped to [-100, 100].
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    interval: Interval | None
    low_sample: bool


@dataclass(frozen=True)
class CsatResult:
    """Top-two-box CSAT of answered 1-5 responses: ``csat`` is the percent satisfied (4 or 5),
    ``interval`` its 95% Wilson interval in percent, ``mean`` the mean score."""

    n: int
    satisfied: int
    csat: float | None
    interval: Interval | None
    mean: float | None
    low_sample: bool


@dataclass(frozen=True)
class CesResult:
    """Customer Effort Score of answered 1-7 responses.

    ``easy`` counts 5-7, ``difficult`` 1-3; ``net`` is % easy - % difficult. ``sd`` is the sample
    standard deviation and ``mean_interval`` the 95% normal interval of the mean, clipped to the
    1-7 scale; both are None below two responses.
    """

    n: int
    easy: int
    difficult: int
    mean: float | None
    sd: float | None
    mean_interval: Interval | None
    net: float | None
    low_sample: bool


@dataclass(frozen=True)
class Change:
    """A change between two periods (current minus previous).

    ``delta`` is in the metric's own unit (NPS points, CSAT percentage points, CES scale points),
    None if either period has no responses. ``p_value`` is the two-sided p-value, None when the
    test was not run (a sample below ``min_n`` or a zero standard error). ``test`` names the test.
    """

    delta: float | None
    significant: bool
    p_value: float | None
    test: str


# --------------------------------------------------------------------------- helpers


def normal_cdf(x: float) -> float:
    """Standard normal cumulative distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _two_sided_p(z: float) -> float:
    # 2 * (1 - Φ(|z|)), written with erfc so tiny p-values do not cancel to 0.
    return math.erfc(abs(z) / math.sqrt(2.0))


def _clip(low: float, high: float, lower: float, upper: float) -> Interval:
    return Interval(float(max(lower, low)), float(min(upper, high)))


def median(values: Iterable[float]) -> float | None:
    """Median of the values, None if there are none."""
    data = list(values)
    return float(statistics.median(data)) if data else None


def rate(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` in percent, None if the denominator is 0."""
    if numerator < 0 or denominator < 0:
        raise ValueError(f"rate of negative counts: {numerator}/{denominator}")
    if denominator == 0:
        return None
    return 100.0 * numerator / denominator


def sentiment_mix(labels: Iterable[str | None]) -> dict[str, int]:
    """Counts of "positive", "neutral", "negative" and "unscored" (always all four keys).

    Labels are compared case-insensitively; None, empty or any other label counts as unscored.
    """
    mix = dict.fromkeys(SENTIMENTS, 0)
    for label in labels:
        key = (label or "").strip().lower()
        mix[key if key in mix else "unscored"] += 1
    return mix


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """Wilson score interval for a proportion, in percent; None if ``n`` is 0."""
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    # At 0 and n successes the bound is exactly 0 or 1; avoid rounding noise there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(100.0 * low, 100.0 * high)


# --------------------------------------------------------------------------- NPS


def adjusted_wald_nps(promoters: int, detractors: int, n: int, z: float = Z95) -> Interval | None:
    """95% adjusted-Wald interval for NPS, in points, clipped to [-100, 100].

    n' = n + 3, p' = (promoters + 0.75) / n', d' = (detractors + 0.75) / n';
    var = p' + d' - (p' - d')² (variance of a +1/0/-1 score); SE = √(var / n');
    interval = (p' - d') ± z·SE, centred on the adjusted estimate p' - d'.
    """
    if n == 0:
        return None
    n_adj = n + 3
    p_adj = (promoters + 0.75) / n_adj
    d_adj = (detractors + 0.75) / n_adj
    centre = p_adj - d_adj
    variance = p_adj + d_adj - centre * centre
    half = z * math.sqrt(variance / n_adj)
    return _clip(100.0 * (centre - half), 100.0 * (centre + half), -100.0, 100.0)


def nps(scores: Iterable[int]) -> NpsResult:
    """NPS of answered 0-10 scores: promoters 9-10, passives 7-8, detractors 0-6.

    Raises ValueError for a score outside 0-10.
    """
    counts = Counter(classify(Kind.NPS, score) for score in scores)
    promoters, passives, detractors = counts["promoter"], counts["passive"], counts["detractor"]
    n = promoters + passives + detractors
    return NpsResult(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=100.0 * (promoters - detractors) / n if n else None,
        interval=adjusted_wald_nps(promoters, detractors, n),
        low_sample=n < LOW_SAMPLE,
    )


# --------------------------------------------------------------------------- CSAT


def csat(scores: Iterable[int]) -> CsatResult:
    """CSAT of answered 1-5 scores: percent satisfied (4-5) with a Wilson interval, and the mean.

    Raises ValueError for a score outside 1-5.
    """
    values = list(scores)
    satisfied = sum(1 for score in values if classify(Kind.CSAT, score) == "satisfied")
    n = len(values)
    return CsatResult(
        n=n,
        satisfied=satisfied,
        csat=100.0 * satisfied / n if n else None,
        interval=wilson(satisfied, n),
        mean=statistics.fmean(values) if n else None,
        low_sample=n < LOW_SAMPLE,
    )


# --------------------------------------------------------------------------- CES


def ces(scores: Iterable[int]) -> CesResult:
    """CES of answered 1-7 scores: easy (5-7) and difficult (1-3) counts, the mean with a
    normal-approximation interval, and the net score (% easy - % difficult).

    Raises ValueError for a score outside 1-7.
    """
    values = list(scores)
    categories = Counter(classify(Kind.CES, score) for score in values)
    n = len(values)
    mean = statistics.fmean(values) if n else None
    sd = statistics.stdev(values) if n >= 2 else None
    mean_interval = None
    if mean is not None and sd is not None:
        half = Z95 * sd / math.sqrt(n)
        scale = SCALES[Kind.CES]
        mean_interval = _clip(mean - half, mean + half, scale.low, scale.high)
    return CesResult(
        n=n,
        easy=categories["easy"],
        difficult=categories["difficult"],
        mean=mean,
        sd=sd,
        mean_interval=mean_interval,
        net=100.0 * (categories["easy"] - categories["difficult"]) / n if n else None,
        low_sample=n < LOW_SAMPLE,
    )


# --------------------------------------------------------------------------- changes


def _z_change(delta: float, se: float, test: str) -> Change:
    """Two-sided z-test of ``delta`` (same unit as ``se``)."""
    if se <= 0.0:
        return Change(delta, False, None, test)
    p_value = _two_sided_p(delta / se)
    return Change(delta, p_value < ALPHA, p_value, test)


def _enough(n1: int, n2: int, min_n: int) -> bool:
    return min(n1, n2) >= max(min_n, 2)


def compare_nps(prev: NpsResult, cur: NpsResult, *, min_n: int = LOW_SAMPLE) -> Change:
    """Change in NPS points from ``prev`` to ``cur`` and whether it is significant at 5%.

    Two-sample z-test on the difference of mean +1/0/-1 scores with unpooled variances
    var = p + d - (p - d)² per sample and SE = √(var₁/n₁ + var₂/n₂). Not tested (not
    significant, p_value None) if either sample has fewer than ``min_n`` responses or SE is 0
    (both samples entirely in one category each).
    """
    if prev.nps is None or cur.nps is None:
        return Change(None, False, None, NPS_TEST)
    delta = cur.nps - prev.nps
    if not _enough(prev.n, cur.n, min_n):
        return Change(delta, False, None, NPS_TEST)

    def variance(result: NpsResult) -> float:
        p = result.promoters / result.n
        d = result.detractors / result.n
        return max(0.0, p + d - (p - d) ** 2)

    se = math.sqrt(variance(prev) / prev.n + variance(cur) / cur.n)
    return _z_change(delta, 100.0 * se, NPS_TEST)


def compare_proportion(
    prev_successes: int, prev_n: int, cur_successes: int, cur_n: int, *, min_n: int = LOW_SAMPLE
) -> Change:
    """Change in percentage points between two proportions, two-proportion z-test with the pooled
    proportion: SE = √(p̂(1 - p̂)(1/n₁ + 1/n₂)). Not tested if either n is below ``min_n`` or
    the pooled proportion is 0 or 1."""
    for successes, n in ((prev_successes, prev_n), (cur_successes, cur_n)):
        if not 0 <= successes <= n:
            raise ValueError(f"successes {successes} outside 0..{n}")
    if prev_n == 0 or cur_n == 0:
        return Change(None, False, None, PROPORTION_TEST)
    # One division, so that e.g. 60/100 -> 80/100 is exactly 20.0 points.
    delta = 100.0 * (cur_successes * prev_n - prev_successes * cur_n) / (prev_n * cur_n)
    if not _enough(prev_n, cur_n, min_n):
        return Change(delta, False, None, PROPORTION_TEST)
    pooled = (prev_successes + cur_successes) / (prev_n + cur_n)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / prev_n + 1.0 / cur_n))
    return _z_change(delta, 100.0 * se, PROPORTION_TEST)


def compare_csat(prev: CsatResult, cur: CsatResult, *, min_n: int = LOW_SAMPLE) -> Change:
    """Change in CSAT (percentage points satisfied), see :func:`compare_proportion`."""
    return compare_proportion(prev.satisfied, prev.n, cur.satisfied, cur.n, min_n=min_n)


def compare_ces(prev: CesResult, cur: CesResult, *, min_n: int = LOW_SAMPLE) -> Change:
    """Change in the mean CES (scale points), Welch's test with the normal approximation:
    SE = √(sd₁²/n₁ + sd₂²/n₂). Not tested if either n is below ``min_n`` (at least 2) or SE is 0."""
    if prev.mean is None or cur.mean is None:
        return Change(None, False, None, MEANS_TEST)
    delta = cur.mean - prev.mean
    if not _enough(prev.n, cur.n, min_n) or prev.sd is None or cur.sd is None:
        return Change(delta, False, None, MEANS_TEST)
    se = math.sqrt(prev.sd**2 / prev.n + cur.sd**2 / cur.n)
    return _z_change(delta, se, MEANS_TEST)
