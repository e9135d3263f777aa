"""SQLite's own storage tests: how SQLite plans the reads (every report, segment and prune
statement goes through an index, never a scan of the history), what the migrations backfill,
and what the triggers keep. The behaviour every backend shares is in ``tests/contract``; these
read SQLite's query plans and files directly, which only a storage test may."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap.runtime import Runtime
from bot.config import Config
from storage.reports import reading
from storage.sqlite import MIGRATIONS, PRUNE_BATCH, Store
from tests.contract.support import enqueue, msg
from tests.integration.test_segments import WEEK, agents_week, agents_week_rows
from tests.postgres import RUNTIMES_ON_POSTGRES

pytestmark = pytest.mark.skipif(RUNTIMES_ON_POSTGRES, reason="SQLite's own plans and files: runtimes are on PostgreSQL")


@pytest.fixture
def config(config: Config) -> Config:
    """Telegram enabled, as in the segment tests these reads come from."""
    return replace(config, telegram=replace(config.telegram, enabled=True, staff_chat_id="-100"))


def insert(db: sqlite3.Connection, survey: str, kind: str, rows: list[tuple[int, dict[str, str], float]]) -> None:
    db.executemany(
        "INSERT INTO responses (survey_id, kind, status, score, context, channel, language, created_at, updated_at) "
        "VALUES (?, ?, 'answered', ?, ?, 'telegram', 'en', ?, ?)",
        [(survey, kind, score, json.dumps(ctx), at, at) for score, ctx, at in rows],
    )


async def test_migration_backfills_the_context_of_stored_responses(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for version, sql in MIGRATIONS:
        if version > 6:
            break
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={version};\nCOMMIT;")
    insert(db, "nps", "nps", agents_week_rows())
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


async def test_day_count_reads_search_their_primary_keys(runtime: Runtime) -> None:
    await agents_week(runtime.store)
    async with reading(runtime.store) as reports:
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


BIG_TABLES = (
    "responses",
    "r",
    "response_context",
    "c",
    "sessions",
    "s",
    "invitations",
    "i",
    "escalations",
    "respondents",
    "p",
    "segment_days",
    "response_days",
    "segment_weeks",
    "response_weeks",
)


async def test_every_read_of_a_segmented_digest_goes_through_an_index(runtime: Runtime) -> None:
    """Every statement a digest by context, platform and language runs, as SQLite plans it:
    no table is scanned, the responses, context and comments of the window are read from
    covering indexes or the per-week and per-day counts (a busy week's rows stay unread), and escalations
    through one survey's time range."""
    await agents_week(runtime.store)
    db = sqlite3.connect(runtime.store.path, isolation_level=None)
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
    # A week's counts come from the week tables (one row per value and score), not seven days.
    for used in ("segment_weeks", "response_weeks", "responses_comments", "escalations_opened_facts"):
        assert used in joined, used


async def test_prune_works_in_small_batches_through_index_ranges(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "big.db")
    n = PRUNE_BATCH * 5 + 7
    async with store.transaction() as tx:
        conn = await tx.connection()
        await conn.executemany(
            "INSERT INTO outbox (platform, chat_id, payload, ref_key, status, next_attempt_at, created_at, sent_at, "
            "message_id) VALUES ('console', ?, ?, ?, 'sent', 0, 0, 0, ?)",
            [
                (f"c{i}", json.dumps({"text": "x" * 300}), f"question:{i}" if i % 3 == 0 else None, str(i))
                for i in range(n)
            ],
        )
        await conn.executemany(
            "INSERT INTO processed_events (event_id, processed_at) VALUES (?, 0)", [(f"e{i}",) for i in range(n)]
        )
    statements: list[str] = []
    await store.conn.set_trace_callback(statements.append)
    report = await store.prune(10 * 86400)
    await store.conn.set_trace_callback(None)
    named = len(range(0, n, 3))
    assert (report.slimmed, report.sent, report.event_ids) == (named, n - named, n)
    prunes = [s for s in statements if "LIMIT" in s and ("DELETE" in s or "UPDATE" in s)]
    # Every statement touches one batch at most: at least n / batch statements per kind.
    assert len(prunes) >= report.batches >= (n - named) // PRUNE_BATCH + n // PRUNE_BATCH
    # Each batch finds its rows through an index range, never by scanning the table.
    async with store.reading() as conn:
        for sql in (
            "SELECT id FROM outbox WHERE status = 'sent' AND payload != '{}' AND sent_at < 1 AND ref_key IS NULL "
            "ORDER BY sent_at LIMIT 200",
            "SELECT id FROM outbox WHERE status = 'dead' AND created_at < 1 ORDER BY created_at LIMIT 200",
            "SELECT event_id FROM processed_events WHERE processed_at < 1 ORDER BY processed_at LIMIT 200",
            "SELECT platform, update_key FROM inbox WHERE received_at < 1 ORDER BY received_at LIMIT 200",
        ):
            async with conn.execute("EXPLAIN QUERY PLAN " + sql) as cur:
                plan = " ".join(str(r[3]) for r in await cur.fetchall())
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (sql, plan)
            assert "TEMP B-TREE" not in plan, (sql, plan)
    await store.close()


async def test_a_score_count_reads_a_covering_index(runtime: Runtime) -> None:
    async with runtime.store.reading() as conn:
        plan = await conn.execute_fetchall(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM responses WHERE survey_id = 'nps' AND status = 'answered' "
            "AND score = 3 AND created_at >= 0 AND created_at < 1"
        )
    assert "COVERING INDEX responses_survey_score_time" in str([tuple(p) for p in plan])


@pytest.mark.parametrize(("durability", "level"), [("full", 2), ("normal", 1)])
async def test_an_outbox_claim_leaves_the_connection_at_its_durability(
    tmp_path: Path, durability: str, level: int
) -> None:
    """The claim is committed without an fsync of its own (``Outbox.claim_pending``); every
    later commit must still be as durable as ``[storage] durability`` says, also when the
    claim fails."""
    store = await Store.open(tmp_path / "claims.db", durability=durability)
    try:
        await enqueue(store, msg("1", "a"))
        assert [row.message.text for row in await store.claim_pending()] == ["a"]
        assert [tuple(row) for row in await store.conn.execute_fetchall("PRAGMA synchronous")] == [(level,)]

        await enqueue(store, msg("1", "b"))
        await store.conn.execute(
            "CREATE TRIGGER refuse_claims BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        with pytest.raises(sqlite3.IntegrityError):
            await store.claim_pending()
        assert [tuple(row) for row in await store.conn.execute_fetchall("PRAGMA synchronous")] == [(level,)]
    finally:
        await store.close()
