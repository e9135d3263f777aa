"""Closing the loop across platforms, with the real python-telegram-bot and slack-bolt
against both fakes in one runtime: a Telegram detractor alerted to Slack and a Slack
detractor alerted to Telegram, the whole staff flow, a non-staff press, a reminder on the
test's clock, and a staff-platform outage that loses and doubles nothing."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.platforms.slack.wiring import slack_component
from bot.platforms.telegram.wiring import TelegramComponent
from bot.web.http import HttpServer
from tests import reads
from tests.e2e.telegram_helpers import button_data, stub_sentiment
from tests.fakes.slack_api import FakeSlackAPI, SlackRequestSender, dm_message
from tests.fakes.telegram_api import FakeTelegramAPI

WAIT = 20.0
SIGNING = "cross-signing-secret"
SLACK_STAFF = "CSTAFF"
TG_STAFF = -1009876543210
TG_STAFF_MEMBER = 555
TG_CUSTOMER = 4242


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Both:
    tg: FakeTelegramAPI
    slack: FakeSlackAPI
    runtime: Runtime
    sender: SlackRequestSender
    clock: Clock

    async def settle(self) -> None:
        await self.runtime.delivery.drain(WAIT)


@contextlib.asynccontextmanager
async def both_platforms(tmp_path: Path, **extra: Any) -> AsyncIterator[Both]:
    """Telegram and Slack in one runtime; ``extra``: more configuration sections ([routing],
    [[routes]])."""
    async with FakeTelegramAPI() as tg, FakeSlackAPI() as slack:
        slack.add_user("U1", name="ana", real_name="Ana Lima", locale="en-US")
        slack.add_user("USTAFF", name="sam", real_name="Sam Staff", locale="en-US")
        slack.add_user("UOUT", name="eve", real_name="Eve Outsider", locale="en-US")
        slack.add_channel(SLACK_STAFF, name="feedback-staff", members=["USTAFF", "UBOT"])
        tg.set_member(TG_STAFF, TG_STAFF_MEMBER, "member")
        data = {
            "bot": {"default_survey": "nps"},
            "storage": {"path": str(tmp_path / "bot.db"), "durability": "normal"},
            "telegram": {"enabled": True, "api_base_url": tg.base_url, "staff_chat_id": TG_STAFF},
            "slack": {"enabled": True, "mode": "http", "api_base_url": slack.base_url, "staff_channel": SLACK_STAFF},
            "escalation": {"remind_unclaimed_minutes": 30, "oncall": "@oncall"},
            "surveys": [
                # Telegram customers alert the Slack staff channel, Slack customers the Telegram group.
                {
                    "id": "nps",
                    "kind": "nps",
                    "product": "Acme",
                    "escalation": {"destinations": [f"slack:{SLACK_STAFF}"]},
                },
                {
                    "id": "csat",
                    "kind": "csat",
                    "product": "Acme",
                    "escalation": {"destinations": [f"telegram:{TG_STAFF}"]},
                },
            ],
        }
        data.update(extra)
        env = {"TELEGRAM_BOT_TOKEN": tg.token, "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SIGNING}
        cfg = config_mod.parse(data, env)
        clock = Clock()
        runtime = await Runtime.open(cfg, clock=clock, sentiment=stub_sentiment)
        runtime.http = HttpServer(["127.0.0.1:0"])
        telegram = TelegramComponent(runtime, poll_timeout=1.0)
        slack_part = slack_component(runtime)
        runtime.start_delivery()
        await telegram.start()
        await slack_part.start()
        await runtime.http.start()
        url = f"http://127.0.0.1:{runtime.http.ports[0]}/slack/events"
        sender = SlackRequestSender(url, SIGNING, fake=slack)
        try:
            yield Both(tg, slack, runtime, sender, clock)
        finally:
            await sender.close()
            await runtime.delivery.stop()
            await runtime.http.stop()
            await slack_part.stop()
            await telegram.stop()
            await runtime.close()


_slack_ids = itertools.count(1)


def slack_alert_buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["text"]["text"]: e["value"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for e in block["elements"]
    }


def tg_buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def escalations(runtime: Runtime) -> list[dict[str, Any]]:
    return await reads.escalations(runtime.store)


async def telegram_detractor(both: Both, comment: str = "The app is broken and support is awful") -> None:
    tg = both.tg
    tg.send_text(TG_CUSTOMER, "/feedback", first_name="Tom", username="tom")
    await tg.wait_for(lambda f: len(f.messages(TG_CUSTOMER)) >= 1, timeout=WAIT)
    question = tg.messages(TG_CUSTOMER)[0]
    tg.press(TG_CUSTOMER, button_data(question, "3"), question["message_id"], first_name="Tom", username="tom")
    await tg.wait_for(lambda f: len(f.messages(TG_CUSTOMER)) >= 2, timeout=WAIT)
    await both.slack.wait_for(lambda f: len(f.messages(SLACK_STAFF)) == 1, timeout=WAIT)
    tg.send_text(TG_CUSTOMER, comment, first_name="Tom", username="tom")
    await tg.wait_for(lambda f: len(f.messages(TG_CUSTOMER)) >= 3, timeout=WAIT)
    await both.settle()


async def test_telegram_detractor_alerts_slack_and_staff_close_the_loop(tmp_path: Path) -> None:
    async with both_platforms(tmp_path) as both:
        tg, slack, sender = both.tg, both.slack, both.sender
        await telegram_detractor(both)
        [alert] = slack.messages(SLACK_STAFF)  # posted with the score, then edited: one message
        assert "broken and support is awful" in alert["text"] or "broken" in str(alert["blocks"])
        assert "Tom" in str(alert["blocks"]) and "telegram" in str(alert["blocks"])
        actions = slack_alert_buttons(alert)
        assert set(actions) == {"Claim", "Reply", "Resolve"}

        # A non-staff press changes nothing and gets an ephemeral "not allowed".
        await sender.action("UOUT", "fb_0", actions["Claim"], channel=SLACK_STAFF, message_ts=alert["ts"])
        await slack.wait_for(lambda f: any("only support staff" in str(e) for e in f.ephemerals), timeout=WAIT)
        assert (await escalations(both.runtime))[0]["state"] == "open"

        await sender.action("USTAFF", "fb_0", actions["Claim"], channel=SLACK_STAFF, message_ts=alert["ts"])
        await slack.wait_for(lambda f: "Claimed by Sam Staff" in str(f.messages(SLACK_STAFF)[0]), timeout=WAIT)

        # Staff reply in the alert's thread reaches the customer's Telegram chat...
        reply = dm_message("USTAFF", "Hi Tom, we fixed the crash, sorry!", channel=SLACK_STAFF, thread_ts=alert["ts"])
        reply["channel_type"] = "channel"
        assert (await sender.event(reply)).status == 200
        await tg.wait_for(
            lambda f: any("we fixed the crash" in m.get("text", "") for m in f.messages(TG_CUSTOMER)), timeout=WAIT
        )
        # ...and the customer's answer comes back into that thread.
        tg.send_text(TG_CUSTOMER, "Thanks, works now", first_name="Tom", username="tom")
        await slack.wait_for(
            lambda f: any("Thanks, works now" in m.get("text", "") for m in f.thread(SLACK_STAFF, alert["ts"])),
            timeout=WAIT,
        )

        await sender.action("USTAFF", "fb_2", actions["Resolve"], channel=SLACK_STAFF, message_ts=alert["ts"])
        await tg.wait_for(
            lambda f: any("Was it solved" in m.get("text", "") for m in f.messages(TG_CUSTOMER)), timeout=WAIT
        )
        recovery = next(m for m in tg.messages(TG_CUSTOMER) if "Was it solved" in m.get("text", ""))
        tg.press(TG_CUSTOMER, tg_buttons(recovery)["Yes"], recovery["message_id"], first_name="Tom")
        await slack.wait_for(lambda f: "customer says: solved" in str(f.messages(SLACK_STAFF)[0]), timeout=WAIT)
        final = slack.messages(SLACK_STAFF)[0]
        assert slack_alert_buttons(final) == {}
        [row] = await escalations(both.runtime)
        assert row["state"] == "resolved" and row["recovered"] == 1
        assert row["claimed_at"] <= row["first_reply_at"] <= row["resolved_at"]


async def test_slack_detractor_alerts_telegram_staff_group(tmp_path: Path) -> None:
    async with both_platforms(tmp_path) as both:
        tg, slack, sender = both.tg, both.slack, both.sender
        assert (await sender.command("U1", "/feedback", "csat")).status == 200
        await slack.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
        assert (await sender.event(dm_message("U1", "1"))).status == 200
        await tg.wait_for(lambda f: len(f.messages(TG_STAFF)) == 1, timeout=WAIT)
        assert (await sender.event(dm_message("U1", "Terrible onboarding"))).status == 200
        await slack.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)
        await both.settle()
        [alert] = tg.messages(TG_STAFF)
        assert "Terrible onboarding" in alert["text"] and "Ana Lima" in alert["text"]
        # A stranger in the group cannot claim; a member can.
        tg.press(777, tg_buttons(alert)["Claim"], alert["message_id"], chat_id=TG_STAFF, first_name="Mallory")
        await tg.wait_for(
            lambda f: any("only support staff" in (a.get("text") or "") for a in f.callback_answers.values()),
            timeout=WAIT,
        )
        tg.press(TG_STAFF_MEMBER, tg_buttons(alert)["Claim"], alert["message_id"], chat_id=TG_STAFF, first_name="Greta")
        await tg.wait_for(lambda f: "Claimed by Greta" in f.messages(TG_STAFF)[0]["text"], timeout=WAIT)
        # A reply to the alert in the group is relayed to the customer's Slack DM.
        tg.send_text(
            TG_STAFF_MEMBER,
            "Ana, I'll walk you through it",
            chat_id=TG_STAFF,
            first_name="Greta",
            reply_to_message_id=alert["message_id"],
        )
        await slack.wait_for(lambda f: any("walk you through" in m["text"] for m in f.messages("DU1")), timeout=WAIT)


async def test_unclaimed_reminder_on_the_tests_clock(tmp_path: Path) -> None:
    async with both_platforms(tmp_path) as both:
        await telegram_detractor(both)
        assert await both.runtime.service.remind_escalations() == 0
        both.clock.offset += 31 * 60  # no sleeping: the clock moves
        assert await both.runtime.service.remind_escalations() == 1
        alert = both.slack.messages(SLACK_STAFF)[0]
        await both.slack.wait_for(
            lambda f: any("@oncall" in m.get("text", "") for m in f.thread(SLACK_STAFF, alert["ts"])), timeout=WAIT
        )


@pytest.mark.parametrize("fault", ["ratelimited", "server_error"])
async def test_staff_platform_outage_delivers_every_alert_once_in_order(tmp_path: Path, fault: str) -> None:
    async with both_platforms(tmp_path) as both:
        slack, tg = both.slack, both.tg
        if fault == "ratelimited":
            slack.fail_next("chat.postMessage", retry_after=1, count=4)
        else:
            slack.fail_next("chat.postMessage", error="internal_error", status=503, count=4)
        for n, user in enumerate((3001, 3002, 3003)):
            tg.send_text(user, "/feedback", first_name=f"C{n}")
            await tg.wait_for(lambda f, u=user: len(f.messages(u)) >= 1, timeout=WAIT)
            tg.send_text(user, str(n), first_name=f"C{n}")  # scores 0, 1, 2: all detractors
            await tg.wait_for(lambda f, u=user: len(f.messages(u)) >= 2, timeout=WAIT)
        await slack.wait_for(lambda f: len(f.messages(SLACK_STAFF)) == 3, timeout=60)
        await both.settle()
        alerts = slack.messages(SLACK_STAFF)
        assert len(alerts) == 3, "every alert delivered once the platform recovers, none doubled"
        assert ["#1" in str(alerts[0]), "#2" in str(alerts[1]), "#3" in str(alerts[2])] == [True] * 3
