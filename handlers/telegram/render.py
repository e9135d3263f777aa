"""An :class:`OutMessage` as Telegram HTML: blocks, escaping, parts within Telegram's limits
(counted in UTF-16 units) and the inline keyboard.

User-supplied text is always escaped: a customer writing ``<b>`` or ``&`` must never break a
staff alert (Telegram rejects malformed HTML with a 400, which would lose the message)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from surveys.model import Block, Choice, OutMessage

#: Telegram's limits, counted in UTF-16 code units (what Telegram counts; never less than ``len``).
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
TOAST_LIMIT = 200


DIVIDER = "\u2500" * 12


@dataclass(frozen=True)
class _Piece:
    """One block as HTML around a piece of user text, kept apart so an oversized block can be cut
    between characters of its text (never inside a tag or an escape sequence)."""

    before: str
    text: str
    after: str = ""
    extra: int = 0  # visible characters contributed by ``before``/``after`` (labels)

    def render(self, text: str | None = None) -> str:
        return f"{self.before}{_esc(self.text if text is None else text)}{self.after}"

    @property
    def size(self) -> int:
        return self.extra + _units(self.text)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _pieces(message: OutMessage) -> list[_Piece]:
    if not message.blocks:
        return [_Piece("", message.text)] if message.text else []
    return [p for p in (_block_piece(b) for b in message.blocks) if p.size > 0]


def _block_piece(block: Block) -> _Piece:
    if block.kind == "heading":
        return _Piece("<b>", block.text, "</b>")
    if block.kind == "field":
        if not block.label:
            return _Piece("", block.text)
        label = f"{block.label}:"
        return _Piece(f"<b>{_esc(label)}</b> ", block.text, extra=_units(label) + 1)
    if block.kind == "quote":
        if not block.label:
            return _Piece("<blockquote>", block.text, "</blockquote>")
        label = f"{block.label}:"
        return _Piece(f"<b>{_esc(label)}</b>\n<blockquote>", block.text, "</blockquote>", extra=_units(label) + 1)
    if block.kind == "context":
        return _Piece("<i>", block.text, "</i>")
    if block.kind == "mention" and block.text.lstrip("-").isdigit():
        return _Piece(f'<b>Agent:</b> <a href="tg://user?id={int(block.text)}">', block.label, "</a>", extra=7)
    if block.kind == "team" and block.text.startswith("@"):
        # A @username in a group message notifies that person (Telegram links it itself).
        label = f"{block.label}:"
        return _Piece(f"<b>{_esc(label)}</b> ", block.text, extra=_units(label) + 1)
    if block.kind == "divider":
        return _Piece("", DIVIDER)
    return _Piece("", block.text)


def _cut(text: str, budget: int) -> int:
    """Index to cut ``text`` so the head fits ``budget`` UTF-16 units, preferring a line break,
    then a space, in the second half of the window."""
    used = 0
    end = len(text)
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            end = index
            break
    if end == len(text):
        return end
    for sep in ("\n", " "):
        at = text.rfind(sep, end // 2, end)
        if at > 0:
            return at + 1
    return max(1, end)


def render_chunks(message: OutMessage, first_limit: int = TEXT_LIMIT, limit: int = TEXT_LIMIT) -> list[str]:
    """The message as Telegram HTML, in as many parts as needed to respect the length limits
    (``first_limit`` for the first part, e.g. a photo caption). Blocks are joined by line
    breaks and only split when one block alone is too long."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    cap = first_limit

    def flush() -> None:
        nonlocal current, used, cap
        if current:
            chunks.append("\n".join(current))
        current, used, cap = [], 0, limit

    for piece in _pieces(message):
        rest = piece.text
        while True:
            sep = 1 if current else 0
            size = piece.extra + _units(rest)
            if used + sep + size <= cap:
                current.append(piece.render(rest))
                used += sep + size
                break
            room = cap - used - sep - piece.extra
            if current and (size <= limit or room < min(200, cap // 4)):
                flush()  # it fits a part of its own, or only a sliver of it would fit here
                continue
            at = _cut(rest, max(room, 1))
            current.append(piece.render(rest[:at].rstrip("\n")))
            rest = rest[at:]
            flush()
            if not rest:
                break
    flush()
    return chunks


def keyboard(choices: Sequence[Sequence[Choice]]) -> dict[str, Any] | None:
    """The inline keyboard in the Bot API's own JSON. Built as PTB objects it was serialised
    back to this at once, and the round trip cost about 5% of a survey turn."""
    rows = [[{"text": c.label, "callback_data": c.value} for c in row] for row in choices if row]
    return {"inline_keyboard": rows} if rows else None


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
