"""Segments through the real store: context copied at write time (every write path, erasure,
the migration's backfill), index-backed queries, the scheduled digest's segment rows and
``feedbackbot digest --by``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config, ConfigError
from bot.services.invitations import InviteRequest
from storage.backends import open_store
from surveys.digest import survey_blocks
from surveys.model import Inbound
from tests import reads
from tests.conftest import Clock
from tests.history import past_responses
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


def agents_week_rows() -> list[tuple[int, dict[str, str], float]]:
    """ann: 12 promoters and 3 detractors this week, 10 promoters the week before; bob: 4 responses
    (folded into "other"); 2 responses without an agent."""
    rows: list[tuple[int, dict[str, str], float]] = []
    rows += [(10, {"agent": "ann", "team": "north"}, WEEK + i) for i in range(12)]
    rows += [(2, {"agent": "ann", "team": "north"}, WEEK + 100 + i) for i in range(3)]
    rows += [(9, {"agent": "ann"}, WEEK_BEFORE + i) for i in range(10)]
    rows += [(5, {"agent": "bob"}, WEEK + 200 + i) for i in range(4)]
    rows += [(8, {}, WEEK + 300 + i) for i in range(2)]
    return rows


async def agents_week(store: Any) -> None:
    await past_responses(store, "nps", "nps", agents_week_rows())


async def test_context_of_a_sent_survey_is_segmented_and_erased_with_the_person(runtime: Runtime, clock: Clock) -> None:
    clock.now = WEEK
    request = InviteRequest("nps", "telegram", "4242", context={"agent": "ann", "plan": "pro"})
    result = await runtime.inviter.invite(request)
    assert result.status == "sent"
    await runtime.service.handle(Inbound("e1", "telegram", "4242", "4242", text="9", language="en"))
    window = [(WEEK - 86400, WEEK + 86400)]
    async with runtime.store.reports() as reports:
        segments = await reports.segments("nps", ["agent", "plan"], window)
    assert segments == {"agent": [{"ann": {9: 1}}], "plan": [{"pro": {9: 1}}]}
    period = runtime.digests.default_period(WEEK + 7 * 86400)  # type: ignore[union-attr]
    digest = await runtime.digests.gather(["nps"], period, segments=["agent"], min_n=1)  # type: ignore[union-attr]
    table = digest.surveys[0].segments[0]
    assert [(r.value, r.n, r.score) for r in table.rows] == [("ann", 1, 100.0)]

    assert runtime.service.privacy is not None
    assert await runtime.service.privacy.forget("telegram", "4242", clock.now) is not None
    async with runtime.store.reports() as reports:  # the score stays, its context is gone
        assert await reports.segments("nps", ["agent", "plan"], window) == {"agent": [{}], "plan": [{}]}
        assert await reports.score_counts("nps", range(11), window) == [{9: 1}]


async def stored(target: str, write: Callable[[Any], Awaitable[None]]) -> None:
    """Open the store at ``target`` (creating it), let ``write`` fill it, close it: a database
    for a command to read."""
    store = await open_store(target)
    try:
        await write(store)
    finally:
        await store.close()


async def test_scheduled_digest_shows_segment_rows(tmp_path: Path, clock: Clock) -> None:
    cfg = digest_config(segments=["agent", "platform"], segment_min_n=5)
    rt = await open_runtime(tmp_path, clock, cfg)
    try:
        await agents_week(rt.store)
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
    asyncio.run(stored(str(db_path), agents_week))
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
        await agents_week(rt.store)
        this_week = datetime(2026, 1, 13, 10, 0, tzinfo=BERLIN).timestamp()  # Tuesday of the next week
        await past_responses(rt.store, "nps", "nps", [(10, {"agent": "cai"}, this_week + i) for i in range(3)])
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
    assert await reads.texts(runtime.store) == [
        "Usage: /digest [survey] [by KEY] [now]. 'by' needs a key, for example: by agent."
    ]


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
    await agents_week(runtime.store)
    await past_responses(runtime.store, "csat", "csat", [(5, {"agent": "ann"}, WEEK + i) for i in range(12)])
    period = runtime.digests.default_period(WEEK + 7 * 86400)  # type: ignore[union-attr]
    digest = await runtime.digests.gather(["nps", "csat"], period, segments=["survey", "agent"], min_n=5)  # type: ignore[union-attr]
    nps, csat = digest.surveys
    assert [t.key for t in nps.segments] == ["survey", "agent"]
    assert [(r.value, r.n) for r in nps.segments[0].rows] == [("nps", 21)]  # only NPS surveys in an NPS table
    assert [(r.value, r.n) for r in csat.segments[0].rows] == [("csat", 12)]
    assert [(r.value, r.n) for r in csat.segments[1].rows] == [("ann", 12)]


async def test_day_counts_and_edges_agree(runtime: Runtime) -> None:
    await agents_week(runtime.store)
    await past_responses(
        runtime.store, "nps", "nps", [(7, {"order": f"o{i}", "agent": "cai"}, WEEK + 1000 + i) for i in range(201)]
    )
    # Berlin weeks: each window is six whole UTC days from the day counts plus two edges.
    windows = [(WEEK_BEFORE - 3600, WEEK - 3600), (WEEK - 3600, WEEK + 7 * 86400)]
    async with runtime.store.reports() as reports:
        counted = await reports.segments("nps", ["agent", "order", "platform"], windows, range(0, 11))
        assert counted["agent"][1] == {"ann": {10: 12, 2: 3}, "bob": {5: 4}, "cai": {7: 201}}
        assert counted["agent"][0] == {"ann": {9: 10}}
        assert len(counted["order"][1]) == 201
        assert counted["platform"][1] == {"telegram": {10: 12, 2: 3, 5: 4, 8: 2, 7: 201}}
