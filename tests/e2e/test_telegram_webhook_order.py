"""A Telegram webhook is answered only after its turn committed.

The Bot API sends a chat's next update only after a 2xx for the previous one. Answering after
the commit (not on receipt) is what keeps a chat's updates in order when several instances
share the webhook behind a load balancer, and what lets a failed turn be sent again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.e2e.telegram_helpers import WEBHOOK_SECRET, bot_config, running_bot
from tests.fakes.telegram_api import FakeTelegramAPI

WAIT = 10.0


async def test_webhook_answers_after_the_turn_commits(fake: FakeTelegramAPI, tmp_path: Path) -> None:
    cfg = bot_config(
        fake,
        telegram={"mode": "webhook", "webhook_url": "https://bot.example.com/telegram/webhook"},
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    async with running_bot(fake, tmp_path / "bot.db", config=cfg) as bot:
        assert bot.runtime.http is not None
        url = f"http://127.0.0.1:{bot.runtime.http.ports[0]}/telegram/webhook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with aiohttp.ClientSession() as session:

            async def deliver(update: dict[str, object]) -> int:
                async with session.post(url, json=update, headers=headers) as response:
                    return response.status

            assert await deliver(fake.send_text(601, "/feedback")) == 200
            await fake.wait_for_messages(601, 1, timeout=WAIT)
            # The database is busy (another writer holds it; on PostgreSQL, where writers do not
            # wait for each other, it holds this chat's turn lock): the turn cannot commit, so
            # the webhook must not have been answered yet.
            async with bot.runtime.store.transaction() as tx:
                hold_chat = getattr(tx, "lock_conversation", None)
                if hold_chat is not None:
                    await hold_chat("telegram", "601")
                pending = asyncio.create_task(deliver(fake.send_text(601, "4")))
                await asyncio.sleep(0.5)
                assert not pending.done()
            assert await asyncio.wait_for(pending, WAIT) == 200
            # Answered: the score is already stored, before anything else happens.
            [response] = await bot.responses()
            assert response["score"] == 4
