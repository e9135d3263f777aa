"""Trend alerts through the real store, scheduler job and outbox: a significant drop so far this
week reaches the managers at once, once per survey and period, with the segments that moved."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config, ConfigError
from bot.scheduling.scheduler import Scheduler
from tests import reads
from tests.conftest import Clock
from tests.history import past_responses
from tests.integration.test_digests import ROOT

UTC_WED = datetime.fromisoformat("2026-01-14T15:00:00+00:00").timestamp()  # Wednesday of week 3
LAST_WEEK = datetime.fromisoformat("2026-01-06T10:00:00+00:00").timestamp()
THIS_WEEK = datetime.fromisoformat("2026-01-12T10:00:00+00:00").timestamp()


def trend_config(**overrides: Any) -> Config:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["trend_alerts"] = {"enabled": True, "segments": ["agent"], "destinations": ["console:managers"], **overrides}
    return config_mod.parse(data, {})


async def managers(rt: Runtime) -> list[dict[str, Any]]:
    return await reads.payloads(rt.store, "managers")


async def test_a_significant_drop_alerts_managers_once_with_the_segments_that_moved(
    tmp_path: Path, clock: Clock
) -> None:
    rt = await Runtime.open(trend_config(), clock=clock, db_path=str(tmp_path / "bot.db"))
    try:
        # last week: 80 of 100 satisfied (ann and bob alike); this week so far: 60 of 100, bob's all unhappy
        rows = [(5, {"agent": "ann" if i % 2 else "bob"}, LAST_WEEK + i) for i in range(80)]
        rows += [(1, {"agent": "ann" if i % 2 else "bob"}, LAST_WEEK + 100 + i) for i in range(20)]
        rows += [(5, {"agent": "ann"}, THIS_WEEK + i) for i in range(60)]
        rows += [(1, {"agent": "bob"}, THIS_WEEK + 100 + i) for i in range(40)]
        await past_responses(rt.store, "csat", "csat", rows)
        clock.now = UTC_WED
        outcomes = {o.survey_id: o for o in await Scheduler(rt).trend_job()}
        assert outcomes["csat"].status == "alerted" and outcomes["csat"].against == "previous"
        assert outcomes["csat"].p_value == pytest.approx(0.002028, abs=2e-6)  # as R's prop.test
        assert outcomes["nps"].status == "steady"
        posted = await managers(rt)
        assert len(posted) == 1
        blocks = {label: text for kind, text, label in posted[0]["blocks"] if kind == "field"}
        assert posted[0]["blocks"][0][1] == "📉 CSAT drop · Acme support (csat)"
        assert blocks["This week so far (since Mon 12 Jan)"] == "60% (95% CI 50–69%), n=100"
        assert blocks["Previous week (week 2026-W02 (5–11 Jan 2026))"].startswith("80% (95% CI ")
        assert blocks["Change"].startswith("−20 pts, significant (p = 0.002")
        assert blocks["agent bob"].startswith("−80 pts (now 0%, n=40; before n=50)")

        clock.now += 3600  # the next check: same week, nothing new
        again = {o.survey_id: o for o in await Scheduler(rt).trend_job()}
        assert again["csat"].status == "already_alerted"
        assert len(await managers(rt)) == 1
    finally:
        await rt.close()


def test_trend_alert_settings_are_checked() -> None:
    with pytest.raises(ConfigError) as level:
        trend_config(level=0.7)
    assert "trend_alerts.level" in str(level.value)
    with pytest.raises(ConfigError) as survey:
        trend_config(surveys=["nope"])
    assert "trend_alerts.surveys[0]" in str(survey.value)
    with pytest.raises(ConfigError) as unknown:
        trend_config(every="hour")
    assert "trend_alerts.every" in str(unknown.value)
