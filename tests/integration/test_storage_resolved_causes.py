"""The cause report grouped by the database (``Reports.resolved``: counts, customers' answers
and medians per cause and route by window functions) against the same report computed alert
by alert in Python (``surveys.causes.pareto`` and ``by_route`` over the rows as they were
written, filtered in Python): random alerts with and without causes, routes (single, every-match
"app, billing", padded), answers (none, 0, 1, 2), ties and unresolved alerts, in random windows,
on SQLite and, when a server is given, PostgreSQL. The reference reads nothing back from the
database, so it shares no SQL with the store."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.quality import cause_report, digest_cause_report
from storage.postgres.store import Store as PostgresStore
from storage.quality import create_action
from storage.reports import Reports, reading
from storage.sqlite import Store
from surveys.causes import Cause, ResolvedAlert, by_route, by_route_of, pareto, pareto_of
from surveys.digest import span
from tests.postgres import needs_postgres

SURVEYS = ("nps", "csat", "ces")
ORDER = ["billing", "late_delivery", "other"]
CAUSES = [None, "", "billing", "late_delivery", "other", "removed_since"]
ROUTES = [None, "", "default", "billing", "app", "app, billing", " app "]

# (survey, cause, route, recovered, opened_at, resolved_at or None)
alert = st.tuples(
    st.sampled_from(SURVEYS),
    st.sampled_from(CAUSES),
    st.sampled_from(ROUTES),
    st.sampled_from([None, 0, 1, 2]),
    st.sampled_from([0.0, 10.0, 100.5]) | st.floats(0, 1000, allow_nan=False),
    st.none() | st.sampled_from([100.0, 200.0, 300.0]) | st.floats(0, 2000, allow_nan=False),
)
window = st.tuples(st.floats(0, 1000, allow_nan=False), st.floats(0, 1000, allow_nan=False)).map(sorted)


def expected(rows: list[tuple[Any, ...]], current: tuple[float, float], previous: tuple[float, float],
             surveys: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
    def alerts(start: float, end: float) -> list[ResolvedAlert]:
        return [
            ResolvedAlert(cause, opened, resolved, None if recovered is None else bool(recovered), route or "default")
            for sid, cause, route, recovered, opened, resolved in rows
            if resolved is not None and start <= resolved < end and (not surveys or sid in surveys)
        ]

    now, before = alerts(*current), alerts(*previous)
    return pareto(now, before, order=ORDER), by_route(now, before)


async def got(conn: Any, current: tuple[float, float], previous: tuple[float, float],
              surveys: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
    now, before = await Reports(conn).resolved(current, previous, surveys)
    return pareto_of(now, before, order=ORDER), by_route_of(now, before)


def write_sqlite(path: Path, rows: list[tuple[Any, ...]]) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("INSERT INTO respondents (id, platform, user_id, chat_id, created_at, updated_at) "
               "VALUES (1, 'telegram', 'u1', 'u1', 0, 0)")
    for i, (sid, cause, route, recovered, opened, resolved) in enumerate(rows, start=1):
        db.execute("INSERT INTO responses (id, survey_id, kind, status, score, created_at, updated_at, respondent_id) "
                   "VALUES (?, ?, 'nps', 'answered', 1, ?, ?, 1)", (i, sid, opened, opened))
        db.execute(
            "INSERT INTO escalations (response_id, respondent_id, survey_id, rules, state, cause, route, recovered, "
            "opened_at, resolved_at) VALUES (?, 1, ?, 'detractor_score', ?, ?, ?, ?, ?, ?)",
            (i, sid, "resolved" if resolved is not None else "open", cause, route, recovered, opened, resolved),
        )
    db.close()


async def on_sqlite(rows: list[tuple[Any, ...]], checks: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bot.db"
        store = await Store.open(path, "normal")
        try:
            write_sqlite(path, rows)
            async with reading(store) as reports:
                for current, previous, surveys in checks:
                    assert await got(reports.conn, current, previous, surveys) == expected(
                        rows, current, previous, surveys
                    ), (current, previous, surveys)
        finally:
            await store.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(alert, max_size=60),
    checks=st.lists(st.tuples(window, window, st.sampled_from([(), ("nps",), ("csat", "ces")])), min_size=1,
                    max_size=4),
)
def test_grouped_cause_report_equals_the_report_alert_by_alert(
    rows: list[tuple[Any, ...]], checks: list[tuple[Any, ...]]
) -> None:
    asyncio.run(on_sqlite(rows, [(tuple(c), tuple(p), s) for c, p, s in checks]))


def sample(seed: int, count: int = 400) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    return [
        (
            rng.choice(SURVEYS),
            rng.choice(CAUSES),
            rng.choice(ROUTES[:5]) if rng.random() < 0.9 else rng.choice(ROUTES),
            rng.choice([None, 0, 1, 1]),
            (opened := rng.uniform(0, 1000)),
            None if rng.random() < 0.2 else opened + rng.choice([rng.uniform(0, 500), 60.0]),
        )
        for _ in range(count)
    ]


CHECKS = [((500.0, 1000.0), (0.0, 500.0), ()), ((500.0, 1500.0), (0.0, 500.0), ("nps", "ces")),
          ((0.0, 0.0), (0.0, 10.0), ()), ((200.0, 800.0), (100.0, 200.0), ("csat",))]


async def test_grouped_cause_report_on_sqlite_with_single_and_every_match_routes() -> None:
    single = [r for r in sample(7) if r[2] in (None, "", "default", "billing", "app")]
    await on_sqlite(single, CHECKS)  # medians per route by window functions
    await on_sqlite(sample(8), CHECKS)  # "app, billing": medians per route from the durations


@needs_postgres
async def test_grouped_cause_report_on_postgresql(pg_url: str) -> None:
    for rows in ([r for r in sample(7) if r[2] in (None, "", "default", "billing", "app")], sample(8)):
        store = await PostgresStore.open(pg_url)
        try:
            conn = await asyncpg.connect(pg_url)
            try:
                await conn.execute("TRUNCATE escalations, responses, respondents CASCADE")
                await conn.execute("INSERT INTO respondents (id, platform, user_id, chat_id, created_at, updated_at) "
                                   "VALUES (1, 'telegram', 'u1', 'u1', 0, 0)")
                for i, (sid, cause, route, recovered, opened, resolved) in enumerate(rows, start=1):
                    await conn.execute(
                        "INSERT INTO responses (id, survey_id, kind, status, score, created_at, updated_at, "
                        "respondent_id) VALUES ($1, $2, 'nps', 'answered', 1, $3, $3, 1)", i, sid, opened)
                    await conn.execute(
                        "INSERT INTO escalations (response_id, respondent_id, survey_id, rules, state, cause, route, "
                        "recovered, opened_at, resolved_at) VALUES ($1, 1, $2, 'detractor_score', $3, $4, $5, $6, "
                        "$7, $8)",
                        i, sid, "resolved" if resolved is not None else "open", cause, route, recovered, opened,
                        resolved,
                    )
            finally:
                await conn.close()
            async with store.reading() as reader:
                for current, previous, surveys in CHECKS:
                    assert await got(reader, current, previous, surveys) == expected(
                        rows, current, previous, surveys
                    ), (current, previous, surveys)
        finally:
            await store.close()


async def test_a_digest_shows_the_cause_report_only_when_it_says_something(tmp_path: Path) -> None:
    """No cause named in either period and no open action: the digest leaves the report out
    (without reading the medians); a cause named in the period before, or an open action, and
    the digest's report is the full one."""
    path = tmp_path / "bot.db"
    store = await Store.open(path, "normal")
    utc = ZoneInfo("UTC")
    period = span(datetime.fromtimestamp(500 + 100, utc), datetime.fromtimestamp(1000 + 100, utc))
    unnamed = [("nps", None, "default", 1, 100.0 + i, 700.0 + i) for i in range(5)]
    write_sqlite(path, [*unnamed, ("nps", "", "billing", 0, 10.0, 200.0)])
    causes = [Cause("billing"), Cause("other")]
    kw: dict[str, Any] = {"language": "en", "timezone": "UTC", "now": 1200.0}
    try:
        async with reading(store) as reports:
            full = await cause_report(reports, period, ["nps"], causes, **kw)
            assert [r.count for r in full.rows] == [5] and full.rows[0].median_resolve_seconds == 600.0
            assert await digest_cause_report(reports, period, ["nps"], causes, **kw) is None
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("UPDATE escalations SET cause = 'billing' WHERE resolved_at = 200")  # the period before
        db.close()
        async with reading(store) as reports:
            shown = await digest_cause_report(reports, period, ["nps"], causes, **kw)
            assert shown == await cause_report(reports, period, ["nps"], causes, **kw)
            assert shown is not None and [r.cause for r in shown.rows] == ["", "billing"]
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("UPDATE escalations SET cause = NULL")
        db.close()
        async with store.transaction() as tx:
            await create_action(
                await tx.connection(), title="Fix the invoice template", owner="Ann", due=None,
                platform="console", chat_id="staff", created_by_name="Bo", alert_ids=[1], now=1100.0,
            )
        async with reading(store) as reports:
            shown = await digest_cause_report(reports, period, ["nps"], causes, **kw)
            assert shown == await cause_report(reports, period, ["nps"], causes, **kw)
            assert shown is not None and len(shown.actions) == 1
    finally:
        await store.close()


async def test_escalation_facts_counted_by_the_database_equal_a_count_row_by_row(tmp_path: Path) -> None:
    """Times to claim and resolve and the customers' answers of the alerts opened in a window,
    against the same figures computed in Python from the rows read back one by one."""
    path = tmp_path / "bot.db"
    store = await Store.open(path, "normal")
    try:
        write_sqlite(path, sample(11))
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("UPDATE escalations SET claimed_at = opened_at + (id % 7) * 10.5 WHERE id % 3 <> 0")
        db.execute("UPDATE escalations SET recovered = 2 WHERE id % 17 = 0")  # neither yes (1) nor no (0)
        rows = db.execute("SELECT survey_id, opened_at, claimed_at, resolved_at, recovered FROM escalations").fetchall()
        db.close()
        async with reading(store) as reports:
            for survey, start, end in (("nps", 0.0, 1000.0), ("csat", 200.0, 600.0), ("ces", 2000.0, 3000.0)):
                got = await reports.escalation_facts(survey, start, end)
                mine = [r for r in rows if r[0] == survey and start <= r[1] < end]
                assert got.opened == len(mine)
                assert sorted(got.claim_seconds) == sorted(c - o for _, o, c, _, _ in mine if c is not None)
                assert sorted(got.resolve_seconds) == sorted(r - o for _, o, _, r, _ in mine if r is not None)
                assert (got.claimed, got.resolved) == (len(got.claim_seconds), len(got.resolve_seconds))
                assert got.recovered == sum(1 for *_, a in mine if a == 1)
                assert got.not_recovered == sum(1 for *_, a in mine if a == 0)
    finally:
        await store.close()
