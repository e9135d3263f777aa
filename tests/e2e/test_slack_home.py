"""The Slack Home tab speaks the person's language, honours [surveys.texts] and tells the truth
about skipping (issue 20, item 8): only the comment can be skipped, not the score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.slack_helpers import running_bot
from tests.fakes.slack_api import FakeSlackAPI

WAIT = 20.0


def _texts(view: dict[str, Any]) -> str:
    parts = []
    for block in view["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text))
    return "\n".join(parts)


async def _home(slack: FakeSlackAPI, bot: Any, user: str) -> str:
    before = len(slack.calls_to("views.publish"))
    await bot.http.event({"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"})
    await slack.wait_for(lambda f: len(f.calls_to("views.publish")) > before, timeout=WAIT)
    return _texts(slack.calls_to("views.publish")[-1].params["view"])


async def test_home_tab_in_the_users_language_and_honest_about_skipping(tmp_path: Path) -> None:
    async with FakeSlackAPI() as slack:
        slack.add_user("UDE", name="jo", real_name="Jo", locale="de-DE")
        slack.add_user("UEN", name="al", real_name="Al", locale="en-US")
        async with running_bot(slack, str(tmp_path / "bot.db")) as bot:
            german = await _home(slack, bot, "UDE")
            assert "Feedback geben" in german and "Give feedback" not in german
            english = await _home(slack, bot, "UEN")
            assert "Give feedback" in english
            assert "every question can be skipped" not in english
            assert "comment" in english.lower() and "skip" in english.lower()


async def test_home_tab_honours_survey_text_overrides(tmp_path: Path) -> None:
    extra = {"surveys": [
        {"id": "nps", "kind": "nps", "product": "Acme", "escalation": {"enabled": False},
         "texts": {"en": {"home_intro": "Tell Acme what you think, in two taps."}}},
    ]}
    async with FakeSlackAPI() as slack:
        slack.add_user("UEN", name="al", real_name="Al", locale="en-US")
        async with running_bot(slack, str(tmp_path / "bot.db"), extra=extra) as bot:
            assert "Tell Acme what you think, in two taps." in await _home(slack, bot, "UEN")
