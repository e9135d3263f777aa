"""Routing rules across platforms, through the real python-telegram-bot and slack-bolt against
both fakes: a Telegram customer's complaint about an invoice goes to the billing team's Slack
channel mentioning its user group, a Slack customer's CSAT goes to the Telegram group
mentioning its lead by @username, the rest takes the default route; and an action's owner
typed as @name in Slack is found in the workspace and reminded with a real mention (an
owner nobody can find is refused when the action is created)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.telegram_helpers import button_data
from tests.e2e.test_escalations import (
    SLACK_STAFF,
    TG_CUSTOMER,
    TG_STAFF,
    WAIT,
    both_platforms,
    escalations,
    slack_alert_buttons,
)
from tests.e2e.test_root_causes import actions, answered
from tests.fakes.slack_api import dm_message

SLACK_BILLING = "CBILLING"
ROUTING = {
    "routing": {"match": "first"},
    "routes": [
        {
            "name": "billing",
            "categories": ["detractor", "unsatisfied"],
            "words": ["invoice", "refund"],
            "destinations": [f"slack:{SLACK_BILLING}"],
            "mention": {"slack": "S0BILLING"},
        },
        {
            "name": "slack-csat",
            "surveys": ["csat"],
            "platforms": ["slack"],
            "destinations": [f"telegram:{TG_STAFF}"],
            "mention": {"telegram": "@csat_lead"},
        },
    ],
}


async def telegram_answer(both: Any, score: str, comment: str) -> None:
    tg = both.tg
    seen = len(tg.messages(TG_CUSTOMER))
    tg.send_text(TG_CUSTOMER, "/feedback", first_name="Tom", username="tom")
    await tg.wait_for(lambda f: len(f.messages(TG_CUSTOMER)) >= seen + 1, timeout=WAIT)
    question = tg.messages(TG_CUSTOMER)[-1]
    tg.press(TG_CUSTOMER, button_data(question, score), question["message_id"], first_name="Tom", username="tom")
    await tg.wait_for(lambda f: len(f.messages(TG_CUSTOMER)) >= seen + 2, timeout=WAIT)
    tg.send_text(TG_CUSTOMER, comment, first_name="Tom", username="tom")
    await tg.wait_for(lambda f: len(f.messages(TG_CUSTOMER)) >= seen + 3, timeout=WAIT)
    await both.settle()


async def test_alerts_go_to_each_department_across_platforms(tmp_path: Path) -> None:
    async with both_platforms(tmp_path, **ROUTING) as both:
        tg, slack, sender = both.tg, both.slack, both.sender
        slack.add_channel(SLACK_BILLING, name="billing", members=["USTAFF", "UBOT"])

        # A Telegram customer's invoice complaint: to the billing team's Slack channel, once,
        # with the comment (the alert waited for it), the route and the user group mention.
        await telegram_answer(both, "3", "The invoice charged me twice")
        [alert] = slack.messages(SLACK_BILLING)
        blocks = str(alert["blocks"])
        assert "charged me twice" in blocks and "Tom" in blocks
        assert "billing (score detractor, comment mentions “invoice”)" in blocks
        assert "<!subteam^S0BILLING>" in blocks
        assert slack.messages(SLACK_STAFF) == [] and tg.messages(TG_STAFF) == []
        [row] = await escalations(both.runtime)
        assert row["route"] == "billing" and row["route_destinations"] == f"slack:{SLACK_BILLING}"

        # Billing staff claim it there; the edit stays in that channel.
        buttons = slack_alert_buttons(alert)
        await sender.action("USTAFF", "fb_0", buttons["Claim"], channel=SLACK_BILLING, message_ts=alert["ts"])
        await slack.wait_for(lambda f: "Claimed by Sam Staff" in str(f.messages(SLACK_BILLING)[0]), timeout=WAIT)
        assert "<!subteam^S0BILLING>" in str(slack.messages(SLACK_BILLING)[0]["blocks"])

        # A Slack customer's bad CSAT: to the Telegram group, mentioning its lead.
        assert (await sender.command("U1", "/feedback", "csat")).status == 200
        await slack.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
        assert (await sender.event(dm_message("U1", "1"))).status == 200
        # (The billing route comes first and matches on words: the alert waits for the comment.)
        await slack.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
        assert (await sender.event(dm_message("U1", "Terrible onboarding"))).status == 200
        await slack.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)
        await both.settle()
        [tg_alert] = tg.messages(TG_STAFF)
        assert "Terrible onboarding" in tg_alert["text"] and "Ana Lima" in tg_alert["text"]
        assert "Route: slack-csat (survey csat, via slack)" in tg_alert["text"]
        assert "Team: @csat_lead" in tg_alert["text"]

        # Neither matches: the default route, the survey's own destination (the Slack staff channel).
        await telegram_answer(both, "2", "Too slow")
        await slack.wait_for(lambda f: len(f.messages(SLACK_STAFF)) == 1, timeout=WAIT)
        assert "default (no route matched)" in str(slack.messages(SLACK_STAFF)[0]["blocks"])
        assert [r["route"] for r in await escalations(both.runtime)] == ["billing", "slack-csat", "default"]


async def test_slack_action_owner_is_found_and_reminded_with_a_mention(tmp_path: Path) -> None:
    async with both_platforms(tmp_path) as both:
        slack, sender = both.slack, both.sender
        slack.add_user("UMARIA", name="maria", real_name="Maria Rossi")
        slack.add_user("UMARIO", name="mario", real_name="Mario Bianchi")
        slack.add_user("UWILL", name="WILLIAMS", real_name="Ann Williams")
        await telegram_answer(both, "3", "Wrong invoice")
        today = datetime.fromtimestamp(both.clock(), UTC).date().isoformat()

        # Nobody by that name: refused at creation, nothing recorded.
        await sender.command(
            "USTAFF", "/feedback", f"action 1 fix the template owner:@nobody due:{today}", channel_id=SLACK_STAFF
        )
        await slack.wait_for(lambda f: answered(f, "I can't find @nobody in this Slack workspace"), timeout=WAIT)
        assert await actions(both.runtime) == []

        # @maria is one member: recorded with her member id.
        await sender.command(
            "USTAFF", "/feedback", f"action 1 fix the template owner:@maria due:{today}", channel_id=SLACK_STAFF
        )
        recorded = "Corrective action recorded: #1 fix the template · @maria"
        await slack.wait_for(lambda f: answered(f, recorded), timeout=WAIT)
        # A mention as Slack escapes it works too; a surname alone is nobody's handle.
        mention = "action 1 call the courier owner:<@UMARIO|mario>"
        await sender.command("USTAFF", "/feedback", mention, channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "#2 call the courier · @mario"), timeout=WAIT)
        await sender.command("USTAFF", "/feedback", "action 1 ask legal owner:Rossi", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "I can't find Rossi in this Slack workspace"), timeout=WAIT)
        # A handle that only looks like a member id is still found by name.
        await sender.command("USTAFF", "/feedback", "action 1 ask legal owner:WILLIAMS", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "#3 ask legal · @WILLIAMS"), timeout=WAIT)
        rows = await actions(both.runtime)
        assert [(r["owner"], r["owner_id"]) for r in rows] == [
            ("@maria", "UMARIA"),
            ("@mario", "UMARIO"),
            ("@WILLIAMS", "UWILL"),
        ]

        # On the due date the reminder mentions her, so Slack notifies her.
        assert await both.runtime.service.remind_escalations() == 1
        await slack.wait_for(
            lambda f: any("action #1 is due today" in m.get("text", "") for m in f.messages(SLACK_STAFF)),
            timeout=WAIT,
        )
        reminder = next(m for m in slack.messages(SLACK_STAFF) if "action #1 is due today" in m.get("text", ""))
        assert "<@UMARIA>" in str(reminder["blocks"])
