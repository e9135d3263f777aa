"""Per-agent results: an alert naming an agent mentions them where they have an id, and the
weekly direct message gives each agent their own score, interval and comments, once."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config, ConfigError
from bot.services.escalations import EscalationSettings, with_agent_mention
from handlers.slack import render as slack
from handlers.telegram import render as telegram
from surveys.model import Block, Destination, OutMessage
from tests import reads
from tests.conftest import Clock
from tests.history import past_responses
from tests.integration.test_digests import BERLIN, ROOT

WEEK = datetime(2026, 1, 6, 10, 0, tzinfo=BERLIN).timestamp()
MONDAY_9_UTC = datetime.fromisoformat("2026-01-12T09:00:05+00:00").timestamp()


def agents_config(**reports: Any) -> Config:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["telegram"] = {**data.get("telegram", {}), "enabled": True, "staff_chat_id": -100123}
    data["agents"] = {"ann": {"telegram": 111}, "bob": {"telegram": "222"}}
    data["agent_reports"] = {"enabled": True, **reports}
    for survey in data["surveys"]:
        survey.setdefault("escalation", {})["destinations"] = ["telegram:-100123"]
    return config_mod.parse(data, {"TELEGRAM_BOT_TOKEN": "123:abc"})


def test_alert_naming_an_agent_mentions_them_on_each_platform() -> None:
    settings = EscalationSettings(agents={"ann": {"telegram": "111", "slack": "U0ANN"}}, agent_key="agent")
    alert = OutMessage(
        Destination("telegram", "-100123"),
        "Feedback alert #1",
        blocks=(Block("heading", "Feedback alert #1"), Block("field", "2026-01-06 10:00 UTC", "Received")),
    )
    tagged = with_agent_mention(alert, {"agent": "ann"}, settings)
    assert [b.kind for b in tagged.blocks] == ["heading", "mention", "field"]
    assert tagged.text.endswith("Agent: ann")
    html = "".join(telegram.render_chunks(tagged))
    assert '<b>Agent:</b> <a href="tg://user?id=111">ann</a>' in html
    on_slack = with_agent_mention(
        OutMessage(Destination("slack", "C1"), "x", blocks=alert.blocks), {"agent": "ann"}, settings
    )
    _, blocks = slack.render(on_slack)
    assert "*Agent:* <@U0ANN> (ann)" in json.dumps(blocks, ensure_ascii=False)
    # no id on that platform, or another agent: the alert is unchanged
    assert (
        with_agent_mention(
            OutMessage(Destination("console", "staff"), "x", blocks=alert.blocks), {"agent": "ann"}, settings
        ).blocks
        == alert.blocks
    )
    assert with_agent_mention(alert, {"agent": "zed"}, settings) == alert


async def test_an_alert_from_a_sent_survey_mentions_the_agent(tmp_path: Path, clock: Clock) -> None:
    from bot.services.invitations import InviteRequest
    from surveys.model import Inbound

    rt = await Runtime.open(agents_config(), clock=clock, db_path=str(tmp_path / "bot.db"))
    try:
        clock.now = WEEK
        sent = await rt.inviter.invite(InviteRequest("nps", "telegram", "900", context={"agent": "ann"}))
        assert sent.status == "sent"
        await rt.service.handle(Inbound("e1", "telegram", "900", "900", text="2", language="en"))
        alerts = await reads.payloads(rt.store, "-100123")
        assert alerts and ["mention", "111", "ann"] in alerts[0]["blocks"]
    finally:
        await rt.close()


async def test_weekly_message_gives_each_agent_only_their_own_results(tmp_path: Path, clock: Clock) -> None:
    rt = await Runtime.open(agents_config(), clock=clock, db_path=str(tmp_path / "bot.db"))
    try:
        ann_rows = [(10, {"agent": "ann"}, WEEK + i) for i in range(3)]
        await past_responses(rt.store, "nps", "nps", ann_rows, comment="Ann was brilliant")
        bob_rows = [(2, {"agent": "bob"}, WEEK + 10 + i) for i in range(2)]
        await past_responses(rt.store, "nps", "nps", bob_rows, comment="Bob never called back")
        clock.now = MONDAY_9_UTC
        assert rt.agent_reports is not None
        assert await rt.agent_reports.run_due() == 2
        sent = {row["chat_id"]: json.loads(row["payload"]) for row in await reads.outbox(rt.store)}
        ann, bob = sent["111"], sent["222"]
        assert ann["blocks"][0][1] == "Your feedback, ann · week 2026-W02 (5–11 Jan 2026)"
        assert "n=3 · +100 (95% CI" in ann["text"] and "Ann was brilliant" in ann["text"]
        assert "Bob" not in ann["text"] and "Ann was" not in bob["text"]
        assert "n=2 · −100" in bob["text"] and "⚠ low sample" in bob["text"]
        assert await rt.agent_reports.run_due() == 0  # once per agent and week
    finally:
        await rt.close()


def test_agents_table_is_checked() -> None:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["agents"] = {"ann": {"telegram": "not-a-number"}}
    data["telegram"] = {**data.get("telegram", {}), "enabled": True, "staff_chat_id": -100123}
    with pytest.raises(ConfigError) as bad:
        config_mod.parse(data, {"TELEGRAM_BOT_TOKEN": "123:abc"})
    assert "agents.ann.telegram" in str(bad.value)
    data["agents"] = {"ann": {"slack": "U0ANN"}}
    with pytest.raises(ConfigError) as off:
        config_mod.parse(data, {"TELEGRAM_BOT_TOKEN": "123:abc"})
    assert "agents.ann.slack" in str(off.value) and "not enabled" in str(off.value)
    data.pop("agents")
    data["agent_reports"] = {"enabled": True}
    with pytest.raises(ConfigError) as alone:
        config_mod.parse(data, {"TELEGRAM_BOT_TOKEN": "123:abc"})
    assert "agent_reports.enabled" in str(alone.value)
