"""Slack rendering cuts plain text before escaping it (issue 20, item 4)."""

from __future__ import annotations

import re

from handlers.slack.render import render
from surveys.model import Block, Destination, OutMessage

WHOLE_ENTITIES = re.compile(r"([^&]|&amp;|&lt;|&gt;)*", flags=re.S)


def test_long_field_and_context_are_cut_between_characters_not_inside_an_escape() -> None:
    message = OutMessage(
        Destination("slack", "C1"),
        "x",
        blocks=(Block("field", "&" * 1999, "Context"), Block("context", "<" * 3001)),
    )
    _, blocks = render(message)
    field = blocks[0]["fields"][0]["text"]
    context = blocks[1]["elements"][0]["text"]
    assert len(field) <= 2000 and len(context) <= 3000
    assert WHOLE_ENTITIES.fullmatch(field) and WHOLE_ENTITIES.fullmatch(context)
    assert field.endswith("\u2026") and context.endswith("\u2026")


def test_plain_text_longer_than_a_section_splits_between_characters() -> None:
    _, blocks = render(OutMessage(Destination("slack", "C1"), "a" + "&" * 1000))
    texts = [b["text"]["text"] for b in blocks]
    assert len(texts) == 2 and all(len(t) <= 3000 and WHOLE_ENTITIES.fullmatch(t) for t in texts)
    assert "".join(texts).count("&amp;") == 1000


def test_a_routes_group_and_an_owner_are_real_mentions() -> None:
    """Slack notifies a user group as <!subteam^S…> and a member as <@U…>; a plain "@name"
    would notify nobody. A label that needs escaping is escaped; no label, just the mention."""
    message = OutMessage(
        Destination("slack", "C1"),
        "x",
        blocks=(Block("team", "S0BILLING", "Team <billing>"), Block("team", "UMARIA"), Block("team", "S0; drop", "x")),
    )
    _, blocks = render(message)
    texts = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Team &lt;billing&gt;:* <!subteam^S0BILLING>" in texts
    assert "<@UMARIA>" in texts
    assert "subteam^S0; drop" not in str(blocks)  # not an id: never turned into a mention
