"""Bounded memory: the in-process tables are sized by what is in flight or by a fixed count,
never by the number of customers the bot has seen."""

from __future__ import annotations

import asyncio
import itertools

from bot.bootstrap.runtime import Runtime
from bot.delivery.outbox import REMEMBERED
from surveys.model import Destination, Inbound, OutMessage
from tests.fakes.channel import RecordingChannel

_ids = itertools.count()


def say(user: str, command: str) -> Inbound:
    return Inbound(f"m{next(_ids)}", "console", user, user, command=command)


async def test_conversation_locks_go_when_their_turns_are_done(runtime: Runtime) -> None:
    service = runtime.service
    turns = [service.handle(say(f"u{i}", "help")) for i in range(300)]
    turns += [service.handle(say("u7", "help")) for _ in range(5)]  # several waiting on one chat
    await asyncio.gather(*turns)
    assert service.conversations_in_progress == 0


async def test_delivery_remembers_a_fixed_number_of_messages(runtime: Runtime) -> None:
    channel = RecordingChannel(id_prefix="m")
    runtime.add_channel(channel)
    runtime.start_delivery()
    n = REMEMBERED + 300
    async with runtime.store.transaction() as tx:
        await tx.enqueue(
            [OutMessage(Destination("console", f"c{i}"), "hello", ref_key=f"question:{i}") for i in range(n)], 0.0
        )
    runtime.delivery.wake()
    await runtime.delivery.drain(timeout=120)
    async with runtime.store.transaction() as tx:
        await tx.enqueue(
            [OutMessage(Destination("console", f"c{i}"), "edited", edit_of=f"question:{i}") for i in range(n)], 0.0
        )
    runtime.delivery.wake()
    await runtime.delivery.drain(timeout=120)
    assert len(channel.edits) == n  # the oldest were looked up in the table, not forgotten
    assert len(runtime.delivery._sent_refs) <= REMEMBERED
    assert len(runtime.delivery._last_edits) <= REMEMBERED
