"""Setting up the staff group with privacy mode on (issue 14, item 14).

With privacy mode on (Telegram's default) a plain group message never reaches the bot, so
"send a message in the group and read getUpdates" finds nothing. What does reach it: the
``my_chat_member`` update when it is added to a group, and commands addressed to it
(``/start@yourbot``). The bot answers both with the group's id (a basic group's id has no
-100 prefix, a supergroup's has) and logs it, so the operator copies the exact number."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.telegram_helpers import STAFF_CHAT, BotUnderTest, bot_config, running_bot
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

WAIT = 30.0
OWNER = 501
BASIC_GROUP = -4801234567  # a new group: a basic group, no -100 prefix
SUPERGROUP = -1009876543210


@pytest.fixture
async def unconfigured(fake: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    """Telegram enabled, no staff_chat_id yet: the operator is at step 2 of the README."""
    config = bot_config(fake, telegram={"staff_chat_id": ""})
    assert not config.telegram.staff_chat_id
    async with running_bot(fake, tmp_path / "bot.db", config=config) as running:
        yield running


@pytest.fixture
async def configured(fake: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    async with running_bot(fake, tmp_path / "bot.db") as running:
        yield running


@pytest.mark.parametrize("group", [BASIC_GROUP, SUPERGROUP], ids=["basic-group", "supergroup"])
async def test_added_to_a_group_the_bot_says_its_id(
    unconfigured: BotUnderTest, fake: FakeTelegramAPI, caplog: pytest.LogCaptureFixture, group: int
) -> None:
    caplog.set_level(logging.INFO)
    fake.my_chat_member(OWNER, "left", "member", chat_id=group)
    [note] = await fake.wait_for_messages(group, 1, timeout=WAIT)
    assert f"This group's chat id is {group}." in note["text"]
    assert f"staff_chat_id = {group}" in note["text"]
    # The same in the log, at WARNING so the default log level shows it.
    logged = [r for r in caplog.records if f"staff_chat_id = {group}" in r.getMessage()]
    assert logged and logged[0].levelno == logging.WARNING


async def test_a_redelivered_membership_update_is_announced_once(
    unconfigured: BotUnderTest, fake: FakeTelegramAPI
) -> None:
    update = fake.my_chat_member(OWNER, "left", "administrator", chat_id=BASIC_GROUP)
    await fake.wait_for_messages(BASIC_GROUP, 1, timeout=WAIT)
    fake.requeue(update)
    fake.send_text(OWNER, f"/start@{fake.bot_user['username']}", chat_id=BASIC_GROUP)  # after the redelivery
    await fake.wait_for_messages(BASIC_GROUP, 2, timeout=WAIT)
    await unconfigured.runtime.delivery.drain(timeout=WAIT)
    texts = fake.texts(BASIC_GROUP)
    assert len(texts) == 2, texts


async def test_start_addressed_to_the_bot_in_a_group_answers_with_the_id(
    unconfigured: BotUnderTest, fake: FakeTelegramAPI
) -> None:
    """With privacy mode on, commands addressed to the bot are what reaches it in a group."""
    username = fake.bot_user["username"]
    fake.send_text(OWNER, f"/start@{username}", chat_id=BASIC_GROUP)
    [answer] = await fake.wait_for_messages(BASIC_GROUP, 1, timeout=WAIT)
    assert f"staff_chat_id = {BASIC_GROUP}" in answer["text"]


async def test_added_to_the_staff_group_the_bot_says_it_is_ready(
    configured: BotUnderTest, fake: FakeTelegramAPI
) -> None:
    fake.my_chat_member(OWNER, "left", "member", chat_id=STAFF_CHAT)
    [note] = await fake.wait_for_messages(STAFF_CHAT, 1, timeout=WAIT)
    assert "Feedback alerts will be posted here" in note["text"]
    assert "staff_chat_id =" not in note["text"]


async def test_another_group_is_not_told_how_to_become_the_staff_group(
    configured: BotUnderTest, fake: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """Once a staff chat is configured, a customer adding the bot to their own group gets no
    setup instructions there (it is only logged), and /start answers as before."""
    caplog.set_level(logging.INFO)
    fake.my_chat_member(OWNER, "left", "member", chat_id=BASIC_GROUP)
    fake.send_text(OWNER, f"/start@{fake.bot_user['username']}", chat_id=BASIC_GROUP)
    await fake.wait_for_messages(BASIC_GROUP, 1, timeout=WAIT)
    await configured.runtime.delivery.drain(timeout=WAIT)
    assert fake.texts(BASIC_GROUP) == ["Surveys run in a private chat. Please send me a direct message."]
    assert any(str(BASIC_GROUP) in r.getMessage() and "not the staff chat" in r.getMessage() for r in caplog.records)


async def test_removed_from_a_group_the_bot_says_nothing(unconfigured: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.my_chat_member(OWNER, "member", "left", chat_id=BASIC_GROUP)
    fake.my_chat_member(OWNER, "left", "member", chat_id=BASIC_GROUP)  # added again: one note, for this
    await fake.wait_for_messages(BASIC_GROUP, 1, timeout=WAIT)
    await unconfigured.runtime.delivery.drain(timeout=WAIT)
    assert len(fake.texts(BASIC_GROUP)) == 1


# -- feedbackbot telegram-chats: the id before the configuration is complete ----------------------------------------


async def telegram_chats(
    fake: FakeTelegramAPI, tmp_path: Path, *args: str, token: str | None = None
) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    # Nothing else configured yet: finding the staff chat is what this step is for.
    config.write_text(f'[telegram]\napi_base_url = "{fake.base_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "telegram-chats", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_telegram_chats_lists_the_groups_without_consuming_updates(
    fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    fake.send_text(1001, "hello")  # a customer's message: must still be there for the bot afterwards
    fake.my_chat_member(OWNER, "left", "member", chat_id=BASIC_GROUP)
    fake.send_text(OWNER, f"/start@{fake.bot_user['username']}", chat_id=SUPERGROUP)
    code, out, err = await telegram_chats(fake, tmp_path, "--wait", "0", token=fake.token)
    assert code == 0, err
    assert f"staff_chat_id = {BASIC_GROUP}    # basic group" in out
    assert f"staff_chat_id = {SUPERGROUP}    # supergroup" in out
    assert "1001" not in out  # private chats are not listed
    assert fake.pending_updates() == 3  # nothing confirmed


async def test_telegram_chats_says_what_to_do_when_it_finds_nothing(fake: FakeTelegramAPI, tmp_path: Path) -> None:
    code, out, _ = await telegram_chats(fake, tmp_path, "--wait", "0", token=fake.token)
    assert code == 1
    assert f"send /start@{fake.bot_user['username']} in it" in out


async def test_telegram_chats_needs_only_the_token(fake: FakeTelegramAPI, tmp_path: Path) -> None:
    code, _, err = await telegram_chats(fake, tmp_path, "--wait", "0")
    assert code == 2 and "TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err
    fake.webhook_url = "https://example.invalid/telegram/webhook"
    code, _, err = await telegram_chats(fake, tmp_path, "--wait", "0", token=fake.token)
    assert code == 1 and "a webhook is set" in err and "Traceback" not in err
