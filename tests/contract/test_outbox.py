"""The outbox on every backend: enqueue, claim by status, mark sent / reschedule / dead,
release of claims, per-chat order, fenced status writes, and a row whose transaction commits
after a later row's (issue 17, test 8)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from surveys.model import Choice
from tests import reads
from tests.contract.support import NOW, enqueue, msg, person


async def test_enqueued_messages_are_claimed_oldest_first_as_they_were_written(store: Any) -> None:
    choice = Choice("Yes", "cb:yes", "/yes")
    await enqueue(
        store,
        msg("1", "first", ref="question:1", choices=((choice,),)),
        msg("2", "second", lane="bulk", reply_to="question:1"),
        now=NOW,
        delay=30,
    )
    rows = await store.claim_pending()
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    first, second = rows
    assert (first.platform, first.chat_id, first.lane) == ("telegram", "1", "interactive")
    assert first.message == msg("1", "first", ref="question:1", choices=((choice,),))
    assert second.message.reply_to == "question:1" and second.lane == "bulk"
    assert (first.attempts, first.created_at, first.next_attempt_at) == (0, NOW, NOW + 30)


async def test_a_claimed_row_is_not_claimed_again(store: Any) -> None:
    await enqueue(store, msg("1", "a"), msg("2", "b"))
    assert len(await store.claim_pending()) == 2
    assert await store.claim_pending() == []
    assert {r["status"] for r in await reads.outbox(store)} == {"sending"}


async def test_a_claim_takes_at_most_its_limit_oldest_first(store: Any) -> None:
    await enqueue(store, *(msg(str(i), f"m{i}") for i in range(5)))
    first = await store.claim_pending(limit=2)
    rest = await store.claim_pending(limit=10)
    assert [r.message.text for r in first] == ["m0", "m1"]
    assert [r.message.text for r in rest] == ["m2", "m3", "m4"]


async def test_a_claim_for_some_platforms_leaves_the_others_pending(store: Any) -> None:
    await enqueue(store, msg("1", "tg"), msg("C1", "slack", platform="slack"), msg("u", "console", platform="console"))
    assert [r.platform for r in await store.claim_pending(platforms=["slack"])] == ["slack"]
    assert [r.platform for r in await store.claim_pending(platforms=[])] == []
    assert sorted(r.platform for r in await store.claim_pending()) == ["console", "telegram"]


async def test_rows_of_one_chat_are_claimed_in_the_order_they_were_written(store: Any) -> None:
    for n in range(4):  # interleaved with another chat, over several units of work
        await enqueue(store, msg("A", f"a{n}"), msg("B", f"b{n}"))
    rows = await store.claim_pending()
    assert [r.message.text for r in rows if r.chat_id == "A"] == ["a0", "a1", "a2", "a3"]
    assert [r.message.text for r in rows if r.chat_id == "B"] == ["b0", "b1", "b2", "b3"]


async def test_released_claims_are_pending_again_and_claimed_once_more(store: Any) -> None:
    await enqueue(store, msg("1", "tg"), msg("C1", "slack", platform="slack"))
    await store.claim_pending()
    assert await store.release_claims(platforms=["slack"]) == 1
    assert [r.platform for r in await store.claim_pending()] == ["slack"]
    assert await store.release_claims() == 2
    assert sorted(r.platform for r in await store.claim_pending()) == ["slack", "telegram"]


async def test_a_lower_id_pending_after_a_higher_one_was_claimed_is_still_claimed(store: Any) -> None:
    """No high-water mark of ids: a row is claimed because it is pending, whatever was
    claimed before it."""
    await enqueue(store, msg("1", "low"))
    await enqueue(store, msg("2", "high"))
    low, high = await store.claim_pending()
    await store.release_claims()
    again = await store.claim_pending()
    assert [r.id for r in again] == [low.id, high.id]


async def test_an_outbox_row_whose_transaction_commits_after_a_later_rows_is_still_claimed(
    store: Any, backend: str
) -> None:
    """Issue 17, test 8. On PostgreSQL an id is taken at INSERT, not at COMMIT: row 1's
    transaction stays open on one connection while row 2 commits on another and is claimed;
    row 1 is claimed once it commits."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer: a transaction that took an id holds the write lock until it commits")
    inserted, commit = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with store.transaction() as tx:
            await tx.enqueue([msg("1", "early id, late commit")], NOW)
            await tx.flush()
            inserted.set()
            await commit.wait()

    task = asyncio.create_task(slow())
    await asyncio.wait_for(inserted.wait(), 30)
    await enqueue(store, msg("2", "later id, early commit"))
    first = await store.claim_pending()
    assert [r.message.text for r in first] == ["later id, early commit"]
    commit.set()
    await task
    second = await store.claim_pending()
    assert [r.message.text for r in second] == ["early id, late commit"]
    assert second[0].id < first[0].id
    assert await store.claim_pending() == []


async def test_a_sent_row_records_its_platform_id_and_is_never_claimed_again(store: Any) -> None:
    await enqueue(store, msg("1", "q", ref="question:7"))
    [row] = await store.claim_pending()
    await store.mark_sent(row.id, "m-42", NOW + 1)
    assert await store.message_id_for("question:7") == ("1", "m-42")
    got = await reads.outbox_row(store, row.id)
    assert got is not None and (got["status"], got["attempts"], got["message_id"], got["sent_at"]) == (
        "sent",
        1,
        "m-42",
        NOW + 1,
    )
    assert await store.release_claims() == 0
    assert await store.claim_pending() == []


async def test_the_latest_sent_message_of_a_ref_key_is_the_one_found(store: Any) -> None:
    await enqueue(store, msg("1", "v1", ref="digest:weekly"))
    await enqueue(store, msg("2", "v2", ref="digest:weekly"))
    await enqueue(store, msg("3", "v3 still pending", ref="digest:weekly"))
    one, two, _ = await store.claim_pending()
    await store.mark_sent(one.id, "m1", NOW)
    await store.mark_sent(two.id, "m2", NOW)
    assert await store.message_id_for("digest:weekly") == ("2", "m2")
    assert await store.message_id_for("nothing:here") is None


async def test_a_second_mark_of_a_finished_row_changes_nothing(store: Any) -> None:
    """Fenced status writes: a sender that lost its claim (or a late retry) must not undo
    what another sender recorded."""
    await enqueue(store, msg("7", "hello"))
    [row] = await store.claim_pending()
    await store.mark_sent(row.id, "m-1", NOW)
    await store.mark_sent(row.id, "m-2", NOW + 5)
    await store.reschedule(row.id, NOW + 60, "late retry")
    await store.mark_dead(row, "late failure from a sender that lost its claim", unreachable=False)
    got = await reads.outbox_row(store, row.id)
    assert got is not None
    assert (got["status"], got["message_id"], got["attempts"], got["error"], got["sent_at"]) == (
        "sent",
        "m-1",
        1,
        None,
        NOW,
    )


async def test_sends_finishing_together_are_all_recorded_and_a_late_mark_among_them_changes_nothing(
    store: Any,
) -> None:
    await enqueue(store, msg("1", "a"), msg("2", "b"), msg("3", "c"))
    a, b, c = await store.claim_pending()
    await store.mark_sent(a.id, "m-a", NOW)
    await asyncio.gather(
        store.mark_sent(b.id, "m-b", NOW + 1),
        store.mark_sent(a.id, "m-late", NOW + 1),
        store.mark_sent(c.id, "m-c", NOW + 2),
    )
    got = {r["id"]: (r["status"], r["message_id"], r["attempts"]) for r in await reads.outbox(store)}
    assert got == {a.id: ("sent", "m-a", 1), b.id: ("sent", "m-b", 1), c.id: ("sent", "m-c", 1)}


async def test_a_dead_row_is_not_revived_by_a_late_send(store: Any) -> None:
    await enqueue(store, msg("7", "hello"))
    [row] = await store.claim_pending()
    await store.mark_dead(row, "bad request", unreachable=False)
    await store.mark_sent(row.id, "m-late", NOW)
    got = await reads.outbox_row(store, row.id)
    assert got is not None and (got["status"], got["message_id"], got["error"]) == ("dead", None, "bad request")
    assert await store.claim_pending() == []


async def test_a_rescheduled_row_keeps_its_claim_and_carries_its_next_attempt(store: Any) -> None:
    await enqueue(store, msg("7", "hello"))
    [row] = await store.claim_pending()
    await store.reschedule(row.id, NOW + 90, "429 too many requests " + "x" * 1000)
    got = await reads.outbox_row(store, row.id)
    assert got is not None
    assert (got["status"], got["attempts"], got["next_attempt_at"]) == ("sending", 1, NOW + 90)
    assert got["error"].startswith("429") and len(got["error"]) <= 500
    await store.release_claims()
    [again] = await store.claim_pending()
    assert (again.id, again.attempts, again.next_attempt_at) == (row.id, 1, NOW + 90)


async def test_an_unreachable_recipient_kills_everything_queued_for_them_only(store: Any) -> None:
    blocked = await person(store, "5")
    await person(store, "6")
    await enqueue(store, msg("5", "one"), msg("5", "two"), msg("6", "other"))
    head = (await store.claim_pending(limit=1))[0]
    await store.mark_dead(head, "bot was blocked by the user", unreachable=True)
    statuses = {(r["chat_id"], json.loads(r["payload"])["text"]): r["status"] for r in await reads.outbox(store)}
    assert statuses == {("5", "one"): "dead", ("5", "two"): "dead", ("6", "other"): "pending"}
    flags = {r["user_id"]: bool(r["unreachable"]) for r in await reads.respondents(store)}
    assert flags == {"5": True, "6": False}
    async with store.transaction() as tx:
        assert (await tx.respondent_by_id(blocked.id)).unreachable
    # They write again: reachable again.
    await person(store, "5")
    assert {r["user_id"]: bool(r["unreachable"]) for r in await reads.respondents(store)}["5"] is False


async def test_concurrent_claims_never_hand_out_a_row_twice(target: str, store: Any) -> None:
    """Two stores on one database (two instances on PostgreSQL; on SQLite a second process
    such as ``feedbackbot send``): every row is claimed by exactly one."""
    from storage.backends import open_store

    other = await open_store(target)
    try:
        await enqueue(store, *(msg(str(i % 7), f"m{i}") for i in range(300)))
        claimed: list[int] = []
        while True:
            got = await asyncio.gather(store.claim_pending(40), other.claim_pending(40))
            if not got[0] and not got[1]:
                break
            claimed += [r.id for rows in got for r in rows]
        assert len(claimed) == 300 and len(set(claimed)) == 300
    finally:
        await other.close()


async def test_new_rows_wake_a_watcher_on_other_instances(target: str, store: Any, backend: str) -> None:
    """PostgreSQL: a commit that adds outbox rows NOTIFYs every instance's leases connection.
    SQLite has one instance: its sender is woken in process, and ``watch_outbox`` is a no-op."""
    if backend == "sqlite":
        pytest.skip("SQLite: one instance, whose sender is woken in process (watch_outbox does nothing)")
    from storage.leases import open_leases

    leases = open_leases(target)
    woken = asyncio.Event()
    try:
        leases.watch_outbox(woken.set)
        assert await leases.try_acquire("sender:telegram") is not None  # the connection that listens is up
        await store.claim_pending()  # nothing yet, and nothing woke it
        assert not woken.is_set()
        await enqueue(store, msg("1", "wake up"))
        await asyncio.wait_for(woken.wait(), 10)
    finally:
        await leases.close()
