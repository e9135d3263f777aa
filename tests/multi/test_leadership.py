"""Roles one instance plays at a time: taken, lost, given up, and what the delivery loop does
with them. Leases here are an in-memory stand-in for the database's (the PostgreSQL leases
are tested in test_leases.py and with real processes elsewhere in this folder)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable

import aiohttp

from bot.bootstrap.runtime import Runtime
from bot.leadership import Leadership, Role
from bot.web.http import HttpServer
from storage.leases import Lease, SoleLeases
from surveys.model import Inbound, OutMessage
from tests import reads
from tests.conftest import Clock
from tests.postgres import terminate_sessions

_ids = itertools.count()


class MemoryLease:
    def __init__(self, table: dict[str, MemoryLease], role: str) -> None:
        self.role = role
        self.table = table
        self._lost = asyncio.Event()

    @property
    def lost(self) -> asyncio.Event:
        return self._lost

    async def release(self) -> None:
        if self.table.get(self.role) is self:
            del self.table[self.role]
        self._lost.set()

    def fail(self) -> None:
        """The connection holding it broke: the holder learns it lost the role."""
        if self.table.get(self.role) is self:
            del self.table[self.role]
        self._lost.set()


class MemoryLeases:
    """Leases of several instances in one process, sharing one table."""

    def __init__(self, table: dict[str, MemoryLease]) -> None:
        self.table = table

    async def try_acquire(self, role: str) -> Lease | None:
        if role in self.table:
            return None
        lease = self.table[role] = MemoryLease(self.table, role)
        return lease

    def watch_outbox(self, wake: Callable[[], None]) -> None:
        return None

    async def close(self) -> None:
        return None


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.fail_take = False

    def role(self, name: str, *, intake: bool = False) -> Role:
        async def take() -> None:
            if self.fail_take:
                raise RuntimeError("not ready")
            self.events.append(f"take {name}")

        async def drop() -> None:
            self.events.append(f"drop {name}")

        return Role(name, take, drop, intake=intake)


async def test_the_only_instance_holds_every_role_from_the_start() -> None:
    rec = Recorder()
    roles = [rec.role("sender:telegram"), rec.role("telegram-poller", intake=True), rec.role("scheduler", intake=True)]
    leader = Leadership(SoleLeases(), roles)
    await leader.start()
    assert leader.leading() == ["scheduler", "sender:telegram", "telegram-poller"]
    assert rec.events == ["take sender:telegram", "take telegram-poller", "take scheduler"]
    await leader.stop_intake()  # shutdown: polling and the scheduler stop first, the sender drains
    assert leader.leading() == ["sender:telegram"]
    await leader.stop()
    assert rec.events[3:] == ["drop telegram-poller", "drop scheduler", "drop sender:telegram"]
    assert leader.leading() == []


async def test_a_lost_lease_stops_the_role_at_once_and_another_instance_takes_it() -> None:
    table: dict[str, MemoryLease] = {}
    a, b = Recorder(), Recorder()
    first = Leadership(MemoryLeases(table), [a.role("scheduler", intake=True)], retry=3600)
    second = Leadership(MemoryLeases(table), [b.role("scheduler", intake=True)], retry=3600)
    await first.start()
    await second.start()
    assert first.leading() == ["scheduler"] and second.leading() == []
    table["scheduler"].fail()
    for _ in range(100):
        if "drop scheduler" in a.events:
            break
        await asyncio.sleep(0.01)
    assert a.events == ["take scheduler", "drop scheduler"]
    assert first.leading() == []
    assert await second.take_free_roles() == ["scheduler"]
    assert b.events == ["take scheduler"]
    assert await first.take_free_roles() == []  # the new holder keeps it
    await first.stop()
    await second.stop()


async def test_a_role_that_cannot_start_is_left_to_another_instance() -> None:
    table: dict[str, MemoryLease] = {}
    a, b = Recorder(), Recorder()
    a.fail_take = True
    first = Leadership(MemoryLeases(table), [a.role("telegram-poller")], retry=3600)
    second = Leadership(MemoryLeases(table), [b.role("telegram-poller")], retry=3600)
    await first.start()
    assert first.leading() == [] and table == {}
    await second.start()
    assert second.leading() == ["telegram-poller"]
    await first.stop()
    await second.stop()


async def test_healthz_says_which_roles_this_instance_leads() -> None:
    rec = Recorder()
    leader = Leadership(SoleLeases(), [rec.role("sender:slack"), rec.role("scheduler", intake=True)])
    http = HttpServer(["127.0.0.1:0"])
    http.leading = leader.leading
    await leader.start()
    await http.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{http.ports[0]}/healthz") as response:
                assert response.status == 200
                body = await response.json()
        assert body["leading"] == ["scheduler", "sender:slack"]
        await leader.stop_intake()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{http.ports[0]}/healthz") as response:
                assert (await response.json())["leading"] == ["sender:slack"]
    finally:
        await http.stop()
        await leader.stop()


class Sent:
    platform = "console"

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.gate: asyncio.Event | None = None

    async def send(self, message: OutMessage, reply_to: str | None) -> str:
        if self.gate is not None:
            await self.gate.wait()
        self.texts.append(message.text)
        return str(len(self.texts))

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        return None


def say(user: str, text: str | None = None, command: str | None = None) -> Inbound:
    return Inbound(f"lead{next(_ids)}", "console", user, user, text=text, command=command)


async def status_counts(runtime: Runtime) -> dict[str, int]:
    return dict(Counter(row["status"] for row in await reads.outbox(runtime.store)))


async def test_delivery_sends_only_for_the_platforms_it_leads(runtime: Runtime, clock: Clock) -> None:
    channel = Sent()
    runtime.add_channel(channel)
    runtime.delivery.owned = set()  # another instance is the console's sender
    runtime.start_delivery()
    await runtime.service.handle(say("ann", command="feedback"))
    await runtime.delivery.drain()
    assert channel.texts == []
    assert await status_counts(runtime) == {"pending": 1}  # not claimed: it is the other sender's
    runtime.delivery.own("console")
    await runtime.delivery.drain()
    assert len(channel.texts) == 1


async def test_a_sender_that_loses_its_role_starts_nothing_more(runtime: Runtime, clock: Clock) -> None:
    channel = Sent()
    channel.gate = asyncio.Event()  # the first send hangs until we let it go
    runtime.add_channel(channel)
    runtime.delivery.owned = set()
    runtime.delivery.own("console")
    runtime.start_delivery()
    await runtime.service.handle(say("bob", command="feedback"))
    await runtime.service.handle(say("bob", command="feedback"))  # a second message to the same chat
    for _ in range(200):
        if (await status_counts(runtime)).get("sending") == 2:
            break
        await asyncio.sleep(0.01)
    runtime.delivery.disown("console")
    channel.gate.set()  # the send in flight finishes and is recorded
    await runtime.delivery.drain()
    await asyncio.sleep(0.1)
    assert len(channel.texts) == 1  # nothing after it started
    counts = await status_counts(runtime)
    assert counts["sent"] == 1 and counts["sending"] >= 1  # claimed: the next sender gives them back
    runtime.delivery.own("console")  # (here: this instance again)
    await runtime.delivery.drain()
    assert len(channel.texts) > 1
    assert await status_counts(runtime) == {"sent": 1 + counts["sending"]}


async def test_a_sender_whose_lock_connection_fails_stops_at_once(pg_url: str, runtime: Runtime) -> None:
    """PostgreSQL leases: the server ends the session holding the sender's lock (a network
    failure, a restart): the role is dropped and the delivery loop stops sending for it."""
    from storage.postgres.leases import PgLeases

    async def own() -> None:
        runtime.delivery.own("console")

    async def disown() -> None:
        runtime.delivery.disown("console")

    runtime.delivery.owned = set()
    leader = Leadership(PgLeases(pg_url, heartbeat=0.2), [Role("sender:console", own, disown)], retry=3600)
    await leader.start()
    try:
        assert leader.leading() == ["sender:console"] and runtime.delivery.sends_for("console")
        assert await terminate_sessions(pg_url, "feedbackbot leases") >= 1
        for _ in range(200):
            if not runtime.delivery.sends_for("console"):
                break
            await asyncio.sleep(0.02)
        assert not runtime.delivery.sends_for("console")
        assert leader.leading() == []
        assert await leader.take_free_roles() == ["sender:console"]  # a new connection, the role again
        assert runtime.delivery.sends_for("console")
    finally:
        await leader.stop()
