"""Polling under load: updates that keep arriving come in batches, not one poll each, and
every batch is in the inbox before the bot handles it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.telegram_helpers import running_bot
from tests.fakes.telegram_fixtures import running_fake_telegram

WAIT = 30.0


async def test_updates_arriving_one_by_one_come_in_far_fewer_polls(tmp_path: Path) -> None:
    """A long poll answers as soon as anything is waiting, so a bot that polls again at once
    made one getUpdates per update while updates kept coming (issue 21). Now a poll after a
    small batch waits until the next gathering window, and takes all that arrived meanwhile."""
    n = 60
    async with running_fake_telegram() as fake, running_bot(fake, tmp_path / "bot.db") as bot:
        await fake.wait_for(lambda f: len(f.calls_to("getUpdates")) >= 1, timeout=WAIT)
        polls_before = len(fake.calls_to("getUpdates"))
        for i in range(n):
            fake.send_text(5000 + i, "/help")
            await asyncio.sleep(0.01)  # one every 10 ms or more: far faster than they are answered
        for i in range(n):
            await fake.wait_for_messages(5000 + i, 1, timeout=WAIT)
        polls = len(fake.calls_to("getUpdates")) - polls_before
        kept = await bot.runtime.store.inbox_recent("telegram", 0.0)
    assert polls < n / 3, f"{polls} polls for {n} updates"
    assert len(kept) == n  # every batch went to the inbox before it was handled
