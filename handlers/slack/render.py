"""An :class:`OutMessage` as Block Kit: escaped mrkdwn, sections cut within Slack's limits, one
actions block per row of choices, and the notification text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from handlers.slack.commands import BUTTON_ACTION_PREFIX, slack_commands
from surveys.model import Block, Choice, OutMessage

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTONS_PER_ACTIONS = 25
MAX_BLOCKS = 50
FALLBACK_LIMIT = 3000


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters (links, mentions such as
    <!channel>): customer text must never be able to produce either."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_len(ch: str) -> int:
    return 5 if ch == "&" else 4 if ch in "<>" else 1


def _escaped_size(text: str) -> int:
    """``len(escape(text))`` without building it: ``&`` grows by 4, ``<`` and ``>`` by 3. Every
    message is measured against Slack's limits and almost none comes near them, so the common
    case is a few C-level counts instead of a Python step per character."""
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def _fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` once escaped: the cut falls between
    characters of the plain text, so ``&amp;`` is never cut into ``&am`` + ``p;``."""
    if _escaped_size(text) <= limit:
        return len(text)
    used = 0
    for index, ch in enumerate(text):
        used += _escaped_len(ch)
        if used > limit:
            return index
    return len(text)


def escape_within(text: str, limit: int) -> str:
    """``text`` escaped and no longer than ``limit``, cut before escaping (with an ellipsis)."""
    if _escaped_size(text) <= limit:
        return escape(text)
    return escape(text[: _fit(text, limit - 1)]) + "\u2026"


def _chunks(text: str, limit: int, prefix: str = "") -> Iterator[str]:
    """Escaped parts of plain ``text`` of at most ``limit`` characters each, split at line
    breaks where possible so a long comment stays readable, always between characters of the
    plain text. ``prefix`` starts every line (``> `` for a quote), in every part."""
    lines = text.split("\n")
    part: list[str] = []
    used = 0
    for line in lines:
        while True:
            sep = 1 if part else 0
            head = prefix if line else prefix.rstrip()
            size = len(head) + _escaped_size(line)
            if used + sep + size <= limit:
                part.append(head + escape(line))
                used += sep + size
                break
            if part:
                yield "\n".join(part)
                part, used = [], 0
                continue
            # One line longer than a whole part: cut it, preferring a space.
            at = _fit(line, limit - len(prefix))
            space = line.rfind(" ", at // 2, at)
            at = space + 1 if space > 0 else max(at, 1)
            yield prefix + escape(line[:at])
            line = line[at:]
            if not line:
                break
    if part:
        yield "\n".join(part)


def _section(text: str, prefix: str = "") -> list[dict[str, Any]]:
    """Plain ``text`` as escaped mrkdwn sections within Slack's limit."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": part}}
        for part in _chunks(text, SECTION_LIMIT, prefix)
    ]


def _field_text(block: Block) -> str:
    if not block.label:
        return escape_within(block.text, FIELD_LIMIT)
    label = f"*{escape(block.label)}:* "
    return label + escape_within(block.text, FIELD_LIMIT - len(label))


def _content_blocks(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    fields: list[dict[str, str]] = []

    def flush_fields() -> None:
        for i in range(0, len(fields), FIELDS_PER_SECTION):
            out.append({"type": "section", "fields": fields[i : i + FIELDS_PER_SECTION]})
        fields.clear()

    for block in blocks:
        if block.kind == "field":
            fields.append({"type": "mrkdwn", "text": _field_text(block)})
            continue
        if block.kind == "mention" and block.text.isalnum():
            fields.append({"type": "mrkdwn", "text": f"*Agent:* <@{block.text}> ({escape(block.label)})"[:FIELD_LIMIT]})
            continue
        if block.kind == "team" and block.text.isalnum():
            # A user group is notified as <!subteam^ID>, a member as <@ID>.
            ping = f"<!subteam^{block.text}>" if block.text.startswith("S") else f"<@{block.text}>"
            shown = f"*{escape(block.label)}:* {ping}" if block.label else ping
            fields.append({"type": "mrkdwn", "text": shown[:FIELD_LIMIT]})
            continue
        flush_fields()
        if block.kind == "heading":
            if block.text.strip():
                # plain_text shows characters literally, so no mrkdwn escaping here.
                out.append({"type": "header", "text": {"type": "plain_text", "text": block.text[:HEADER_LIMIT]}})
        elif block.kind == "quote":
            out.extend(_section("\n".join(block.text.splitlines()) or "", prefix="> "))
        elif block.kind == "context":
            if block.text.strip():
                text = escape_within(block.text, SECTION_LIMIT)
                out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
        elif block.kind == "divider":
            out.append({"type": "divider"})
        elif block.text.strip():
            out.extend(_section(block.text))
    flush_fields()
    return out


def _button(index: int, choice: Choice) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": f"{BUTTON_ACTION_PREFIX}{index}",
        "text": {"type": "plain_text", "text": choice.label[:BUTTON_TEXT_LIMIT], "emoji": True},
        "value": choice.value,
    }


def fallback_text(message: OutMessage) -> str:
    text = message.text
    if not text:
        text = next((b.text for b in message.blocks if b.text.strip()), "")
    return escape_within(text, FALLBACK_LIMIT)


def render(message: OutMessage) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks). Each row of choices becomes its own actions block, so
    NPS 0-10 arrives as the engine's two rows; an edit without choices drops the buttons
    because the blocks are always sent in full."""
    if "/" in message.text or any("/" in b.text for b in message.blocks):  # most messages name no command
        message = replace(
            message,
            text=slack_commands(message.text),
            blocks=tuple(replace(b, text=slack_commands(b.text)) for b in message.blocks),
        )
    if message.blocks:
        blocks = _content_blocks(message.blocks)
    else:
        blocks = _section(message.text) if message.text.strip() else []
    index = 0
    for row in message.choices:
        for start in range(0, len(row), BUTTONS_PER_ACTIONS):
            elements = []
            for choice in row[start : start + BUTTONS_PER_ACTIONS]:
                elements.append(_button(index, choice))
                index += 1
            blocks.append({"type": "actions", "elements": elements})
    if len(blocks) > MAX_BLOCKS:
        # Keep every button: they are what the person must be able to press.
        actions = [b for b in blocks if b["type"] == "actions"]
        blocks = [b for b in blocks if b["type"] != "actions"][: MAX_BLOCKS - len(actions)] + actions
    return fallback_text(message), blocks
