"""Closing the loop through the real service and store, with the console as the platform
for both sides and the clock moved by the test."""

from __future__ import annotations

import itertools

from bot.bootstrap.runtime import Runtime
from surveys.alerts import action_value, recovery_value
from surveys.model import Inbound
from tests import reads
from tests.conftest import Clock
from tests.fakes.channel import RecordingChannel

_ids = itertools.count()


def customer(text: str | None = None, command: str | None = None, args: str = "", button: str | None = None) -> Inbound:
    return Inbound(
        f"c{next(_ids)}", "console", "cust", "cust", display_name="Ann Lee", handle="ann",
        text=text, command=command, args=args, button=button,
    )


def staff(
    user: str = "bob", text: str | None = None, button: str | None = None, is_staff: bool = True,
    command: str | None = None, args: str = "", reply_to: str | None = None,
) -> Inbound:
    return Inbound(
        f"s{next(_ids)}", "console", user, "staff", display_name=user.title(), text=text, button=button,
        command=command, args=args, is_private=False, is_staff=is_staff, reply_to_message_id=reply_to,
    )


async def outbox(runtime: Runtime, chat: str) -> list[dict[str, object]]:
    return await reads.payloads(runtime.store, chat)


async def escalation(runtime: Runtime) -> dict[str, object]:
    rows = await reads.escalations(runtime.store)
    assert len(rows) == 1
    return rows[0]


async def detractor(runtime: Runtime, comment: str = "Delivery was late and support never answered") -> None:
    await runtime.service.handle(customer(command="feedback"))
    await runtime.service.handle(customer("2"))
    await runtime.service.handle(customer(comment))


async def test_alert_posted_with_score_then_updated_with_comment(runtime: Runtime) -> None:
    await runtime.service.handle(customer(command="feedback"))
    await runtime.service.handle(customer("2"))
    alerts = await outbox(runtime, "staff")
    assert len(alerts) == 1 and alerts[0]["edit_of"] is None
    assert "2/10 (detractor)" in str(alerts[0]["text"]) and "waiting for a comment" in str(alerts[0]["text"])
    await runtime.service.handle(customer("Delivery was late and support never answered"))
    alerts = await outbox(runtime, "staff")
    assert len(alerts) == 2 and alerts[1]["edit_of"] == alerts[0]["ref_key"]  # same message, edited
    text = str(alerts[1]["text"])
    assert "Delivery was late" in text and "Ann Lee (@ann)" in text and "detractor score" in text
    assert (await escalation(runtime))["state"] == "open"


async def test_hidden_detractor_opens_an_alert_with_the_comment(runtime: Runtime) -> None:
    await runtime.service.handle(customer(command="feedback"))
    await runtime.service.handle(customer("10"))
    assert await outbox(runtime, "staff") == []
    await runtime.service.handle(customer("Terrible, rude and useless support, I hate it"))
    assert await outbox(runtime, "staff") == []  # the comment is scored after its commit...
    await runtime.settle_scoring()  # ...by the scoring worker, which then opens the alert
    (alert,) = await outbox(runtime, "staff")
    assert "hidden detractor" in str(alert["text"])


async def test_claim_reply_relay_both_ways_resolve_and_recovery(runtime: Runtime, clock: Clock) -> None:
    await detractor(runtime)
    eid = (await escalation(runtime))["id"]
    assert isinstance(eid, int)

    clock.advance(120)
    result = await runtime.service.handle(staff(button=action_value(eid, "claim")))
    assert "yours" in (result.toast or "")
    row = await escalation(runtime)
    assert row["state"] == "claimed" and row["claimed_by_name"] == "Bob" and row["claimed_at"] == clock.now
    assert "Claimed by Bob" in str((await outbox(runtime, "staff"))[-1]["text"])

    await runtime.service.handle(staff(button=action_value(eid, "reply")))
    await runtime.service.handle(staff(text="So sorry! I've refunded the shipping."))
    to_customer = await outbox(runtime, "cust")
    assert "refunded the shipping" in str(to_customer[-1]["text"])
    assert (await escalation(runtime))["first_reply_at"] == clock.now

    await runtime.service.handle(customer("Thanks, that helps"))
    back = (await outbox(runtime, "staff"))[-1]
    assert "Ann Lee: Thanks, that helps" in str(back["text"]) and back["reply_to"] == f"alert:{eid}:console:staff"

    clock.advance(600)
    await runtime.service.handle(staff(button=action_value(eid, "resolve")))
    row = await escalation(runtime)
    assert row["state"] == "resolved" and row["resolved_at"] == clock.now and row["relay_open"] == 0
    question = (await outbox(runtime, "cust"))[-1]
    assert "Was it solved" in str(question["text"]) and question["choices"]

    await runtime.service.handle(customer(button=recovery_value(eid, True)))
    assert (await escalation(runtime))["recovered"] == 1
    final = (await outbox(runtime, "staff"))[-1]
    assert "Resolved by Bob" in str(final["text"]) and "customer says: solved" in str(final["text"])
    assert not final["choices"]


async def test_typed_recovery_answer_and_reply_to_alert_message(runtime: Runtime) -> None:
    await detractor(runtime)
    eid = (await escalation(runtime))["id"]
    runtime.add_channel(RecordingChannel())
    runtime.start_delivery()
    await runtime.delivery.drain()
    posted = await runtime.store.message_id_for(f"alert:{eid}:console:staff")
    assert posted is not None
    # A reply to the alert message itself (Telegram's reply, Slack's thread) reaches the customer.
    await runtime.service.handle(staff(text="Hi Ann, looking into it now", reply_to=posted[1]))
    assert "looking into it" in str((await outbox(runtime, "cust"))[-1]["text"])
    await runtime.service.handle(staff(command="resolve", args=f"{eid} refunded"))
    assert (await escalation(runtime))["resolution_note"] == "refunded"
    await runtime.service.handle(customer("no"))
    assert (await escalation(runtime))["recovered"] == 0


async def test_non_staff_cannot_act_and_nothing_changes(runtime: Runtime) -> None:
    await detractor(runtime)
    eid = (await escalation(runtime))["id"]
    before = await escalation(runtime)
    result = await runtime.service.handle(staff("mallory", button=action_value(eid, "resolve"), is_staff=False))
    assert "only support staff" in (result.toast or "")
    # A customer pressing a staff button from a forwarded alert gets the same answer.
    forged = await runtime.service.handle(customer(button=action_value(eid, "claim")))
    assert "only support staff" in (forged.toast or "")
    assert await escalation(runtime) == before


async def test_second_claim_by_someone_else_is_refused(runtime: Runtime) -> None:
    await detractor(runtime)
    eid = (await escalation(runtime))["id"]
    await runtime.service.handle(staff("bob", button=action_value(eid, "claim")))
    other = await runtime.service.handle(staff("carol", button=action_value(eid, "claim")))
    assert "Already claimed by Bob" in (other.toast or "")


async def test_reminders_for_unclaimed_then_unresolved(runtime: Runtime, clock: Clock) -> None:
    await detractor(runtime)
    eid = (await escalation(runtime))["id"]
    assert await runtime.service.remind_escalations() == 0
    clock.advance(31 * 60)
    assert await runtime.service.remind_escalations() == 1
    reminder = (await outbox(runtime, "staff"))[-1]
    assert "waiting 31 min" in str(reminder["text"]) and reminder["reply_to"] == f"alert:{eid}:console:staff"
    assert await runtime.service.remind_escalations() == 0  # once per interval
    await runtime.service.handle(staff(button=action_value(eid, "claim")))
    clock.advance(25 * 3600)
    assert await runtime.service.remind_escalations() == 1
    assert "Bob, alert" in str((await outbox(runtime, "staff"))[-1]["text"])


