"""The per-day counts (migration 0017) against a direct count: random responses written,
changed, deleted, erased and anonymised by retention through the real store, then every
window a digest can ask for (weeks, months, days and arbitrary spans in time zones with DST
changes and half-hour or 45-minute offsets) counted both ways. The direct count reads the
responses themselves and parses their context in Python, so it shares no SQL with the store."""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.reports import DAY, day_split, edge_pieces, reading, week_split
from storage.sqlite import Store
from surveys.digest import PeriodSpec, last_complete, series_periods

# 1 March to 15 April 2026: Europe, North America and Lord Howe Island change their clocks.
BEGIN = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 4, 15, tzinfo=UTC).timestamp()
ZONES = ("UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe")
SURVEYS = ("nps", "csat")
KEYS = ("agent", "team", "platform", "language")
SCALE = range(0, 11)

moment = st.builds(  # any minute (and second) of the span, evenly: hypothesis's floats favour the ends
    lambda day, minute, second: BEGIN + day * DAY + minute * 60 + second,
    st.integers(-2, 47),
    st.integers(0, 1439),
    st.floats(0, 60, exclude_max=True, allow_nan=False),
) | st.floats(BEGIN - 2 * DAY, END + 2 * DAY, allow_nan=False) | st.sampled_from(
    # exact UTC midnights and local midnights around the clock changes
    [BEGIN, BEGIN + DAY, END - DAY, datetime(2026, 3, 29, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")).timestamp(),
     datetime(2026, 3, 8, 0, 0, tzinfo=ZoneInfo("America/St_Johns")).timestamp(),
     datetime(2026, 4, 5, 0, 0, tzinfo=ZoneInfo("Australia/Lord_Howe")).timestamp()]
)
context = st.one_of(
    st.dictionaries(
        st.sampled_from(["agent", "team", "", "order"]),
        st.sampled_from(["ann", "bob", "cai", "north", "south"]) | st.integers(0, 3),
        max_size=3,
    ).map(json.dumps),
    st.sampled_from(['{"agent": "ann", "agent": "bob"}', "not json", "", '{"agent": {"x": 1}}', '{"team": null}']),
)
response = st.tuples(
    st.sampled_from(SURVEYS),
    st.sampled_from(["answered", "answered", "answered", "partial", "expired"]),
    st.none() | st.integers(0, 10),
    context,
    st.sampled_from(["telegram", "slack", None]),
    st.sampled_from(["en", "de", None]),
    moment,
    st.sampled_from([1, 2, 3, None]),  # respondent
)
change = st.one_of(
    st.tuples(st.just("score"), st.none() | st.integers(0, 10)),
    st.tuples(st.just("status"), st.sampled_from(["answered", "partial"])),
    st.tuples(st.just("context"), context),
    st.tuples(st.just("created_at"), moment),
    st.tuples(st.just("channel"), st.sampled_from(["telegram", "slack", None])),
    st.tuples(st.just("language"), st.sampled_from(["en", "de", None])),
    st.tuples(st.just("survey_id"), st.sampled_from(SURVEYS)),
)
operation = st.one_of(
    st.tuples(st.just("update"), st.integers(0, 200), change),
    st.tuples(st.just("delete"), st.integers(0, 200)),
    st.tuples(st.just("erase"), st.sampled_from([1, 2, 3])),
    st.tuples(st.just("retain"), moment),
)


def windows(zone: str) -> list[tuple[float, float]]:
    """What digests ask for in ``zone``: the weeks of a chart, months, single days."""
    tz = ZoneInfo(zone)
    out: list[tuple[float, float]] = []
    day = datetime(2026, 3, 30, tzinfo=UTC).timestamp()
    for spec, at in (("week", END), ("month", END), ("days:1", day), ("days:3", END)):
        periods = series_periods(last_complete(PeriodSpec.parse(spec), datetime.fromtimestamp(at, tz)), 8)
        out += [(p.start_ts, p.end_ts) for p in periods]
    return out


def direct(rows: list[tuple[Any, ...]], survey: str, key: str, start: float, end: float) -> dict[str, dict[int, int]]:
    """Answered responses with a score in [start, end) by the key's value and score."""
    out: dict[str, Counter[int]] = {}
    for sid, status, score, ctx, channel, language, at in rows:
        if sid != survey or status != "answered" or score is None or not start <= at < end:
            continue
        if key in ("platform", "language"):
            value = (channel if key == "platform" else language) or "unknown"
        else:
            try:
                parsed = json.loads(ctx)
            except ValueError:
                continue
            if not isinstance(parsed, dict):
                continue
            found = parsed.get(key)
            if key == "" or isinstance(found, (dict, list, bool)) or found is None:
                continue
            value = str(found)
        out.setdefault(value, Counter())[int(score)] += 1
    return {value: dict(scores) for value, scores in out.items()}


def weeks_are_sums_of_days(db: sqlite3.Connection) -> None:
    """The week counts (migration 0020) are the sums of the day counts, with no zero left."""
    for weeks, days, columns in (
        ("segment_weeks", "segment_days", "survey_id, key, value, score"),
        ("response_weeks", "response_days", "survey_id, score, channel, language"),
    ):
        kept = sorted(db.execute(f"SELECT {columns}, week, n FROM {weeks}"))
        summed = sorted(db.execute(
            f"SELECT {columns}, (day + 3) / 7, SUM(n) FROM {days} GROUP BY {columns}, (day + 3) / 7"
        ))
        assert kept == summed, weeks
        assert all(n > 0 for *_, n in kept), weeks


async def scenario(path: Path, responses: list[Any], operations: list[Any], zone: str, extra: list[Any]) -> None:
    store = await Store.open(path, "normal")
    try:
        db = sqlite3.connect(path, isolation_level=None)
        db.executemany(
            "INSERT INTO respondents (id, platform, user_id, chat_id, created_at, updated_at) "
            "VALUES (?, 'telegram', ?, ?, 0, 0)",
            [(i, f"u{i}", f"u{i}") for i in (1, 2, 3)],
        )
        db.executemany(
            "INSERT INTO responses (survey_id, kind, status, score, context, channel, language, created_at, updated_at,"
            " respondent_id) VALUES (?, 'nps', ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s, st_, sc, ctx, ch, lang, at, at, who) for s, st_, sc, ctx, ch, lang, at, who in responses],
        )
        ids = [int(r[0]) for r in db.execute("SELECT id FROM responses ORDER BY id")]
        for op in operations:
            if op[0] in ("update", "delete") and ids:
                rid = ids[op[1] % len(ids)]
                if op[0] == "delete":
                    db.execute("DELETE FROM responses WHERE id = ?", (rid,))
                else:
                    column, value = op[2]
                    db.execute(f"UPDATE responses SET {column} = ? WHERE id = ?", (value, rid))
            elif op[0] == "erase":
                async with store.transaction() as tx:
                    await tx.erase_person(op[1])
            elif op[0] == "retain":
                await store.apply_retention(op[1])
        rows = [tuple(r) for r in db.execute(
            "SELECT survey_id, status, score, context, channel, language, created_at FROM responses"
        )]
        weeks_are_sums_of_days(db)
        db.close()
        spans = windows(zone) + [(min(a, b), max(a, b)) for a, b in extra]
        async with reading(store) as reports:
            for survey in SURVEYS:
                got = await reports.segments(survey, KEYS, spans, SCALE)
                for key in KEYS:
                    for i, (start, end) in enumerate(spans):
                        assert got[key][i] == direct(rows, survey, key, start, end), (survey, key, zone, start, end)
                counts = await reports.score_counts(survey, SCALE, spans)
                for i, (start, end) in enumerate(spans):
                    expected = Counter(
                        int(score) for sid, status, score, *_, at in rows
                        if sid == survey and status == "answered" and score is not None and start <= at < end
                    )
                    assert counts[i] == dict(expected), (survey, zone, start, end)
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    responses=st.lists(response, min_size=20, max_size=80),
    operations=st.lists(operation, max_size=25),
    zone=st.sampled_from(ZONES),
    extra=st.lists(st.tuples(moment, moment), max_size=4),
)
def test_day_counts_equal_a_direct_count(
    responses: list[Any], operations: list[Any], zone: str, extra: list[Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp) / "fb.db", responses, operations, zone, extra))


@given(start=moment, length=st.floats(0, 40 * DAY, allow_nan=False), probes=st.lists(moment, max_size=20))
def test_day_split_counts_every_moment_of_the_window_once(start: float, length: float, probes: list[float]) -> None:
    end = start + length
    first, last, pieces = day_split(start, end)
    assert all(b - a <= DAY / 2 for a, b, _ in pieces) or last == first  # at most half a day of rows per edge
    assert len(pieces) <= 2
    # Every moment, including each piece's own bounds, is counted once inside the window, never outside.
    bounds = [x for a, b, _ in pieces for x in (a, b)] + [first * DAY, last * DAY, start, end]
    for x in [*probes, *bounds, *(math.nextafter(x, -math.inf) for x in bounds)]:
        counted = int(first * DAY <= x < last * DAY) + sum(sign for a, b, sign in pieces if a <= x < b)
        assert counted == int(start <= x < end), x


@given(first=st.integers(-30, 800), length=st.integers(-3, 120), probes=st.lists(st.integers(-40, 950), max_size=30))
def test_week_split_counts_every_day_once(first: int, length: int, probes: list[int]) -> None:
    last = first + length
    w0, w1, days = week_split(first, last)
    assert w0 >= 1 or w1 <= w0  # week 0 also holds the days before 1970: never read
    assert len(days) <= 2
    assert all(b - a < 7 for a, b in days) or w1 <= w0 or first < 4  # at most six days around the weeks
    for day in [*probes, first, last - 1, *(7 * w0 - 3, 7 * w1 - 3, 7 * w1 - 4)]:
        counted = int(w0 <= (day + 3) // 7 < w1 and day >= 4) + sum(1 for a, b in days if a <= day < b)
        assert counted == int(first <= day < last), day


def test_a_monday_to_sunday_week_in_any_zone_reads_one_week_row() -> None:
    """What the weekly digest asks for: its days are one whole week, so no day counts at all."""
    for zone in ZONES:
        latest = last_complete(PeriodSpec.parse("week"), datetime.fromtimestamp(END, ZoneInfo(zone)))
        for period in series_periods(latest, 8):
            first, last, _ = day_split(period.start_ts, period.end_ts)
            w0, w1, days = week_split(first, last)
            assert (w1 - w0, days) == (1, []), (zone, period.label)


async def test_week_counts_follow_counts_that_grow_and_shrink(tmp_path: Path) -> None:
    """Several answers with the same value and score on the same day and week: each change
    moves a count that is more than one (the paths a random scenario rarely takes)."""
    store = await Store.open(tmp_path / "fb.db", "normal")
    try:
        db = sqlite3.connect(tmp_path / "fb.db", isolation_level=None)
        monday = datetime(2026, 3, 30, tzinfo=UTC).timestamp()
        rows = [(monday + 3600 * i, 9) for i in range(6)] + [(monday + 2 * DAY + i, 9) for i in range(3)]
        db.executemany(
            "INSERT INTO responses (survey_id, kind, status, score, context, channel, language, created_at, "
            "updated_at) VALUES ('nps', 'nps', 'answered', ?, '{\"agent\": \"ann\"}', 'telegram', 'en', ?, ?)",
            [(score, at, at) for at, score in rows],
        )
        weeks_are_sums_of_days(db)
        ids = [r[0] for r in db.execute("SELECT id FROM responses ORDER BY id")]
        db.execute("DELETE FROM responses WHERE id IN (?, ?)", ids[:2])  # 6 -> 4 on Monday
        db.execute("UPDATE responses SET score = 3 WHERE id = ?", (ids[2],))  # 4 -> 3, and a new 3
        db.execute("UPDATE responses SET status = 'partial' WHERE id = ?", (ids[6],))  # Wednesday 3 -> 2
        db.execute("UPDATE responses SET context = '{}' WHERE id = ?", (ids[7],))  # ann: Wednesday 2 -> 1
        weeks_are_sums_of_days(db)
        assert db.execute("SELECT n FROM segment_weeks WHERE key = 'agent' AND score = 9").fetchall() == [(4,)]
        assert db.execute("SELECT SUM(n) FROM response_weeks WHERE score = 9").fetchall() == [(5,)]
        db.execute("DELETE FROM responses")
        weeks_are_sums_of_days(db)
        assert db.execute("SELECT COUNT(*) FROM segment_weeks").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM response_weeks").fetchone() == (0,)
        db.close()
        async with reading(store) as reports:
            assert await reports.score_counts("nps", SCALE, [(monday, monday + 7 * DAY)]) == [{}]
    finally:
        await store.close()


def test_consecutive_periods_read_their_shared_edge_once() -> None:
    """Two India weeks cut three half-days, not four; twelve weeks thirteen: one period's end
    piece is the next one's start piece with the other sign, and each counts where it should."""
    latest = last_complete(PeriodSpec.parse("week"), datetime.fromtimestamp(END, ZoneInfo("Asia/Kolkata")))
    for count, expected in ((2, 3), (12, 13)):
        windows = [(p.start_ts, p.end_ts) for p in series_periods(latest, count)]
        _, pieces, uses = edge_pieces(windows)
        assert len(pieces) == expected
        for (a, b), used in zip(pieces, uses, strict=True):
            for i, sign in used:
                start, end = windows[i]
                # added: the piece lies inside the window; taken away: outside it
                assert (start <= a and b <= end) if sign == 1 else (b <= start or a >= end)
