"""Platform-neutral values that flow between the adapters, the service and the engine.

Everything here is plain data so that the engine stays pure and the storage layer can
serialise any of it to JSON for the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    TELEGRAM = "telegram"
    SLACK = "slack"
    CONSOLE = "console"


@dataclass(frozen=True)
class Destination:
    """Where a message goes: a chat on one platform, optionally inside a thread."""

    platform: str
    chat_id: str
    thread_ref: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Destination:
        """Parse ``platform:chat_id`` as written in the configuration."""
        platform, sep, chat = spec.partition(":")
        if not sep or not chat or platform not in {p.value for p in Platform}:
            raise ValueError(f"expected 'telegram:<chat id>', 'slack:<channel id>' or 'console:<name>', got {spec!r}")
        return cls(platform, chat)

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class Choice:
    """A button. ``text_equivalent`` is what a customer may type instead, so channels
    without buttons (the console, a screen reader, a user who prefers typing) lose nothing."""

    label: str
    value: str
    text_equivalent: str


@dataclass(frozen=True)
class Block:
    """One piece of a rich message (alerts, digests). Adapters render each kind with the
    platform's own markup and escaping; the domain never writes markup itself."""

    kind: str  # "heading" | "text" | "field" | "quote" | "context" | "divider" | "mention" | "team"
    # "mention": ``text`` is a person's user id on the destination's platform, ``label`` their
    # name; adapters render it as a mention that notifies them (alerts naming an agent).
    # "team": ``text`` is who a route notifies on the destination's platform (a Slack user
    # group ``S…`` or member ``U…``, a Telegram ``@username``), ``label`` what to call it.
    text: str = ""
    label: str = ""


@dataclass(frozen=True)
class OutMessage:
    """A message to send or an edit of one already sent.

    ``ref_key`` names the message so later messages can edit it or reply in its thread
    (for example ``question:42`` or ``alert:7:slack:C1``); ``edit_of`` names the message to
    replace. Edits are resolved to platform message ids by the delivery loop, after the
    original was sent, so the domain never needs to know platform ids.
    """

    to: Destination
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    blocks: tuple[Block, ...] = ()
    ref_key: str | None = None
    edit_of: str | None = None
    reply_to: str | None = None
    lane: str = "interactive"  # "interactive" | "bulk"
    attachment: str | None = None  # path of an image or file to upload with the message
    attachment_temporary: bool = False  # delete the file once delivered (personal data exports)
    audience: str = "customer"  # "customer" | "staff": how the console shows it

    def to_json(self) -> dict[str, Any]:
        return {
            "to": [self.to.platform, self.to.chat_id, self.to.thread_ref],
            "text": self.text,
            "choices": [[[c.label, c.value, c.text_equivalent] for c in row] for row in self.choices],
            "blocks": [[b.kind, b.text, b.label] for b in self.blocks],
            "ref_key": self.ref_key,
            "edit_of": self.edit_of,
            "reply_to": self.reply_to,
            "lane": self.lane,
            "attachment": self.attachment,
            "attachment_temporary": self.attachment_temporary,
            "audience": self.audience,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutMessage:
        platform, chat_id, thread = data["to"]
        return cls(
            to=Destination(platform, chat_id, thread),
            text=data["text"],
            choices=tuple(tuple(Choice(*c) for c in row) for row in data.get("choices", [])),
            blocks=tuple(Block(*b) for b in data.get("blocks", [])),
            ref_key=data.get("ref_key"),
            edit_of=data.get("edit_of"),
            reply_to=data.get("reply_to"),
            lane=data.get("lane", "interactive"),
            attachment=data.get("attachment"),
            attachment_temporary=data.get("attachment_temporary", False),
            audience=data.get("audience", "customer"),
        )


@dataclass(frozen=True)
class Inbound:
    """One thing a person did, whatever the platform.

    Exactly one of ``text``, ``command`` or ``button`` is set, or ``room_setup`` for the
    bot's own arrival in a group. ``event_id`` is the platform's own id for the event
    (update id, event id, action trigger) so a redelivery is recognised.
    """

    event_id: str
    platform: str
    user_id: str
    chat_id: str
    display_name: str = ""
    handle: str = ""
    language: str | None = None
    text: str | None = None
    command: str | None = None
    args: str = ""
    button: str | None = None
    message_id: str | None = None  # the platform message the button was on, or this message's id
    reply_to_message_id: str | None = None  # the message this one replies to (Telegram reply, Slack thread)
    is_private: bool = True
    # Set by the adapter, which knows the platform's staff chat, its members and the
    # configured staff user ids. Only staff may act on alerts.
    is_staff: bool = False
    # The bot was added to a group, or asked for in one, while setting up: "ready" in the
    # configured staff chat, "unconfigured" when no staff chat is configured yet (the
    # answer then tells the group its id, the one thing the operator needs from it).
    room_setup: str | None = None
    # The person's IANA time zone when the platform reports one (Slack's ``tz``), for quiet hours.
    timezone: str | None = None
    # The adapter shows the result's toast to this person alone (a Slack slash command answers
    # through its response_url), so a typed command's refusal is never posted to a channel.
    answers_privately: bool = False


@dataclass(frozen=True)
class HandleResult:
    """What the adapter should do right now, outside the outbox: a short notice for the
    person who pressed a button (a Telegram callback toast, a Slack ephemeral message)."""

    toast: str | None = None
    duplicate: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
