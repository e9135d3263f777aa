"""Long alerts stay whole (issue 20, item 4): with the most context the send API allows and the
longest comment, the Telegram alert is one message, so every later edit (claim, resolve)
rewrites the message staff act on, header, state line and buttons included; on Slack, long
fields are cut before escaping, never inside ``&amp;``, and every part of a quote stays a quote."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import time as dtime
from pathlib import Path

from bot.services.invitations import InviteRequest
from tests.e2e.slack_helpers import STAFF_CHANNEL
from tests.e2e.slack_helpers import running_bot as slack_bot
from tests.e2e.telegram_helpers import STAFF_CHAT, button_data, running_bot
from tests.fakes.slack_api import FakeSlackAPI, dm_message
from tests.fakes.telegram_api import FakeTelegramAPI

WAIT = 20.0
CUSTOMER = 4242
STAFF_MEMBER = 555
# The send API's limits: 20 context keys of up to 200 characters.
BIG_CONTEXT = {f"key{n:02d}": ("v&<" * 70)[:200] for n in range(20)}
LONG_COMMENT = ("Broken & awful <again> 😡 " * 100)[:2000]


def _keyboard_labels(message: dict[str, object]) -> set[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])  # type: ignore[union-attr]
    return {b["text"] for row in rows for b in row}


async def test_long_telegram_alert_is_one_message_that_every_edit_keeps_whole(tmp_path: Path) -> None:
    async with FakeTelegramAPI() as tg, running_bot(tg, tmp_path / "bot.db") as bot:
        tg.set_member(STAFF_CHAT, STAFF_MEMBER, "member")
        inviter = bot.runtime.inviter
        inviter.policy = dataclasses.replace(inviter.policy, quiet_start=dtime(0), quiet_end=dtime(0))
        await inviter.invite(InviteRequest("nps", "telegram", str(CUSTOMER), context=BIG_CONTEXT))
        await tg.wait_for(lambda f: len(f.messages(CUSTOMER)) >= 1, timeout=WAIT)
        question = tg.messages(CUSTOMER)[0]
        tg.press(CUSTOMER, button_data(question, "2"), question["message_id"])
        await tg.wait_for(lambda f: len(f.messages(STAFF_CHAT)) >= 1, timeout=WAIT)
        tg.send_text(CUSTOMER, LONG_COMMENT)
        await tg.wait_for(lambda f: "Broken &" in (f.messages(STAFF_CHAT)[0].get("text") or ""), timeout=WAIT)

        alerts = tg.messages(STAFF_CHAT)
        assert len(alerts) == 1, "the alert is one message, never split"
        alert = alerts[0]
        assert alert["text"].startswith("Feedback alert #1") and "Open: nobody has claimed" in alert["text"]
        assert _keyboard_labels(alert) == {"Claim", "Reply", "Resolve"}

        tg.press(STAFF_MEMBER, button_data(alert, "Claim"), alert["message_id"], chat_id=STAFF_CHAT, first_name="Greta")
        await tg.wait_for(lambda f: "Claimed by Greta" in f.messages(STAFF_CHAT)[0]["text"], timeout=WAIT)
        [claimed] = tg.messages(STAFF_CHAT)
        assert claimed["text"].startswith("Feedback alert #1") and "\u2026" in claimed["text"]
        assert "waiting for a comment" not in claimed["text"]
        assert _keyboard_labels(claimed) == {"Claim", "Reply", "Resolve"}

        resolve = button_data(claimed, "Resolve")
        tg.press(STAFF_MEMBER, resolve, alert["message_id"], chat_id=STAFF_CHAT, first_name="Greta")
        await tg.wait_for(lambda f: "Resolved by Greta" in f.messages(STAFF_CHAT)[0]["text"], timeout=WAIT)
        [resolved] = tg.messages(STAFF_CHAT)
        assert resolved["text"].startswith("Feedback alert #1") and _keyboard_labels(resolved) == set()
        # The customer's whole comment is kept, whatever the alert shows.
        [response] = await bot.responses()
        assert response["comment"] == LONG_COMMENT.strip()


def _sections(message: dict[str, object]) -> list[str]:
    return [
        b["text"]["text"]
        for b in message.get("blocks") or []  # type: ignore[union-attr]
        if b.get("type") == "section" and "text" in b
    ]


async def test_long_slack_alert_never_cuts_an_escape_and_keeps_the_quote(tmp_path: Path) -> None:
    async with FakeSlackAPI() as slack:
        slack.add_user("U1", name="ana", real_name="Ana Lima")
        slack.add_channel(STAFF_CHANNEL, name="staff", members=["UBOT"])
        async with slack_bot(slack, str(tmp_path / "bot.db"), alerts=True) as bot:
            comment = "&" * 1500 + "\nline two <b>"
            assert (await bot.http.command("U1", "/feedback", "nps")).status == 200
            await slack.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
            assert (await bot.http.event(dm_message("U1", "1"))).status == 200
            await slack.wait_for(lambda f: len(f.messages(STAFF_CHANNEL)) == 1, timeout=WAIT)
            assert (await bot.http.event(dm_message("U1", comment))).status == 200
            await slack.wait_for(lambda f: "line two" in str(f.messages(STAFF_CHANNEL)[0]), timeout=WAIT)
            await bot.settle()
            [alert] = slack.messages(STAFF_CHANNEL)
            quoted = [s for s in _sections(alert) if s.startswith(">")]
            assert len(quoted) >= 2, "the escaped comment is longer than one section"
            for section in quoted:
                assert len(section) <= 3000
                assert all(line.startswith(">") for line in section.split("\n")), section[:80]
                # Every & starts a whole entity: none was cut in half at a section's end.
                assert re.fullmatch(r"([^&]|&amp;|&lt;|&gt;)*", section, flags=re.S), section[-12:]
            shown = "".join(html.unescape(re.sub(r"^> ?", "", line)) for s in quoted for line in s.split("\n"))
            assert shown.startswith("&" * 1500) and "<b>" in shown
