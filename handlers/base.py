"""The small outbound interface every channel implements, and the errors it may raise.

The delivery loop only ever sees these: each adapter translates its SDK's exceptions
into them, so retry policy lives in one place for every platform."""

from __future__ import annotations

from typing import Protocol

from surveys.model import OutMessage


class DeliveryError(Exception):
    """Base class: something stopped a message from being delivered."""


class RetryLater(DeliveryError):
    """The platform asked us to slow down (HTTP 429): wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float, detail: str = "") -> None:
        super().__init__(detail or f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """Network trouble or a 5xx: try again with backoff."""


class Unreachable(DeliveryError):
    """The person blocked the bot or no longer exists: never retry, stop contacting them."""


class PermanentError(DeliveryError):
    """The request itself is wrong (bad chat id, message gone): retrying cannot help."""


class Channel(Protocol):
    """What the delivery loop needs from a platform."""

    platform: str

    async def send(self, message: OutMessage, reply_to: str | None) -> str | None:
        """Send a new message (``reply_to`` is a platform message id to reply or thread
        under); return the platform's id for it, so it can be edited later."""
        ...

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        """Replace the text and buttons of a message sent earlier."""
        ...
