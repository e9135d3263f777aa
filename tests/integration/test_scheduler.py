"""The scheduler: crontabs built from fields with day names, the jobs it registers on the
running loop, and the job functions called directly with the test's clock (nothing sleeps)."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import config as config_mod
from bot.bootstrap.run import build_components
from bot.bootstrap.runtime import Runtime
from bot.config import ConfigError
from bot.cron import crontab_trigger, last_fire
from bot.leadership import Leadership
from bot.scheduling.scheduler import Scheduler
from surveys.model import Inbound
from tests.conftest import Clock
from tests.integration.test_digests import MONDAY_9, digest_config, open_runtime

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")


def test_crontab_uses_day_names_in_the_digest_time_zone() -> None:
    trigger = crontab_trigger("0 9 * * mon", "Europe/Berlin")
    sunday = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, sunday) == datetime(2026, 1, 12, 9, 0, tzinfo=BERLIN)
    weekdays = crontab_trigger("30 8 * * mon-fri", "UTC")
    saturday = datetime(2026, 1, 10, 0, 0, tzinfo=UTC)
    assert weekdays.get_next_fire_time(None, saturday) == datetime(2026, 1, 12, 8, 30, tzinfo=UTC)
    monthly = crontab_trigger("0 7 1 * *", "UTC")
    assert monthly.get_next_fire_time(None, saturday) == datetime(2026, 2, 1, 7, 0, tzinfo=UTC)


def test_the_trap_we_avoid_from_crontab_reads_1_as_tuesday() -> None:
    trap = CronTrigger.from_crontab("0 9 * * 1", timezone=UTC)
    fire = trap.get_next_fire_time(None, datetime(2026, 1, 11, tzinfo=UTC))
    assert fire is not None and fire.strftime("%A") == "Tuesday"
    with pytest.raises(ValueError, match="use day names"):
        crontab_trigger("0 9 * * 1", "UTC")


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 9 * * 1", "digests[0].cron: day of week '1': use day names such as 'mon'"),
        ("0 9 * * 0-4", "APScheduler 3 counts 0 as Monday while cron counts 0 as Sunday"),
        ("0 9 * *", "digests[0].cron: expected 5 fields"),
        ("61 9 * * mon", "digests[0].cron: invalid crontab '61 9 * * mon'"),
        ("0 9 * * funday", "digests[0].cron: invalid crontab"),
        ("0 9 1 * mon", "restrict either the day of month ('1') or the day of week ('mon'), not both"),
    ],
)
def test_bad_crontabs_are_refused_naming_the_key(cron: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        digest_config(cron=cron)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"surveys": ["nps", "typo"]}, "digests[0].surveys[1]: no survey with id 'typo'"),
        (
            {"destinations": ["slack:C123"]},
            "digests[0].destinations[0]: 'slack:C123' is on slack, which is not enabled",
        ),
        ({"destinations": ["email:x"]}, "digests[0].destinations[0]: expected 'telegram:<chat id>'"),
        ({"period": "fortnight"}, "digests[0].period: expected 'week', 'month' or 'days:N'"),
        ({"timezone": "Mars/Olympus"}, "digests[0].timezone: expected an IANA time zone"),
        ({"grace_hours": 0}, "digests[0].grace_hours: expected a positive number"),
        ({"colour": "blue"}, "digests[0].colour: unknown key"),
        ({"id": "week-ly"}, "digests[0].id: expected letters, digits or '_'"),
    ],
)
def test_bad_digest_settings_are_refused_naming_the_key(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        digest_config(**overrides)
    assert str(info.value).startswith(message)


def test_digest_defaults_every_survey_the_bot_timezone_and_the_staff_chats() -> None:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["bot"]["timezone"] = "America/New_York"
    data["digests"] = [{"id": "weekly", "cron": "0  9 * *   mon"}]
    (digest,) = config_mod.parse(data, {}).digests
    assert (digest.cron, digest.timezone, digest.period) == ("0 9 * * mon", "America/New_York", "week")
    assert digest.surveys == ("nps", "csat", "ces")
    assert digest.destinations == ("console:staff",)
    assert (digest.grace_hours, digest.chart) == (24.0, True)
    data["digests"].append({"id": "weekly", "cron": "0 9 * * fri"})
    with pytest.raises(ConfigError, match=r"digests\[1\].id: duplicate digest id 'weekly'"):
        config_mod.parse(data, {})


def test_the_shipped_example_config_stays_valid() -> None:
    cfg = config_mod.load(ROOT / "config.example.toml", env={})
    assert cfg.digests == ()  # the example digest is commented out: `run` stays quiet
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    example = []
    for line in lines[lines.index("# [[digests]]") :]:
        if not line.startswith("# "):
            break
        example.append(line.removeprefix("# "))
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    block = tomllib.loads("\n".join(example))
    data["digests"] = block["digests"]
    (digest,) = config_mod.parse(data, {}).digests
    assert digest.destinations == ("console:staff",)


def test_last_fire_finds_the_latest_fire_within_the_lookback() -> None:
    trigger = crontab_trigger("0 9 * * mon", "Europe/Berlin")
    monday = datetime(2026, 1, 12, 9, 0, tzinfo=BERLIN)
    assert last_fire(trigger, monday + timedelta(hours=5), timedelta(hours=24)) == monday
    assert last_fire(trigger, monday, timedelta(hours=24)) == monday
    assert last_fire(trigger, monday - timedelta(seconds=1), timedelta(hours=24)) is None
    assert last_fire(trigger, monday + timedelta(days=3), timedelta(hours=24)) is None
    every_minute = crontab_trigger("* * * * *", "UTC")
    now = datetime(2026, 1, 12, 9, 30, 30, tzinfo=UTC)
    assert last_fire(every_minute, now, timedelta(hours=24)) == datetime(2026, 1, 12, 9, 30, tzinfo=UTC)


# --------------------------------------------------------------------------- the component


async def test_scheduler_registers_every_job_on_the_running_loop(tmp_path: Path, clock: Clock) -> None:
    rt = await open_runtime(tmp_path, clock)
    try:
        component = Scheduler(rt)
        scheduler = component.build()
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {
            "digest:weekly",
            "expire",
            "remind",
            "digest-catch-up",
            "invitations",
            "prune",
            "retention",
        }
        digest = jobs["digest:weekly"]
        assert isinstance(digest.trigger, CronTrigger)
        assert str(digest.trigger.timezone) == "Europe/Berlin"
        fields = {f.name: str(f) for f in digest.trigger.fields}
        assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "9", "0")
        assert digest.coalesce is True and digest.misfire_grace_time == 24 * 3600 and digest.max_instances == 1
        assert digest.args == ("weekly",)
        for name in ("expire", "remind"):
            assert isinstance(jobs[name].trigger, IntervalTrigger)
            assert jobs[name].trigger.interval == timedelta(seconds=60)
            assert jobs[name].coalesce is True
        await component.start()
        assert component.scheduler is not None and component.scheduler.running
        await component.stop()
        assert component.scheduler is None
    finally:
        await rt.close()


async def test_no_digests_no_catch_up_job(runtime: Runtime) -> None:
    jobs = {job.id for job in Scheduler(runtime).build().get_jobs()}
    assert jobs == {"expire", "remind", "invitations", "prune", "retention"}


def test_run_includes_the_scheduler_as_a_background_component(runtime: Runtime) -> None:
    components = build_components(runtime)
    leaders = [c for c in components if isinstance(c, Leadership)]
    assert len(leaders) == 1 and leaders[0].background is True
    assert "scheduler" in leaders[0].roles  # on the instance that holds the scheduler role


async def test_maintenance_jobs_use_the_runtime_clock(runtime: Runtime, clock: Clock) -> None:
    jobs = Scheduler(runtime)

    def customer(event: str, **kwargs: Any) -> Inbound:
        return Inbound(event, "console", "ann", "ann", display_name="Ann", **kwargs)

    await runtime.service.handle(customer("e1", command="feedback"))
    assert await jobs.expire_job() == 0
    clock.advance(73 * 3600)  # past expiry_hours = 72
    assert await jobs.expire_job() == 1
    assert await jobs.expire_job() == 0

    await runtime.service.handle(customer("e2", command="feedback"))
    await runtime.service.handle(customer("e3", text="2"))  # a detractor: an alert opens
    assert await jobs.remind_job() == 0
    clock.advance(31 * 60)  # remind_unclaimed_minutes = 30
    assert await jobs.remind_job() == 1


async def test_digest_and_catch_up_jobs_run_with_the_test_clock(tmp_path: Path, clock: Clock) -> None:
    clock.now = MONDAY_9 + 2 * 3600
    rt = await open_runtime(tmp_path, clock, digest_config(chart=False))
    try:
        jobs = Scheduler(rt)
        outcomes = await jobs.catch_up_job()
        assert [o.status for o in outcomes] == ["posted"]
        again = await jobs.digest_job("weekly")
        assert again.status == "already_posted"
        clock.advance(7 * 86400)
        assert (await jobs.digest_job("weekly")).status == "posted"
    finally:
        await rt.close()


def test_last_fire_of_a_minutely_crontab_with_a_long_grace_is_cheap_and_right() -> None:
    every_minute = crontab_trigger("* * * * *", "UTC")
    now = datetime(2026, 1, 12, 9, 30, 30, tzinfo=UTC)
    assert last_fire(every_minute, now, timedelta(days=60)) == datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    yearly = crontab_trigger("0 0 1 1 *", "UTC")
    assert last_fire(yearly, now, timedelta(days=60)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert last_fire(yearly, now, timedelta(days=5)) is None


async def test_a_failed_digest_is_retried_while_the_scheduler_runs(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = MONDAY_9 + 60
    rt = await open_runtime(tmp_path, clock, digest_config(chart=False))
    component = Scheduler(rt)
    try:
        await component.start()
        assert rt.digests is not None and component.scheduler is not None
        component.scheduler.remove_job("digest-catch-up")  # this test drives the job by hand

        async def broken(digest_id: str, now: float | None = None) -> Any:
            raise RuntimeError("database is locked")

        monkeypatch.setattr(rt.digests, "run_due", broken)
        assert await component.digest_job("weekly") is None
        assert component.scheduler is not None
        retry = component.scheduler.get_job("digest-retry:weekly")
        assert retry is not None and retry.args == ("weekly",)
        assert retry.next_run_time > datetime.now(UTC) + timedelta(seconds=200)
        monkeypatch.undo()
        assert (await component.digest_job("weekly")).status == "posted"  # the retry's work
    finally:
        await component.stop()
        await rt.close()
