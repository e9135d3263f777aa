"""An in-process recording channel: a ``handlers.base.Channel`` for tests that drive the runtime
without a platform fake server (delivery, erasure, pruning, alerts).

It records every send and edit in order, gives each sent message an id (as a platform would, so
edits, replies and alert copies resolve), and fails on demand: the errors in ``failures`` are
raised one per call, first in first out, and ``down`` is raised by every call while it is set
(an outage)."""

from __future__ import annotations

from dataclasses import dataclass

from surveys.model import OutMessage


@dataclass(frozen=True)
class Sent:
    message_id: str
    message: OutMessage
    reply_to: str | None

    @property
    def chat_id(self) -> str:
        return self.message.to.chat_id

    @property
    def text(self) -> str:
        return self.message.text


@dataclass(frozen=True)
class Edit:
    chat_id: str
    message_id: str
    message: OutMessage

    @property
    def text(self) -> str:
        return self.message.text


class RecordingChannel:
    def __init__(self, platform: str = "console", *, id_prefix: str = "", first_id: int = 1) -> None:
        self.platform = platform
        self.id_prefix = id_prefix
        self.first_id = first_id
        self.sent: list[Sent] = []
        self.edits: list[Edit] = []
        self.history: list[OutMessage] = []  # every message sent or edited to, in order
        self.failures: list[Exception] = []
        self.down: Exception | None = None

    def _fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)
        if self.down is not None:
            raise self.down

    async def send(self, message: OutMessage, reply_to: str | None) -> str:
        self._fail()
        message_id = f"{self.id_prefix}{self.first_id + len(self.sent)}"
        self.sent.append(Sent(message_id, message, reply_to))
        self.history.append(message)
        return message_id

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        self._fail()
        self.edits.append(Edit(chat_id, message_id, message))
        self.history.append(message)

    def by_id(self) -> dict[str, OutMessage]:
        """Sent messages by the id they were given."""
        return {s.message_id: s.message for s in self.sent}
