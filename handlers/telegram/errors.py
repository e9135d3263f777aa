"""python-telegram-bot's errors as the four :mod:`handlers.base` errors the delivery loop
understands (its retry policy lives there, once)."""

from __future__ import annotations

import datetime as dtm
import warnings
from typing import Any

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from handlers.base import PermanentError, RetryLater, TransientError, Unreachable


def _retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` is seconds today and a timedelta in PTB's next major version (or with
    ``PTB_TIMEDELTA`` set); either way, its public attribute."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        raw: Any = exc.retry_after
    return raw.total_seconds() if isinstance(raw, dtm.timedelta) else float(raw)


def moved_to(exc: BaseException) -> str | None:
    """The supergroup's id when ``exc`` is (or was translated from) Telegram's "the group was
    upgraded" answer."""
    cause = exc if isinstance(exc, ChatMigrated) else exc.__cause__
    return str(cause.new_chat_id) if isinstance(cause, ChatMigrated) else None


def translate_error(exc: TelegramError) -> Exception:
    """Telegram's errors as the delivery loop's errors: retry policy lives there, once."""
    if isinstance(exc, RetryAfter):
        return RetryLater(_retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Unreachable(exc.message)
    if isinstance(exc, ChatMigrated):
        return PermanentError(f"the group became a supergroup; use chat id {exc.new_chat_id}")
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is a subclass of it
        if "chat not found" in exc.message.lower() or "user is deactivated" in exc.message.lower():
            return Unreachable(exc.message)
        return PermanentError(exc.message)
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return TransientError(f"{type(exc).__name__}: {exc.message}")
    # InvalidToken, Conflict and the like: an operator problem, so keep the message for later.
    return TransientError(f"{type(exc).__name__}: {exc.message}")
