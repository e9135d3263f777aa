"""The PostgreSQL store on a real server (skipped without FEEDBACKBOT_TEST_DATABASE_URL):
migrations under an advisory lock, the outbox claimed by status whatever order ids commit in,
conversation locks across connections, reconnection after the server drops every connection,
and faults as one line without the password."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest

from storage.postgres.store import SCHEMA_VERSION, Store
from storage.records import PersonSeen
from storage.sqlite import StorageError, StorageVersionError
from surveys.model import Destination, OutMessage
from tests.postgres import needs_postgres, with_database

pytestmark = needs_postgres


def message(chat: str, text: str) -> OutMessage:
    return OutMessage(Destination("telegram", chat), text)


async def test_instances_starting_together_migrate_once(pg_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(pg_url) for _ in range(4)))
    try:
        assert [await s.schema_version() for s in stores] == [SCHEMA_VERSION] * 4
        conn = await asyncpg.connect(pg_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM feedbackbot_schema") == 1
        finally:
            await conn.close()
    finally:
        for s in stores:
            await s.close()


async def test_a_database_from_a_newer_feedbackbot_is_refused(pg_url: str) -> None:
    store = await Store.open(pg_url)
    await store.close()
    conn = await asyncpg.connect(pg_url)
    await conn.execute("UPDATE feedbackbot_schema SET version = version + 1")
    await conn.close()
    with pytest.raises(StorageVersionError, match=f"only knows up to {SCHEMA_VERSION}"):
        await Store.open(pg_url)


async def test_an_outbox_row_that_commits_after_a_later_one_is_still_delivered(pg_url: str) -> None:
    """Issue 17 test 8: ids are taken at INSERT, not at COMMIT. Row 1's transaction stays
    open while row 2 commits and is claimed; row 1 is claimed once it commits."""
    store = await Store.open(pg_url)
    try:
        slow_inserted = asyncio.Event()
        release_slow = asyncio.Event()

        async def slow() -> None:
            async with store.transaction() as tx:
                await tx.enqueue([message("1", "early id, late commit")], time.time())
                await tx.flush()
                slow_inserted.set()
                await release_slow.wait()

        task = asyncio.create_task(slow())
        await slow_inserted.wait()

        async def fast(tx: Any) -> None:
            await tx.enqueue([message("2", "later id, early commit")], time.time())

        await store.run(fast)
        first = await store.claim_pending()
        assert [(r.id, r.message.text) for r in first] == [(2, "later id, early commit")]
        release_slow.set()
        await task
        second = await store.claim_pending()
        assert [(r.id, r.message.text) for r in second] == [(1, "early id, late commit")]
        assert await store.claim_pending() == []
    finally:
        await store.close()


async def test_two_senders_never_claim_the_same_row(pg_url: str) -> None:
    a, b = await Store.open(pg_url), await Store.open(pg_url)
    try:
        async def queue(tx: Any) -> None:
            await tx.enqueue([message(str(i % 50), f"m{i}") for i in range(2000)], time.time())

        await a.run(queue)
        claimed: list[int] = []
        while True:
            got = await asyncio.gather(a.claim_pending(100), b.claim_pending(100))
            if not got[0] and not got[1]:
                break
            claimed += [r.id for rows in got for r in rows]
        assert sorted(claimed) == list(range(1, 2001))
    finally:
        await a.close()
        await b.close()


async def test_a_status_write_only_changes_a_row_still_being_sent(pg_url: str) -> None:
    store = await Store.open(pg_url)
    try:
        async def queue(tx: Any) -> None:
            await tx.enqueue([message("7", "hello")], time.time())

        await store.run(queue)
        [row] = await store.claim_pending()
        await store.mark_sent(row.id, "m-1", time.time())
        await store.mark_dead(row, "late failure from a sender that lost its claim", unreachable=False)
        await store.reschedule(row.id, time.time() + 60, "late retry")
        conn = await asyncpg.connect(pg_url)
        try:
            got = await conn.fetchrow("SELECT status, message_id, attempts, error FROM outbox WHERE id = $1", row.id)
        finally:
            await conn.close()
        assert tuple(got) == ("sent", "m-1", 1, None)
    finally:
        await store.close()


async def test_turns_of_one_conversation_on_two_instances_run_one_at_a_time(pg_url: str) -> None:
    """The conversation lock is the turn's first statement: a second instance's turn of the
    same chat waits for the first to commit (also for a person not stored yet); other chats
    do not wait."""
    a, b = await Store.open(pg_url), await Store.open(pg_url)
    seen = PersonSeen("telegram", "900", "900", "Ann", "", "en")
    inside = asyncio.Event()
    leave = asyncio.Event()
    order: list[str] = []
    try:
        async def first(tx: Any) -> None:
            await tx.begin_turn("telegram:msg:900:1", time.time(), seen)
            order.append("first in")
            inside.set()
            await leave.wait()
            order.append("first out")

        async def second(tx: Any) -> None:
            await tx.begin_turn("telegram:msg:900:2", time.time(), seen)
            order.append("second in")

        async def other(tx: Any) -> None:
            await tx.begin_turn("telegram:msg:901:1", time.time(), PersonSeen("telegram", "901", "901", "Bo", "", "en"))
            order.append("other chat")

        one = asyncio.create_task(a.run(first))
        await inside.wait()
        two = asyncio.create_task(b.run(second))
        await b.run(other)
        await asyncio.sleep(0.2)
        assert order == ["first in", "other chat"]
        leave.set()
        await asyncio.gather(one, two)
        assert order == ["first in", "other chat", "first out", "second in"]
    finally:
        await a.close()
        await b.close()


async def test_units_of_work_survive_the_server_dropping_every_connection(pg_url: str) -> None:
    """Issue 17 test 11, in one process: the server terminates every backend of the database
    (what a restart does to clients; this machine's server cannot be restarted by a test)
    while 400 turns run. Every turn commits exactly once: none lost, none doubled."""
    store = await Store.open(pg_url, max_size=8)
    admin = await asyncpg.connect(pg_url)
    name = await admin.fetchval("SELECT current_database()")

    async def turn(i: int) -> bool:
        seen = PersonSeen("telegram", str(i % 40), str(i % 40), "P", "", "en")

        async def work(tx: Any) -> bool:
            first, _, _ = await tx.begin_turn(f"telegram:msg:{i % 40}:{i}", time.time(), seen)
            if first:
                await tx.enqueue([message(str(i % 40), f"reply {i}")], time.time())
            return first

        return await store.run(work)

    async def kill() -> int:
        killed = 0
        for _ in range(3):
            await asyncio.sleep(0.15)
            killed += await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        return killed

    try:
        results = await asyncio.gather(kill(), *(turn(i) for i in range(400)))
        assert results[0] > 0  # connections really were dropped under the turns
        conn = await asyncpg.connect(pg_url)
        try:
            texts = [r[0] for r in await conn.fetch("SELECT payload::jsonb ->> 'text' FROM outbox")]
            events = await conn.fetchval("SELECT count(*) FROM processed_events")
        finally:
            await conn.close()
        assert sorted(texts) == sorted(f"reply {i}" for i in range(400))
        assert events == 400
    finally:
        await admin.close()
        await store.close()


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(StorageError) as caught:
        await Store.open("postgresql://bot:pw-secret-1@127.0.0.1:1/feedback")
    assert str(caught.value).startswith("cannot reach PostgreSQL at postgresql://bot:***@127.0.0.1:1/feedback (")
    assert "pw-secret-1" not in str(caught.value)


async def test_a_missing_database_says_so(pg_url: str) -> None:
    with pytest.raises(StorageError, match="does not exist; create it first"):
        await Store.open(with_database(pg_url, "fb_test_no_such_database"))


async def test_new_outbox_rows_notify_their_platform_at_commit(pg_url: str) -> None:
    store = await Store.open(pg_url)
    listener = await asyncpg.connect(pg_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener("feedbackbot_outbox", lambda *args: heard.put_nowait(args[3]))
    try:
        async def queue(tx: Any) -> None:
            await tx.enqueue([message("1", "a"), message("2", "b")], time.time())
            await tx.enqueue([OutMessage(Destination("slack", "C1"), "c")], time.time())
            await tx.flush()
            assert heard.empty()  # nothing before the commit

        await store.run(queue)
        got = {await asyncio.wait_for(heard.get(), 10), await asyncio.wait_for(heard.get(), 10)}
        assert got == {"telegram", "slack"}
        await asyncio.sleep(0.1)
        assert heard.empty()  # one per platform and transaction
    finally:
        await listener.close()
        await store.close()


async def test_compact_after_an_erasure_vacuums_the_tables_it_touched(pg_url: str) -> None:
    """/forget on PostgreSQL: the erasure's transaction, then VACUUM of the tables it touched,
    so the erased rows' old versions are removed from the table files (README: what stays in
    the WAL and in backups)."""
    store = await Store.open(pg_url)
    seen = PersonSeen("telegram", "321", "321", "Erin Secret", "erin", "en")
    try:
        async def turn(tx: Any) -> int:
            _, person, _ = await tx.begin_turn("telegram:msg:321:1", time.time(), seen)
            await tx.enqueue([message("321", "a message to Erin")], time.time())
            return int(person.id)

        person_id = await store.run(turn)

        async def forget(tx: Any) -> None:
            await tx.erase_person(person_id)

        await store.run(forget)
        await store.compact()
        conn = await asyncpg.connect(pg_url)
        try:
            for _ in range(50):  # statistics reach other sessions within about a second
                vacuumed = {
                    r[0]: (r[1], r[2])
                    for r in await conn.fetch(
                        "SELECT relname, last_vacuum IS NOT NULL, n_dead_tup FROM pg_stat_user_tables "
                        "WHERE relname = ANY($1::text[])",
                        list(Store.ERASED_TABLES),
                    )
                }
                if all(done for done, _ in vacuumed.values()):
                    break
                await asyncio.sleep(0.1)
                await conn.execute("SELECT pg_stat_clear_snapshot()")
            left = await conn.fetchval("SELECT count(*) FROM respondents WHERE display_name = 'Erin Secret'")
        finally:
            await conn.close()
        assert left == 0
        assert set(vacuumed) == set(Store.ERASED_TABLES)
        assert all(done for done, _ in vacuumed.values()), vacuumed
        assert vacuumed["respondents"][1] == 0 and vacuumed["outbox"][1] == 0  # no dead versions left
    finally:
        await store.close()


async def test_two_scheduler_leaders_never_take_the_same_due_invitation(pg_url: str) -> None:
    """Issue 17: during a takeover two instances may both run the scheduler for a moment.
    While one transaction holds due invitations, the other's read skips them; once the
    first has sent and committed them, they are no longer due for anyone."""
    a, b = await Store.open(pg_url), await Store.open(pg_url)
    now = time.time()
    try:
        async def schedule(tx: Any) -> None:
            for n in range(6):
                person = await tx.ensure_respondent("telegram", str(100 + n), str(100 + n), now)
                await tx.insert_invitation(person.id, "nps", "scheduled", None, None, None, {}, "bulk", now - 1, now)

        await a.run(schedule)
        async with a.transaction() as first:
            held = await first.due_invitations(now, 4)
            assert len(held) == 4
            async with b.transaction() as second:
                rest = await second.due_invitations(now, 10)
            assert {r["id"] for r in rest}.isdisjoint(r["id"] for r in held) and len(rest) == 2
            for row in held:
                await first.mark_invitation(row["id"], "sent", sent_at=now)
        async with b.transaction() as later:
            assert len(await later.due_invitations(now, 10)) == 2  # the 4 sent are gone; 2 still due
    finally:
        await a.close()
        await b.close()
