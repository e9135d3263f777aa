"""Bounded disk: what the prune removes, what it must keep (anything a later edit or reply
still needs, pending messages, recent event ids), and that it works in small batches through
index ranges. Real service, real store, the test's clock."""

from __future__ import annotations

import itertools
import json

from bot.bootstrap.runtime import Runtime
from bot.scheduling.scheduler import Scheduler
from handlers.base import TransientError
from storage.records import OutboxRow
from storage.sqlite import SLIM_PAYLOAD
from surveys import engine
from surveys.model import Destination, Inbound, OutMessage
from tests import reads
from tests.conftest import Clock
from tests.fakes.channel import RecordingChannel

_ids = itertools.count()




def customer(text: str | None = None, command: str | None = None, button: str | None = None) -> Inbound:
    return Inbound(
        f"p{next(_ids)}", "console", "cust", "cust", display_name="Ann", text=text, command=command, button=button
    )


def staff(text: str, reply_to: str) -> Inbound:
    return Inbound(
        f"p{next(_ids)}", "console", "bob", "staff", display_name="Bob", text=text,
        is_private=False, is_staff=True, reply_to_message_id=reply_to,
    )


async def settle(runtime: Runtime) -> None:
    runtime.delivery.wake()
    await runtime.delivery.drain()


async def test_prune_deletes_old_messages_but_keeps_what_edits_and_replies_need(
    runtime: Runtime, clock: Clock
) -> None:
    channel = RecordingChannel(id_prefix="m")
    runtime.add_channel(channel)
    runtime.start_delivery()
    service = runtime.service
    await service.handle(customer(command="feedback"))
    await service.handle(customer("2"))  # typed: the question keeps its keyboard; an alert goes to staff
    await service.handle(customer("The parcel came a week late"))
    await runtime.settle_scoring()  # the comment's sentiment refreshes the alert: done before counting
    await settle(runtime)
    question_id = next(s.message_id for s in channel.sent if s.chat_id == "cust" and "recommend" in s.text)
    alert_id = next(s.message_id for s in channel.sent if s.chat_id == "staff")
    sent_before = sum(r["status"] == "sent" for r in await reads.outbox(runtime.store))

    clock.advance(5 * 60)
    assert sum((await Scheduler(runtime).prune_job()).values()) == 0  # too recent: nothing goes

    clock.advance(6 * 60)
    counts = await Scheduler(runtime).prune_job()
    left = await reads.outbox(runtime.store)
    # Named messages (the question, the alert) stay, slimmed to their platform id; the rest go.
    assert sorted(str(r["ref_key"]).split(":")[0] for r in left) == ["alert", "question"]
    assert all(r["payload"] == SLIM_PAYLOAD for r in left)
    assert {r["message_id"] for r in left} == {question_id, alert_id}
    assert counts["sent_slimmed"] == 2 and counts["sent_deleted"] == sent_before - 2

    edits_before = len(channel.edits)
    # A late tap on the typed-answer question still tidies that very message ...
    nonce = (await reads.sessions(runtime.store))[0]["nonce"]
    await service.handle(customer(button=engine.button_value(str(nonce), "s9")))
    # ... a staff reply to the alert still finds it and reaches the customer ...
    await service.handle(staff("So sorry, Ann: a refund is on its way", reply_to=alert_id))
    # ... and the customer's answer is relayed into the alert's thread.
    await service.handle(customer("Thank you!"))
    await settle(runtime)
    edits = channel.edits[edits_before:]
    assert [(e.chat_id, e.message_id) for e in edits if e.chat_id == "cust"] == [("cust", question_id)]
    assert any(s.chat_id == "cust" and "refund is on its way" in s.text for s in channel.sent)
    relayed = [s.reply_to for s in channel.sent if s.chat_id == "staff" and "Thank you!" in s.text]
    assert relayed == [alert_id]
    assert [(e.chat_id, e.message_id) for e in edits if e.chat_id == "staff"] == [("staff", alert_id)]  # now "claimed"

    # /mydata lists what is still stored, not the slimmed placeholders.
    async with runtime.store.transaction() as tx:
        person = await tx.respondent("console", "cust")
    data = await runtime.store.personal_data(person.id)
    assert all(m["text"] for m in data["messages_to_you"])


async def test_pending_and_dead_messages_are_kept_as_long_as_they_matter(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel(id_prefix="m")
    channel.down = TransientError("down")  # the platform is down: the reply stays pending, retried with backoff
    runtime.add_channel(channel)
    runtime.start_delivery()
    await runtime.service.handle(customer(command="feedback"))
    await settle(runtime)
    async with runtime.store.transaction() as tx:  # one that could not be delivered
        await tx.enqueue([OutMessage(Destination("console", "gone"), "never arrives")], clock.now)
    [gone] = await reads.outbox(runtime.store, chat_id="gone")
    await runtime.store.mark_dead(OutboxRow.from_row(gone), "blocked", unreachable=False)

    clock.advance(3 * 86400)  # long past the sent-message window, not past the dead one
    await runtime.store.prune(clock.now)
    statuses = sorted(r["status"] for r in await reads.outbox(runtime.store))
    assert statuses == ["dead", "sending"]  # the reply is claimed by the delivery loop, still to send

    clock.advance(5 * 86400)
    report = await runtime.store.prune(clock.now)
    assert report.dead == 1
    assert [r["status"] for r in await reads.outbox(runtime.store)] == ["sending"]
    channel.down = None
    clock.advance(60)
    await settle(runtime)
    assert any("recommend" in s.text for s in channel.sent)  # still delivered


async def test_event_ids_are_kept_for_the_redelivery_window_then_forgotten(runtime: Runtime, clock: Clock) -> None:
    service = runtime.service
    old = customer(command="help")
    await service.handle(old)
    clock.advance(47 * 3600)
    recent = customer(command="help")
    await service.handle(recent)
    assert (await runtime.store.prune(clock.now)).event_ids == 0
    assert (await service.handle(old)).duplicate  # a day-old redelivery is still recognised

    clock.advance(2 * 3600)
    assert (await runtime.store.prune(clock.now)).event_ids == 1
    assert (await service.handle(recent)).duplicate  # the recent one is still deduplicated
    assert len(await reads.event_ids(runtime.store)) == 1


async def test_received_updates_are_forgotten_after_ten_minutes(runtime: Runtime, clock: Clock) -> None:
    store = runtime.store
    await store.inbox_add("telegram", [("1", "42", json.dumps({"update_id": 1}))], clock.now)
    clock.advance(5 * 60)
    await store.inbox_add("telegram", [("2", "42", json.dumps({"update_id": 2}))], clock.now)
    clock.advance(6 * 60)
    assert (await store.prune(clock.now)).inbox == 1
    assert await reads.inbox_keys(store) == [("telegram", "2")]
