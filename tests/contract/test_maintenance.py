"""Bounded disk on every backend: prune forgets what nothing can refer to any more and keeps
what still matters; the inbox keeps recent updates for a replay."""

from __future__ import annotations

import json
from typing import Any

from storage.sqlite import DEAD_KEEP, EVENT_KEEP, INBOX_KEEP, SENT_KEEP
from tests import reads
from tests.contract.support import DAY, NOW, enqueue, msg


async def test_prune_slims_named_sent_messages_and_deletes_the_others(store: Any) -> None:
    await enqueue(store, msg("1", "named", ref="question:1"), msg("1", "plain"), msg("2", "to send"))
    named, plain, pending = await store.claim_pending()
    await store.mark_sent(named.id, "m-named", NOW)
    await store.mark_sent(plain.id, "m-plain", NOW)
    await store.release_claims()

    early = await store.prune(NOW + SENT_KEEP - 1)
    assert (early.slimmed, early.sent) == (0, 0)
    report = await store.prune(NOW + SENT_KEEP + 1)
    assert (report.slimmed, report.sent, report.dead) == (1, 1, 0)
    left = {r["id"]: r for r in await reads.outbox(store)}
    assert set(left) == {named.id, pending.id}
    assert json.loads(left[named.id]["payload"]) == {}  # only its platform id matters now
    assert await store.message_id_for("question:1") == ("1", "m-named")  # still editable
    assert left[pending.id]["status"] == "pending"


async def test_prune_never_touches_what_is_still_to_send(store: Any) -> None:
    await enqueue(store, msg("1", "pending"), msg("2", "claimed"))
    await store.claim_pending(limit=1)
    report = await store.prune(NOW + 365 * DAY)
    assert report.counts() == {"sent_slimmed": 0, "sent_deleted": 0, "dead_deleted": 0, "event_ids": 0, "inbox": 0}
    assert sorted(r["status"] for r in await reads.outbox(store)) == ["pending", "sending"]


async def test_dead_messages_are_kept_for_a_week_then_deleted(store: Any) -> None:
    await enqueue(store, msg("1", "undeliverable"))
    [row] = await store.claim_pending()
    await store.mark_dead(row, "chat not found", unreachable=False)
    assert (await store.prune(NOW + DEAD_KEEP - 1)).dead == 0
    assert len(await reads.outbox(store)) == 1
    assert (await store.prune(NOW + DEAD_KEEP + 1)).dead == 1
    assert await reads.outbox(store) == []


async def test_handled_event_ids_are_kept_past_the_redelivery_window_then_forgotten(store: Any) -> None:
    def claim(now: float) -> Any:
        async def work(tx: Any) -> bool:
            return bool(await tx.claim_event("telegram:msg:1:1", now))

        return work

    assert await store.run(claim(NOW))
    await store.prune(NOW + EVENT_KEEP - 1)
    assert not await store.run(claim(NOW + EVENT_KEEP - 1))  # a redelivery a day later is still dropped
    assert (await store.prune(NOW + EVENT_KEEP + 1)).event_ids == 1
    assert await reads.event_ids(store) == []


async def test_prune_works_through_more_rows_than_one_batch(store: Any) -> None:
    from storage.sqlite import PRUNE_BATCH

    n = PRUNE_BATCH * 2 + 7
    await enqueue(store, *(msg(str(i), f"m{i}") for i in range(n)))
    for row in await store.claim_pending():
        await store.mark_sent(row.id, f"x{row.id}", NOW)
    report = await store.prune(NOW + SENT_KEEP + 1)
    assert report.sent == n and report.batches >= 3
    assert await reads.outbox(store) == []


async def test_the_inbox_keeps_recent_updates_once_each_for_a_replay(store: Any) -> None:
    await store.inbox_add("telegram", [("1", "10", '{"update_id": 1}'), ("2", "11", '{"update_id": 2}')], NOW)
    await store.inbox_add("telegram", [("2", "11", '{"update_id": 2, "again": true}')], NOW + 1)  # a redelivery
    await store.inbox_add("slack", [("Ev1", "C1", '{"event": 1}')], NOW + 2)
    assert await store.inbox_recent("telegram", NOW - 1) == ['{"update_id": 1}', '{"update_id": 2}']
    assert await store.inbox_recent("telegram", NOW + 0.5) == []
    assert await store.inbox_recent("slack", NOW) == ['{"event": 1}']
    assert (await store.prune(NOW + INBOX_KEEP + 1)).inbox == 2
    assert await reads.inbox_keys(store) == [("slack", "Ev1")]


async def test_adding_to_the_inbox_drops_what_is_long_handled(store: Any) -> None:
    await store.inbox_add("telegram", [("1", "10", "{}")], NOW)
    await store.inbox_add("telegram", [("2", "10", "{}")], NOW + INBOX_KEEP + 1)
    assert await reads.inbox_keys(store) == [("telegram", "2")]
