"""Digests: reporting periods, the numbers of one period, and their platform-neutral rendering.

Pure and synchronous, like the rest of ``surveys/``: the caller reads the facts (score counts
per period, a few comments, escalation timings, invitation counts) and passes them in together
with the time; this module computes the metrics (via :mod:`surveys.metrics`), composes a list of
:class:`~surveys.model.Block` per survey for the chat platforms, and renders the same content as
plain text, Markdown or JSON for the command line.

Periods
-------
* ``week``: an ISO week, Monday 00:00 to the next Monday 00:00 in the digest's time zone.
* ``month``: a calendar month, from the 1st at 00:00 to the next 1st.
* ``days:N``: the N whole days ending at midnight (a rolling window, keyed by its first day).
* a custom span (``--since``/``--until``): its previous period is the span of the same length
  right before it.

A scheduled digest always reports the last *complete* period before it fires, so a weekly digest
firing on Monday morning covers Monday to Sunday of the week before, and any number of runs
within the same week refer to the same period (the key for exactly-once).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from surveys.causes import CauseReport, action_lines, cause_json, cause_lines, route_lines
from surveys.kinds import SCALES, Kind, classify
from surveys.meaning import MeaningGroup
from surveys.metrics import (
    LOW_SAMPLE,
    CesResult,
    Change,
    CsatResult,
    Interval,
    NpsResult,
    adjusted_wald_nps,
    compare_ces,
    compare_csat,
    compare_nps,
    median,
    rate,
    sentiment_mix,
    wilson,
)
from surveys.metrics import (
    Z95 as _Z95,
)
from surveys.model import Block, Destination, OutMessage
from surveys.segments import SegmentCounts, SegmentRow, SegmentTable, segment_table
from surveys.themes import themes as find_themes

SERIES_LENGTH = 12  # periods in the chart, the current one last
NEGATIVE_QUOTES = 3
POSITIVE_QUOTES = 2
QUOTE_CHARS = 200
TOP_THEMES = 5

_DAYS = re.compile(r"days:([1-9][0-9]{0,2})")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class PeriodSpec:
    """How long a reporting period is: ``week``, ``month``, ``days`` (N whole days) or ``span``
    (any length in seconds, for ad-hoc windows)."""

    unit: str
    days: int = 0
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str) -> PeriodSpec:
        """``"week"``, ``"month"`` or ``"days:N"`` (1 <= N <= 366)."""
        if text in ("week", "month"):
            return cls(text)
        match = _DAYS.fullmatch(text)
        if match and int(match.group(1)) <= 366:
            return cls("days", days=int(match.group(1)))
        raise ValueError(f"expected 'week', 'month' or 'days:N' (N from 1 to 366), got {text!r}")

    @property
    def noun(self) -> str:
        if self.unit in ("week", "month"):
            return self.unit
        if self.unit == "days":
            return "day" if self.days == 1 else f"{self.days} days"
        return "period"

    def __str__(self) -> str:
        return f"days:{self.days}" if self.unit == "days" else self.unit


@dataclass(frozen=True)
class Period:
    """A half-open window ``[start, end)``; both ends are aware datetimes in the report's zone."""

    spec: PeriodSpec
    start: datetime
    end: datetime

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.end.timestamp()

    @property
    def key(self) -> str:
        """Stable identity of the period (``digest_runs.period_start``)."""
        return self.start.isoformat()

    @property
    def label(self) -> str:
        last = (self.end - timedelta(microseconds=1)).date()
        first = self.start.date()
        if self.spec.unit == "week":
            year, week, _ = first.isocalendar()
            return f"week {year}-W{week:02d} ({_date_range(first, last)})"
        if self.spec.unit == "month":
            return f"{_MONTH_NAMES[first.month - 1]} {first.year}"
        if self.spec.unit == "days":
            return _date_range(first, last) if self.spec.days == 1 else f"{self.spec.noun}, {_date_range(first, last)}"
        if self.start.time() == time(0) and self.end.time() == time(0):
            return _date_range(first, last)
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"

    @property
    def short_label(self) -> str:
        """A few characters for a chart axis."""
        first = self.start.date()
        if self.spec.unit == "week":
            return f"W{first.isocalendar()[1]:02d}"
        if self.spec.unit == "month":
            return f"{_MONTHS[first.month - 1]} {first.year % 100:02d}"
        return f"{first.day} {_MONTHS[first.month - 1]}"


def _date_range(first: date, last: date) -> str:
    if first == last:
        return f"{first.day} {_MONTHS[first.month - 1]} {first.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {_MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {_MONTHS[first.month - 1]} – {last.day} {_MONTHS[last.month - 1]} {last.year}"
    return f"{first.day} {_MONTHS[first.month - 1]} {first.year} – {last.day} {_MONTHS[last.month - 1]} {last.year}"


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # Built from the calendar date, never by adding hours, so a DST change inside a period
    # gives a 167- or 169-hour week that still starts and ends at local midnight.
    return datetime.combine(day, time(0), tzinfo=tz)


def _zone(moment: datetime) -> ZoneInfo:
    tz = moment.tzinfo
    if not isinstance(tz, ZoneInfo):
        raise ValueError("periods need a datetime with a ZoneInfo time zone")
    return tz


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_complete(spec: PeriodSpec, moment: datetime) -> Period:
    """The last whole period that ended at or before ``moment`` (an aware datetime; its zone
    is the report's zone)."""
    tz = _zone(moment)
    today = moment.astimezone(tz).date()
    if spec.unit == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(spec, _midnight(monday - timedelta(days=7), tz), _midnight(monday, tz))
    if spec.unit == "month":
        first = today.replace(day=1)
        return Period(spec, _midnight(_add_months(first, -1), tz), _midnight(first, tz))
    if spec.unit == "days":
        return Period(spec, _midnight(today - timedelta(days=spec.days), tz), _midnight(today, tz))
    raise ValueError(f"a {spec.unit!r} period has no calendar boundaries")


def span(start: datetime, end: datetime) -> Period:
    """An ad-hoc window; calendar-aligned spans (whole days) step back by whole days."""
    if end <= start:
        raise ValueError("the end of a period must be after its start")
    _zone(start)
    if start.time() == time(0) and end.time() == time(0):
        return Period(PeriodSpec("days", days=(end.date() - start.date()).days), start, end)
    return Period(PeriodSpec("span", seconds=end.timestamp() - start.timestamp()), start, end)


def previous(period: Period) -> Period:
    """The period of the same kind right before ``period``."""
    spec, tz = period.spec, _zone(period.start)
    first = period.start.date()
    if spec.unit == "week":
        return Period(spec, _midnight(first - timedelta(days=7), tz), period.start)
    if spec.unit == "month":
        return Period(spec, _midnight(_add_months(first, -1), tz), period.start)
    if spec.unit == "days":
        return Period(spec, _midnight(first - timedelta(days=spec.days), tz), period.start)
    start = datetime.fromtimestamp(period.start_ts - spec.seconds, tz)
    return Period(spec, start, period.start)


def series_periods(period: Period, count: int = SERIES_LENGTH) -> tuple[Period, ...]:
    """``count`` consecutive periods, oldest first, ending with ``period``."""
    periods = [period]
    while len(periods) < count:
        periods.append(previous(periods[-1]))
    return tuple(reversed(periods))


_TREND = re.compile(r"([1-9][0-9]{0,2})([wm])")
TREND_MAX = {"w": 104, "m": 36}


def parse_trend(text: str) -> tuple[PeriodSpec, int]:
    """``12w`` (twelve ISO weeks) or ``6m`` (six calendar months): the unit and how many."""
    match = _TREND.fullmatch(text.strip().lower())
    if not match or not 2 <= int(match.group(1)) <= TREND_MAX[match.group(2)]:
        raise ValueError(f"--trend expects a number of weeks (2w to 104w) or months (2m to 36m), got {text!r}")
    return PeriodSpec("week" if match.group(2) == "w" else "month"), int(match.group(1))


# --------------------------------------------------------------------------- facts in


@dataclass(frozen=True)
class Comment:
    text: str
    score: int | None
    sentiment: float | None


@dataclass(frozen=True)
class EscalationFacts:
    """Escalations opened in the period, as they stand when the digest is made."""

    opened: int = 0
    claimed: int = 0
    resolved: int = 0
    claim_seconds: tuple[float, ...] = ()  # claimed_at - opened_at of those claimed
    resolve_seconds: tuple[float, ...] = ()  # resolved_at - opened_at of those resolved
    recovered: int = 0  # customers who said the issue was solved
    not_recovered: int = 0  # ... and who said it was not


@dataclass(frozen=True)
class ChannelRate:
    """Invitations delivered in the period and how many of them got an answer (surveys customers
    started themselves are counted apart, in ``SurveyFacts.self_started``)."""

    channel: str
    invited: int
    responded: int


@dataclass(frozen=True)
class SurveyFacts:
    """Everything the storage layer reads for one survey. ``counts[i]`` maps score -> number of
    answered responses in ``periods[i]``; the last period is the one being reported."""

    survey_id: str
    kind: Kind
    product: str
    periods: tuple[Period, ...]
    counts: tuple[Mapping[int, int], ...]
    sentiment: Mapping[str, int] = field(default_factory=dict)
    negative: tuple[Comment, ...] = ()
    positive: tuple[Comment, ...] = ()
    theme_comments: tuple[tuple[str, str], ...] = ()  # (text, language) of negative comments
    # Negative comments grouped by meaning across languages (surveys.meaning), when their
    # embeddings were at hand; beside the word themes.
    meaning_groups: tuple[MeaningGroup, ...] = ()
    escalations: EscalationFacts = EscalationFacts()
    rates: tuple[ChannelRate, ...] = ()
    segments: tuple[SegmentCounts, ...] = ()  # one per key asked for (``segments``, ``--by``)
    self_started: tuple[int, int] = (0, 0)  # sessions customers started themselves, and answered

    def __post_init__(self) -> None:
        if not self.periods or len(self.periods) != len(self.counts):
            raise ValueError("one score count per period, at least the current one")


# --------------------------------------------------------------------------- metrics from counts


def _checked(kind: Kind, counts: Mapping[int, int]) -> dict[int, int]:
    scale = SCALES[kind]
    low, high = scale.low, scale.high
    out: dict[int, int] = {}
    for score, count in counts.items():
        if not (type(score) is int and low <= score <= high) and score not in scale:
            raise ValueError(f"score {score} outside {kind} scale")
        if count < 0:
            raise ValueError(f"negative count {count} for score {score}")
        if count:
            out[score] = count
    return out


# Each score's category, looked up once: a digest by ten keys computes some five hundred results.
_CATEGORY: dict[Kind, dict[int, str]] = {
    kind: {score: classify(kind, score) for score in range(scale.low, scale.high + 1)} for kind, scale in SCALES.items()
}


def nps_from_counts(counts: Mapping[int, int]) -> NpsResult:
    """Same result as :func:`surveys.metrics.nps` over the expanded scores, in O(11)."""
    tally = {"promoter": 0, "passive": 0, "detractor": 0}
    category = _CATEGORY[Kind.NPS]
    for score, count in _checked(Kind.NPS, counts).items():
        tally[category[score]] += count
    n = sum(tally.values())
    return NpsResult(
        n=n,
        promoters=tally["promoter"],
        passives=tally["passive"],
        detractors=tally["detractor"],
        nps=100.0 * (tally["promoter"] - tally["detractor"]) / n if n else None,
        interval=adjusted_wald_nps(tally["promoter"], tally["detractor"], n),
        low_sample=n < LOW_SAMPLE,
    )


def csat_from_counts(counts: Mapping[int, int]) -> CsatResult:
    """Same result as :func:`surveys.metrics.csat` over the expanded scores."""
    clean = _checked(Kind.CSAT, counts)
    n = sum(clean.values())
    category = _CATEGORY[Kind.CSAT]
    satisfied = sum(c for s, c in clean.items() if category[s] == "satisfied")
    return CsatResult(
        n=n,
        satisfied=satisfied,
        csat=100.0 * satisfied / n if n else None,
        interval=wilson(satisfied, n),
        mean=sum(s * c for s, c in clean.items()) / n if n else None,
        low_sample=n < LOW_SAMPLE,
    )


def ces_from_counts(counts: Mapping[int, int]) -> CesResult:
    """Same result as :func:`surveys.metrics.ces` over the expanded scores (the sample standard
    deviation from the weighted sum of squares)."""
    clean = _checked(Kind.CES, counts)
    n = sum(clean.values())
    category = _CATEGORY[Kind.CES]
    easy = sum(c for s, c in clean.items() if category[s] == "easy")
    difficult = sum(c for s, c in clean.items() if category[s] == "difficult")
    mean = sum(s * c for s, c in clean.items()) / n if n else None
    sd = None
    mean_interval = None
    if mean is not None and n >= 2:
        sd = math.sqrt(sum(c * (s - mean) ** 2 for s, c in clean.items()) / (n - 1))
        half = _Z95 * sd / math.sqrt(n)
        scale = SCALES[Kind.CES]
        mean_interval = Interval(max(float(scale.low), mean - half), min(float(scale.high), mean + half))
    return CesResult(
        n=n,
        easy=easy,
        difficult=difficult,
        mean=mean,
        sd=sd,
        mean_interval=mean_interval,
        net=100.0 * (easy - difficult) / n if n else None,
        low_sample=n < LOW_SAMPLE,
    )


Result = NpsResult | CsatResult | CesResult


def result_from_counts(kind: Kind, counts: Mapping[int, int]) -> Result:
    if kind is Kind.NPS:
        return nps_from_counts(counts)
    if kind is Kind.CSAT:
        return csat_from_counts(counts)
    return ces_from_counts(counts)


def headline(result: Result) -> tuple[float | None, Interval | None]:
    """The one number of a survey kind and its 95% interval: NPS points, CSAT percent
    satisfied, CES mean."""
    if isinstance(result, NpsResult):
        return result.nps, result.interval
    if isinstance(result, CsatResult):
        return result.csat, result.interval
    return result.mean, result.mean_interval


def compare(prev: Result, cur: Result) -> Change:
    if isinstance(prev, NpsResult) and isinstance(cur, NpsResult):
        return compare_nps(prev, cur)
    if isinstance(prev, CsatResult) and isinstance(cur, CsatResult):
        return compare_csat(prev, cur)
    if isinstance(prev, CesResult) and isinstance(cur, CesResult):
        return compare_ces(prev, cur)
    raise TypeError("cannot compare results of different survey kinds")


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class SeriesPoint:
    period: Period
    n: int
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SurveySummary:
    facts: SurveyFacts
    current: Result
    prior: Result
    change: Change
    series: tuple[SeriesPoint, ...]
    themes: tuple[tuple[str, int], ...]
    invited: int
    responded: int
    response_rate: float | None
    sentiment: dict[str, int]
    median_claim: float | None
    median_resolve: float | None
    recovery_rate: float | None
    segments: tuple[SegmentTable, ...] = ()

    @property
    def kind(self) -> Kind:
        return self.facts.kind

    @property
    def period(self) -> Period:
        return self.facts.periods[-1]

    @property
    def previous_period(self) -> Period | None:
        return self.facts.periods[-2] if len(self.facts.periods) > 1 else None


def meaning_text(groups: Sequence[MeaningGroup]) -> str:
    """One line per group: its words, how many comments (in which languages), one quote."""
    return "\n".join(
        f"{g.name} ({g.count}{', ' + ' '.join(g.languages) if len(g.languages) > 1 else ''}): \u201c{g.quote}\u201d"
        for g in groups
    )


def summarise(facts: SurveyFacts) -> SurveySummary:
    """Compute every number of the digest from the facts."""
    results = [result_from_counts(facts.kind, counts) for counts in facts.counts]
    current = results[-1]
    prior = results[-2] if len(results) > 1 else result_from_counts(facts.kind, {})
    series = []
    for period, result in zip(facts.periods, results, strict=True):
        value, interval = headline(result)
        series.append(
            SeriesPoint(
                period,
                result.n,
                value,
                interval.low if interval else None,
                interval.high if interval else None,
            )
        )
    invited = sum(r.invited for r in facts.rates)
    responded = sum(r.responded for r in facts.rates)
    esc = facts.escalations
    answered_recovery = esc.recovered + esc.not_recovered
    return SurveySummary(
        facts=facts,
        current=current,
        prior=prior,
        change=compare(prior, current),
        series=tuple(series),
        themes=tuple(find_themes(facts.theme_comments, top=TOP_THEMES)),
        invited=invited,
        responded=responded,
        response_rate=rate(responded, invited),
        sentiment=_mix(facts.sentiment),
        median_claim=median(esc.claim_seconds),
        median_resolve=median(esc.resolve_seconds),
        recovery_rate=rate(esc.recovered, answered_recovery),
        segments=tuple(segment_table(facts.kind, counts) for counts in facts.segments),
    )


def _mix(counts: Mapping[str, int]) -> dict[str, int]:
    """:func:`surveys.metrics.sentiment_mix` over label counts instead of labels."""
    mix = sentiment_mix(())
    for label, count in counts.items():
        key = (label or "").strip().lower()
        mix[key if key in mix else "unscored"] += max(count, 0)
    return mix


@dataclass(frozen=True)
class Digest:
    """One digest: its name, the zone its dates are shown in, and a summary per survey."""

    title: str
    timezone: str
    period: Period
    surveys: tuple[SurveySummary, ...]
    note: str = ""  # shown once, under the first heading (which period this is, what else to ask)
    # Root causes of the alerts resolved in the period and open corrective actions (issue 19).
    causes: CauseReport | None = None


# --------------------------------------------------------------------------- formatting


def trim(text: str, limit: int = QUOTE_CHARS) -> str:
    """One line, at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def _signed(value: float, digits: int = 0) -> str:
    """``+25``, ``−3``, ``0`` (a typographic minus; no sign on a value that rounds to zero)."""
    text = f"{value:+.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    return text.replace("-", "−")


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace("-", "−")


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def duration(seconds: float | None) -> str:
    """A human duration: ``45 s``, ``25 min``, ``3.2 h``, ``2.5 d``."""
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _p(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def score_text(summary: SurveySummary) -> str:
    """The headline: the score with its 95% interval."""
    result = summary.current
    if result.n == 0:
        return "no responses"
    if isinstance(result, NpsResult):
        assert result.nps is not None and result.interval is not None
        ci = f"{_signed(result.interval.low)} to {_signed(result.interval.high)}"
        return f"{_signed(result.nps)} (95% CI {ci})"
    if isinstance(result, CsatResult):
        assert result.csat is not None and result.interval is not None and result.mean is not None
        ci = f"{result.interval.low:.0f}–{result.interval.high:.0f}%"
        return f"{result.csat:.0f}% satisfied (95% CI {ci}) · mean {result.mean:.2f}/5"
    assert result.mean is not None
    text = f"mean {result.mean:.2f}/7"
    if result.mean_interval is not None:
        text += f" (95% CI {result.mean_interval.low:.2f}–{result.mean_interval.high:.2f})"
    if result.net is not None:
        text += f" · net {_signed(result.net)} (% easy − % difficult)"
    return text


def change_text(summary: SurveySummary) -> str:
    change = summary.change
    against = f"previous {summary.period.spec.noun}"
    if summary.prior.n == 0:
        return f"no responses in the {against} to compare with"
    if change.delta is None:
        return "–"
    digits = 2 if summary.kind is Kind.CES else 0
    unit = "" if summary.kind is Kind.CES else " pts"
    shown = _signed(change.delta, digits)
    arrow = "=" if float(shown.replace("−", "-")) == 0 else "▲" if change.delta > 0 else "▼"
    prior_value, _ = headline(summary.prior)
    assert prior_value is not None
    was = _number(prior_value, digits) if summary.kind is Kind.CES else _signed(prior_value)
    if summary.kind is Kind.CSAT:
        was = f"{prior_value:.0f}%"
    text = f"{arrow} {shown}{unit} vs {against} ({was}, n={summary.prior.n})"
    if change.p_value is None:
        return f"{text}; too few responses to test (needs {LOW_SAMPLE} in each)"
    verdict = "significant" if change.significant else "not significant"
    return f"{text}; {verdict} ({_p(change.p_value)})"


def short_score(kind: Kind, value: float) -> str:
    """A score as a table cell: ``+31`` (NPS), ``82%`` (CSAT), ``5.40`` (CES mean)."""
    if kind is Kind.NPS:
        return _signed(value)
    if kind is Kind.CSAT:
        return f"{value:.0f}%"
    return _number(value, 2)


def short_interval(kind: Kind, interval: Interval) -> str:
    if kind is Kind.NPS:
        return f"{_signed(interval.low)} to {_signed(interval.high)}"
    if kind is Kind.CSAT:
        return f"{interval.low:.0f}–{interval.high:.0f}%"
    return f"{interval.low:.2f}–{interval.high:.2f}"


def _delta(kind: Kind, change: Change, prior_n: int, noun: str) -> str:
    """The change of a segment: arrow, delta and its test, in one short clause."""
    if prior_n == 0 or change.delta is None:
        return f"new this {noun}" if prior_n == 0 else "–"
    digits = 2 if kind is Kind.CES else 0
    shown = _signed(change.delta, digits)
    arrow = "=" if float(shown.replace("−", "-")) == 0 else "▲" if change.delta > 0 else "▼"
    unit = "" if kind is Kind.CES else " pts"
    text = f"{arrow} {shown}{unit} vs previous {noun} (n={prior_n})"
    if change.p_value is None:
        return f"{text}, too few to test"
    return f"{text}, {'significant' if change.significant else 'not significant'} ({_p(change.p_value)})"


def segment_row_text(kind: Kind, row: SegmentRow, noun: str) -> str:
    """One segment: ``n=42 · +31 (95% CI +10 to +48) · ▲ +12 pts vs previous week (n=40), not
    significant (p = 0.21)``, with a low-sample label."""
    if row.n == 0:
        return f"no responses this {noun} ({row.prior_n} in the previous {noun})"
    assert row.score is not None
    text = f"n={row.n} · {short_score(kind, row.score)}"
    if row.interval is not None:
        text += f" (95% CI {short_interval(kind, row.interval)})"
    text += f" · {_delta(kind, row.change, row.prior_n, noun)}"
    if row.low_sample:
        text += " · ⚠ low sample"
    return text


def segment_blocks(table: SegmentTable, noun: str) -> list[Block]:
    heading = f"By {table.key}"
    if not table.rows:
        return [Block("field", f"no responses carry “{table.key}” in this {noun}", heading)]
    note = f"{heading} (best first; fewer than {table.min_n} responses go to “other”):"
    return [Block("text", note)] + [
        Block("field", segment_row_text(table.kind, row, noun), row.label) for row in table.rows
    ]


def categories_text(summary: SurveySummary) -> str:
    result = summary.current
    n = result.n
    if isinstance(result, NpsResult):
        parts = [("promoters", result.promoters), ("passives", result.passives), ("detractors", result.detractors)]
    elif isinstance(result, CsatResult):
        counts = summary.facts.counts[-1]
        neutral = counts.get(3, 0)
        parts = [("satisfied", result.satisfied), ("neutral", neutral), ("unsatisfied", n - result.satisfied - neutral)]
    else:
        parts = [
            ("easy", result.easy),
            ("neutral", n - result.easy - result.difficult),
            ("difficult", result.difficult),
        ]
    return " · ".join(f"{count} {_plural(name, count)} ({_percent(count, n)})" for name, count in parts)


def _plural(name: str, count: int) -> str:
    """NPS categories are nouns ("1 promoter", "2 promoters"); the others are adjectives."""
    return name[:-1] if count == 1 and name in ("promoters", "passives", "detractors") else name


def self_started_text(summary: SurveySummary) -> str:
    started, answered = summary.facts.self_started
    return f"{started} started by customers ({answered} answered); not in the response rate"


def rate_text(summary: SurveySummary) -> str:
    if summary.invited == 0:
        return "– (no invitations in this period)"
    assert summary.response_rate is not None
    text = f"{summary.response_rate:.0f}% ({summary.responded} of {summary.invited} invited)"
    channels = [r for r in summary.facts.rates if r.invited]
    if len(channels) > 1:
        text += " · " + " · ".join(f"{r.channel} {_percent(r.responded, r.invited)}" for r in channels)
    return text


def sentiment_text(summary: SurveySummary) -> str:
    mix = summary.sentiment
    if not sum(mix.values()):
        return "no comments"
    return " · ".join(f"{mix[k]} {k}" for k in ("positive", "neutral", "negative", "unscored") if mix[k])


def escalation_text(summary: SurveySummary) -> str:
    esc = summary.facts.escalations
    if esc.opened == 0:
        return "none opened"
    return f"{esc.opened} opened · {esc.claimed} claimed · {esc.resolved} resolved"


def response_time_text(summary: SurveySummary) -> str:
    """Median time from the alert to its claim and to its resolution."""
    return f"to claim {duration(summary.median_claim)} · to resolve {duration(summary.median_resolve)}"


def recovery_text(summary: SurveySummary) -> str:
    esc = summary.facts.escalations
    answered = esc.recovered + esc.not_recovered
    if summary.recovery_rate is None:
        return "– (no customer answered the follow-up yet)"
    return f"{summary.recovery_rate:.0f}% ({esc.recovered} of {answered} said it was solved)"


def _quote(comment: Comment, kind: Kind) -> Block:
    meta = []
    if comment.score is not None:
        meta.append(f"{comment.score}/{SCALES[kind].high}")
    if comment.sentiment is not None:
        meta.append(f"sentiment {_signed(comment.sentiment, 2)}")
    text = f"“{trim(comment.text)}”"
    label = " · ".join(meta)
    return Block("quote", f"{text} ({label})" if label else text, label)


def _window_text(summary: SurveySummary, timezone: str) -> str:
    period = summary.period
    text = f"{period.start:%a %d %b %Y %H:%M} to {period.end:%a %d %b %Y %H:%M} ({timezone})"
    before = summary.previous_period
    if before is not None:
        text += f", compared with {before.label}"
    return text


def survey_blocks(summary: SurveySummary, timezone: str) -> tuple[Block, ...]:
    """The digest of one survey, short enough to read on a phone."""
    facts = summary.facts
    kind_name = facts.kind.value.upper()
    blocks = [
        Block("heading", f"{kind_name} · {facts.product} ({facts.survey_id}) · {summary.period.label}"[:150]),
        Block("context", _window_text(summary, timezone)),
    ]
    if summary.current.n == 0:
        blocks.append(Block("field", "no answered responses in this period", kind_name))
        if summary.prior.n:
            blocks.append(
                Block("field", f"{summary.prior.n} responses in the previous {summary.period.spec.noun}", "Before")
            )
    else:
        blocks += [
            Block("field", score_text(summary), kind_name),
            Block("field", change_text(summary), "Change"),
            Block("field", f"{summary.current.n} · {categories_text(summary)}", "Responses"),
        ]
    for table in summary.segments:
        blocks += segment_blocks(table, summary.period.spec.noun)
    blocks.append(Block("field", rate_text(summary), "Response rate"))
    if summary.facts.self_started[0]:
        blocks.append(Block("field", self_started_text(summary), "Self-started"))
    blocks += [
        Block("field", sentiment_text(summary), "Comments"),
    ]
    if summary.themes:
        blocks.append(Block("field", ", ".join(f"{term} ({count})" for term, count in summary.themes), "Themes"))
    if facts.meaning_groups:
        blocks.append(Block("field", meaning_text(facts.meaning_groups), "Complaints by meaning"))
    blocks.append(Block("field", escalation_text(summary), "Escalations"))
    if facts.escalations.opened:
        blocks.append(Block("field", response_time_text(summary), "Median time"))
        blocks.append(Block("field", recovery_text(summary), "Recovered"))
    if facts.negative:
        blocks.append(Block("text", "Most negative comments:"))
        blocks += [_quote(c, facts.kind) for c in facts.negative[:NEGATIVE_QUOTES]]
    if facts.positive:
        blocks.append(Block("text", "Most positive comments:"))
        blocks += [_quote(c, facts.kind) for c in facts.positive[:POSITIVE_QUOTES]]
    if 0 < summary.current.n < LOW_SAMPLE:
        blocks.append(
            Block(
                "context",
                f"⚠ Low sample: {summary.current.n} response{'' if summary.current.n == 1 else 's'} "
                f"(fewer than {LOW_SAMPLE}); "
                "read the interval, not the point.",
            )
        )
    blocks.append(Block("divider"))
    return tuple(blocks)


def chart_caption(summary: SurveySummary) -> str:
    facts = summary.facts
    what = {Kind.NPS: "NPS", Kind.CSAT: "CSAT % satisfied", Kind.CES: "CES mean"}[facts.kind]
    return (
        f"{facts.survey_id}: {what} per {summary.period.spec.noun} with its 95% interval, and responses, "
        f"last {len(summary.series)} periods"
    )


def point_text(kind: Kind, point: SeriesPoint) -> str:
    """One period of a trend: ``n=52 · +31 (95% CI +10 to +48)`` with a low-sample label."""
    if point.n == 0 or point.value is None:
        return "no responses"
    text = f"n={point.n} · {short_score(kind, point.value)}"
    if point.low is not None and point.high is not None:
        text += f" (95% CI {short_interval(kind, Interval(point.low, point.high))})"
    return text + (" · ⚠ low sample" if point.n < LOW_SAMPLE else "")


def trend_blocks(summary: SurveySummary) -> tuple[Block, ...]:
    """Score over time: one row per period, oldest first."""
    facts = summary.facts
    series = summary.series
    what = {Kind.NPS: "NPS", Kind.CSAT: "CSAT % satisfied", Kind.CES: "CES mean (higher = easier)"}[facts.kind]
    heading = f"{facts.kind.value.upper()} · {facts.product} ({facts.survey_id}) · per {summary.period.spec.noun}"
    blocks = [
        Block("heading", heading[:150]),
        Block("context", f"{what} with its 95% interval, {series[0].period.label} to {series[-1].period.label}"),
    ]
    blocks += [Block("field", point_text(facts.kind, p), p.period.label) for p in series]
    blocks.append(Block("divider"))
    return tuple(blocks)


def trend_json(summaries: Sequence[SurveySummary], timezone: str) -> dict[str, Any]:
    return {
        "report": "trend",
        "timezone": timezone,
        "surveys": [
            {
                "survey_id": s.facts.survey_id,
                "kind": s.kind.value,
                "product": s.facts.product,
                "period_unit": str(s.period.spec),
                "series": [
                    {
                        **(_period_json(p.period) or {}),
                        "n": p.n,
                        "score": p.value,
                        "interval": None if p.low is None or p.high is None else [p.low, p.high],
                        "low_sample": 0 < p.n < LOW_SAMPLE,
                    }
                    for p in s.series
                ],
            }
            for s in summaries
        ],
    }


# --------------------------------------------------------------------------- rendering


def render_text(blocks: Iterable[Block]) -> str:
    """Plain text: what a terminal or a notification preview shows."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            lines += [block.text, "=" * min(len(block.text), 72)]
        elif block.kind == "field":
            lines.append(f"{block.label}: {block.text}" if block.label else block.text)
        elif block.kind == "quote":
            lines.extend(f"  | {line}" for line in block.text.splitlines())
        elif block.kind == "divider":
            lines.append("")
        else:
            lines.append(block.text)
    return "\n".join(lines).strip("\n") + "\n"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def render_markdown(blocks: Iterable[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            lines += ["", f"## {_md_escape(block.text)}", ""]
        elif block.kind == "field":
            label = f"**{_md_escape(block.label)}:** " if block.label else ""
            lines.append(f"- {label}{_md_escape(block.text)}")
        elif block.kind == "quote":
            lines += [f"> {_md_escape(line)}" for line in block.text.splitlines()] + [""]
        elif block.kind == "context":
            lines += ["", f"_{_md_escape(block.text)}_", ""]
        elif block.kind == "divider":
            lines += ["", "---"]
        else:
            lines += ["", _md_escape(block.text), ""]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def digest_blocks(digest: Digest) -> tuple[Block, ...]:
    blocks = tuple(b for summary in digest.surveys for b in survey_blocks(summary, digest.timezone))
    if digest.causes is not None and not digest.causes.empty:
        blocks += cause_blocks(digest.causes)
    return blocks


CAUSES_CHART = "\x1fcauses"  # the Pareto chart's key in the ``charts`` mapping of :func:`digest_messages`


def cause_blocks(report: CauseReport) -> tuple[Block, ...]:
    """Root causes as a Pareto (most frequent first, with shares and the change since the
    previous period, recovery rate and median time to resolve), then the open actions."""
    blocks = [Block("heading", f"Root causes · {report.period_label}")]
    if report.rows:
        blocks.append(Block("context", f"{report.resolved_text}; most frequent cause first"))
        blocks += [Block("text", line) for line in cause_lines(report)]
    else:
        blocks.append(Block("context", "No alert was resolved in this period."))
    routes = route_lines(report)
    if routes:
        blocks.append(Block("field", "recovery and time to resolve per route", "By route"))
        blocks += [Block("text", line) for line in routes]
    blocks.append(Block("field", f"{len(report.actions)} open, {len(report.overdue)} overdue", "Corrective actions"))
    blocks += [Block("text", f"• {line}") for line in action_lines(report)]
    return tuple(blocks)


def cause_chart_caption(report: CauseReport) -> str:
    return (
        f"Root causes, {report.period_label}: alerts per cause, most frequent first (bars), "
        "and the cumulative share (line); the dashed line marks 80%"
    )


def _cause_messages(digest: Digest, dest: Destination, charts: Mapping[str, str]) -> list[OutMessage]:
    if digest.causes is None or digest.causes.empty:
        return []
    blocks = cause_blocks(digest.causes)
    out = [OutMessage(dest, plain_text(blocks), blocks=blocks, audience="staff")]
    return out + _cause_chart(digest, dest, charts)


def _cause_chart(digest: Digest, dest: Destination, charts: Mapping[str, str]) -> list[OutMessage]:
    chart = charts.get(CAUSES_CHART)
    if digest.causes is None or not chart:
        return []
    return [OutMessage(dest, cause_chart_caption(digest.causes), attachment=chart, audience="staff")]


def plain_text(blocks: Sequence[Block]) -> str:
    """The ``text`` of an OutMessage: the fallback shown in notifications."""
    return render_text(blocks).rstrip("\n")


def segment_chart_key(survey_id: str, key: str) -> str:
    """The key of a segment chart in the ``charts`` mapping of :func:`digest_messages`."""
    return f"{survey_id}\x1fby\x1f{key}"


def segment_chart_caption(summary: SurveySummary, table: SegmentTable) -> str:
    return (
        f"{summary.facts.survey_id} by {table.key}: each segment's score with its 95% interval, best first, "
        f"against all responses (dashed line and band); hollow dots are low samples"
    )


def digest_messages(
    digest: Digest, destinations: Iterable[Destination], charts: Mapping[str, str], ref_prefix: str = ""
) -> list[OutMessage]:
    """Per destination and survey: the digest message, then its chart and its segment charts
    (separate messages, so Slack keeps Block Kit for the text and Telegram is not limited to a
    photo caption)."""
    messages: list[OutMessage] = []
    for dest in destinations:
        for index, summary in enumerate(digest.surveys):
            blocks = survey_blocks(summary, digest.timezone)
            if digest.note and index == 0:
                blocks = (*blocks[:2], Block("context", digest.note), *blocks[2:])
            ref = f"{ref_prefix}:{summary.facts.survey_id}:{dest}" if ref_prefix else None
            messages.append(OutMessage(dest, plain_text(blocks), blocks=blocks, ref_key=ref, audience="staff"))
            messages += _charts_of(summary, dest, charts)
        messages += _cause_messages(digest, dest, charts)
    return messages


def chart_messages(digest: Digest, destinations: Iterable[Destination], charts: Mapping[str, str]) -> list[OutMessage]:
    """Only the charts of a digest (posted after its text, e.g. once rendered)."""
    out = [m for dest in destinations for summary in digest.surveys for m in _charts_of(summary, dest, charts)]
    return out + [m for dest in destinations for m in _cause_chart(digest, dest, charts)]


def _charts_of(summary: SurveySummary, dest: Destination, charts: Mapping[str, str]) -> list[OutMessage]:
    out = []
    chart = charts.get(summary.facts.survey_id)
    if chart:
        out.append(OutMessage(dest, chart_caption(summary), attachment=chart, audience="staff"))
    for table in summary.segments:
        chart = charts.get(segment_chart_key(summary.facts.survey_id, table.key))
        if chart:
            out.append(OutMessage(dest, segment_chart_caption(summary, table), attachment=chart, audience="staff"))
    return out


def _interval_json(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [interval.low, interval.high]


def _period_json(period: Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label}


def segment_json(table: SegmentTable) -> dict[str, Any]:
    return {
        "min_n": table.min_n,
        "rows": [
            {
                "value": row.value,
                "folded_values": row.folded,
                "n": row.n,
                "score": row.score,
                "interval": _interval_json(row.interval),
                "low_sample": row.low_sample,
                "previous": {"n": row.prior_n, "score": row.prior_score},
                "change": {
                    "delta": row.change.delta,
                    "significant": row.change.significant,
                    "p_value": row.change.p_value,
                    "test": row.change.test,
                },
            }
            for row in table.rows
        ],
    }


def survey_json(summary: SurveySummary) -> dict[str, Any]:
    facts = summary.facts
    value, interval = headline(summary.current)
    prior_value, _ = headline(summary.prior)
    result = summary.current
    data: dict[str, Any] = {
        "survey_id": facts.survey_id,
        "kind": facts.kind.value,
        "product": facts.product,
        "period": _period_json(summary.period),
        "previous_period": _period_json(summary.previous_period),
        "n": result.n,
        "score": value,
        "interval": _interval_json(interval),
        "low_sample": result.low_sample,
        "previous": {"n": summary.prior.n, "score": prior_value},
        "change": {
            "delta": summary.change.delta,
            "significant": summary.change.significant,
            "p_value": summary.change.p_value,
            "test": summary.change.test,
        },
        "scores": {str(k): v for k, v in sorted(facts.counts[-1].items()) if v},
        "response_rate": {
            "invited": summary.invited,
            "responded": summary.responded,
            "rate": summary.response_rate,
            "channels": [{"channel": r.channel, "invited": r.invited, "responded": r.responded} for r in facts.rates],
        },
        "self_started": {"started": facts.self_started[0], "answered": facts.self_started[1]},
        "sentiment": summary.sentiment,
        "most_negative": [{"text": c.text, "score": c.score, "sentiment": c.sentiment} for c in facts.negative],
        "most_positive": [{"text": c.text, "score": c.score, "sentiment": c.sentiment} for c in facts.positive],
        "themes": [{"term": t, "comments": n} for t, n in summary.themes],
        "meaning_groups": [
            {"words": list(g.words), "comments": g.count, "languages": list(g.languages), "quote": g.quote}
            for g in facts.meaning_groups
        ],
        "escalations": {
            "opened": facts.escalations.opened,
            "claimed": facts.escalations.claimed,
            "resolved": facts.escalations.resolved,
            "median_seconds_to_claim": summary.median_claim,
            "median_seconds_to_resolve": summary.median_resolve,
            "recovery_rate": summary.recovery_rate,
        },
        "segments": {table.key: segment_json(table) for table in summary.segments},
        "series": [
            {
                "period": p.period.start.isoformat(),
                "label": p.period.short_label,
                "n": p.n,
                "score": p.value,
                "low": p.low,
                "high": p.high,
            }
            for p in summary.series
        ],
    }
    if isinstance(result, NpsResult):
        data["categories"] = {
            "promoters": result.promoters,
            "passives": result.passives,
            "detractors": result.detractors,
        }
    elif isinstance(result, CsatResult):
        data["mean"] = result.mean
    else:
        data.update(mean=result.mean, sd=result.sd, net=result.net, easy=result.easy, difficult=result.difficult)
    return data


def to_json(digest: Digest) -> dict[str, Any]:
    return {
        "report": "digest",
        "timezone": digest.timezone,
        "period": _period_json(digest.period),
        "surveys": [survey_json(s) for s in digest.surveys],
        **({"root_causes": cause_json(digest.causes)} if digest.causes is not None else {}),
    }
