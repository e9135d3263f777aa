"""Digests through the real service, store and outbox, with the clock moved by the test:
the schedule, exactly once across a restart, the catch-up after downtime, the content of
the blocks, the chart PNG, /digest on demand and ``feedbackbot digest``."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import struct
import tempfile
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import config as config_mod
from bot.analysis import charts
from bot.bootstrap.runtime import Runtime
from bot.config import Config
from surveys.digest import PeriodSpec, SurveyFacts, last_complete, series_periods, summarise
from surveys.kinds import Kind
from surveys.model import Inbound
from tests import reads
from tests.conftest import Clock, feedbackbot

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
# The weekly digest fires on Monday 12 January 2026 at 09:00 in Berlin and reports 5-11 January.
MONDAY_9 = datetime(2026, 1, 12, 9, 0, tzinfo=BERLIN).timestamp()
WEEK_KEY = "2026-01-05T00:00:00+01:00"
_ids = itertools.count()


def digest_config(**overrides: Any) -> Config:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    digest = {
        "id": "weekly",
        "cron": "0 9 * * mon",
        "timezone": "Europe/Berlin",
        "period": "week",
        "destinations": ["console:managers"],
        "grace_hours": 24,
    }
    digest.update(overrides)
    data["digests"] = [digest]
    return config_mod.parse(data, {})


async def open_runtime(path: Path, clock: Clock, cfg: Config | None = None) -> Runtime:
    return await Runtime.open(cfg or digest_config(), clock=clock, db_path=str(path / "bot.db"))


@pytest.fixture
async def rt(tmp_path: Path, clock: Clock) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(tmp_path, clock)
    yield runtime
    await runtime.close()


def customer(user: str, **kwargs: Any) -> Inbound:
    return Inbound(f"c{next(_ids)}", "console", user, user, display_name=user.title(), language="en", **kwargs)


async def answer(
    rt: Runtime,
    clock: Clock,
    user: str,
    when: datetime,
    score: int | None,
    comment: str | None = None,
    survey: str = "nps",
) -> None:
    clock.now = when.timestamp()
    await rt.service.handle(customer(user, command="feedback", args=survey))
    if score is None:
        return  # invited, never answered
    await rt.service.handle(customer(user, text=str(score)))
    if comment is None:
        await rt.service.handle(customer(user, command="skip"))
    else:
        await rt.service.handle(customer(user, text=comment))
        await rt.settle_scoring()  # what the scoring worker does right after the commit


async def fill_week(rt: Runtime, clock: Clock) -> None:
    """Week of 5-11 January in Berlin: six NPS answers (3 promoters, 1 passive, 2 detractors) and
    one invitation nobody answered; the week before: one detractor."""
    day = datetime(2026, 1, 6, 10, 0, tzinfo=BERLIN)
    await answer(rt, clock, "ann", datetime(2026, 1, 2, 12, 0, tzinfo=BERLIN), 2, "Terrible, the app crashed")
    await answer(rt, clock, "bob", day, 10, "Wonderful support, thank you so much!")
    await answer(rt, clock, "cai", day.replace(hour=11), 9, "Great prices")
    await answer(rt, clock, "dee", day.replace(hour=12), 9)
    await answer(rt, clock, "eve", day.replace(day=7), 7, "fine")
    await answer(rt, clock, "fay", day.replace(day=8), 3, "Slow delivery and the courier was rude")
    await answer(rt, clock, "gus", day.replace(day=9), 0, "Slow delivery, awful, never again")
    await answer(rt, clock, "hal", day.replace(day=10), None)
    # Escalation timings: fay's alert claimed after 10 minutes and resolved after 2 hours,
    # recovered; gus's claimed after 30 minutes, still open.
    async with rt.store.transaction() as tx:
        fay, gus = [e for e in await tx.unresolved_escalations(MONDAY_9) if e.opened_at >= day.timestamp()]
        await tx.update_escalation(
            fay.id,
            claimed_at=fay.opened_at + 600,
            resolved_at=fay.opened_at + 7200,
            recovered=1,
            state="resolved",
        )
        await tx.update_escalation(gus.id, claimed_at=gus.opened_at + 1800, state="claimed")


async def outbox(rt: Runtime, chat: str) -> list[dict[str, Any]]:
    """The messages queued to a chat, as written, oldest first."""
    return await reads.payloads(rt.store, chat)


async def runs(rt: Runtime) -> list[tuple[str, str, str]]:
    """The weekly digest's recorded runs: (period start, period end, status), newest first."""
    async with rt.store.reports() as reports:
        return [(start, end, status) for start, end, status, _ in await reports.runs("weekly")]


def is_png(path: str | Path) -> bool:
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def charts_dir(rt: Runtime) -> Path:
    """Where the bot keeps charts: ``<database folder>/charts``, or a temporary folder when the
    database is a server (README "Digests")."""
    if "://" in rt.store.path:
        return Path(tempfile.gettempdir()) / "feedbackbot-charts"
    return Path(rt.store.path).resolve().parent / "charts"


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {label: text for kind, text, label in message["blocks"] if kind == "field"}


# --------------------------------------------------------------------------- the schedule


async def test_due_digest_is_posted_once_with_numbers_quotes_and_chart(rt: Runtime, clock: Clock) -> None:
    await fill_week(rt, clock)
    clock.now = MONDAY_9 + 3
    outcome = await rt.digests.run_due("weekly")  # type: ignore[union-attr]
    assert outcome.status == "posted" and outcome.period is not None and outcome.period.key == WEEK_KEY
    posted = await outbox(rt, "managers")
    # nps (text + chart), csat and ces (no responses in 12 weeks: text only, no chart)
    assert [
        (m["blocks"][0][1].split(" · ")[0] if m["blocks"] else m["text"][:4], m["attachment"] is not None)
        for m in posted
    ] == [
        ("NPS", False),
        ("nps:", True),
        ("CSAT", False),
        ("CES", False),
    ]
    nps = posted[0]
    assert nps["audience"] == "staff"
    assert nps["blocks"][0] == ["heading", "NPS · Acme (nps) · week 2026-W02 (5–11 Jan 2026)", ""]
    shown = fields(nps)
    # 3 promoters, 1 passive, 2 detractors of 6: NPS = (3 - 2) / 6 = +16.7 -> "+17".
    assert shown["NPS"].startswith("+17 (95% CI ")
    assert shown["Responses"] == "6 · 3 promoters (50%) · 1 passive (17%) · 2 detractors (33%)"
    assert shown["Change"].startswith("▲ +117 pts vs previous week (−100, n=1)")
    # every survey here was started with /feedback: none was an invitation
    assert shown["Response rate"] == "– (no invitations in this period)"
    assert shown["Self-started"] == "7 started by customers (6 answered); not in the response rate"
    assert shown["Escalations"] == "2 opened · 2 claimed · 1 resolved"
    assert shown["Median time"] == "to claim 20 min · to resolve 2.0 h"
    assert shown["Recovered"] == "100% (1 of 1 said it was solved)"
    assert "slow delivery (2)" in shown["Themes"]
    quotes = [text for kind, text, _ in nps["blocks"] if kind == "quote"]
    # The two most negative comments first (their order is the scorer's call).
    assert {quotes[0][:28], quotes[1][:28]} == {"“Slow delivery, awful, never", "“Slow delivery and the couri"}
    assert any("Wonderful support" in q for q in quotes[-2:])
    assert any(kind == "context" and "Low sample: 6 responses" in text for kind, text, _ in nps["blocks"])
    chart = posted[1]["attachment"]
    assert chart == str(charts_dir(rt) / "weekly-20260105-nps.png")
    assert is_png(chart)
    assert await runs(rt) == [(WEEK_KEY, "2026-01-12T00:00:00+01:00", "posted")]
    assert await reads.count(rt.store, "digest_runs") == 1

    clock.advance(3600)  # a coalesced misfire, the scheduler running it again: nothing new
    again = await rt.digests.run_due("weekly")  # type: ignore[union-attr]
    assert again.status == "already_posted"
    assert len(await outbox(rt, "managers")) == 4


async def test_not_due_before_the_fire_time_and_due_exactly_at_it(rt: Runtime, clock: Clock) -> None:
    assert (await rt.digests.run_due("weekly", MONDAY_9 - 1)).status == "not_due"  # type: ignore[union-attr]
    assert (await rt.digests.run_due("weekly", MONDAY_9)).status == "posted"  # type: ignore[union-attr]
    # The next week's digest is a new period.
    nxt = await rt.digests.run_due("weekly", MONDAY_9 + 7 * 86400)  # type: ignore[union-attr]
    assert nxt.status == "posted" and nxt.period is not None and nxt.period.key == "2026-01-12T00:00:00+01:00"
    assert len(await runs(rt)) == 2


async def test_a_restart_never_posts_a_second_digest(tmp_path: Path, clock: Clock) -> None:
    first = await open_runtime(tmp_path, clock)
    clock.now = MONDAY_9 + 60
    assert (await first.digests.run_due("weekly")).status == "posted"  # type: ignore[union-attr]
    count = len(await outbox(first, "managers"))
    await first.close()

    clock.advance(120)  # the bot restarts two minutes later: the catch-up finds the record
    second = await open_runtime(tmp_path, clock)
    try:
        outcomes = await second.digests.catch_up()  # type: ignore[union-attr]
        assert [o.status for o in outcomes] == ["already_posted"]
        assert (await second.digests.run_due("weekly")).status == "already_posted"  # type: ignore[union-attr]
        assert len(await outbox(second, "managers")) == count
        assert len(await runs(second)) == 1
    finally:
        await second.close()


async def test_missed_digest_is_posted_once_on_return_within_the_grace_time(tmp_path: Path, clock: Clock) -> None:
    # The bot was down on Monday at 09:00 and comes back at 15:00.
    clock.now = MONDAY_9 + 6 * 3600
    rt = await open_runtime(tmp_path, clock)
    try:
        outcomes = await rt.digests.catch_up()  # type: ignore[union-attr]
        assert [(o.status, o.period.key if o.period else None) for o in outcomes] == [("posted", WEEK_KEY)]
        assert [(o.status) for o in await rt.digests.catch_up()] == ["already_posted"]  # type: ignore[union-attr]
        assert len(await runs(rt)) == 1
    finally:
        await rt.close()


async def test_missed_digest_beyond_the_grace_time_is_not_posted(tmp_path: Path, clock: Clock) -> None:
    clock.now = MONDAY_9 + 24 * 3600 + 1  # back on Tuesday, one second too late
    rt = await open_runtime(tmp_path, clock)
    try:
        assert [o.status for o in await rt.digests.catch_up()] == ["not_due"]  # type: ignore[union-attr]
        assert await reads.count(rt.store, "digest_runs") == 0
        assert await outbox(rt, "managers") == []
    finally:
        await rt.close()


async def test_two_fires_on_the_autumn_clock_change_post_once(tmp_path: Path, clock: Clock) -> None:
    # 02:30 happens twice in Berlin on 25 October 2026; both fires report the same day.
    cfg = digest_config(cron="30 2 * * *", period="days:1", chart=False)
    rt = await open_runtime(tmp_path, clock, cfg)
    try:
        first = datetime(2026, 10, 25, 0, 30, 5, tzinfo=UTC).timestamp()  # 02:30 CEST
        second = datetime(2026, 10, 25, 1, 30, 5, tzinfo=UTC).timestamp()  # 02:30 CET
        assert (await rt.digests.run_due("weekly", first)).status == "posted"  # type: ignore[union-attr]
        outcome = await rt.digests.run_due("weekly", second)  # type: ignore[union-attr]
        assert outcome.status == "already_posted"
        assert outcome.period is not None and outcome.period.label == "24 Oct 2026"
    finally:
        await rt.close()


async def test_concurrent_runs_post_once(rt: Runtime, clock: Clock) -> None:
    import asyncio

    clock.now = MONDAY_9 + 1
    outcomes = await asyncio.gather(
        rt.digests.run_due("weekly"),  # type: ignore[union-attr]
        rt.digests.run_due("weekly"),  # type: ignore[union-attr]
        rt.digests.catch_up(),  # type: ignore[union-attr]
    )
    statuses = sorted([outcomes[0].status, outcomes[1].status, outcomes[2][0].status])
    assert statuses == ["already_posted", "already_posted", "posted"]


# --------------------------------------------------------------------------- reports and the chart


async def test_report_queries_read_only_their_window(rt: Runtime, clock: Clock) -> None:
    await fill_week(rt, clock)
    period = last_complete(PeriodSpec("week"), datetime.fromtimestamp(MONDAY_9, BERLIN))
    async with rt.store.reports() as reports:
        counts = await reports.score_counts("nps", range(11), [(period.start_ts, period.end_ts)])
        comments = await reports.comment_facts(
            "nps", period.start_ts, period.end_ts, negative_max_score=6, negatives=3, positives=2, theme_limit=10
        )
        rates = await reports.invitation_counts("nps", period.start_ts, period.end_ts)
    assert counts == [{10: 1, 9: 2, 7: 1, 3: 1, 0: 1}]
    assert sum(comments.sentiment.values()) == 5  # dee skipped the comment
    assert sorted(c.score for c in comments.negative) == [0, 3]  # most negative first: the scorer's call
    assert [c.score for c in comments.positive][:1] == [10]
    assert {text for text, _ in comments.themes} == {
        "Slow delivery and the courier was rude",
        "Slow delivery, awful, never again",
    }
    assert rates == []  # /feedback sessions are not invitations


async def test_the_same_words_are_quoted_once(rt: Runtime, clock: Clock) -> None:
    day = datetime(2026, 1, 6, 10, 0, tzinfo=BERLIN)
    for i, user in enumerate(("u1", "u2", "u3")):
        await answer(rt, clock, user, day.replace(hour=10 + i), 1, "Awful.  Just awful!" if i < 2 else "Bad app")
    period = last_complete(PeriodSpec("week"), datetime.fromtimestamp(MONDAY_9, BERLIN))
    async with rt.store.reports() as reports:
        comments = await reports.comment_facts("nps", period.start_ts, period.end_ts, negative_max_score=6)
    assert [c.text for c in comments.negative] == ["Awful.  Just awful!", "Bad app"]
    assert comments.sentiment == {"negative": 3}


async def test_chart_is_a_real_png_drawn_by_matplotlib(rt: Runtime, clock: Clock, tmp_path: Path) -> None:
    await fill_week(rt, clock)
    period = rt.digests.default_period(MONDAY_9, "Europe/Berlin")  # type: ignore[union-attr]
    digest = await rt.digests.gather(["nps"], period)  # type: ignore[union-attr]
    path = charts.render_chart(digest.surveys[0], tmp_path / "out" / "nps.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    assert (width, height) == (880, 550)
    assert len(data) > 15_000
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    colours = {tuple(round(float(c), 2) for c in px[:3]) for px in pixels.reshape(-1, pixels.shape[-1])[::7]}
    assert len(colours) > 50  # text, axes, bars, band and line, not a blank canvas
    blue = tuple(round(int(charts.SCORE_COLOUR[i : i + 2], 16) / 255, 2) for i in (1, 3, 5))
    assert blue in colours  # the score line was drawn
    assert not list(path.parent.glob(".chart-*"))  # written atomically, no temporary left behind


def test_prune_charts_removes_only_old_files(tmp_path: Path) -> None:
    old, new = tmp_path / "old.png", tmp_path / "new.png"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (1_000_000, 1_000_000))
    assert charts.prune_charts(tmp_path) == 1
    assert not old.exists() and new.exists()


def test_chart_series_with_no_data_still_renders(tmp_path: Path) -> None:
    periods = series_periods(last_complete(PeriodSpec("month"), datetime(2026, 1, 5, tzinfo=BERLIN)))
    summary = summarise(SurveyFacts("ces", Kind.CES, "Acme", periods, tuple({} for _ in periods)))
    path = charts.render_chart(summary, tmp_path / "empty.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- on demand


def staff(command: str, args: str = "", is_staff: bool = True) -> Inbound:
    return Inbound(
        f"s{next(_ids)}",
        "console",
        "boss",
        "staff-room",
        display_name="Boss",
        command=command,
        args=args,
        is_private=False,
        is_staff=is_staff,
    )


async def test_digest_command_posts_in_the_staff_chat_then_the_chart(rt: Runtime, clock: Clock) -> None:
    await fill_week(rt, clock)
    clock.now = datetime(2026, 1, 14, 16, 0, tzinfo=BERLIN).timestamp()  # Wednesday: last week is 5-11 Jan
    await rt.service.handle(staff("digest", "nps"))
    await rt.digests.close()  # type: ignore[union-attr]  # let the chart task finish
    posted = await outbox(rt, "staff-room")
    assert len(posted) == 2
    assert posted[0]["blocks"][0][1] == "NPS · Acme (nps) · week 2026-W02 (5–11 Jan 2026)"
    assert fields(posted[0])["Responses"].startswith("6 · 3 promoters")
    assert posted[1]["attachment"] and is_png(posted[1]["attachment"])
    assert await reads.count(rt.store, "digest_runs") == 0  # on demand is not a scheduled run


async def test_digest_command_is_for_staff_only_and_checks_the_survey(rt: Runtime) -> None:
    await rt.service.handle(staff("digest", is_staff=False))
    await rt.service.handle(staff("digest", "nope"))
    await rt.digests.close()  # type: ignore[union-attr]
    texts = [m["text"] for m in await outbox(rt, "staff-room")]
    assert texts == [
        "Sorry, only support staff can ask for a digest.",
        "Usage: /digest [survey] [by KEY] [now]. No survey 'nope' (surveys: nps, csat, ces).",
    ]


async def test_digest_command_without_a_survey_covers_every_survey(rt: Runtime, clock: Clock) -> None:
    clock.now = MONDAY_9
    await rt.service.handle(staff("digest"))
    await rt.digests.close()  # type: ignore[union-attr]
    headings = [m["blocks"][0][1].split(" · ")[0] for m in await outbox(rt, "staff-room")]
    assert headings == ["NPS", "CSAT", "CES"]  # no responses anywhere: no charts


# --------------------------------------------------------------------------- feedbackbot digest




def test_digest_cli_prints_without_posting_and_posts_with_post(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    db = tmp_path / "bot.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(text.replace('path = "feedbackbot.db"', f'path = "{db.as_posix()}"'), encoding="utf-8")
    script = "/feedback\n3\nThe checkout keeps failing\n/feedback\n10\nLovely people\n"
    shell = feedbackbot("shell", "--config", str(cfg), "--user", "zed", stdin=script)
    assert shell.returncode == 0, shell.stderr

    def outbox_count() -> int:
        return asyncio.run(reads.count_in(str(db), "outbox"))

    before = outbox_count()
    today = datetime.now(UTC).date()
    window = ("--since", (today - timedelta(days=1)).isoformat(), "--until", today.isoformat())
    as_json = feedbackbot("digest", "--config", str(cfg), *window, "--survey", "nps", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    nps = data["surveys"][0]
    assert (nps["survey_id"], nps["n"], nps["score"]) == ("nps", 2, 0.0)
    assert nps["response_rate"]["invited"] == 0 and nps["self_started"] == {"started": 2, "answered": 2}
    assert nps["most_negative"][0]["text"] == "The checkout keeps failing"
    assert data["report"] == "digest" and "digest" not in data  # keys say what they hold

    chart = tmp_path / "chart.png"
    as_text = feedbackbot("digest", "--config", str(cfg), *window, "--format", "text", "--chart", str(chart))
    assert as_text.returncode == 0, as_text.stderr
    assert "NPS: 0 (95% CI" in as_text.stdout and "CSAT · Acme support (csat)" in as_text.stdout
    assert (tmp_path / "chart-nps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "chart-csat.png").exists() or (tmp_path / "chart-csat.png").stat().st_size > 0

    markdown = feedbackbot("digest", "--config", str(cfg), *window, "--format", "markdown", "--survey", "nps")
    assert markdown.returncode == 0 and markdown.stdout.startswith("## NPS · Acme (nps)")
    assert outbox_count() == before  # printing posts nothing

    posted = feedbackbot("digest", "--config", str(cfg), *window, "--survey", "nps", "--post")
    assert posted.returncode == 0, posted.stderr
    assert "queued 2 messages for console:staff" in posted.stderr
    assert outbox_count() == before + 2

    bad = feedbackbot("digest", "--config", str(cfg), "--survey", "nope")
    assert bad.returncode == 2 and "no survey 'nope'" in bad.stderr
