"""Telegram updates in: each update becomes at most one platform-neutral :class:`Inbound`.

The decision what to do with it belongs to the service, which is handed in as a plain callable so
this package never imports ``bot`` or ``storage``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    Bot,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    TelegramError,
)

from handlers.console import split_command
from handlers.telegram import PLATFORM
from handlers.telegram.commands import GROUP_COMMANDS, STAFF_COMMANDS
from handlers.telegram.directory import StaffDirectory
from handlers.telegram.render import TOAST_LIMIT, trim
from surveys import alerts, causes
from surveys.model import HandleResult, Inbound

log = logging.getLogger(__name__)


ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")


HandleFn = Callable[[Inbound], Awaitable[HandleResult]]


class TelegramUpdates:
    """The one PTB handler callback: update -> Inbound -> service -> callback answer.

    Every callback query is answered once, with the service's toast or with nothing, because an
    unanswered query leaves a spinner on the user's button for many seconds; a redelivered
    press (its event id already handled) is not answered again."""

    def __init__(self, handle: HandleFn, staff: StaffDirectory, *, answer_within: float = 3.0) -> None:
        self.handle = handle
        self.staff = staff
        self.answer_within = answer_within

    async def __call__(self, update: object, context: Any) -> None:
        if not isinstance(update, Update):
            return
        bot: Bot = context.bot
        query = update.callback_query
        inbound: Inbound | None = None
        toast: str | None = None
        answered = False
        try:
            inbound = await self.to_inbound(update, bot)
            if inbound is not None and query is None:
                await self.handle(inbound)
            elif inbound is not None and query is not None:
                # The toast comes from the service, but a slow turn (a busy database) must not
                # leave the spinner turning: past ``answer_within`` the query is answered without
                # text. The turn itself is still awaited here, so the chat's order holds.
                turn = asyncio.ensure_future(self.handle(inbound))
                try:
                    result = await asyncio.wait_for(asyncio.shield(turn), self.answer_within)
                    toast = result.toast
                    # A redelivered press was answered when it first came: a second answer would
                    # only earn a 400 ("query is too old") and cost a call.
                    answered = result.duplicate
                except TimeoutError:
                    answered = True
                    await self._answer(bot, query.id, None)
                    await turn
        except Exception:
            log.exception("handling Telegram update %s failed", update.update_id)
        finally:
            if query is not None and not answered:
                await self._answer(bot, query.id, toast)

    async def _answer(self, bot: Bot, query_id: str, toast: str | None) -> None:
        text = trim(toast, TOAST_LIMIT) if toast else None
        try:
            await bot.answer_callback_query(query_id, text=text)
        except BadRequest as exc:
            # A redelivered query was answered the first time; Telegram says "query is too old".
            log.debug("callback query not answered: %s", exc.message)
        except TelegramError as exc:
            log.warning("answering a callback query failed (%s)", type(exc).__name__)

    async def to_inbound(self, update: Update, bot: Bot) -> Inbound | None:
        """Thin translation; returns None for what the bot does not listen to."""
        if update.callback_query is not None:
            return await self._from_query(update, bot)
        if update.my_chat_member is not None:
            return self._from_membership(update)
        message = update.message
        if message is not None and message.migrate_to_chat_id:
            self.staff.moves.learn(str(message.chat.id), str(message.migrate_to_chat_id))
            return None
        if message is not None and message.migrate_from_chat_id:
            self.staff.moves.learn(str(message.migrate_from_chat_id), str(message.chat.id))
            return None
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        chat = message.chat
        user = message.from_user
        private = chat.type == ChatType.PRIVATE
        if chat.type == ChatType.CHANNEL:
            return None
        command = _command(message, bot)
        if command is _NOT_FOR_US:
            return None
        staff_chat = self.staff.is_staff_chat(chat.id)
        chat_id = int(self.staff.moves.original(str(chat.id)))  # a supergroup under its old id
        base = _base(f"telegram:msg:{chat.id}:{message.message_id}", user, chat_id, message.message_id, private)
        if isinstance(command, tuple):
            name, args = command
            if not private and name not in GROUP_COMMANDS and not (staff_chat and name in STAFF_COMMANDS):
                return None
            if not private and name == "start" and not self.staff.staff_chat_id:
                # Setting up: with privacy mode on, a command addressed to the bot is what reaches
                # it in a group, so /start@yourbot is how an operator asks for the group's id.
                _log_setup(chat.id, chat.type)
                return Inbound(**base, room_setup="unconfigured")
            is_staff = name in STAFF_COMMANDS and await self.staff.is_staff(bot, user.id)
            return Inbound(**base, command=name, args=args, is_staff=is_staff)
        text = message.text if message.text is not None else (message.caption or "")
        if private:
            # Stickers, voice notes and photos without a caption arrive as empty text, so the
            # survey can say "that looks empty" instead of staying silent.
            return Inbound(**base, text=text)
        if not staff_chat or not text:
            return None
        # Staff group: a reply to one of the bot's messages (an alert) or, after pressing Reply,
        # the next message. The service relays what belongs to an alert and ignores chatter.
        replied = message.reply_to_message
        reply_to = None
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            reply_to = str(replied.message_id)
        is_staff = await self.staff.is_staff(bot, user.id)
        return Inbound(**base, text=text, reply_to_message_id=reply_to, is_staff=is_staff)

    async def _from_query(self, update: Update, bot: Bot) -> Inbound | None:
        query = update.callback_query
        assert query is not None
        if query.data is None:
            return None
        user = query.from_user
        origin = query.message
        chat_id = int(self.staff.moves.original(str(origin.chat.id))) if origin is not None else user.id
        private = origin is None or origin.chat.type == ChatType.PRIVATE
        is_staff = False
        if query.data.startswith((f"{alerts.ACTION_PREFIX}:", f"{causes.CAUSE_PREFIX}:")):
            is_staff = await self.staff.is_staff(bot, user.id)
        base = _base(f"telegram:cb:{query.id}", user, chat_id, origin.message_id if origin else None, private)
        return Inbound(**base, button=query.data, is_staff=is_staff)


    def _from_membership(self, update: Update) -> Inbound | None:
        """The bot was added to a group (``my_chat_member``, which Telegram sends whatever
        the privacy mode): in the staff chat it says it is ready; with no staff chat
        configured it tells the group its id. Any other change is only logged."""
        change = update.my_chat_member
        assert change is not None
        chat = change.chat
        joined = change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR) and (
            change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        )
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or not joined:
            _note_membership(update)
            return None
        if self.staff.is_staff_chat(chat.id):
            setup = "ready"
            log.info("the bot was added to the staff chat %s", chat.id)
        elif not self.staff.staff_chat_id:
            setup = "unconfigured"
            _log_setup(chat.id, chat.type)
        else:
            log.info(
                "the bot was added to the Telegram %s %s, which is not the staff chat (%s)",
                chat.type,
                chat.id,
                self.staff.staff_chat_id,
            )
            return None
        user = change.from_user
        base = _base(f"telegram:member:{update.update_id}", user, chat.id, None, False)
        return Inbound(**base, room_setup=setup)


def _log_setup(chat_id: int, chat_type: str) -> None:
    kind = "basic group" if chat_type == ChatType.GROUP else chat_type
    log.warning(
        "the bot is in the Telegram %s %s; to post alerts there, set [telegram] staff_chat_id = %s",
        kind,
        chat_id,
        chat_id,
    )


_NOT_FOR_US = object()


def _command(message: Message, bot: Bot) -> tuple[str, str] | object | None:
    """A command as (name, args); ``_NOT_FOR_US`` when addressed to another bot; None for text.

    Like PTB, only a ``bot_command`` entity at offset 0 makes a command, so a customer typing
    "/5" as a score without the entity is still read as text."""
    text = message.text
    if not text or not any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in message.entities):
        return None
    words = text.split(maxsplit=1)
    if not words:
        return None  # a command entity over whitespace: not a command we can read
    head = words[0]
    if "@" in head:
        addressee = head.split("@", 1)[1].lower()
        if addressee != (bot.username or "").lower():
            return _NOT_FOR_US
    return split_command(text)


def _base(event_id: str, user: User, chat_id: int, message_id: int | None, private: bool) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "platform": PLATFORM,
        "user_id": str(user.id),
        "chat_id": str(chat_id),
        "display_name": user.full_name,
        "handle": user.username or "",
        "language": user.language_code,
        "message_id": str(message_id) if message_id is not None else None,
        "is_private": private,
    }


def _note_membership(update: Update) -> None:
    """A private chat member update to "kicked" means the user blocked the bot. The delivery
    loop learns the same from the 403 of the next send (and marks the person unreachable), so
    this is only logged."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if change.chat.type == ChatType.PRIVATE and status == ChatMemberStatus.BANNED:
        log.info("a Telegram user blocked the bot")
    elif change.chat.type != ChatType.PRIVATE:
        log.info("the bot's membership in a Telegram %s changed to %s", change.chat.type, status)


def update_chat_key(update: object) -> tuple[str, int] | None:
    """The conversation an update belongs to, for in-order processing (None: no ordering needed)."""
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return ("chat", chat.id)
    user = update.effective_user
    return ("user", user.id) if user is not None else None
