"""The outbox delivery loop against a scripted channel: outages, 429s, blocked users,
ordering, and nothing sent twice. The clock is the test's, so retries need no sleeping."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from collections.abc import Callable

import pytest

from bot.bootstrap.runtime import Runtime
from bot.delivery.outbox import SendWindow
from handlers.base import PermanentError, RetryLater, TransientError, Unreachable
from surveys.model import Destination, Inbound, OutMessage
from tests import reads
from tests.conftest import Clock
from tests.fakes.channel import RecordingChannel

_ids = itertools.count()




def say(user: str, text: str | None = None, command: str | None = None) -> Inbound:
    return Inbound(f"d{next(_ids)}", "console", user, user, text=text, command=command)


async def settle(runtime: Runtime, clock: Clock, seconds: float = 0) -> None:
    clock.advance(seconds)
    runtime.delivery.wake()
    await runtime.delivery.drain()


async def status_counts(runtime: Runtime) -> dict[str, int]:
    return dict(Counter(row["status"] for row in await reads.outbox(runtime.store)))


async def test_outage_then_recovery_delivers_everything_once_in_order(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()
    channel.failures = [TransientError("502")] * 3
    await runtime.service.handle(say("a", command="feedback"))
    await runtime.service.handle(say("a", "2"))
    await runtime.service.handle(say("a", "awful, just awful"))
    await runtime.settle_scoring()  # the comment's sentiment, written back after its commit
    for _ in range(6):  # backoff 0.5, 1, 2 s ... on the test's clock
        await settle(runtime, clock, 5)
    texts = [s.text for s in channel.sent if s.chat_id == "a"]
    assert len(texts) == 3 and "recommend" in texts[0] and "went wrong" in texts[1] and "Thank you" in texts[2]
    assert len([s.text for s in channel.sent if s.chat_id == "staff"]) == 1  # the alert, once
    # The alert updated with the comment, then with its sentiment (a typed score leaves the question).
    assert len(channel.edits) == 2
    assert await status_counts(runtime) == {"sent": 6}


async def test_rate_limit_holds_the_platform_for_retry_after(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()
    channel.failures = [RetryLater(30)]
    await runtime.service.handle(say("b", command="feedback"))
    await settle(runtime, clock)
    assert channel.sent == []
    await settle(runtime, clock, 29)
    assert channel.sent == []
    await settle(runtime, clock, 2)
    assert len(channel.sent) == 1


async def test_blocked_user_is_marked_unreachable_and_not_retried(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()
    channel.failures = [Unreachable("bot was blocked by the user")]
    await runtime.service.handle(say("c", command="feedback"))
    await runtime.service.handle(say("c", command="help"))
    await settle(runtime, clock, 120)
    assert channel.sent == []
    async with runtime.store.transaction() as tx:
        person = await tx.respondent("console", "c")
    assert person is not None and person.unreachable
    assert await status_counts(runtime) == {"dead": 2}


async def test_permanent_error_drops_only_that_message(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()
    channel.failures = [PermanentError("message too long")]
    await runtime.service.handle(say("d", command="help"))
    await runtime.service.handle(say("d", command="feedback"))
    await settle(runtime, clock, 1)
    assert len(channel.sent) == 1 and "recommend" in channel.sent[0].text


async def test_an_edit_of_an_unknown_message_is_dropped_quietly(
    runtime: Runtime, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """E.g. a tap on a keyboard so old that retention removed its question's row: the edit is
    moot. It is recorded as failed, logged at INFO, and the chat's next message still goes."""
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()
    here = Destination("console", "f")
    async with runtime.store.transaction() as tx:
        await tx.enqueue([OutMessage(here, "Your answer: 8/10", edit_of="question:gone"), OutMessage(here, "next")], 0)
    with caplog.at_level(logging.INFO, logger="bot.delivery.outbox"):
        await settle(runtime, clock)
    assert channel.edits == [] and [(s.chat_id, s.text) for s in channel.sent] == [("f", "next")]
    assert await status_counts(runtime) == {"dead": 1, "sent": 1}
    assert [r.levelname for r in caplog.records if "was never sent or is gone" in r.getMessage()] == ["INFO"]


async def test_pending_messages_survive_a_restart(runtime: Runtime, clock: Clock, tmp_path: object) -> None:
    await runtime.service.handle(say("e", command="feedback"))  # committed, never sent: no channel yet
    path = runtime.store.path
    await runtime.close()
    again = await Runtime.open(runtime.config, clock=clock, db_path=path)
    channel = RecordingChannel()
    again.add_channel(channel)
    again.start_delivery()
    await again.delivery.drain()
    assert len(channel.sent) == 1
    await again.close()
    runtime.tasks.clear()
    runtime.store = await type(runtime.store).open(path)  # the fixture closes it again


async def until(runtime: Runtime, done: Callable[[], bool], turns: int = 400) -> bool:
    """Let the loop run until ``done`` (a paused platform never drains, so no ``drain``)."""
    for _ in range(turns):
        if done():
            return True
        runtime.delivery.wake()
        await asyncio.sleep(0.005)
    return done()


def paced(runtime: Runtime, clock: Clock) -> None:
    """Pace the console like Telegram, on the test's clock (it has no pacer of its own)."""
    runtime.delivery.pacers["console"] = SendWindow(30, clock=clock)


async def test_a_429_for_a_chat_sent_nothing_recently_pauses_every_chat(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel()
    runtime.add_channel(channel)
    paced(runtime, clock)
    runtime.start_delivery()
    channel.failures = [RetryLater(30)]
    await runtime.service.handle(say("p", command="feedback"))
    assert await until(runtime, lambda: not channel.failures)  # the 429 came back
    await runtime.service.handle(say("q", command="feedback"))
    assert not await until(runtime, lambda: bool(channel.sent), turns=20)  # the platform said wait
    clock.advance(31)
    assert await until(runtime, lambda: len(channel.sent) == 2)
    assert sorted(s.chat_id for s in channel.sent) == ["p", "q"]


async def test_a_429_for_a_chat_just_sent_to_holds_only_that_chat(runtime: Runtime, clock: Clock) -> None:
    channel = RecordingChannel()
    runtime.add_channel(channel)
    paced(runtime, clock)
    runtime.start_delivery()
    await runtime.service.handle(say("r", command="feedback"))
    assert await until(runtime, lambda: len(channel.sent) == 1)
    channel.failures = [RetryLater(30)]
    await runtime.service.handle(say("r", "9"))  # its next message gets the 429: the per-chat limit
    assert await until(runtime, lambda: not channel.failures)
    clock.advance(0.1)  # the pacer's even spacing, on the test's clock
    await runtime.service.handle(say("s", command="feedback"))
    assert await until(runtime, lambda: any(s.chat_id == "s" for s in channel.sent))
    assert [s.chat_id for s in channel.sent] == ["r", "s"] and channel.edits == []
    clock.advance(31)  # r's held message goes after its retry_after
    assert await until(runtime, lambda: len(channel.sent) + len(channel.edits) > 2)


async def test_a_lower_id_committed_after_a_higher_one_is_still_delivered(runtime: Runtime, clock: Clock) -> None:
    """Ids are handed out when a row is inserted but seen when it commits; on PostgreSQL a lower
    id can commit after a higher one. Rows are claimed by status, not read above the last id seen,
    so the late one is still sent."""
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()

    async def commit_row(row_id: int, chat: str, text: str) -> None:
        await reads.outbox_row_with_id(runtime.store, row_id, OutMessage(Destination("console", chat), text), clock.now)

    await commit_row(20, "b", "higher id, committed first")
    await settle(runtime, clock)
    assert [(s.chat_id, s.text) for s in channel.sent] == [("b", "higher id, committed first")]
    await commit_row(10, "a", "lower id, committed later")
    await settle(runtime, clock)
    assert [(s.chat_id, s.text) for s in channel.sent] == [
        ("b", "higher id, committed first"),
        ("a", "lower id, committed later"),
    ]


async def test_messages_claimed_by_a_run_that_stopped_are_sent_by_the_next(runtime: Runtime, clock: Clock) -> None:
    """A claimed row (status ``sending``) that its run never sent is given back at the next start."""
    await runtime.service.handle(say("a", command="feedback"))
    assert [row.chat_id for row in await runtime.store.claim_pending()] == ["a"]  # as a run that then died
    assert await runtime.store.claim_pending() == []
    channel = RecordingChannel()
    runtime.add_channel(channel)
    runtime.start_delivery()
    await settle(runtime, clock)
    assert [s.chat_id for s in channel.sent] == ["a"]
