"""The App Home tab, in the person's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from surveys.locales import MESSAGES

HOME_KEYS = ("title", "intro", "how", "give", "stop", "resume", "privacy")


def home_texts(render: Callable[[str], str]) -> dict[str, str]:
    """The Home tab's texts from the message catalogs (``home_<name>``), rendered by the
    caller in the person's language with the survey's overrides."""
    return {name: render(f"home_{name}") for name in HOME_KEYS}


HOME_TEXT = {name: MESSAGES["en"][f"home_{name}"] for name in HOME_KEYS}


def home_view(texts: Mapping[str, str] = HOME_TEXT) -> dict[str, Any]:
    """The App Home tab. Stop and Resume are both offered because the tab is published
    when opened, and whether invitations are on is the service's business, not ours."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": texts["title"]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": texts["intro"]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": texts["how"]}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "home_feedback",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": texts["give"]},
                        "value": "feedback",
                    },
                    {
                        "type": "button",
                        "action_id": "home_stop",
                        "text": {"type": "plain_text", "text": texts["stop"]},
                        "value": "stop",
                    },
                    {
                        "type": "button",
                        "action_id": "home_start",
                        "text": {"type": "plain_text", "text": texts["resume"]},
                        "value": "start",
                    },
                ],
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": texts["privacy"]}]},
        ],
    }
