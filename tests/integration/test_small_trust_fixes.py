"""The smaller items of issue 20 (item 8) that need no chat platform: `feedbackbot link` leaves
the database alone, the send API is its own switch, and the campaign catch-up at start-up
invites only people who could have been invited at the missed run."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli
from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import ConfigError
from bot.scheduling.scheduler import Scheduler
from surveys.model import Inbound
from tests import reads
from tests.conftest import ROOT, Clock
from tests.integration.test_shell_cli import write_config


def test_link_creates_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, "")
    text = cfg.read_text(encoding="utf-8").replace('# bot_username = "acme_feedback_bot"', 'bot_username = "acme_bot"')
    cfg.write_text(text, encoding="utf-8")
    assert cli.main(["link", "--config", str(cfg), "--survey", "nps", "--context", "T1"]) == 0
    assert capsys.readouterr().out.strip() == "https://t.me/acme_bot?start=nps-T1"
    assert not (tmp_path / "bot.db").exists(), "link needs no database and must not create one"


def _http_config(**http: object) -> dict[str, object]:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["http"] = {"enabled": True, **http}
    data["telegram"] = {
        **data["telegram"],
        "enabled": True,
        "mode": "webhook",
        "webhook_url": "https://bot.example.com/telegram/webhook",
        "staff_chat_id": -1001234567890,
    }
    return data


def test_http_for_webhooks_only_needs_no_api_token() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s3cret"}
    cfg = config_mod.parse(_http_config(), env)
    assert cfg.http.enabled and not cfg.http.send_api
    with pytest.raises(ConfigError) as caught:
        config_mod.parse(_http_config(send_api=True), env)
    assert "http.send_api" in str(caught.value) and "FEEDBACKBOT_API_TOKEN" in str(caught.value)
    on = config_mod.parse(_http_config(send_api=True), {**env, "FEEDBACKBOT_API_TOKEN": "t0ken"})
    assert on.http.send_api and on.api_token == "t0ken"


async def test_campaign_catch_up_invites_only_people_known_at_the_missed_run(tmp_path: Path) -> None:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["invitations"] = {**data["invitations"], "quiet_hours": "00:00-00:00", "fatigue_days": 0}
    data["campaigns"] = [{"id": "q", "survey": "nps", "audience": "all", "cron": "0 10 * * *", "timezone": "UTC"}]
    clock = Clock(datetime(2026, 4, 1, 9, 0, tzinfo=UTC).timestamp())
    runtime = await Runtime.open(config_mod.parse(data, {}), clock=clock, db_path=str(tmp_path / "bot.db"))
    try:
        await runtime.service.handle(Inbound("e1", "console", "early", "early", text="hi"))
        clock.now = datetime(2026, 4, 1, 11, 0, tzinfo=UTC).timestamp()  # the 10:00 run was missed
        await runtime.service.handle(Inbound("e2", "console", "late", "late", text="hello"))
        clock.now = datetime(2026, 4, 1, 12, 0, tzinfo=UTC).timestamp()  # the bot comes back
        await Scheduler(runtime).campaign_catch_up_job()
        people = {p["id"]: p["user_id"] for p in await reads.respondents(runtime.store)}
        invited = sorted(people[i["respondent_id"]] for i in await reads.invitations(runtime.store))
        assert invited == ["early"], "someone who first wrote after the missed run is not part of it"
    finally:
        await runtime.close()
