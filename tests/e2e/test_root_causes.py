"""Root causes and corrective actions (issue 19) through the real python-telegram-bot and
slack-bolt against both fakes: the cause picker after Resolve (Telegram inline keyboard in
the staff member's language, Slack buttons in the alert's thread), the typed
``cause:`` form, ``/action`` ``/actions`` ``/done`` in both staff rooms, and the owner's
due and overdue reminders on the test's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests import reads
from tests.e2e.test_escalations import (
    SLACK_STAFF,
    TG_STAFF,
    TG_STAFF_MEMBER,
    WAIT,
    both_platforms,
    escalations,
    slack_alert_buttons,
    telegram_detractor,
    tg_buttons,
)
from tests.fakes.slack_api import dm_message


async def actions(runtime: Any) -> list[dict[str, Any]]:
    return await reads.actions(runtime.store)


def answered(f: Any, fragment: str) -> bool:
    """A Slack slash command's answer: through its response_url, to that person alone."""
    return any(fragment in str(r["body"]) for r in f.responses)


def texts(tg: Any, chat: int) -> list[str]:
    return [m.get("text", "") for m in tg.messages(chat)]


async def test_telegram_staff_pick_a_cause_track_an_action_and_get_reminded(tmp_path: Any) -> None:
    async with both_platforms(tmp_path) as both:
        tg, slack, sender = both.tg, both.slack, both.sender
        # A Slack customer's bad CSAT alerts the Telegram staff group.
        assert (await sender.command("U1", "/feedback", "csat")).status == 200
        await slack.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
        assert (await sender.event(dm_message("U1", "1"))).status == 200
        await tg.wait_for(lambda f: len(f.messages(TG_STAFF)) == 1, timeout=WAIT)
        assert (await sender.event(dm_message("U1", "I was charged twice"))).status == 200
        await both.settle()
        [alert] = tg.messages(TG_STAFF)

        # Resolve, pressed by a German-speaking staff member: the causes come as an inline
        # keyboard under the alert, in German.
        tg.press(
            TG_STAFF_MEMBER,
            tg_buttons(alert)["Resolve"],
            alert["message_id"],
            chat_id=TG_STAFF,
            first_name="Greta",
            language_code="de",
        )
        await tg.wait_for(lambda f: any("Was war die Ursache" in t for t in texts(f, TG_STAFF)), timeout=WAIT)
        picker = next(m for m in tg.messages(TG_STAFF) if "Was war die Ursache" in m.get("text", ""))
        assert picker["reply_to_message"]["message_id"] == alert["message_id"]
        choices = tg_buttons(picker)
        assert list(choices) == [
            "Abrechnungsfehler",
            "Verspätete Lieferung",
            "Produktmangel",
            "Fehlende Dokumentation",
            "Verhalten des Personals",
            "Sonstiges",
        ]
        tg.press(
            TG_STAFF_MEMBER,
            choices["Abrechnungsfehler"],
            picker["message_id"],
            chat_id=TG_STAFF,
            first_name="Greta",
            language_code="de",
        )
        await tg.wait_for(lambda f: "cause: Billing error" in f.messages(TG_STAFF)[0]["text"], timeout=WAIT)
        await both.settle()
        picked = next(m for m in tg.messages(TG_STAFF) if m["message_id"] == picker["message_id"])
        assert "Ursache Abrechnungsfehler" in picked["text"] and tg_buttons(picked) == {}
        assert (await escalations(both.runtime))[0]["cause"] == "billing"

        # A corrective action, due today, for that alert.
        today = datetime.fromtimestamp(both.clock(), UTC).date().isoformat()
        tg.send_text(
            TG_STAFF_MEMBER,
            f"/action 1 fix the invoice template owner:@maria due:{today}",
            chat_id=TG_STAFF,
            first_name="Greta",
        )
        await tg.wait_for(
            lambda f: any("Corrective action recorded: #1" in t for t in texts(f, TG_STAFF)), timeout=WAIT
        )
        [row] = await actions(both.runtime)
        assert row["title"] == "fix the invoice template" and row["owner"] == "@maria" and row["due"] == today
        tg.send_text(TG_STAFF_MEMBER, "/actions", chat_id=TG_STAFF, first_name="Greta")
        await tg.wait_for(lambda f: any("Open corrective actions (1)" in t for t in texts(f, TG_STAFF)), timeout=WAIT)
        listing = next(t for t in texts(tg, TG_STAFF) if "Open corrective actions (1)" in t)
        assert "#1 fix the invoice template · @maria · due " + today in listing and "alerts #1" in listing

        # The owner is reminded on the due date, once that day; then when it is overdue.
        assert await both.runtime.service.remind_escalations() == 1
        assert await both.runtime.service.remind_escalations() == 0
        await tg.wait_for(
            lambda f: any("@maria: action #1 is due today" in t for t in texts(f, TG_STAFF)), timeout=WAIT
        )
        both.clock.offset += 24 * 3600
        assert await both.runtime.service.remind_escalations() == 1
        await tg.wait_for(
            lambda f: any("@maria: action #1 is overdue since" in t for t in texts(f, TG_STAFF)), timeout=WAIT
        )
        tg.send_text(TG_STAFF_MEMBER, "/actions", chat_id=TG_STAFF, first_name="Greta")
        await tg.wait_for(lambda f: any("OVERDUE" in t for t in texts(f, TG_STAFF)), timeout=WAIT)

        tg.send_text(TG_STAFF_MEMBER, "/done 1", chat_id=TG_STAFF, first_name="Greta")
        await tg.wait_for(lambda f: any("Action #1 is done" in t for t in texts(f, TG_STAFF)), timeout=WAIT)
        assert (await actions(both.runtime))[0]["done_at"] is not None
        both.clock.offset += 7 * 24 * 3600
        assert await both.runtime.service.remind_escalations() == 0  # done: no more reminders


async def test_slack_staff_pick_a_cause_in_the_thread_and_type_the_rest(tmp_path: Any) -> None:
    async with both_platforms(tmp_path) as both:
        slack, sender = both.slack, both.sender
        await telegram_detractor(both)  # a Telegram detractor alerts the Slack staff channel
        [alert] = slack.messages(SLACK_STAFF)
        await sender.action(
            "USTAFF", "fb_2", slack_alert_buttons(alert)["Resolve"], channel=SLACK_STAFF, message_ts=alert["ts"]
        )
        await slack.wait_for(
            lambda f: any("What was the root cause" in m.get("text", "") for m in f.thread(SLACK_STAFF, alert["ts"])),
            timeout=WAIT,
        )
        picker = next(m for m in slack.thread(SLACK_STAFF, alert["ts"]) if "root cause" in m.get("text", ""))
        buttons = slack_alert_buttons(picker)
        assert "Product defect" in buttons and len(buttons) == 6
        await sender.action("USTAFF", "fb_0", buttons["Product defect"], channel=SLACK_STAFF, message_ts=picker["ts"])
        await slack.wait_for(lambda f: "cause: Product defect" in str(f.messages(SLACK_STAFF)[0]), timeout=WAIT)
        assert (await escalations(both.runtime))[0]["cause"] == "product_defect"

        # Typed in the staff channel through the one slash command: a corrected cause, an
        # action (its owner a member of the workspace), the list, done.
        slack.add_user("ULEE", name="lee", real_name="Lee Park")
        await sender.command("USTAFF", "/feedback", "cause 1 late delivery", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: "cause: Late delivery" in str(f.messages(SLACK_STAFF)[0]), timeout=WAIT)
        await sender.command("USTAFF", "/feedback", "action 1 reroute the courier owner:@lee", channel_id=SLACK_STAFF)
        await slack.wait_for(
            lambda f: answered(f, "Corrective action recorded: #1 reroute the courier · @lee"), timeout=WAIT
        )
        await sender.command("USTAFF", "/feedback", "actions", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "Open corrective actions (1)"), timeout=WAIT)
        await sender.command("USTAFF", "/feedback", "done 1", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "Action #1 is done"), timeout=WAIT)
        assert (await actions(both.runtime))[0]["done_at"] is not None

        # A week later, the digest asked for in the staff channel ends with the root causes
        # (a Pareto of last week's resolved alerts) and their chart.
        both.clock.offset += 8 * 24 * 3600
        await sender.command("USTAFF", "/feedback", "digest", channel_id=SLACK_STAFF)
        await slack.wait_for(
            lambda f: any("Root causes" in str(m.get("blocks")) for m in f.messages(SLACK_STAFF)), timeout=WAIT
        )
        report = next(m for m in slack.messages(SLACK_STAFF) if "Root causes" in str(m.get("blocks")))
        assert "1. Late delivery: 1 (100%, cumulative 100%)" in str(report["blocks"])
        assert "0 open, 0 overdue" in str(report["blocks"])
        await slack.wait_for(lambda f: any(u["data"].startswith(b"\x89PNG") for u in f.uploads), timeout=WAIT)
        await slack.wait_for(
            lambda f: (
                any("Root causes," in str(m) for m in f.messages(SLACK_STAFF))
                or any("Root causes," in str(u) for u in f.uploads)
            ),
            timeout=WAIT,
        )

        # Someone outside the staff channel cannot.
        await sender.command("UOUT", "/feedback", "actions", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "only support staff"), timeout=WAIT)


async def test_slack_resolve_with_a_typed_cause_offers_no_picker(tmp_path: Any) -> None:
    async with both_platforms(tmp_path) as both:
        slack, sender = both.slack, both.sender
        await telegram_detractor(both)
        [alert] = slack.messages(SLACK_STAFF)
        await sender.command(
            "USTAFF", "/feedback", "resolve 1 cause:billing refunded the order", channel_id=SLACK_STAFF
        )
        await slack.wait_for(lambda f: "cause: Billing error" in str(f.messages(SLACK_STAFF)[0]), timeout=WAIT)
        await both.settle()
        assert "refunded the order" in str(slack.messages(SLACK_STAFF)[0])
        assert not any("root cause?" in m.get("text", "") for m in slack.messages(SLACK_STAFF))
        [row] = await escalations(both.runtime)
        assert row["state"] == "resolved" and row["cause"] == "billing"
        # An unknown cause is refused with the list, and changes nothing.
        await sender.command("USTAFF", "/feedback", "cause 1 weather", channel_id=SLACK_STAFF)
        await slack.wait_for(lambda f: answered(f, "I don't know the cause"), timeout=WAIT)
        assert (await escalations(both.runtime))[0]["cause"] == "billing"
        del alert
