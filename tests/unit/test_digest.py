"""Digest composition (pure): periods in a time zone, metrics from counts, blocks and renderings.

Hand-computed values are in the comments; z = 1.96.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from surveys import metrics
from surveys.digest import (
    ChannelRate,
    Comment,
    Digest,
    EscalationFacts,
    Period,
    PeriodSpec,
    SurveyFacts,
    ces_from_counts,
    csat_from_counts,
    digest_blocks,
    digest_messages,
    duration,
    last_complete,
    nps_from_counts,
    previous,
    render_markdown,
    render_text,
    series_periods,
    span,
    summarise,
    survey_blocks,
    to_json,
    trim,
)
from surveys.kinds import Kind
from surveys.model import Block, Destination

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
WEEK = PeriodSpec("week")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [("week", PeriodSpec("week")), ("month", PeriodSpec("month")), ("days:7", PeriodSpec("days", days=7))],
)
def test_period_spec_parses_the_three_forms(text: str, expected: PeriodSpec) -> None:
    assert PeriodSpec.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["weekly", "days:0", "days:-1", "days:400", "days:", "days:7x", ""])
def test_period_spec_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="'week', 'month' or 'days:N'"):
        PeriodSpec.parse(text)


def test_last_complete_iso_week_in_the_digest_time_zone() -> None:
    # Monday 5 Jan 2026 00:30 in Berlin is still Sunday 23:30 UTC: in Berlin the week that just
    # ended is 29 Dec - 4 Jan, ISO week 2026-W01.
    period = last_complete(WEEK, at(2026, 1, 5, 0, 30))
    assert (period.start, period.end) == (at(2025, 12, 29), at(2026, 1, 5))
    assert period.label == "week 2026-W01 (29 Dec 2025 – 4 Jan 2026)"
    assert period.short_label == "W01"
    assert period.key == "2025-12-29T00:00:00+01:00"
    # The same instant seen from UTC is still inside that week, so the last complete one is W52.
    in_utc = last_complete(WEEK, at(2026, 1, 5, 0, 30).astimezone(UTC))
    assert in_utc.label == "week 2025-W52 (22–28 Dec 2025)"


def test_week_across_the_spring_clock_change_is_167_hours_midnight_to_midnight() -> None:
    period = last_complete(WEEK, at(2026, 3, 30, 9))  # DST began on Sunday 29 March
    assert (period.start, period.end) == (at(2026, 3, 23), at(2026, 3, 30))
    assert period.end_ts - period.start_ts == 167 * 3600
    before = previous(period)
    assert (before.start, before.end) == (at(2026, 3, 16), at(2026, 3, 23))
    assert before.end_ts - before.start_ts == 168 * 3600


def test_months_and_the_year_boundary() -> None:
    period = last_complete(PeriodSpec("month"), at(2026, 1, 15, 12))
    assert (period.start, period.end) == (at(2025, 12, 1), at(2026, 1, 1))
    assert period.label == "December 2025"
    before = previous(period)
    assert (before.start, before.end) == (at(2025, 11, 1), at(2025, 12, 1))
    assert before.short_label == "Nov 25"
    march = last_complete(PeriodSpec("month"), at(2026, 3, 1, 0, 0))  # exactly at the boundary
    assert (march.start, march.end) == (at(2026, 2, 1), at(2026, 3, 1))


def test_rolling_days_end_at_midnight_of_the_day_it_runs() -> None:
    period = last_complete(PeriodSpec("days", days=7), at(2026, 1, 7, 15))
    assert (period.start, period.end) == (at(2025, 12, 31), at(2026, 1, 7))
    assert period.label == "7 days, 31 Dec 2025 – 6 Jan 2026"
    assert previous(period).start == at(2025, 12, 24)
    one = last_complete(PeriodSpec("days", days=1), at(2026, 1, 7, 15))
    assert one.label == "6 Jan 2026"


def test_series_is_twelve_contiguous_periods_ending_with_the_current_one() -> None:
    period = last_complete(WEEK, at(2026, 1, 12, 9))
    series = series_periods(period)
    assert len(series) == 12 and series[-1] == period
    assert all(a.end == b.start for a, b in itertools.pairwise(series))
    assert series[0].start == at(2025, 10, 20)


def test_custom_spans_step_back_by_their_length() -> None:
    days = span(at(2026, 1, 1), at(2026, 1, 11))
    assert days.spec == PeriodSpec("days", days=10)
    assert previous(days).start == at(2025, 12, 22)
    hours = span(at(2026, 1, 1, 6), at(2026, 1, 1, 18))
    assert hours.spec.unit == "span"
    assert previous(hours).start == at(2025, 12, 31, 18)
    assert hours.label == "2026-01-01 06:00 to 2026-01-01 18:00"
    with pytest.raises(ValueError):
        span(at(2026, 1, 2), at(2026, 1, 1))


# --------------------------------------------------------------------------- metrics from counts


def expand(counts: dict[int, int]) -> list[int]:
    return [score for score, n in counts.items() for _ in range(n)]


@pytest.mark.parametrize(
    "counts",
    [{}, {10: 1}, {10: 5, 9: 5, 8: 5, 3: 5}, {0: 3, 6: 7, 7: 2, 9: 11, 10: 40}, dict.fromkeys(range(11), 9)],
)
def test_nps_from_counts_equals_nps_of_the_scores(counts: dict[int, int]) -> None:
    assert nps_from_counts(counts) == metrics.nps(expand(counts))


@pytest.mark.parametrize("counts", [{}, {5: 1}, {1: 2, 3: 5, 4: 8, 5: 20}])
def test_csat_from_counts_equals_csat_of_the_scores(counts: dict[int, int]) -> None:
    got, want = csat_from_counts(counts), metrics.csat(expand(counts))
    assert (got.n, got.satisfied, got.csat, got.interval, got.low_sample) == (
        want.n,
        want.satisfied,
        want.csat,
        want.interval,
        want.low_sample,
    )
    assert got.mean == pytest.approx(want.mean)


@pytest.mark.parametrize("counts", [{}, {4: 1}, {1: 1, 7: 1}, {2: 4, 5: 9, 6: 12, 7: 3}])
def test_ces_from_counts_equals_ces_of_the_scores(counts: dict[int, int]) -> None:
    got, want = ces_from_counts(counts), metrics.ces(expand(counts))
    assert (got.n, got.easy, got.difficult, got.net) == (want.n, want.easy, want.difficult, want.net)
    assert got.mean == pytest.approx(want.mean)
    assert got.sd == pytest.approx(want.sd)
    if want.mean_interval is not None:
        assert got.mean_interval is not None
        assert got.mean_interval.low == pytest.approx(want.mean_interval.low)
        assert got.mean_interval.high == pytest.approx(want.mean_interval.high)


def test_counts_outside_the_scale_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        nps_from_counts({11: 1})
    with pytest.raises(ValueError, match="negative count"):
        csat_from_counts({4: -1})


# --------------------------------------------------------------------------- composition

PERIOD = last_complete(WEEK, at(2026, 1, 12, 9))
PERIODS = series_periods(PERIOD)


def facts(
    current: dict[int, int],
    prior: dict[int, int] | None = None,
    *,
    kind: Kind = Kind.NPS,
    **extra: object,
) -> SurveyFacts:
    counts: list[dict[int, int]] = [{} for _ in PERIODS]
    counts[-1] = current
    counts[-2] = prior or {}
    return SurveyFacts(
        survey_id=kind.value,
        kind=kind,
        product="Acme",
        periods=PERIODS,
        counts=tuple(counts),
        **extra,  # type: ignore[arg-type]
    )


def fields(blocks: tuple[Block, ...]) -> dict[str, str]:
    return {b.label: b.text for b in blocks if b.kind == "field"}


def test_nps_headline_interval_categories_and_untested_change() -> None:
    # Current: 10 promoters, 5 passives, 5 detractors: NPS = (10 - 5) / 20 = +25.
    # Adjusted Wald: n' = 23, p' = 10.75/23 = .4674, d' = 5.75/23 = .2500, centre .2174,
    # var = .4674 + .25 - .2174² = .6701, SE = √(.6701/23) = .1707, ± 1.96 SE = ± .3346
    # -> [-11.7, 55.2] -> "−12 to +55". Previous: 2 promoters, 2 detractors: NPS 0.
    summary = summarise(facts({10: 5, 9: 5, 8: 5, 3: 5}, {10: 2, 0: 2}))
    shown = fields(survey_blocks(summary, "Europe/Berlin"))
    assert shown["NPS"] == "+25 (95% CI −12 to +55)"
    assert shown["Responses"] == "20 · 10 promoters (50%) · 5 passives (25%) · 5 detractors (25%)"
    # 20 and 4 responses: below 30 in each, so the change is reported but not tested.
    assert shown["Change"] == "▲ +25 pts vs previous week (0, n=4); too few responses to test (needs 30 in each)"
    assert summary.change.delta == 25 and summary.change.p_value is None


def test_a_significant_change_names_its_p_value() -> None:
    # Previous 30 promoters / 70 detractors (NPS -40), current 70 / 30 (+40):
    # var = .3 + .7 - .4² = .84 in each, SE = √(.84/100 · 2) = .1296, z = .8 / .1296 = 6.2.
    summary = summarise(facts({10: 70, 2: 30}, {10: 30, 2: 70}))
    change = fields(survey_blocks(summary, "UTC"))["Change"]
    assert change == "▲ +80 pts vs previous week (−40, n=100); significant (p < 0.001)"
    assert not any(b.kind == "context" and "Low sample" in b.text for b in survey_blocks(summary, "UTC"))


def test_csat_and_ces_headlines() -> None:
    # CSAT: 8 of 10 satisfied = 80%, Wilson [49.0, 94.3]; mean (5·5 + 4·3 + 2·2) / 10 = 4.10.
    csat = summarise(facts({5: 5, 4: 3, 2: 2}, kind=Kind.CSAT))
    shown = fields(survey_blocks(csat, "UTC"))
    assert shown["CSAT"] == "80% satisfied (95% CI 49–94%) · mean 4.10/5"
    assert shown["Responses"] == "10 · 8 satisfied (80%) · 0 neutral (0%) · 2 unsatisfied (20%)"
    # CES: scores 7, 7, 4, 2: mean 5.00, sd √((4 + 4 + 1 + 9) / 3) = √6 = 2.449,
    # ± 1.96 · 2.449 / 2 = ± 2.40 -> [2.60, 7.00] (clipped); net (2 easy - 1 difficult) / 4 = +25.
    ces = summarise(facts({7: 2, 4: 1, 2: 1}, {5: 1}, kind=Kind.CES))
    shown = fields(survey_blocks(ces, "UTC"))
    assert shown["CES"] == "mean 5.00/7 (95% CI 2.60–7.00) · net +25 (% easy − % difficult)"
    assert shown["Change"].startswith("= 0.00 vs previous week (5.00, n=1)")


def test_response_rate_sentiment_themes_and_escalation_timings() -> None:
    summary = summarise(
        facts(
            {9: 3, 2: 2},
            rates=(ChannelRate("slack", 5, 2), ChannelRate("telegram", 5, 3)),
            sentiment={"positive": 2, "negative": 3, "unscored": 1},
            theme_comments=(
                ("Slow delivery again", "en"),
                ("slow delivery, and rude staff", "en"),
                ("Lieferung zu langsam", "de"),
            ),
            escalations=EscalationFacts(
                opened=4,
                claimed=3,
                resolved=2,
                claim_seconds=(60.0, 120.0, 600.0),
                resolve_seconds=(3600.0, 7200.0),
                recovered=2,
                not_recovered=1,
            ),
        )
    )
    shown = fields(survey_blocks(summary, "UTC"))
    assert shown["Response rate"] == "50% (5 of 10 invited) · slack 40% · telegram 60%"
    assert shown["Comments"] == "2 positive · 3 negative · 1 unscored"
    assert shown["Themes"] == "slow delivery (2)"  # "slow" and "delivery" are covered by the phrase
    assert shown["Escalations"] == "4 opened · 3 claimed · 2 resolved"
    assert shown["Median time"] == "to claim 2 min · to resolve 1.5 h"
    assert shown["Recovered"] == "67% (2 of 3 said it was solved)"
    assert summary.response_rate == 50.0 and summary.recovery_rate == pytest.approx(200 / 3)


def test_quotes_are_trimmed_and_carry_score_and_sentiment() -> None:
    long = "The checkout failed " + "again and " * 40 + "I gave up."
    summary = summarise(
        facts(
            {3: 1, 10: 1},
            negative=(Comment(long, 3, -0.8123),),
            positive=(Comment("  Lovely\n\nteam  ", 10, 0.9),),
        )
    )
    blocks = survey_blocks(summary, "UTC")
    quotes = [b for b in blocks if b.kind == "quote"]
    assert len(quotes) == 2
    negative, positive = quotes
    assert negative.text.startswith("“The checkout failed again")
    assert "…”" in negative.text and negative.text.endswith("(3/10 · sentiment −0.81)")
    assert len(negative.text) < 240
    assert positive.text == "“Lovely team” (10/10 · sentiment +0.90)"
    texts = [b.text for b in blocks if b.kind == "text"]
    assert texts == ["Most negative comments:", "Most positive comments:"]


def test_low_sample_and_empty_periods() -> None:
    small = survey_blocks(summarise(facts({9: 3})), "UTC")
    assert any(b.kind == "context" and "Low sample: 3 responses" in b.text for b in small)
    empty = survey_blocks(summarise(facts({}, {9: 4})), "UTC")
    shown = fields(empty)
    assert shown["NPS"] == "no answered responses in this period"
    assert shown["Before"] == "4 responses in the previous week"
    assert shown["Response rate"] == "– (no invitations in this period)"
    assert shown["Comments"] == "no comments"
    assert shown["Escalations"] == "none opened"
    assert "Change" not in shown and "Median time" not in shown


def test_heading_and_context_name_the_survey_and_the_window() -> None:
    blocks = survey_blocks(summarise(facts({9: 1})), "Europe/Berlin")
    assert blocks[0] == Block("heading", "NPS · Acme (nps) · week 2026-W02 (5–11 Jan 2026)")
    assert blocks[1].kind == "context"
    assert blocks[1].text == (
        "Mon 05 Jan 2026 00:00 to Mon 12 Jan 2026 00:00 (Europe/Berlin), compared with week 2026-W01 "
        "(29 Dec 2025 – 4 Jan 2026)"
    )
    assert blocks[-1].kind == "divider"


def test_series_points_carry_the_interval_for_the_chart() -> None:
    summary = summarise(facts({10: 5, 9: 5, 8: 5, 3: 5}, {10: 2, 0: 2}))
    assert len(summary.series) == 12
    last = summary.series[-1]
    assert (last.n, last.value) == (20, 25.0)
    assert last.low == pytest.approx(-11.7167, abs=1e-3) and last.high == pytest.approx(55.1950, abs=1e-3)
    assert summary.series[0].value is None and summary.series[0].n == 0


def digest_of(*summaries_facts: SurveyFacts) -> Digest:
    return Digest("weekly", "UTC", PERIOD, tuple(summarise(f) for f in summaries_facts))


def test_renderings_text_markdown_and_json() -> None:
    digest = digest_of(facts({10: 5, 9: 5, 8: 5, 3: 5}), facts({5: 5, 4: 3, 2: 2}, kind=Kind.CSAT))
    blocks = digest_blocks(digest)
    text = render_text(blocks)
    assert text.startswith("NPS · Acme (nps) · week 2026-W02 (5–11 Jan 2026)\n=====")
    assert "NPS: +25 (95% CI −12 to +55)" in text and "CSAT: 80% satisfied" in text
    markdown = render_markdown(blocks)
    assert "## NPS · Acme (nps)" in markdown
    assert "- **NPS:** +25 (95% CI −12 to +55)" in markdown
    data = json.loads(json.dumps(to_json(digest)))
    assert data["period"]["start"] == "2026-01-05T00:00:00+01:00"
    nps = data["surveys"][0]
    assert (nps["n"], nps["score"], nps["categories"]) == (20, 25.0, {"promoters": 10, "passives": 5, "detractors": 5})
    assert nps["interval"][0] == pytest.approx(-11.7167, abs=1e-3)
    assert nps["change"]["test"] == metrics.NPS_TEST
    assert len(nps["series"]) == 12 and nps["series"][-1]["n"] == 20
    assert data["surveys"][1]["mean"] == pytest.approx(4.1)


def test_markdown_escapes_what_customers_wrote() -> None:
    blocks = (Block("quote", "*bold* and `code` # [x](y)"),)
    assert render_markdown(blocks) == "> \\*bold\\* and \\`code\\` \\# \\[x\\](y)\n"


def test_messages_per_destination_and_survey_with_the_chart_after_the_text() -> None:
    digest = digest_of(facts({9: 1}), facts({5: 1}, kind=Kind.CSAT))
    dests = [Destination("slack", "C1"), Destination("telegram", "-100")]
    messages = digest_messages(digest, dests, {"nps": "/tmp/nps.png"}, ref_prefix="digest:weekly:x")
    assert [(m.to.chat_id, m.attachment is not None) for m in messages] == [
        ("C1", False),
        ("C1", True),
        ("C1", False),
        ("-100", False),
        ("-100", True),
        ("-100", False),
    ]
    assert all(m.audience == "staff" for m in messages)
    first = messages[0]
    assert first.blocks and first.blocks[0].kind == "heading"
    assert first.text.startswith("NPS · Acme (nps)") and "NPS: +100" in first.text
    assert first.ref_key == "digest:weekly:x:nps:slack:C1"
    assert messages[1].attachment == "/tmp/nps.png" and "95% interval" in messages[1].text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (12, "12 s"), (90, "2 min"), (3599, "60 min"), (5400, "1.5 h"), (3 * 86400, "3.0 d")],
)
def test_durations(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_trim_cuts_at_a_word_and_flattens_whitespace() -> None:
    assert trim("a  b\n c") == "a b c"
    cut = trim("word " * 100, 30)
    assert cut.endswith("…") and len(cut) <= 30 and not cut.endswith(" …")
    assert trim("x" * 50, 10) == "x" * 9 + "…"


def test_period_requires_aware_zoneinfo_datetimes() -> None:
    with pytest.raises(ValueError, match="ZoneInfo"):
        last_complete(WEEK, datetime(2026, 1, 1))
    naive_ok = Period(WEEK, at(2026, 1, 5), at(2026, 1, 12))
    assert math.isclose(naive_ok.end_ts - naive_ok.start_ts, timedelta(days=7).total_seconds())
