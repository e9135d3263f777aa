"""A whole feedbackbot (store, service, delivery, the real slack-bolt app) wired to the fake
Slack, for the end-to-end tests and the benchmark."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config
from bot.platforms.slack.wiring import SlackComponent, slack_component
from bot.web.http import HttpServer
from surveys.engine import parse_button
from surveys.sentiment import SentimentScorer
from tests.fakes.slack_api import FakeSlackAPI, SlackRequestSender

SIGNING_SECRET = "e2e-signing-secret"
STAFF_CHANNEL = "CSTAFF"


def slack_config(
    fake: FakeSlackAPI,
    db_path: str,
    *,
    mode: str = "http",
    durability: str = "normal",
    staff_user_ids: tuple[str, ...] = (),
    alerts: bool = False,
    extra: dict[str, Any] | None = None,
) -> Config:
    """``alerts``: unhappy answers alert the staff channel (off by default); ``extra``: more
    top-level config tables, merged in."""
    escalation: dict[str, Any] = (
        {"enabled": True, "destinations": [f"slack:{STAFF_CHANNEL}"]} if alerts else {"enabled": False}
    )
    data: dict[str, Any] = {
        "bot": {"default_survey": "nps", "default_language": "en"},
        "storage": {"path": db_path, "durability": durability},
        # Tests run on the wall clock: quiet hours would hold invitations sent at night.
        "invitations": {"quiet_hours": "00:00-00:00"},
        "slack": {
            "enabled": True,
            "mode": mode,
            "api_base_url": fake.base_url,
            "staff_channel": STAFF_CHANNEL,
            "staff_user_ids": list(staff_user_ids),
        },
        "surveys": [
            {"id": "nps", "kind": "nps", "product": "Acme", "escalation": dict(escalation)},
            {"id": "csat", "kind": "csat", "product": "Acme support", "escalation": dict(escalation)},
        ],
    }
    for key, value in (extra or {}).items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    env = {"SLACK_BOT_TOKEN": fake.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": fake.app_token}
    return config_mod.parse(data, env)


@dataclass
class SlackBot:
    fake: FakeSlackAPI
    runtime: Runtime
    component: SlackComponent
    sender: SlackRequestSender | None
    url: str

    @property
    def http(self) -> SlackRequestSender:
        assert self.sender is not None, "HTTP mode only"
        return self.sender

    async def settle(self, timeout: float = 30.0) -> None:
        """Every accepted event handled and every due message sent (for negative assertions)."""
        await self.component.drain(timeout)
        await self.runtime.delivery.drain(timeout)

    async def responses(self) -> list[dict[str, Any]]:
        return [r.values async for r in self.runtime.store.responses()]


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeSlackAPI,
    db_path: str,
    *,
    mode: str = "http",
    durability: str = "normal",
    staff_user_ids: tuple[str, ...] = (),
    sentiment: SentimentScorer | None = None,
    alerts: bool = False,
    extra: dict[str, Any] | None = None,
) -> AsyncIterator[SlackBot]:
    """Start in the order ``bot.run`` does: components add routes, then the shared server."""
    config = slack_config(
        fake, db_path, mode=mode, durability=durability, staff_user_ids=staff_user_ids, alerts=alerts, extra=extra
    )
    runtime = await Runtime.open(config, db_path=db_path, sentiment=sentiment)
    if mode == "http":
        runtime.http = HttpServer(["127.0.0.1:0"])
    component = slack_component(runtime)
    runtime.start_delivery()
    sender: SlackRequestSender | None = None
    url = ""
    try:
        await component.start()
        if runtime.http is not None:
            await runtime.http.start()
            url = f"http://127.0.0.1:{runtime.http.ports[0]}/slack/events"
            sender = SlackRequestSender(url, SIGNING_SECRET, fake=fake)
        yield SlackBot(fake, runtime, component, sender, url)
    finally:
        if sender is not None:
            await sender.close()
        if runtime.http is not None:
            await runtime.http.stop()
        await component.stop()
        await runtime.close()


def buttons(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The buttons of a stored message, one list per actions block."""
    return [b["elements"] for b in message.get("blocks") or [] if b.get("type") == "actions"]


def button_for(message: dict[str, Any], answer: str) -> dict[str, Any]:
    """The button whose engine value ends in ``answer`` (``s7``, ``skip``)."""
    for row in buttons(message):
        for element in row:
            parsed = parse_button(element["value"])
            if parsed is not None and parsed[1] == answer:
                return element
    raise AssertionError(f"no button {answer!r} in {message.get('blocks')}")


def block_text(message: dict[str, Any]) -> str:
    parts = []
    for block in message.get("blocks") or []:
        if block.get("type") == "section" and "text" in block:
            parts.append(block["text"]["text"])
    return "\n".join(parts)


def home_action_payload(user: str, action_id: str) -> dict[str, Any]:
    """A Home tab button press (container type ``view``: no channel, no message)."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "vtoken",
        "container": {"type": "view", "view_id": "V1"},
        "trigger_id": f"{time.time():.6f}.home",
        "team": {"id": "T1", "domain": "fake-team"},
        "view": {"id": "V1", "type": "home"},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "home",
                "value": action_id.removeprefix("home_"),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
