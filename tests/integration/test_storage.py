"""The store on a real temporary file: migrations, transactions, exactly-once events."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.bootstrap.runtime import Runtime
from storage.sqlite import MIGRATIONS, SCHEMA_VERSION, StorageVersionError, Store, Tx
from surveys.model import Destination, Inbound, OutMessage


def message(event: str, text: str | None = None, command: str | None = None, args: str = "") -> Inbound:
    return Inbound(event, "console", "u1", "u1", display_name="Ann", text=text, command=command, args=args)


async def count(store: Store, table: str) -> int:
    async with store.conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_new_database_is_at_latest_version_in_wal_mode(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    assert await store.schema_version() == SCHEMA_VERSION
    async with store.conn.execute("PRAGMA journal_mode") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == "wal"
    await store.close()


async def test_older_database_upgrades_in_place_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # a database as version 1 left it
        db.executescript(MIGRATIONS[0][1])
        db.execute("PRAGMA user_version=1")
        db.execute(
            "INSERT INTO respondents (platform, user_id, display_name, created_at, updated_at) "
            "VALUES ('telegram', '42', 'Old Timer', 0, 0)"
        )
    store = await Store.open(path)
    assert await store.schema_version() == SCHEMA_VERSION
    async with store.transaction() as tx:
        found = await tx.respondent("telegram", "42")
    assert found is not None and found.display_name == "Old Timer"
    await store.close()


async def test_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    with pytest.raises(StorageVersionError, match="upgrade feedbackbot"):
        await Store.open(path)


async def test_redelivered_event_changes_nothing(runtime: Runtime) -> None:
    service, store = runtime.service, runtime.store
    await service.handle(message("e1", command="feedback"))
    first = await service.handle(message("e2", text="9"))
    assert not first.duplicate
    before = {t: await count(store, t) for t in ("responses", "outbox", "sessions")}
    async with store.conn.execute("SELECT * FROM respondents") as cur:
        people = [tuple(r) for r in await cur.fetchall()]
    again = await service.handle(Inbound("e2", "console", "u1", "u1", display_name="Renamed", text="9"))
    assert again.duplicate
    assert {t: await count(store, t) for t in before} == before
    async with store.conn.execute("SELECT * FROM respondents") as cur:  # the upsert read with the claim rolled back
        assert [tuple(r) for r in await cur.fetchall()] == people


async def test_failed_transaction_leaves_no_trace(runtime: Runtime) -> None:
    store = runtime.store
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.claim_event("boom", 1.0)
            raise RuntimeError("crash mid-event")
    async with store.transaction() as tx:
        assert await tx.claim_event("boom", 1.0)  # the claim was rolled back too


async def test_response_row_is_created_with_score_and_completed_by_comment(runtime: Runtime) -> None:
    service = runtime.service
    await service.handle(message("a", command="feedback", args="csat"))
    await service.handle(message("b", text="2"))
    rows = [r.values async for r in runtime.store.responses()]
    assert len(rows) == 1 and rows[0]["score"] == 2 and rows[0]["comment_status"] == "pending"
    await service.handle(message("c", text="The app keeps crashing"))
    rows = [r.values async for r in runtime.store.responses()]
    assert len(rows) == 1
    assert rows[0]["comment"] == "The app keeps crashing" and rows[0]["comment_status"] == "given"
    assert rows[0]["category"] == "unsatisfied" and rows[0]["display_name"] == "Ann"


async def test_expiry_sweep_closes_stale_sessions(runtime: Runtime, clock: object) -> None:
    service = runtime.service
    await service.handle(message("a", command="feedback"))
    await service.handle(message("b", text="8"))
    clock.advance(73 * 3600)  # type: ignore[attr-defined]
    assert await service.expire_due() == 1
    rows = [r.values async for r in runtime.store.responses()]
    assert rows[0]["score"] == 8 and rows[0]["comment_status"] == "expired"
    async with runtime.store.transaction() as tx:
        respondent = await tx.respondent("console", "u1")
        assert respondent is not None
        assert await tx.open_session(respondent.id) is None


async def test_prune_forgets_old_event_ids_only(runtime: Runtime, clock: object) -> None:
    from bot.scheduling.scheduler import Scheduler

    service = runtime.service
    await service.handle(message("old", command="help"))
    clock.advance(3 * 86400)  # type: ignore[attr-defined]
    await service.handle(message("recent", command="help"))
    counts = await Scheduler(runtime).prune_job()
    assert counts["event_ids"] == 1
    assert (await service.handle(message("recent", command="help"))).duplicate  # still deduplicated
    assert await count(runtime.store, "processed_events") == 1


async def _pending_rows(store: Store, n: int) -> list[int]:
    from surveys.model import Destination, OutMessage

    async with store.transaction() as tx:
        await tx.enqueue([OutMessage(Destination("console", f"c{i}"), f"m{i}") for i in range(n)], 1.0)
    return [row.id for row in await store.claim_pending()]


async def test_sends_finishing_together_are_recorded_by_one_statement(tmp_path: Path) -> None:
    import asyncio

    store = await Store.open(tmp_path / "marks.db")
    ids = await _pending_rows(store, 5)
    statements: list[str] = []
    await store.conn.set_trace_callback(statements.append)
    async with store.transaction():  # the database is busy while the sends finish
        marking = [asyncio.create_task(store.mark_sent(i, f"msg{i}", 100.0 + i)) for i in ids]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in marking)  # nothing is confirmed before it is written
    await asyncio.gather(*marking)
    await store.conn.set_trace_callback(None)
    assert sum("UPDATE outbox" in s for s in statements) == 1
    async with store.conn.execute("SELECT id, status, message_id, sent_at, attempts FROM outbox ORDER BY id") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [(i, "sent", f"msg{i}", 100.0 + i, 1) for i in ids]
    assert await store.claim_pending() == []
    await store.close()


async def test_a_failed_batch_of_sends_fails_every_waiter(tmp_path: Path) -> None:
    import asyncio

    store = await Store.open(tmp_path / "marks.db")
    ids = await _pending_rows(store, 2)
    await store.conn.execute("CREATE TRIGGER refuse BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'disk'); END")
    results = await asyncio.gather(*(store.mark_sent(i, "x", 1.0) for i in ids), return_exceptions=True)
    assert all(isinstance(r, sqlite3.DatabaseError) for r in results)
    await store.conn.execute("DROP TRIGGER refuse")
    await store.mark_sent(ids[0], "x", 2.0)  # the next batch starts afresh
    assert await store.release_claims() == 1  # the other one is still to send
    assert [row.id for row in await store.claim_pending()] == ids[1:]
    await store.close()


async def test_held_writes_run_in_order_before_the_next_statement_and_commit(tmp_path: Path) -> None:
    from surveys.model import Destination, OutMessage

    store = await Store.open(tmp_path / "held.db")
    statements: list[str] = []
    await store.conn.set_trace_callback(statements.append)
    async with store.transaction() as tx:
        with pytest.raises(RuntimeError, match=r"tx\.connection"):
            _ = tx.conn  # BEGIN is held: the raw connection would run outside the transaction
        await tx.enqueue([OutMessage(Destination("console", "c1"), "hello")], 1.0)
        assert statements == []  # BEGIN and the outbox row are both still held
        assert await tx.claim_event("e1", 1.0) is True
        await tx.enqueue([OutMessage(Destination("console", "c1"), "again")], 1.0)
    await store.conn.set_trace_callback(None)
    firsts = [s.split()[0] for s in statements]
    assert firsts == ["BEGIN", "INSERT", "INSERT", "INSERT", "COMMIT"]
    assert "processed_events" in statements[2]  # the claim ran after the row held before it
    assert [row.message.text for row in await store.claim_pending()] == ["hello", "again"]
    await store.close()


async def test_a_failing_held_write_rolls_back_the_whole_transaction(tmp_path: Path) -> None:
    from surveys.model import Destination, OutMessage

    store = await Store.open(tmp_path / "held.db")
    with pytest.raises(sqlite3.IntegrityError):
        async with store.transaction() as tx:
            assert await tx.claim_event("e1", 1.0) is True
            await tx.enqueue([OutMessage(Destination("console", "c1"), "hello")], 1.0)
            tx._hold("INSERT INTO processed_events (event_id, processed_at) VALUES ('e1', 2.0)")  # a duplicate
    assert await store.claim_pending() == []
    async with store.transaction() as tx:  # the event was not kept either, and the store still works
        assert await tx.claim_event("e1", 3.0) is True
    await store.close()


async def test_a_unit_of_work_sees_its_own_writes_and_commits(tmp_path: Path) -> None:

    store = await Store.open(tmp_path / "unit.db")

    async def work(tx: Tx) -> bool:
        assert await tx.claim_event("e1", 1.0)
        return await tx.claim_event("e1", 1.0)  # the same transaction sees its own write

    assert await store.run(work) is False
    assert await count(store, "processed_events") == 1
    await store.close()


async def test_an_error_in_a_unit_of_work_rolls_it_back(tmp_path: Path) -> None:

    store = await Store.open(tmp_path / "unit.db")

    async def fails(tx: Tx) -> None:
        await tx.claim_event("e1", 1.0)
        raise ValueError("engine bug")

    with pytest.raises(ValueError, match="engine bug"):
        await store.run(fails)
    assert await count(store, "processed_events") == 0
    await store.close()


def _claims(event: str, fail: bool = False) -> Callable[[Tx], Awaitable[str]]:
    async def work(tx: Tx) -> str:
        assert await tx.claim_event(event, 1.0)
        await tx.enqueue([OutMessage(Destination("console", event), f"to {event}")], 1.0)
        if fail:
            raise ValueError(f"{event} failed")
        return event

    return work


async def test_units_queued_together_commit_once_and_one_failure_undoes_only_itself(tmp_path: Path) -> None:
    """Group commit: units queued while the store is busy share one transaction (one COMMIT,
    one fsync), each in its own savepoint; no caller hears of success before that COMMIT."""
    store = await Store.open(tmp_path / "group.db")
    statements: list[str] = []
    await store.conn.set_trace_callback(statements.append)
    commits_seen: dict[str, int] = {}

    async def unit(event: str, fail: bool) -> str:
        result = await store.run(_claims(event, fail))
        commits_seen[event] = sum(s == "COMMIT" for s in statements)
        return result

    async with store.transaction() as tx:  # the database is busy while the units arrive
        await tx.claim_event("busy", 1.0)
        units = [
            asyncio.create_task(unit(event, fail))
            for event, fail in (("a", False), ("b", True), ("c", False), ("d", True), ("e", False))
        ]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in units)
    results = await asyncio.gather(*units, return_exceptions=True)
    await store.conn.set_trace_callback(None)
    assert results[0] == "a" and results[2] == "c" and results[4] == "e"
    assert [str(r) for r in (results[1], results[3])] == ["b failed", "d failed"]
    assert sum(s == "COMMIT" for s in statements) == 2  # the busy transaction's, and one for the group
    assert sum(s == "BEGIN IMMEDIATE" for s in statements) == 2
    assert all(seen == 2 for seen in commits_seen.values())  # every caller answered after the group's COMMIT
    async with store.reading() as conn:
        claimed = sorted(r[0] for r in await conn.execute_fetchall("SELECT event_id FROM processed_events"))
    assert claimed == ["a", "busy", "c", "e"]
    assert sorted(row.chat_id for row in await store.claim_pending()) == ["a", "c", "e"]
    await store.close()


async def test_a_failing_first_unit_leaves_the_rest_of_its_group_whole(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "group.db")
    async with store.transaction():
        units = [asyncio.create_task(store.run(_claims(e, fail=e == "a"))) for e in "abc"]
        await asyncio.sleep(0.01)
    results = await asyncio.gather(*units, return_exceptions=True)
    assert isinstance(results[0], ValueError) and results[1:] == ["b", "c"]
    assert sorted(row.chat_id for row in await store.claim_pending()) == ["b", "c"]
    await store.close()


async def test_a_unit_cancelled_before_it_started_never_runs(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "group.db")
    async with store.transaction():
        waiting = asyncio.create_task(store.run(_claims("gone")))
        kept = asyncio.create_task(store.run(_claims("kept")))
        await asyncio.sleep(0.01)
        waiting.cancel()
    assert await kept == "kept"
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert [row.chat_id for row in await store.claim_pending()] == ["kept"]
    await store.close()


async def test_customer_turns_and_alerts_are_group_committed(runtime: Runtime) -> None:
    """A survey turn, including one that raises a staff alert, is a unit of work of
    :meth:`Store.run`, never an exclusive transaction of its own."""
    from unittest import mock

    refuse = mock.Mock(side_effect=AssertionError("fell back to a transaction on the loop"))
    with mock.patch.object(runtime.store, "transaction", refuse):
        for event, kwargs in (("e1", {"command": "feedback"}), ("e2", {"text": "2"}), ("e3", {"text": "Awful"})):
            assert not (await runtime.service.handle(message(event, **kwargs))).duplicate
    assert await count(runtime.store, "escalations") == 1
    assert await count(runtime.store, "responses") == 1


async def test_escalation_updates_accept_only_known_columns_even_under_python_O(tmp_path: Path) -> None:
    """The column names become SQL: the allow-list is a real check, not an assert that
    ``python -O`` strips."""
    store = await Store.open(tmp_path / "cols.db")
    async with store.transaction() as tx:
        for fields in ({"state = 'resolved' --": 1}, {"respondent_id": 5}, {}):
            with pytest.raises(ValueError, match="update_escalation"):
                await tx.update_escalation(1, **fields)
    await store.close()
