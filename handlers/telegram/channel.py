"""Telegram out: :class:`TelegramChannel`, the ``handlers.base.Channel`` that sends and edits
rendered messages through the Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    TelegramError,
)
from telegram.warnings import PTBUserWarning

from handlers.base import PermanentError, TransientError
from handlers.telegram import PLATFORM
from handlers.telegram.directory import ChatMoves, chat_ref
from handlers.telegram.errors import moved_to, translate_error
from handlers.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, keyboard, render_chunks
from surveys.model import OutMessage

# Sends go through ``Bot.do_api_request`` on purpose (see TelegramChannel._post_for_id); PTB
# suggests the typed method each time. Only for calls made from this module.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning, module=__name__)


PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})


class TelegramChannel:
    """handlers.base.Channel for Telegram.

    Sends wait (briefly) until the bot is started and fail as transient once it is stopping, so
    outbox rows found before startup or during shutdown stay pending instead of going through a
    closed HTTP client."""

    platform = PLATFORM

    def __init__(self, bot: Bot, *, startup_wait: float = 30.0, moves: ChatMoves | None = None) -> None:
        self.bot = bot
        self.startup_wait = startup_wait
        self.moves = moves or ChatMoves()
        self._open = asyncio.Event()
        self._closing = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def open(self) -> None:
        self._closing = False
        self._open.set()

    async def close(self, timeout: float = 5.0) -> None:
        """Refuse new sends and wait for those under way, so none is cut off half-recorded."""
        self._closing = True
        self._open.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    @contextlib.asynccontextmanager
    async def _using(self) -> AsyncIterator[None]:
        if self._closing:
            raise TransientError("the Telegram channel is stopping")
        if not self._open.is_set():
            try:
                await asyncio.wait_for(self._open.wait(), self.startup_wait)
            except TimeoutError:
                raise TransientError("the Telegram channel is not started") from None
        self._inflight += 1
        self._idle.clear()
        try:
            yield
        except TelegramError as exc:
            raise translate_error(exc) from exc
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def send(self, message: OutMessage, reply_to: str | None) -> str | None:
        try:
            return await self._send(message, reply_to)
        except Exception as exc:
            moved = moved_to(exc)
            if moved is None:
                raise
            self.moves.learn(message.to.chat_id, moved)
            return await self._send(message, reply_to)  # once, to the supergroup

    async def _send(self, message: OutMessage, reply_to: str | None) -> str | None:
        chat = chat_ref(self.moves.current(message.to.chat_id))
        markup = keyboard(message.choices)
        reply = None
        if reply_to and reply_to.isdigit():
            reply = ReplyParameters(int(reply_to), allow_sending_without_reply=True)
        async with self._using():
            if message.attachment:
                return await self._send_file(chat, message, markup, reply)
            chunks = render_chunks(message)
            if not chunks:
                raise PermanentError("nothing to send: the message has no text")
            return await self._send_texts(chat, chunks, markup, reply)

    async def _send_texts(
        self, chat: int | str, chunks: list[str], markup: dict[str, Any] | None, reply: ReplyParameters | None
    ) -> str:
        """Long texts go out as consecutive messages; the keyboard rides on the last one, which
        is therefore the one whose id is returned (it is the one to edit later)."""
        sent_id = ""
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent_id = await self._post_for_id(
                "sendMessage",
                {
                    "chat_id": chat,
                    "text": chunk,
                    "parse_mode": ParseMode.HTML,
                    "reply_markup": markup if last else None,
                    "reply_parameters": reply if index == 0 else None,
                },
            )
        return sent_id

    async def _post_for_id(self, method: str, data: dict[str, Any]) -> str:
        """Call ``method`` through PTB's documented ``do_api_request`` (its serialisation, errors
        and retries of the transport) but keep only the new message's id. PTB's ``send_message`` turns the
        answer into a full Message, keyboard included, which measured about a tenth of the
        CPU of a survey turn; the delivery loop needs nothing from it but the id."""
        result = await self.bot.do_api_request(method, data)
        if isinstance(result, dict) and "message_id" in result:
            return str(result["message_id"])
        raise TelegramError(f"{method} answered without a message id")

    async def _send_file(
        self, chat: int | str, message: OutMessage, markup: dict[str, Any] | None, reply: ReplyParameters | None
    ) -> str:
        path = Path(message.attachment or "")
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PermanentError(f"attachment {path.name!r} cannot be read ({exc.strerror})") from None
        photo = path.suffix.lower() in PHOTO_SUFFIXES
        chunks = render_chunks(message, first_limit=CAPTION_LIMIT)
        caption = chunks[0] if chunks else None
        rest = chunks[1:]
        file_markup = markup if not rest else None
        common: dict[str, Any] = {
            "caption": caption,
            "parse_mode": ParseMode.HTML,
            "reply_markup": InlineKeyboardMarkup.de_json(file_markup, self.bot) if file_markup else None,
            "reply_parameters": reply,
            "filename": path.name,
        }
        if photo:
            sent = await self.bot.send_photo(chat, data, **common)
        else:
            sent = await self.bot.send_document(chat, data, **common)
        if not rest:
            return str(sent.message_id)
        return await self._send_texts(chat, rest, markup, None)

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        try:
            await self._edit(message, chat_id, message_id)
        except Exception as exc:
            moved = moved_to(exc)
            if moved is None:
                raise
            self.moves.learn(chat_id, moved)
            await self._edit(message, chat_id, message_id)

    async def _edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        chat_id = self.moves.current(chat_id)
        limit = CAPTION_LIMIT if message.attachment else TEXT_LIMIT
        chunks = render_chunks(message, first_limit=limit)
        if not chunks:
            raise PermanentError("nothing to edit to: the message has no text")
        text = chunks[0]
        if len(chunks) > 1:
            # An edit cannot add messages: keep the first part (with room for the ellipsis).
            text = render_chunks(message, first_limit=limit - 2)[0] + "\n\u2026"
        target: dict[str, Any] = {
            "chat_id": chat_ref(chat_id),
            "message_id": int(message_id),
            "parse_mode": ParseMode.HTML,
            "reply_markup": keyboard(message.choices),
        }
        async with self._using():
            try:
                if message.attachment:  # a photo or document: its caption is the text
                    await self.bot.edit_message_caption(caption=text, **target)
                else:
                    await self.bot.do_api_request("editMessageText", {"text": text, **target})  # answer not needed
            except BadRequest as exc:
                if "message is not modified" in exc.message.lower():
                    return  # already showing exactly this: a repeated edit after a retry
                raise
