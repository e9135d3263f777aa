"""A Telegram staff group upgraded to a supergroup (issue 20, item 8): its id changes; alerts
keep reaching the staff at the new id (the migrate_to_chat_id update, or the 400 Telegram
answers for the old id, teaches the bot), staff there can still act, and the log says so."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.e2e.telegram_helpers import STAFF_CHAT, button_data, running_bot
from tests.fakes.telegram_api import FakeTelegramAPI

WAIT = 20.0
NEW_STAFF_CHAT = -1009999999999
STAFF_MEMBER = 555


async def _detractor(tg: FakeTelegramAPI, user: int) -> None:
    tg.send_text(user, "/feedback")
    await tg.wait_for(lambda f: len(f.messages(user)) >= 1, timeout=WAIT)
    tg.send_text(user, "1")
    await tg.wait_for(lambda f: len(f.messages(user)) >= 2, timeout=WAIT)


@pytest.mark.parametrize("told", [True, False], ids=["update", "error-only"])
async def test_alerts_follow_the_staff_group_to_its_supergroup(
    tmp_path: Path, told: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with FakeTelegramAPI() as tg, running_bot(tg, tmp_path / "bot.db") as bot:
        tg.set_member(STAFF_CHAT, STAFF_MEMBER, "member")
        tg.migrate_group(STAFF_CHAT, NEW_STAFF_CHAT, queue_update=told)
        await _detractor(tg, 4001)
        await tg.wait_for(lambda f: len(f.messages(NEW_STAFF_CHAT)) == 1, timeout=WAIT)
        await bot.runtime.delivery.drain(WAIT)
        assert await bot.outbox_statuses(STAFF_CHAT) == ["sent"], "delivered, not dead"
        assert str(NEW_STAFF_CHAT) in caplog.text and "supergroup" in caplog.text

        # Staff in the supergroup can act on it.
        [alert] = tg.messages(NEW_STAFF_CHAT)
        tg.press(STAFF_MEMBER, button_data(alert, "Claim"), alert["message_id"], chat_id=NEW_STAFF_CHAT,
                 first_name="Greta")
        await tg.wait_for(lambda f: "Claimed by Greta" in f.messages(NEW_STAFF_CHAT)[0]["text"], timeout=WAIT)
        # And a reply to the alert there reaches the customer.
        tg.send_text(STAFF_MEMBER, "We're on it", chat_id=NEW_STAFF_CHAT, first_name="Greta",
                     reply_to_message_id=alert["message_id"])
        await tg.wait_for(lambda f: any("We're on it" in (m.get("text") or "") for m in f.messages(4001)),
                          timeout=WAIT)
