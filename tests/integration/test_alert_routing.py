"""An alert always reaches a person, or the bot says so before anyone relies on it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config, ConfigError
from bot.web.http import HttpServer
from handlers.base import Unreachable
from surveys.model import Destination, Inbound, OutMessage
from tests import reads
from tests.conftest import Clock

ROOT = Path(__file__).resolve().parents[2]
TG_STAFF = "-1001234567890"
SLACK_STAFF = "C0STAFF"
SECRETS = {"TELEGRAM_BOT_TOKEN": "t", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}


def example(**sections: dict[str, Any]) -> dict[str, Any]:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    for name, values in sections.items():
        data[name].update(values)
    return data


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"telegram": {"enabled": True, "staff_chat_id": int(TG_STAFF)}}, [Destination("telegram", TG_STAFF)]),
        ({"slack": {"enabled": True, "staff_channel": SLACK_STAFF}}, [Destination("slack", SLACK_STAFF)]),
        (
            {
                "telegram": {"enabled": True, "staff_chat_id": int(TG_STAFF)},
                "slack": {"enabled": True, "staff_channel": SLACK_STAFF},
            },
            [Destination("telegram", TG_STAFF), Destination("slack", SLACK_STAFF)],
        ),
        ({}, [Destination("console", "staff")]),
    ],
)
async def test_the_example_config_alerts_the_staff_chat_of_whatever_is_enabled(
    tmp_path: Path, clock: Clock, sections: dict[str, Any], expected: list[Destination]
) -> None:
    """The README's setup: copy the example, enable a platform, set its staff chat. Every
    example survey's alerts go to a chat `run` serves (before, they went to the terminal,
    which `run` does not start when a platform is enabled, and were dropped)."""
    cfg = config_mod.parse(example(**sections), SECRETS)
    runtime = await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))
    try:
        desk = runtime.service.desk
        for sid in cfg.surveys:
            assert desk.settings.destinations(sid) == expected
        platform = expected[0].platform
        await runtime.service.handle(Inbound("e1", platform, "U77", "U77", command="feedback"))
        await runtime.service.handle(Inbound("e2", platform, "U77", "U77", text="1"))
        rows = [(r["platform"], r["chat_id"], r["ref_key"]) for r in await reads.outbox(runtime.store)]
        alerted = {(p, chat) for p, chat, ref in rows if str(ref).startswith("alert:1:")}
        assert alerted == {(d.platform, d.chat_id) for d in expected}
    finally:
        await runtime.close()


@pytest.mark.parametrize(
    ("sections", "surveys", "message"),
    [
        (
            {"telegram": {"enabled": True, "staff_chat_id": int(TG_STAFF)}},
            {0: ["console:staff"]},
            "surveys[0].escalation.destinations[0]: 'console:staff' is the terminal, which `feedbackbot run` serves "
            "only when no chat platform is enabled",
        ),
        (
            {"telegram": {"enabled": True, "staff_chat_id": int(TG_STAFF)}},
            {2: [f"telegram:{TG_STAFF}", "slack:C1"]},
            "surveys[2].escalation.destinations[1]: 'slack:C1' is on slack, which is not enabled",
        ),
        (
            {"telegram": {"enabled": True}},
            {},
            "telegram.staff_chat_id: alerts of survey 'nps' go to the staff chat of every enabled platform, "
            "and none is set",
        ),
        (
            {"slack": {"enabled": True}},
            {},
            "slack.staff_channel: alerts of survey 'nps' go to the staff chat of every enabled platform",
        ),
    ],
)
def test_a_destination_run_will_not_serve_is_a_config_error_naming_the_key(
    sections: dict[str, Any], surveys: dict[int, list[str]], message: str
) -> None:
    data = example(**sections)
    for index, destinations in surveys.items():
        data["surveys"][index].setdefault("escalation", {})["destinations"] = destinations
    with pytest.raises(ConfigError) as info:
        config_mod.parse(data, SECRETS)
    assert str(info.value).startswith(message)


def test_digest_destinations_are_checked_the_same_way() -> None:
    data = example(telegram={"enabled": True, "staff_chat_id": int(TG_STAFF)})
    data["digests"] = [{"id": "weekly", "cron": "0 9 * * mon", "destinations": ["console:managers"]}]
    with pytest.raises(ConfigError, match=r"^digests\[0\]\.destinations\[0\]: 'console:managers' is the terminal"):
        config_mod.parse(data, SECRETS)


class Chat:
    """A platform stand-in: records what it is sent; chats in ``gone`` have removed the bot."""

    def __init__(self, platform: str, gone: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.platform = platform
        self.gone = set(gone)
        self.sent: list[OutMessage] = []

    async def send(self, message: OutMessage, reply_to: str | None) -> str:
        if message.to.chat_id in self.gone:
            raise Unreachable("Forbidden: bot was kicked from the supergroup chat")
        self.sent.append(message)
        return str(len(self.sent))

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        if chat_id in self.gone:
            raise Unreachable("Forbidden: bot was kicked from the supergroup chat")
        self.sent.append(message)


def both_platforms(**survey_destinations: list[str]) -> Config:
    data = example(
        telegram={"enabled": True, "staff_chat_id": int(TG_STAFF)},
        slack={"enabled": True, "staff_channel": SLACK_STAFF},
    )
    for survey in data["surveys"]:
        if survey["id"] in survey_destinations:
            survey.setdefault("escalation", {})["destinations"] = survey_destinations[survey["id"]]
    return config_mod.parse(data, SECRETS)


async def health(server: HttpServer) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{server.ports[0]}/healthz") as r:
        return dict(await r.json())


async def test_an_alert_whose_chat_removed_the_bot_goes_to_the_other_staff_chats_with_a_note(
    tmp_path: Path, clock: Clock
) -> None:
    cfg = both_platforms(nps=[f"telegram:{TG_STAFF}"])  # nps alerts only to the Telegram group
    runtime = await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))
    telegram, slack = Chat("telegram", gone={TG_STAFF}), Chat("slack")
    runtime.add_channel(telegram)
    runtime.add_channel(slack)
    runtime.http = HttpServer(["127.0.0.1:0"])
    runtime.install_health(runtime.http)
    await runtime.http.start()
    runtime.start_delivery()
    try:
        await runtime.service.handle(Inbound("e1", "telegram", "42", "42", command="feedback"))
        await runtime.service.handle(Inbound("e2", "telegram", "42", "42", text="2"))
        await runtime.delivery.drain()
        (alert,) = [m for m in slack.sent if m.to.chat_id == SLACK_STAFF]
        assert "Alert #1" in alert.text or "#1" in alert.text
        assert f"telegram:{TG_STAFF}" in alert.text and "could not be delivered" in alert.text
        assert await health(runtime.http) == {"status": "ok", "undelivered_alerts": 0}
        # Later facts (the comment) edit the copy that reached a person.
        await runtime.service.handle(Inbound("e3", "telegram", "42", "42", text="Nobody answers the phone"))
        await runtime.delivery.drain()
        assert any("Nobody answers the phone" in m.text for m in slack.sent[1:])
    finally:
        await runtime.close()
        await runtime.http.stop()


async def test_healthz_counts_alerts_nobody_could_receive(tmp_path: Path, clock: Clock) -> None:
    data = example(telegram={"enabled": True, "staff_chat_id": int(TG_STAFF)})
    cfg = config_mod.parse(data, SECRETS)
    runtime = await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))
    runtime.add_channel(Chat("telegram", gone={TG_STAFF}))
    runtime.http = HttpServer(["127.0.0.1:0"])
    runtime.install_health(runtime.http)
    await runtime.http.start()
    runtime.start_delivery()
    try:
        assert await health(runtime.http) == {"status": "ok", "undelivered_alerts": 0}
        await runtime.service.handle(Inbound("e1", "telegram", "42", "42", command="feedback"))
        await runtime.service.handle(Inbound("e2", "telegram", "42", "42", text="2"))
        await runtime.delivery.drain()
        assert await health(runtime.http) == {"status": "degraded", "undelivered_alerts": 1}
    finally:
        await runtime.close()
        await runtime.http.stop()
