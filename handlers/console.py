"""The terminal channel: the same service, storage and engine as production, with a
keyboard and a screen instead of a chat app.

It is a demo, a smoke test and a debugging tool at once (like errbot's text backend and
``rasa shell``): whatever works here works the same way in Telegram and Slack.
"""

from __future__ import annotations

import itertools
from typing import TextIO

from surveys.model import Block, Choice, Inbound, OutMessage

STAFF_RULE = "=" * 60


def split_command(text: str) -> tuple[str, str] | None:
    """``/feedback nps`` -> ("feedback", "nps"); ``/skip@my_bot`` -> ("skip", "").
    Shared by every adapter that receives commands as plain text."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    command = head.split("@", 1)[0].lower()
    if not command or not all(c.isalnum() or c == "_" for c in command):
        return None
    return command, args.strip()


class ConsoleChannel:
    """Prints customer messages plainly and staff messages inside a visible frame."""

    platform = "console"

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._ids = itertools.count(1)

    async def send(self, message: OutMessage, reply_to: str | None) -> str | None:
        self.out.write(render(message) + "\n")
        self.out.flush()
        return str(next(self._ids))

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        # The terminal shows no buttons, so customer-side edits (a question closed once it
        # is answered) change nothing visible; staff alerts change state, which staff need to see.
        if message.audience == "staff":
            self.out.write(render(message, updated=True) + "\n")
            self.out.flush()


def render(message: OutMessage, updated: bool = False) -> str:
    body = render_body(message)
    if message.audience == "staff":
        title = "STAFF ALERT (updated)" if updated else "STAFF"
        return f"{STAFF_RULE}\n[{title} -> {message.to.chat_id}]\n{body}\n{STAFF_RULE}"
    return f"bot> {body}".replace("\n", "\n     ")


def render_body(message: OutMessage) -> str:
    lines = [_block(b) for b in message.blocks] if message.blocks else [message.text]
    choice_lines = [_choices(row) for row in message.choices]
    if choice_lines:
        lines.append("   ".join(choice_lines) if all(len(r) > 1 for r in message.choices) else "\n".join(choice_lines))
    if message.attachment and message.attachment_temporary:
        # A personal-data export is deleted once delivered: show it here instead.
        try:
            with open(message.attachment, encoding="utf-8") as file:
                lines.append(file.read())
        except OSError:
            lines.append("[attachment no longer available]")
    elif message.attachment:
        lines.append(f"[attachment: {message.attachment}]")
    return "\n".join(line for line in lines if line)


def _choices(row: tuple[Choice, ...]) -> str:
    parts = []
    for c in row:
        label = c.label.removeprefix(f"{c.text_equivalent} · ")
        parts.append(f"[{c.text_equivalent}]" if label == c.text_equivalent else f"[{c.text_equivalent}] {label}")
    return " ".join(parts)


def _block(block: Block) -> str:
    if block.kind == "heading":
        return block.text.upper()
    if block.kind == "field":
        return f"{block.label}: {block.text}"
    if block.kind == "quote":
        return "\n".join(f"  | {line}" for line in block.text.splitlines())
    if block.kind == "divider":
        return "-" * 20
    if block.kind == "mention":
        return f"Agent: {block.label}"
    if block.kind == "team":
        return f"{block.label}: {block.text}"
    return block.text


#: Typed in the terminal, these act in the console staff room, not in the customer's chat.
STAFF_COMMANDS = frozenset({"claim", "reply", "resolve", "digest", "cause", "action", "actions", "done"})


def is_staff_command(line: str) -> bool:
    command = split_command(line)
    return command is not None and command[0] in STAFF_COMMANDS


def inbound_from_line(
    line: str,
    *,
    user: str,
    name: str,
    language: str,
    sequence: int,
    session: str,
    staff_room: str | None = None,
    is_staff: bool = False,
) -> Inbound:
    """A typed line becomes a command or a text answer, exactly like a chat message.

    With ``staff_room`` it is said in the console staff room instead of the customer's own
    chat, as a group message (``is_staff`` says whether the person counts as staff), which
    is what a staff command or a reply to the customer is on every platform."""
    command = split_command(line)
    return Inbound(
        event_id=f"console:{session}:{sequence}",
        platform="console",
        user_id=user,
        chat_id=staff_room if staff_room is not None else user,
        display_name=name,
        language=language,
        text=None if command else line,
        command=command[0] if command else None,
        args=command[1] if command else "",
        is_private=staff_room is None,
        is_staff=is_staff if staff_room is not None else False,
    )
