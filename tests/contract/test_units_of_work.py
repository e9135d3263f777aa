"""Units of work commit all or nothing, and an event id is handled once, on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage.records import subject_of
from surveys.engine import Session, Stage
from tests import reads
from tests.contract.support import NOW, msg, person, seen


class Boom(RuntimeError):
    pass


async def test_a_unit_of_work_commits_everything_and_returns_its_result(store: Any) -> None:
    async def work(tx: Any) -> int:
        claimed, who, _ = await tx.begin_turn("telegram:msg:1:1", NOW, seen("1"))
        assert claimed
        await tx.enqueue([msg("1", "hello")], NOW)
        return int(who.id)

    respondent_id = await store.run(work)
    assert [r["id"] for r in await reads.respondents(store)] == [respondent_id]
    assert [r["status"] for r in await reads.outbox(store)] == ["pending"]
    assert await reads.event_ids(store) == ["telegram:msg:1:1"]


async def test_an_exception_in_a_unit_of_work_rolls_back_everything(store: Any) -> None:
    async def work(tx: Any) -> None:
        await tx.begin_turn("telegram:msg:1:1", NOW, seen("1"))
        who = await tx.respondent("telegram", "1")
        await tx.save_session(Session("nps", Stage.SCORE, "en", "n1", NOW, NOW + 60), who.id, NOW)
        await tx.enqueue([msg("1", "never sent")], NOW)
        await tx.flush()  # written, not committed
        raise Boom

    with pytest.raises(Boom):
        await store.run(work)
    assert await reads.counts(store, "respondents", "sessions", "outbox", "processed_events") == {
        "respondents": 0,
        "sessions": 0,
        "outbox": 0,
        "processed_events": 0,
    }


async def test_an_exception_in_a_transaction_rolls_back_everything(store: Any) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.claim_event("slack:ev:1", NOW)
            await tx.enqueue([msg("1", "never sent")], NOW)
            await tx.flush()
            raise Boom
    assert await reads.counts(store, "outbox", "processed_events") == {"outbox": 0, "processed_events": 0}


async def test_a_failing_unit_among_concurrent_ones_rolls_back_only_itself(store: Any) -> None:
    """SQLite commits concurrent units together (one savepoint each); PostgreSQL runs each in
    its own transaction. Either way a failure is its own caller's alone."""

    def unit(n: int, fail: bool) -> Any:
        async def work(tx: Any) -> int:
            await tx.claim_event(f"ev{n}", NOW)
            await tx.enqueue([msg(str(n), f"m{n}")], NOW)
            await tx.flush()
            if fail:
                raise Boom(n)
            return n

        return work

    results = await asyncio.gather(*(store.run(unit(n, n == 3)) for n in range(6)), return_exceptions=True)
    assert [type(r).__name__ if isinstance(r, BaseException) else r for r in results] == [0, 1, 2, "Boom", 4, 5]
    assert await reads.event_ids(store) == ["ev0", "ev1", "ev2", "ev4", "ev5"]
    assert sorted(r["chat_id"] for r in await reads.outbox(store)) == ["0", "1", "2", "4", "5"]


async def test_a_transaction_commits_what_it_wrote(store: Any) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_event("slack:ev:1", NOW)
        await tx.enqueue([msg("1", "one"), msg("2", "two")], NOW)
    assert [r["chat_id"] for r in await reads.outbox(store)] == ["1", "2"]


async def test_an_event_id_is_claimed_once(store: Any) -> None:
    async def claim(tx: Any) -> bool:
        return bool(await tx.claim_event("slack:Ev1", NOW, subject_of("slack", "U1")))

    assert await store.run(claim) is True
    assert await store.run(claim) is False
    assert await reads.event_ids(store) == ["slack:Ev1"]


async def test_the_same_event_claimed_concurrently_is_handled_once(store: Any) -> None:
    """Two deliveries of one update racing (two instances on PostgreSQL): one wins."""

    async def turn(tx: Any) -> bool:
        claimed, _, _ = await tx.begin_turn("telegram:msg:5:77", NOW, seen("5"))
        if claimed:
            await tx.enqueue([msg("5", "answer")], NOW)
        return bool(claimed)

    results = await asyncio.gather(*(store.run(turn) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert len(await reads.outbox(store)) == 1


async def test_a_redelivered_turn_rolled_back_leaves_the_person_as_they_were(store: Any) -> None:
    """The service rolls back a turn whose event was already claimed: the upsert that came
    with the claim must go with it."""
    await person(store, "7", name="Ann")

    async def first(tx: Any) -> None:
        assert (await tx.begin_turn("telegram:msg:7:1", NOW, seen("7", name="Ann")))[0]

    await store.run(first)

    async def redelivery(tx: Any) -> None:
        claimed, _, _ = await tx.begin_turn("telegram:msg:7:1", NOW + 5, seen("7", name="Renamed"))
        assert not claimed
        raise Boom  # what the service does with a duplicate

    with pytest.raises(Boom):
        await store.run(redelivery)
    assert [r["display_name"] for r in await reads.respondents(store)] == ["Ann"]


async def test_a_turn_without_an_event_id_is_always_first(store: Any) -> None:
    async def turn(tx: Any) -> bool:
        return bool((await tx.begin_turn(None, NOW, seen("9")))[0])

    assert await store.run(turn) and await store.run(turn)
    assert await reads.event_ids(store) == []


async def test_the_schema_is_at_the_backends_latest_version_and_reopening_keeps_it(target: str, store: Any) -> None:
    from storage.backends import open_store

    if target.startswith("postgres"):
        from storage.postgres.store import SCHEMA_VERSION
    else:
        from storage.sqlite import SCHEMA_VERSION
    assert await store.schema_version() == SCHEMA_VERSION
    await person(store, "1")
    again = await open_store(target)
    try:
        assert await again.schema_version() == SCHEMA_VERSION
        async with again.transaction() as tx:
            assert (await tx.respondent("telegram", "1")) is not None
    finally:
        await again.close()


async def test_two_turns_of_one_chat_never_run_at_once(store: Any) -> None:
    """A turn's first step waits until no other turn of the same chat is running (one writer on
    SQLite; on PostgreSQL the conversation's advisory lock, and the person's row the turn
    upserts, each enough alone), so a chat's messages are handled one after the other, each
    seeing what the previous one committed."""
    inside, leave = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first(tx: Any) -> None:
        await tx.begin_turn("telegram:msg:900:1", NOW, seen("900"))
        order.append("first in")
        inside.set()
        await leave.wait()
        await tx.enqueue([msg("900", "first reply")], NOW)
        order.append("first out")

    async def second(tx: Any) -> int:
        _, who, _ = await tx.begin_turn("telegram:msg:900:2", NOW + 1, seen("900"))
        order.append("second in")
        return int(who.id)

    one = asyncio.create_task(store.run(first))
    await asyncio.wait_for(inside.wait(), 30)
    two = asyncio.create_task(store.run(second))
    try:
        await asyncio.sleep(0.3)  # time enough for the second turn to start, were it allowed to
        assert order == ["first in"]
    finally:
        leave.set()  # a failure must not leave the first turn (and the store) waiting
        await asyncio.wait_for(asyncio.gather(one, two), 30)
    assert order == ["first in", "first out", "second in"]
    assert len(await reads.respondents(store)) == 1  # the second turn found the person the first stored


async def test_units_of_work_keyed_on_one_chat_run_one_at_a_time(store: Any) -> None:
    """``run(work, key=(platform, chat))``: no two units of one conversation run at once, even
    when nothing in them touches the same row (on PostgreSQL only the conversation's advisory
    lock orders these two; SQLite has one writer)."""
    inside, leave = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first(tx: Any) -> None:
        order.append("first in")
        inside.set()
        await leave.wait()
        await tx.enqueue([msg("900", "first")], NOW)
        order.append("first out")

    async def second(tx: Any) -> None:
        order.append("second in")
        await tx.enqueue([msg("900", "second")], NOW)

    one = asyncio.create_task(store.run(first, key=("telegram", "900")))
    await asyncio.wait_for(inside.wait(), 30)
    two = asyncio.create_task(store.run(second, key=("telegram", "900")))
    try:
        await asyncio.sleep(0.3)  # time enough for the second unit to start, were it allowed to
        assert order == ["first in"]
    finally:
        leave.set()  # a failure must not leave the first unit (and the store) waiting
        await asyncio.wait_for(asyncio.gather(one, two), 30)
    assert order == ["first in", "first out", "second in"]
    assert [r["chat_id"] for r in await reads.outbox(store)] == ["900", "900"]


async def test_a_read_never_sees_what_another_transaction_has_not_committed(store: Any) -> None:
    """Reports and exports read through ``store.reading()`` while turns run: a transaction
    that is still open (and then rolls back) must not show in a read (SQLite's read waits for
    it; PostgreSQL's reads the last committed state)."""
    inserted, finish = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        with pytest.raises(Boom):
            async with store.transaction() as tx:
                await tx.enqueue([msg("1", "never committed"), msg("2", "never committed")], NOW)
                await tx.flush()
                inserted.set()
                await finish.wait()
                raise Boom

    writing = asyncio.create_task(writer())
    await asyncio.wait_for(inserted.wait(), 30)
    reading = asyncio.create_task(reads.count(store, "outbox"))
    try:
        await asyncio.sleep(0.2)  # the read runs now where it can
    finally:
        finish.set()
        await asyncio.wait_for(writing, 30)
    assert await asyncio.wait_for(reading, 30) == 0
