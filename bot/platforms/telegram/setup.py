"""``feedbackbot telegram-chats``: which Telegram groups the bot is in, with the exact id to
put in ``[telegram] staff_chat_id``.

It is step 2 of setting up Telegram, before the configuration is complete, so it needs only
``TELEGRAM_BOT_TOKEN`` (and ``[telegram] api_base_url`` when the file sets one). It reads the
updates Telegram holds for the bot without confirming them, so nothing a customer sent is
lost. With privacy mode on (the default) a plain group message never reaches a bot; what
does is the ``my_chat_member`` update when the bot is added, and commands addressed to it
(``/start@yourbot``). A basic group's id is a plain negative number, a supergroup's starts
with -100: the id is printed exactly as Telegram gives it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, TextIO

from telegram import Bot, Chat, Update
from telegram.error import Conflict, InvalidToken, TelegramError

from handlers.telegram.inbound import ALLOWED_UPDATES

DEFAULT_API = "https://api.telegram.org/bot"


def api_base_url(config_path: Path) -> str:
    """``[telegram] api_base_url`` from the file, read without validating the rest (the
    staff chat this command helps to find is usually what is still missing)."""
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return DEFAULT_API
    section = data.get("telegram")
    url = section.get("api_base_url") if isinstance(section, dict) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else DEFAULT_API


def groups_in(updates: list[Update]) -> dict[int, Chat]:
    """Every group and supergroup the updates mention, in order of first appearance."""
    found: dict[int, Chat] = {}
    for update in updates:
        candidates: list[Any] = [update.effective_chat]
        if update.my_chat_member is not None:
            candidates.append(update.my_chat_member.chat)
        for chat in candidates:
            if isinstance(chat, Chat) and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
                found.setdefault(chat.id, chat)
    return found


async def list_groups(token: str, base_url: str, wait: float, out: TextIO, err: TextIO) -> int:
    """Print the groups and return an exit code: 0 found some, 1 none (or Telegram refused)."""
    try:
        async with Bot(token, base_url=base_url) as bot:
            # No offset: nothing is confirmed, so a running bot (later) still gets every update.
            updates = list(await bot.get_updates(timeout=int(wait), allowed_updates=list(ALLOWED_UPDATES)))
            username = bot.username
    except InvalidToken:
        err.write("feedbackbot: Telegram rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather\n")
        return 2
    except Conflict:
        err.write(
            "feedbackbot: Telegram will not hand out updates now: a webhook is set for this bot, or another "
            "process (a running feedbackbot) is polling it. Stop it, or use the note the running bot posts "
            "in a group it is added to.\n"
        )
        return 1
    except TelegramError as exc:
        err.write(f"feedbackbot: cannot reach Telegram ({type(exc).__name__}: {exc})\n")
        return 1
    groups = groups_in(updates)
    if not groups:
        out.write(
            f"No group found in the updates Telegram holds for @{username}. Add the bot to your staff "
            f"group (or send /start@{username} in it, if it is there already), then run this again "
            "within 24 hours.\n"
        )
        return 1
    out.write(f"Groups @{username} is in (set one as [telegram] staff_chat_id):\n")
    for chat_id, chat in groups.items():
        kind = "basic group" if chat.type == Chat.GROUP else "supergroup"
        title = (chat.title or "").replace("\n", " ")[:80]
        out.write(f"  staff_chat_id = {chat_id}    # {kind} \u201c{title}\u201d\n")
    return 0


def token_from_env() -> str:
    return os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
