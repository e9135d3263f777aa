"""Leadership: one holder per role, taken over when the holder's connection goes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from storage.backends import open_store
from storage.leases import SoleLeases
from storage.postgres.leases import LEASE_CLASS, PgLeases, lease_key
from surveys.model import Destination, OutMessage
from tests.postgres import terminate_advisory_lock_holder, terminate_sessions


async def test_sqlite_instance_holds_every_role() -> None:
    leases = SoleLeases()
    lease = await leases.try_acquire("sender:telegram")
    assert lease is not None and lease.role == "sender:telegram"
    assert not lease.lost.is_set()
    assert await leases.try_acquire("sender:telegram") is not None  # the only instance there is


def test_lease_keys_are_stable_int4() -> None:
    assert lease_key("scheduler") == lease_key("scheduler")
    assert lease_key("scheduler") != lease_key("sender:telegram")
    for role in ("scheduler", "sender:telegram", "sender:slack", "telegram-poller"):
        assert -(1 << 31) <= lease_key(role) < (1 << 31)


async def test_one_holder_per_role_until_released(pg_url: str) -> None:
    a, b = PgLeases(pg_url), PgLeases(pg_url)
    try:
        held = await a.try_acquire("sender:telegram")
        assert held is not None
        assert await b.try_acquire("sender:telegram") is None
        assert await b.try_acquire("scheduler") is not None  # roles are independent
        assert await a.try_acquire("scheduler") is None
        await held.release()
        assert held.lost.is_set()
        taken = await b.try_acquire("sender:telegram")
        assert taken is not None
        assert a.held == ["sender:telegram"] or a.held == []  # a gave it up
        assert "sender:telegram" not in a.held
        assert b.held == ["scheduler", "sender:telegram"]
    finally:
        await a.close()
        await b.close()


async def test_a_failed_lock_connection_loses_the_role_at_once(pg_url: str) -> None:
    a, b = PgLeases(pg_url, heartbeat=0.2), PgLeases(pg_url, heartbeat=0.2)
    try:
        held = await a.try_acquire("sender:telegram")
        assert held is not None
        assert await terminate_advisory_lock_holder(pg_url, LEASE_CLASS, lease_key("sender:telegram") & 0xFFFFFFFF)
        await asyncio.wait_for(held.lost.wait(), 10)
        taken = None
        for _ in range(100):
            taken = await b.try_acquire("sender:telegram")
            if taken is not None:
                break
            await asyncio.sleep(0.05)
        assert taken is not None
        # The old holder gets it back only once the new one lets go.
        assert await a.try_acquire("sender:telegram") is None
    finally:
        await a.close()
        await b.close()


HOLDER = """
import asyncio, sys
from storage.postgres.leases import PgLeases

async def main():
    leases = PgLeases(sys.argv[1])
    assert await leases.try_acquire("scheduler") is not None
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_killed_holder_frees_the_role(pg_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, pg_url, stdout=subprocess.PIPE, cwd=os.getcwd()
    )
    leases = PgLeases(pg_url)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.strip() == b"held"
        assert await leases.try_acquire("scheduler") is None
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 10)
        taken = None
        for _ in range(200):
            taken = await leases.try_acquire("scheduler")
            if taken is not None:
                break
            await asyncio.sleep(0.05)
        assert taken is not None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await leases.close()


async def test_roles_come_back_after_the_connection_is_restored(pg_url: str) -> None:
    leases = PgLeases(pg_url, heartbeat=0.2)
    try:
        first = await leases.try_acquire("scheduler")
        assert first is not None
        assert await terminate_sessions(pg_url, "feedbackbot leases") >= 1
        await asyncio.wait_for(first.lost.wait(), 10)
        again = await leases.try_acquire("scheduler")  # a new connection, a new lease
        assert again is not None and again is not first and not again.lost.is_set()
    finally:
        await leases.close()


@pytest.mark.parametrize("role", ["sender:telegram"])
async def test_closing_frees_every_role(pg_url: str, role: str) -> None:
    a, b = PgLeases(pg_url), PgLeases(pg_url)
    try:
        assert await a.try_acquire(role) is not None
        await a.close()
        assert await b.try_acquire(role) is not None
    finally:
        await b.close()


async def test_new_outbox_rows_wake_the_sender(pg_url: str) -> None:
    """A commit that adds outbox rows NOTIFYs (the schema's trigger, whoever inserts them); the
    lease connection LISTENs and wakes the sender at once, and not before the commit."""
    store = await open_store(pg_url)
    leases = PgLeases(pg_url)
    woken = asyncio.Event()
    try:
        leases.watch_outbox(woken.set)
        assert await leases.try_acquire("sender:telegram") is not None
        async with store.transaction() as tx:
            await tx.enqueue([OutMessage(Destination("telegram", "1"), "hello")], 0.0)
            await tx.flush()
            await asyncio.sleep(0.2)
            assert not woken.is_set()  # nothing is announced before the commit
        await asyncio.wait_for(woken.wait(), 10)
    finally:
        await store.close()
        await leases.close()
