"""Segments through the real store: context copied at write time (every write path, erasure,
the migration's backfill), index-backed queries, the scheduled digest's segment rows and
``feedbackbot digest --by``."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config, ConfigError
from bot.services.invitations import InviteRequest
from storage.reports import reading
from storage.sqlite import MIGRATIONS, Store
from surveys.digest import survey_blocks
from surveys.model import Inbound
from tests.conftest import Clock
from tests.integration.test_digests import (
    BERLIN,
    MONDAY_9,
    ROOT,
    digest_config,
    feedbackbot,
    fields,
    open_runtime,
    outbox,
)


@pytest.fixture
def config(config: Config) -> Config:
    """Telegram enabled: surveys are only sent where the bot delivers."""
    return replace(config, telegram=replace(config.telegram, enabled=True, staff_chat_id="-100"))


WEEK = datetime(2026, 1, 6, 10, 0, tzinfo=BERLIN).timestamp()  # inside 5-11 January (reported)
WEEK_BEFORE = WEEK - 7 * 86400


def insert(db: sqlite3.Connection, survey: str, kind: str, rows: list[tuple[int, dict[str, str], float]]) -> None:
    db.executemany(
        "INSERT INTO responses (survey_id, kind, status, score, context, channel, language, created_at, updated_at) "
        "VALUES (?, ?, 'answered', ?, ?, 'telegram', 'en', ?, ?)",
        [(survey, kind, score, json.dumps(ctx), at, at) for score, ctx, at in rows],
    )


def agents_week(db: sqlite3.Connection) -> None:
    """ann: 12 promoters and 3 detractors this week, 10 promoters the week before; bob: 4 responses
    (folded into "other"); 2 responses without an agent."""
    rows: list[tuple[int, dict[str, str], float]] = []
    rows += [(10, {"agent": "ann", "team": "north"}, WEEK + i) for i in range(12)]
    rows += [(2, {"agent": "ann", "team": "north"}, WEEK + 100 + i) for i in range(3)]
    rows += [(9, {"agent": "ann"}, WEEK_BEFORE + i) for i in range(10)]
    rows += [(5, {"agent": "bob"}, WEEK + 200 + i) for i in range(4)]
    rows += [(8, {}, WEEK + 300 + i) for i in range(2)]
    insert(db, "nps", "nps", rows)


async def test_context_of_a_sent_survey_is_segmented_and_erased_with_the_person(runtime: Runtime, clock: Clock) -> None:
    clock.now = WEEK
    request = InviteRequest("nps", "telegram", "4242", context={"agent": "ann", "plan": "pro"})
    result = await runtime.inviter.invite(request)
    assert result.status == "sent"
    await runtime.service.handle(Inbound("e1", "telegram", "4242", "4242", text="9", language="en"))
    async with (
        runtime.store.reading() as conn,
        conn.execute("SELECT key, value, score FROM response_context ORDER BY key") as cur,
    ):
        assert [tuple(r) for r in await cur.fetchall()] == [("agent", "ann", 9), ("plan", "pro", 9)]
    period = runtime.digests.default_period(WEEK + 7 * 86400)  # type: ignore[union-attr]
    digest = await runtime.digests.gather(["nps"], period, segments=["agent"], min_n=1)  # type: ignore[union-attr]
    table = digest.surveys[0].segments[0]
    assert [(r.value, r.n, r.score) for r in table.rows] == [("ann", 1, 100.0)]

    assert runtime.service.privacy is not None
    assert await runtime.service.privacy.forget("telegram", "4242", clock.now) is not None
    async with runtime.store.reading() as conn, conn.execute("SELECT COUNT(*) FROM response_context") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_migration_backfills_the_context_of_stored_responses(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for version, sql in MIGRATIONS:
        if version > 6:
            break
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
    agents_week(db)
    db.execute(
        "INSERT INTO responses (survey_id, kind, status, score, context, created_at, updated_at) "
        "VALUES ('nps', 'nps', 'expired', NULL, '{\"agent\": \"cai\"}', 1, 1)"
    )
    db.close()
    store = await Store.open(path)
    try:
        async with (
            store.reading() as conn,
            conn.execute(
                "SELECT value, COUNT(*) FROM response_context WHERE key = 'agent' GROUP BY value ORDER BY value"
            ) as cur,
        ):
            # answered responses only: cai's expired invitation has no score
            assert [tuple(r) for r in await cur.fetchall()] == [("ann", 25), ("bob", 4)]
    finally:
        await store.close()


async def test_segment_queries_use_indexes_not_the_context_json(runtime: Runtime) -> None:
    async with reading(runtime.store) as reports:
        for key, index in (("agent", "response_context_segment"), ("platform", "responses_survey_time_segment")):
            captured: list[str] = []
            real = reports._all

            async def spy(sql: str, params: Any, real: Any = real, captured: list[str] = captured) -> list[Any]:
                captured.append(sql)
                return await real(sql, params)

            reports._all = spy  # type: ignore[method-assign]
            await reports.segment_counts("nps", key, [(0.0, 1.0), (1.0, 2.0)])
            reports._all = real  # type: ignore[method-assign]
            async with reports.conn.execute(
                "EXPLAIN QUERY PLAN " + captured[0],
                ["nps", 0.0, 1.0] * 2 if key == "platform" else ["nps", key, 0.0, 1.0] * 2,
            ) as cur:
                plan = " / ".join(str(r[3]) for r in await cur.fetchall())
            assert f"COVERING INDEX {index}" in plan, plan
            assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), plan
            assert "json" not in captured[0].lower()


async def test_scheduled_digest_shows_segment_rows(tmp_path: Path, clock: Clock) -> None:
    cfg = digest_config(segments=["agent", "platform"], segment_min_n=5)
    rt = await open_runtime(tmp_path, clock, cfg)
    try:
        db = sqlite3.connect(rt.store.path, isolation_level=None)
        agents_week(db)
        db.close()
        clock.now = MONDAY_9 + 5
        outcome = await rt.digests.run_due("weekly")  # type: ignore[union-attr]
        assert outcome.status == "posted"
        nps = (await outbox(rt, "managers"))[0]
        shown = fields(nps)
        # ann: (12 - 3) / 15 = +60; the week before 10 promoters of 10 = +100
        assert shown["ann"].startswith("n=15 · +60 (95% CI ")
        assert "▼ −40 pts vs previous week (n=10), too few to test · ⚠ low sample" in shown["ann"]
        assert shown["other (1 value)"].startswith("n=4 · −100")
        assert shown["(not given)"].startswith("n=2 · 0")
        assert shown["telegram"].startswith("n=21 · ")
        texts = [text for kind, text, _ in nps["blocks"] if kind == "text"]
        assert "By agent (best first; fewer than 5 responses go to “other”):" in texts
    finally:
        await rt.close()


def test_segments_config_is_checked() -> None:
    with pytest.raises(ConfigError) as bad:
        digest_config(segments=["agent", ""])
    assert "digests[0].segments[1]" in str(bad.value)
    with pytest.raises(ConfigError) as small:
        digest_config(segment_min_n=0)
    assert "digests[0].segment_min_n" in str(small.value)
    assert config_mod  # the module under test


def test_digest_cli_by_key_in_text_markdown_and_json(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    db_path = tmp_path / "bot.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(text.replace('path = "feedbackbot.db"', f'path = "{db_path.as_posix()}"'), encoding="utf-8")
    store = sqlite3.connect(db_path, isolation_level=None)
    for version, sql in MIGRATIONS:
        store.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
    agents_week(store)
    store.close()
    window = ("--since", "2026-01-05", "--until", "2026-01-11", "--survey", "nps", "--by", "agent", "--min-n", "5")
    as_json = feedbackbot("digest", "--config", str(cfg), *window, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)["surveys"][0]["segments"]["agent"]["rows"]
    assert [(r["value"], r["n"], r["folded_values"]) for r in rows] == [
        ("ann", 15, 0),
        ("other", 4, 1),
        ("(not given)", 2, 0),
    ]
    ann = rows[0]
    assert ann["score"] == pytest.approx(60.0) and ann["previous"] == {"n": 10, "score": 100.0}
    assert ann["low_sample"] is True and ann["change"]["p_value"] is None and len(ann["interval"]) == 2
    as_text = feedbackbot("digest", "--config", str(cfg), *window)
    assert as_text.returncode == 0, as_text.stderr
    assert "ann: n=15 · +60 (95% CI" in as_text.stdout
    markdown = feedbackbot("digest", "--config", str(cfg), *window, "--format", "markdown")
    assert "- **ann:** n=15 · +60" in markdown.stdout
    bad = feedbackbot("digest", "--config", str(cfg), *window, "--min-n", "0")
    assert bad.returncode == 2 and "--min-n" in bad.stderr and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------- /digest in staff chats


def staff_says(args: str, platform: str = "console") -> Inbound:
    return Inbound(
        f"s-{args}-{platform}",
        platform,
        "boss",
        "staff-room",
        command="digest",
        args=args,
        is_private=False,
        is_staff=True,
    )


async def test_midweek_digest_names_its_week_and_offers_so_far(tmp_path: Path, clock: Clock) -> None:
    rt = await open_runtime(tmp_path, clock)
    try:
        db = sqlite3.connect(rt.store.path, isolation_level=None)
        agents_week(db)
        this_week = datetime(2026, 1, 13, 10, 0, tzinfo=BERLIN).timestamp()  # Tuesday of the next week
        insert(db, "nps", "nps", [(10, {"agent": "cai"}, this_week + i) for i in range(3)])
        db.close()
        clock.now = datetime(2026, 1, 14, 16, 0, tzinfo=BERLIN).timestamp()  # Wednesday (15:00 in UTC, the bot zone)
        await rt.service.handle(staff_says("nps by agent"))
        await rt.digests.close()  # type: ignore[union-attr]
        posted = await outbox(rt, "staff-room")
        first = posted[0]
        assert first["blocks"][0][1] == "NPS · Acme (nps) · week 2026-W02 (5–11 Jan 2026)"
        notes = [text for kind, text, _ in first["blocks"] if kind == "context"]
        assert "Last complete week: week 2026-W02 (5–11 Jan 2026). For this week so far: /digest now" in notes
        assert fields(first)["ann"].startswith("n=15 · +60")
        # the score chart, then the chart ranking the agents
        assert [m["text"].split(":")[0] for m in posted[1:]] == ["nps", "nps by agent"]
        assert all(m["attachment"].endswith(".png") for m in posted[1:])

        await rt.service.handle(staff_says("now nps"))
        await rt.digests.close()  # type: ignore[union-attr]
        so_far = (await outbox(rt, "staff-room"))[len(posted) :]
        assert len(so_far) == 1  # no chart for a partial week
        assert fields(so_far[0])["NPS"].startswith("+100")
        assert fields(so_far[0])["Responses"].startswith("3 · 3 promoters")
        notes = [text for kind, text, _ in so_far[0]["blocks"] if kind == "context"]
        assert any(n.startswith("This week so far, Mon 12 Jan 00:00 to Wed 14 Jan 15:00") for n in notes)
    finally:
        await rt.close()


async def test_digest_usage_names_the_platforms_command(runtime: Runtime) -> None:
    await runtime.service.handle(staff_says("nps by", platform="console"))
    async with runtime.store.reading() as conn, conn.execute("SELECT payload FROM outbox") as cur:
        texts = [json.loads(r[0])["text"] for r in await cur.fetchall()]
    assert texts == ["Usage: /digest [survey] [by KEY] [now]. 'by' needs a key, for example: by agent."]


# --------------------------------------------------------------------------- honest rates


async def test_response_rate_counts_invitations_only_and_self_started_apart(runtime: Runtime, clock: Clock) -> None:
    clock.now = WEEK
    for user in ("501", "502"):
        assert (await runtime.inviter.invite(InviteRequest("nps", "telegram", user))).status == "sent"
    await runtime.service.handle(Inbound("a1", "telegram", "501", "501", text="9", language="en"))  # invited, answers
    # 503 starts a survey on their own and answers; 504 starts one and leaves it
    await runtime.service.handle(Inbound("b1", "telegram", "503", "503", command="feedback", args="nps", language="en"))
    await runtime.service.handle(Inbound("b2", "telegram", "503", "503", text="3", language="en"))
    await runtime.service.handle(Inbound("c1", "telegram", "504", "504", command="feedback", args="nps", language="en"))
    period = runtime.digests.default_period(WEEK + 7 * 86400)  # type: ignore[union-attr]
    digest = await runtime.digests.gather(["nps"], period)  # type: ignore[union-attr]
    summary = digest.surveys[0]
    assert (summary.invited, summary.responded, summary.response_rate) == (2, 1, 50.0)
    assert summary.facts.self_started == (2, 1)
    shown = {b.label: b.text for b in survey_blocks(summary, "UTC")}
    assert shown["Response rate"] == "50% (1 of 2 invited)"
    assert shown["Self-started"] == "2 started by customers (1 answered); not in the response rate"


async def test_by_survey_puts_surveys_of_the_same_kind_side_by_side(runtime: Runtime) -> None:
    db = sqlite3.connect(runtime.store.path, isolation_level=None)
    agents_week(db)
    insert(db, "csat", "csat", [(5, {"agent": "ann"}, WEEK + i) for i in range(12)])
    db.close()
    period = runtime.digests.default_period(WEEK + 7 * 86400)  # type: ignore[union-attr]
    digest = await runtime.digests.gather(["nps", "csat"], period, segments=["survey", "agent"], min_n=5)  # type: ignore[union-attr]
    nps, csat = digest.surveys
    assert [t.key for t in nps.segments] == ["survey", "agent"]
    assert [(r.value, r.n) for r in nps.segments[0].rows] == [("nps", 21)]  # only NPS surveys in an NPS table
    assert [(r.value, r.n) for r in csat.segments[0].rows] == [("csat", 12)]
    assert [(r.value, r.n) for r in csat.segments[1].rows] == [("ann", 12)]


async def test_day_counts_and_edges_agree_and_use_their_indexes(runtime: Runtime) -> None:
    db = sqlite3.connect(runtime.store.path, isolation_level=None)
    agents_week(db)
    insert(db, "nps", "nps", [(7, {"order": f"o{i}", "agent": "cai"}, WEEK + 1000 + i) for i in range(201)])
    db.close()
    # Berlin weeks: each window is six whole UTC days from the day counts plus two edges.
    windows = [(WEEK_BEFORE - 3600, WEEK - 3600), (WEEK - 3600, WEEK + 7 * 86400)]
    async with reading(runtime.store) as reports:
        counted = await reports.segments("nps", ["agent", "order", "platform"], windows, range(0, 11))
        assert counted["agent"][1] == {"ann": {10: 12, 2: 3}, "bob": {5: 4}, "cai": {7: 201}}
        assert counted["agent"][0] == {"ann": {9: 10}}
        assert len(counted["order"][1]) == 201
        assert counted["platform"][1] == {"telegram": {10: 12, 2: 3, 5: 4, 8: 2, 7: 201}}
        for sql in (
            "SELECT value, score, SUM(n) FROM segment_days WHERE survey_id = 'nps' AND key = 'agent' "
            "AND day >= 1 AND day < 8 GROUP BY 1, 2",
            "SELECT channel, score, SUM(n) FROM response_days WHERE survey_id = 'nps' AND day >= 1 AND day < 8 "
            "GROUP BY 1, 2",
        ):
            async with reports.conn.execute(f"EXPLAIN QUERY PLAN {sql}") as cur:
                plan = str([tuple(r) for r in await cur.fetchall()])
            assert "SEARCH" in plan and "PRIMARY KEY" in plan and "SCAN" not in plan.replace("SCAN CONSTANT", "")


async def test_values_nobody_carries_any_more_are_forgotten(runtime: Runtime) -> None:
    db = sqlite3.connect(runtime.store.path, isolation_level=None)
    insert(db, "nps", "nps", [(9, {"email": "ann@example.com"}, WEEK), (9, {"email": "bob@example.com"}, WEEK + 1)])
    assert db.execute("SELECT COUNT(*) FROM segment_days WHERE key = 'email'").fetchone()[0] == 2
    db.execute("UPDATE responses SET context = '{}' WHERE context LIKE '%ann@%'")  # what erasure does
    assert [r[0] for r in db.execute("SELECT value FROM segment_days WHERE key = 'email'")] == ["bob@example.com"]
    db.close()


BIG_TABLES = ("responses", "r", "response_context", "c", "sessions", "s", "invitations", "i", "escalations",
              "respondents", "p", "segment_days", "response_days")


async def test_every_read_of_a_segmented_digest_goes_through_an_index(runtime: Runtime) -> None:
    """Every statement a digest by context, platform and language runs, as SQLite plans it:
    no table is scanned, the responses, context and comments of the window are read from
    covering indexes or the per-day counts (a busy week's rows stay unread), and escalations
    through one survey's time range."""
    db = sqlite3.connect(runtime.store.path, isolation_level=None)
    agents_week(db)
    db.execute("UPDATE responses SET comment = 'slow', comment_status = 'given', sentiment_label = 'negative'")
    # No ANALYZE: the store never runs it, so the planner chooses without statistics.
    statements: list[str] = []
    await runtime.store.conn.set_trace_callback(statements.append)
    try:
        period = runtime.digests.default_period(WEEK + 7 * 86400)  # type: ignore[union-attr]
        await runtime.digests.gather(["nps"], period, segments=["agent", "platform", "language"], min_n=1)  # type: ignore[union-attr]
    finally:
        await runtime.store.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert reads
    plans = {s: [str(r[3]) for r in db.execute(f"EXPLAIN QUERY PLAN {s}")] for s in reads}
    db.close()
    for sql, plan in plans.items():
        # (small tables such as the corrective actions may be scanned)
        scans = [line for line in plan if line.split(" USING")[0] in {f"SCAN {t}" for t in BIG_TABLES}]
        assert not scans, (sql, plan)
        for line in plan:
            if line.startswith("SEARCH responses") and "INTEGER PRIMARY KEY" not in line:
                assert "COVERING INDEX" in line, (sql, plan)
            if line.startswith("SEARCH response_context"):
                assert "COVERING INDEX" in line, (sql, plan)
            if line.startswith("SEARCH escalations"):  # a time range of one survey, never its history
                assert "survey_id=? AND opened_at>?" in line or "survey_id=? AND resolved_at>?" in line, (sql, plan)
    joined = " ".join(line for plan in plans.values() for line in plan)
    for used in ("segment_days", "response_days", "responses_comments", "escalations_opened_facts"):
        assert used in joined, used
