"""The real python-telegram-bot, the real service and SQLite, against the fake Telegram Bot API.

Each test runs ``feedbackbot``'s Telegram component (polling with a 1 s long poll) and the delivery
loop on a fresh database, queues updates on the fake as a user would cause them, and waits for the
fake to record the bot's answers. Waits are generous: the machine may be loaded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram

from bot import config as config_mod
from handlers.base import PermanentError, RetryLater, TransientError, Unreachable
from handlers.telegram.channel import TelegramChannel
from handlers.telegram.commands import CUSTOMER_MENU
from handlers.telegram.render import render_chunks
from surveys.model import Block, Choice, Destination, OutMessage
from tests.e2e.telegram_helpers import (
    STAFF_CHAT,
    WEBHOOK_SECRET,
    BotUnderTest,
    bot_config,
    button_data,
    keyboard,
    running_bot,
    start_bot,
)
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_fixtures import running_fake_telegram
from tests.postgres import RUNTIMES_ON_POSTGRES

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

WAIT = 30.0
ANN = 1001
BOB = 1002

NPS_QUESTION = "How likely are you to recommend Acme to a friend or colleague?"
THANKS = "Thank you! Your feedback helps us make Acme better."


async def texts_after(fake: FakeTelegramAPI, chat: int, count: int) -> list[str]:
    await fake.wait_for_messages(chat, count, timeout=WAIT)
    return fake.texts(chat)


async def answered(fake: FakeTelegramAPI, press: dict[str, Any]) -> dict[str, Any]:
    query_id = press["callback_query"]["id"]
    result: dict[str, Any] = await fake.wait_for(lambda f: f.callback_answers.get(query_id), timeout=WAIT)
    return result


async def settled(bot: BotUnderTest) -> None:
    """Every queued update handled and every reply sent."""
    await bot.fake.wait_for(lambda f: f.pending_updates() == 0, timeout=WAIT)
    await bot.runtime.delivery.drain(timeout=WAIT)


# -- surveys ---------------------------------------------------------------------------------------------------------


async def test_nps_survey_with_buttons(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback", first_name="Ann", username="ann")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    assert question["text"].startswith(NPS_QUESTION)
    rows = keyboard(question)
    assert [[b["text"] for b in row] for row in rows] == [[str(n) for n in range(6)], [str(n) for n in range(6, 11)]]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)

    press = fake.press(ANN, button_data(question, "9"), question["message_id"])
    assert (await answered(fake, press))["text"] == "Got it!"
    await fake.wait_for(lambda f: len(f.messages(ANN)) == 2 and "reply_markup" not in f.messages(ANN)[0], timeout=WAIT)
    edited, followup = fake.messages(ANN)
    assert edited["message_id"] == question["message_id"] and "edit_date" in edited
    assert edited["text"] == f"{NPS_QUESTION}\nYour answer: 9/10"
    assert followup["text"].startswith("Great to hear! What do you value most about Acme?")
    assert [b["text"] for row in keyboard(followup) for b in row] == ["Skip"]

    fake.send_text(ANN, "Fast & friendly <support>")
    texts = await texts_after(fake, ANN, 3)
    assert texts[-1] == THANKS
    [response] = await bot.responses()
    assert response["score"] == 9 and response["comment"] == "Fast & friendly <support>"
    assert response["platform"] == "telegram" and response["user_id"] == str(ANN) and response["handle"] == "ann"
    # The thanks is a plain message: the follow-up's Skip button is left as it was.
    assert len(fake.calls_to("answerCallbackQuery")) == 1


async def test_csat_survey_with_typed_answers(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback csat")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    assert question["text"].startswith("How satisfied are you with the help you got from Acme support?")
    assert [b["text"] for b in keyboard(question)[0]] == ["1 · Very unsatisfied"]
    assert len(keyboard(question)) == 5

    fake.send_text(ANN, "4 out of 5")
    await fake.wait_for_messages(ANN, 2, timeout=WAIT)
    fake.send_text(ANN, "/skip")
    texts = await texts_after(fake, ANN, 3)
    assert texts[-1] == "Thank you! Your feedback helps us make Acme support better."
    # The typed score left the question's keyboard; a later tap on it records nothing, says
    # why, and closes the question showing the answer that counts.
    await settled(bot)
    assert not fake.calls_to("editMessageText") and keyboard(fake.messages(ANN)[0])
    tap = fake.press(ANN, button_data(fake.messages(ANN)[0], "1"), question["message_id"])
    assert (await answered(fake, tap))["text"] == "This survey is already finished."
    await fake.wait_for(lambda f: "reply_markup" not in f.messages(ANN)[0], timeout=WAIT)
    assert fake.messages(ANN)[0]["text"].endswith("Your answer: Satisfied")
    assert len(fake.messages(ANN)) == 3
    [response] = await bot.responses()
    assert (response["survey_id"], response["score"], response["comment_status"]) == ("csat", 4, "skipped")


async def test_many_updates_of_one_chat_stay_in_order(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    """Everybody's three messages are queued at once: each chat must still see them in order."""
    users = [2000 + i for i in range(24)]
    for user in users:
        fake.send_text(user, "/feedback")
    for user in users:
        fake.send_text(user, str(user % 11))
    for user in users:
        fake.send_text(user, f"comment from {user}")
    await fake.wait_for(lambda f: all(len(f.messages(u)) == 3 for u in users), timeout=WAIT * 2)
    await settled(bot)
    for user in users:
        assert fake.texts(user)[-1] in (THANKS, "Thank you for telling us. Someone from our team will look into it.")
    scores = {r["user_id"]: (r["score"], r["comment"]) for r in await bot.responses()}
    assert scores == {str(u): (u % 11, f"comment from {u}") for u in users}


async def test_deep_links_start_a_survey_with_context(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/start csat")
    fake.send_text(BOB, "/start csat-T123")
    [ann_question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    [bob_question] = await fake.wait_for_messages(BOB, 1, timeout=WAIT)
    assert ann_question["text"].startswith("How satisfied") and bob_question["text"].startswith("How satisfied")
    fake.press(BOB, button_data(bob_question, "5"), bob_question["message_id"])
    await fake.wait_for_messages(BOB, 2, timeout=WAIT)
    await settled(bot)
    [response] = await bot.responses()
    assert response["user_id"] == str(BOB) and response["score"] == 5
    assert response["context"] == {"start": "T123"}


async def test_german_user_gets_german_question(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback", language_code="de")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    assert question["text"].startswith("Wie wahrscheinlich ist es, dass du Acme")


# -- buttons that must not count ---------------------------------------------------------------------------------------


async def test_press_on_a_finished_survey_only_toasts(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    data = button_data(question, "8")
    fake.press(ANN, data, question["message_id"])
    await fake.wait_for_messages(ANN, 2, timeout=WAIT)
    fake.send_text(ANN, "/skip")
    await fake.wait_for_messages(ANN, 3, timeout=WAIT)
    await settled(bot)
    before = fake.texts(ANN)

    stale = fake.press(ANN, data, question["message_id"], inaccessible=True)
    assert (await answered(fake, stale))["text"] == "This survey is already finished."
    await settled(bot)
    assert fake.texts(ANN) == before
    [response] = await bot.responses()
    assert response["score"] == 8


async def test_forged_button_of_another_user_changes_nothing(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    forged = fake.press(BOB, button_data(question, "0"), 4242)  # Ann's nonce, pressed in Bob's chat
    assert (await answered(fake, forged))["text"] == "This button belongs to someone else's survey."
    await settled(bot)
    assert fake.messages(BOB) == []
    assert fake.messages(ANN) == [question]  # Ann's question still open, keyboard intact
    assert await bot.responses() == []


async def test_double_tap_records_one_answer(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    first = fake.press(ANN, button_data(question, "10"), question["message_id"])
    second = fake.press(ANN, button_data(question, "3"), question["message_id"])
    assert (await answered(fake, first))["text"] == "Got it!"
    assert (await answered(fake, second))["text"] == "You already answered this question."
    await settled(bot)
    assert len(fake.messages(ANN)) == 2
    assert fake.messages(ANN)[0]["text"].endswith("Your answer: 10/10")
    assert len(fake.calls_to("editMessageText")) == 1  # the second, identical edit is not sent
    [response] = await bot.responses()
    assert response["score"] == 10


# -- delivery of updates -----------------------------------------------------------------------------------------------


async def test_redelivered_update_is_handled_once(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    first = fake.send_text(ANN, "/feedback")
    await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    fake.requeue(first)
    fake.send_text(ANN, "7")  # same chat, handled after the redelivered update
    await fake.wait_for_messages(ANN, 2, timeout=WAIT)
    await settled(bot)
    served = [u["update_id"] for c in fake.calls_to("getUpdates") for u in (c.result or [])]
    assert served.count(first["update_id"]) == 2
    questions = [t for t in fake.texts(ANN) if t.startswith(NPS_QUESTION)]
    assert len(questions) == 1 and len(fake.messages(ANN)) == 2
    [response] = await bot.responses()
    assert response["score"] == 7


async def test_redelivered_press_is_answered_once(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    press = fake.press(ANN, button_data(question, "9"), question["message_id"])
    assert (await answered(fake, press))["text"] == "Got it!"
    fake.requeue(press)
    fake.send_text(ANN, "Quick and friendly")  # same chat, handled after the redelivered press
    await fake.wait_for_messages(ANN, 3, timeout=WAIT)
    await settled(bot)
    served = [u["update_id"] for c in fake.calls_to("getUpdates") for u in (c.result or [])]
    assert served.count(press["update_id"]) == 2
    assert len(fake.calls_to("answerCallbackQuery")) == 1
    [response] = await bot.responses()
    assert response["score"] == 9 and response["comment"] == "Quick and friendly"


async def test_ptb_keeps_no_per_customer_bookkeeping(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    """PTB notes every update's user and chat for its persistence; what it hands over is
    dropped, so nothing is left per customer however many there were."""
    customers = range(5000, 5040)
    for user in customers:
        fake.send_text(user, "/help")
    for user in customers:
        await fake.wait_for_messages(user, 1, timeout=WAIT)
    await settled(bot)
    app, persistence = bot.component.app, bot.component.persistence
    await app.update_persistence()  # what the Application does every minute by itself
    assert persistence.handed_over == 2 * len(customers)  # each one's chat and user, once
    assert len(app.chat_data) == 0 and len(app.user_data) == 0
    await app.update_persistence()
    assert persistence.handed_over == 2 * len(customers)  # nothing was left to hand over again


async def test_unparseable_update_does_not_stall_polling(
    bot: BotUnderTest, fake: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.platforms.telegram.wiring")
    fake.queue_raw({"update_id": 10_000, "message": {"unparseable": True, "text": "secret words"}})
    fake.send_text(ANN, "/feedback")
    fake.send_text(BOB, "/help")
    await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    await fake.wait_for_messages(BOB, 1, timeout=WAIT)
    await fake.wait_for(lambda f: f.pending_updates() == 0, timeout=WAIT)
    warnings = [r.getMessage() for r in caplog.records if "could not be parsed" in r.getMessage()]
    assert len(warnings) == 1 and "10000" in warnings[0]
    assert "secret words" not in caplog.text


async def test_restart_in_the_middle_of_a_survey(fake: FakeTelegramAPI, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    first = await start_bot(fake, db)
    try:
        fake.send_text(ANN, "/feedback")
        [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
        await settled(first)
    finally:
        await first.stop()

    async with running_bot(fake, db) as second:
        press = fake.press(ANN, button_data(question, "6"), question["message_id"])
        await answered(fake, press)
        await fake.wait_for_messages(ANN, 2, timeout=WAIT)
        await fake.wait_for(lambda f: "reply_markup" not in f.messages(ANN)[0], timeout=WAIT)
        fake.send_text(ANN, "Could be faster")
        await fake.wait_for_messages(ANN, 3, timeout=WAIT)
        await settled(second)
        [response] = await second.responses()
    assert (response["score"], response["comment"]) == (6, "Could be faster")
    assert fake.messages(ANN)[0]["text"].endswith("Your answer: 6/10")


async def test_stop_is_prompt_with_a_long_poll_open(fake: FakeTelegramAPI, tmp_path: Path) -> None:
    running = await start_bot(fake, tmp_path / "bot.db", poll_timeout=30)
    await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=WAIT)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await running.stop()
    assert loop.time() - started < 15


# -- delivery failures -------------------------------------------------------------------------------------------------


async def test_rate_limited_send_is_delivered_once_after_the_wait(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    fake.send_text(ANN, "/feedback")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    await settled(bot)
    assert question["text"].startswith(NPS_QUESTION)
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]
    assert len(fake.messages(ANN)) == 1


async def test_blocked_user_is_marked_unreachable_and_not_retried(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.block(ANN)
    fake.send_text(ANN, "/feedback")
    await fake.wait_for(lambda f: f.calls_to("sendMessage"), timeout=WAIT)

    async def dead() -> bool:
        return await bot.outbox_statuses(ANN) == ["dead"]

    await fake.wait_for(lambda f: dead(), timeout=WAIT)
    respondent = await bot.respondent(ANN)
    assert respondent is not None and respondent.unreachable
    await bot.runtime.delivery.drain(timeout=WAIT)
    assert [c.status for c in fake.calls_to("sendMessage")] == [403]


# -- commands, groups, staff -------------------------------------------------------------------------------------------


async def test_command_menu_in_every_language(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    languages = ["", *CUSTOMER_MENU]
    await fake.wait_for(lambda f: all(f.commands(lang) for lang in languages), timeout=WAIT)
    assert set(CUSTOMER_MENU) == {"en", "de", "es", "fr", "it", "pt"}
    names = [c["command"] for c in fake.commands("")]
    assert "feedback" in names and "help" in names
    for lang in CUSTOMER_MENU:
        assert [c["command"] for c in fake.commands(lang)] == names
    assert fake.commands("") == fake.commands("en")
    descriptions = {lang: fake.commands(lang)[0]["description"] for lang in CUSTOMER_MENU}
    assert len(set(descriptions.values())) == 6
    staff_scope = {"type": "chat", "chat_id": STAFF_CHAT}
    await fake.wait_for(lambda f: f.commands("", staff_scope), timeout=WAIT)
    assert [c["command"] for c in fake.commands("", staff_scope)] == [
        "claim", "reply", "resolve", "digest", "cause", "action", "actions", "done"
    ]


async def test_group_feedback_points_to_private_chat(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    group = -100555
    fake.send_text(ANN, "hello everyone", chat_id=group)
    fake.send_text(ANN, "/help", chat_id=group)
    fake.send_text(ANN, "/feedback@other_bot", chat_id=group)
    fake.send_text(ANN, "/feedback@feedback_test_bot", chat_id=group)
    [reply] = await fake.wait_for_messages(group, 1, timeout=WAIT)
    await settled(bot)
    assert reply["text"] == "Surveys run in a private chat. Please send me a direct message."
    assert len(fake.messages(group)) == 1 and "reply_markup" not in reply
    assert fake.messages(ANN) == [] and await bot.responses() == []


async def test_low_score_alert_is_claimed_and_answered_by_staff(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    staff_member, outsider = 77, 78
    fake.set_member(STAFF_CHAT, staff_member, "member")
    fake.send_text(ANN, "/feedback", first_name="Ann", username="ann")
    [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    fake.press(ANN, button_data(question, "2"), question["message_id"])
    await fake.wait_for_messages(ANN, 2, timeout=WAIT)
    fake.send_text(ANN, "Terrible <b>service</b> & broken app")
    await fake.wait_for_messages(ANN, 3, timeout=WAIT)

    await fake.wait_for(lambda f: any("broken app" in m.get("text", "") for m in f.messages(STAFF_CHAT)), timeout=WAIT)
    await settled(bot)
    [alert] = [m for m in fake.messages(STAFF_CHAT) if "broken app" in m["text"]]
    assert "Terrible <b>service</b> & broken app" in alert["text"]  # escaped on the wire, shown verbatim
    wire = [
        c.params["text"]
        for c in fake.calls
        if c.method in ("sendMessage", "editMessageText")
        and str(c.params.get("chat_id")) == str(STAFF_CHAT)
        and "broken" in c.params.get("text", "")
    ]
    assert wire and all("&lt;b&gt;service&lt;/b&gt; &amp; broken" in text for text in wire)
    assert "<blockquote>" in wire[-1] and "<b>Score:</b> 2/10" in wire[-1]
    assert [b["text"] for row in keyboard(alert) for b in row] == ["Claim", "Reply", "Resolve"]

    refused = fake.press(outsider, button_data(alert, "Claim"), alert["message_id"], chat_id=STAFF_CHAT)
    assert (await answered(fake, refused))["text"].startswith("Sorry, only support staff")
    claim = fake.press(
        staff_member, button_data(alert, "Claim"), alert["message_id"], chat_id=STAFF_CHAT, first_name="Sam"
    )
    assert (await answered(fake, claim))["text"].startswith("Claimed")
    await fake.wait_for(
        lambda f: "Claimed by Sam" in (f.message(STAFF_CHAT, alert["message_id"]) or {}).get("text", ""), timeout=WAIT
    )

    fake.send_text(
        staff_member,
        "Sorry Ann, we are on it.",
        chat_id=STAFF_CHAT,
        first_name="Sam",
        reply_to_message_id=alert["message_id"],
    )
    relayed = await texts_after(fake, ANN, 4)
    assert relayed[-1] == "Message from the Acme support team:\nSorry Ann, we are on it."
    fake.send_text(staff_member, "just chatting", chat_id=STAFF_CHAT)
    await settled(bot)
    assert len(fake.messages(ANN)) == 4


# -- webhook -----------------------------------------------------------------------------------------------------------


async def test_webhook_mode(fake: FakeTelegramAPI, tmp_path: Path) -> None:
    cfg = bot_config(
        fake,
        telegram={"mode": "webhook", "webhook_url": "https://bot.example.com/telegram/webhook"},
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    async with running_bot(fake, tmp_path / "bot.db", config=cfg) as running:
        assert fake.webhook_url == "https://bot.example.com/telegram/webhook"
        assert fake.webhook_secret == WEBHOOK_SECRET
        assert set(fake.allowed_updates or ()) == {"message", "callback_query", "my_chat_member"}
        assert running.runtime.http is not None
        url = f"http://127.0.0.1:{running.runtime.http.ports[0]}/telegram/webhook"
        update = fake.send_text(ANN, "/feedback")
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
            async with session.post(url, json=update) as r:
                assert r.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            async with session.post(url, data=b"{not json", headers=headers) as r:
                assert r.status == 200
            async with session.post(url, json={"update_id": 99, "message": {"bad": 1}}, headers=headers) as r:
                assert r.status == 200
            async with session.post(url, json=update, headers=headers) as r:
                assert r.status == 200
            [question] = await fake.wait_for_messages(ANN, 1, timeout=WAIT)
            async with session.post(url, json=update, headers=headers) as r:  # Telegram retrying
                assert r.status == 200
            press = fake.press(ANN, button_data(question, "9"), question["message_id"])
            async with session.post(url, json=press, headers=headers) as r:
                assert r.status == 200
            assert (await answered(fake, press))["text"] == "Got it!"
        await fake.wait_for_messages(ANN, 2, timeout=WAIT)
        await running.runtime.delivery.drain(timeout=WAIT)
        assert not fake.calls_to("getUpdates")
        [response] = await running.responses()
        assert response["score"] == 9
        assert len([t for t in fake.texts(ANN) if t.startswith(NPS_QUESTION)]) == 1


# -- rendering ---------------------------------------------------------------------------------------------------------


def test_long_text_is_split_within_telegram_limits() -> None:
    here = Destination("telegram", "1")
    long_quote = ("word " * 1500).strip()
    message = OutMessage(here, "", blocks=(Block("heading", "Digest <week 1>"), Block("quote", long_quote, "Comments")))
    chunks = render_chunks(message)
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.count("<blockquote>") == chunk.count("</blockquote>") == 1
    import html
    import re

    visible = [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in chunks]
    assert all(len(v) <= 4096 for v in visible)
    assert visible[0].startswith("Digest <week 1>\nComments:\nword")
    caption = render_chunks(OutMessage(here, "x" * 3000), first_limit=1024)
    assert [len(c) for c in caption] == [1024, 1976]


# -- the channel on its own -------------------------------------------------------------------------------------------


@pytest.fixture
async def channel(fake: FakeTelegramAPI) -> AsyncIterator[TelegramChannel]:
    async with telegram.Bot(fake.token, base_url=fake.base_url) as client:
        out = TelegramChannel(client)
        out.open()
        yield out


async def test_channel_splits_long_text_and_keeps_the_keyboard_last(
    channel: TelegramChannel, fake: FakeTelegramAPI
) -> None:
    here = Destination("telegram", str(ANN))
    choice = Choice("OK", "f:abc:ok", "ok")
    message_id = await channel.send(OutMessage(here, "<&>" + "x" * 5000, choices=((choice,),)), None)
    first, second = fake.messages(ANN)
    assert first["text"].startswith("<&>") and len(first["text"]) + len(second["text"]) == 5003
    assert "reply_markup" not in first and keyboard(second) == [[{"text": "OK", "callback_data": "f:abc:ok"}]]
    assert message_id == str(second["message_id"])

    await channel.edit(OutMessage(here, "Done"), str(ANN), str(second["message_id"]))
    await channel.edit(OutMessage(here, "Done"), str(ANN), str(second["message_id"]))  # "not modified" is fine
    assert fake.messages(ANN)[1]["text"] == "Done" and "reply_markup" not in fake.messages(ANN)[1]

    reply_id = await channel.send(OutMessage(here, "re"), str(first["message_id"]))
    assert fake.message(ANN, int(reply_id or 0))["reply_to_message"]["message_id"] == first["message_id"]  # type: ignore[index]


async def test_channel_uploads_photos_and_documents(
    channel: TelegramChannel, fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    here = Destination("telegram", str(ANN))
    chart = tmp_path / "nps.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    await channel.send(OutMessage(here, "y" * 1500, attachment=str(chart)), None)
    export = tmp_path / "export.csv"
    export.write_text("a,b\n1,2\n")
    await channel.send(OutMessage(here, "Your data", attachment=str(export)), None)
    photo, rest, document = fake.messages(ANN)
    assert "photo" in photo and len(photo["caption"]) <= 1024
    assert len(photo["caption"]) + len(rest["text"]) == 1500
    assert document["document"]["file_name"] == "export.csv" and document["caption"] == "Your data"
    with pytest.raises(PermanentError):
        await channel.send(OutMessage(here, "gone", attachment=str(tmp_path / "missing.png")), None)


async def test_channel_translates_errors(channel: TelegramChannel, fake: FakeTelegramAPI) -> None:
    here = Destination("telegram", str(ANN))
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryLater) as limited:
        await channel.send(OutMessage(here, "hi"), None)
    assert limited.value.retry_after == 3
    fake.fail_next("sendMessage", 502)
    with pytest.raises(TransientError):
        await channel.send(OutMessage(here, "hi"), None)
    fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(Unreachable):
        await channel.send(OutMessage(here, "hi"), None)
    with pytest.raises(PermanentError):
        await channel.edit(OutMessage(here, "x"), str(ANN), "999")  # message to edit not found
    fake.block(ANN)
    with pytest.raises(Unreachable):
        await channel.send(OutMessage(here, "hi"), None)
    await channel.close()
    with pytest.raises(TransientError):
        await channel.send(OutMessage(here, "hi"), None)


async def test_wrong_token_fails_start_without_logging_it(
    fake: FakeTelegramAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")
    caplog.set_level(logging.INFO, logger="telegram")  # PTB logs its URL, token included, at DEBUG only
    token = "999:WRONG-token-never-logged"
    cfg = config_mod.parse(
        {
            "telegram": {"enabled": True, "api_base_url": fake.base_url, "staff_chat_id": -100123},
            "surveys": [{"id": "nps", "kind": "nps", "product": "Acme"}],
        },
        {"TELEGRAM_BOT_TOKEN": token},
    )
    # A configuration error (exit code 2 from the command line), naming the variable, not the token.
    with pytest.raises(config_mod.ConfigError) as raised:
        await start_bot(fake, tmp_path / "bot.db", config=cfg)
    assert "TELEGRAM_BOT_TOKEN" in str(raised.value) and token not in str(raised.value)
    assert token not in caplog.text


async def test_staff_commands_only_for_staff(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    staff_member, outsider = 77, 78
    fake.set_member(STAFF_CHAT, staff_member, "administrator")
    fake.set_member(STAFF_CHAT, outsider, "left")
    fake.send_text(outsider, "/digest", chat_id=STAFF_CHAT)
    [refusal] = await fake.wait_for_messages(STAFF_CHAT, 1, timeout=WAIT)
    assert refusal["text"] == "Sorry, only support staff can ask for a digest."
    fake.send_text(staff_member, "/claim 999", chat_id=STAFF_CHAT)
    fake.send_text(staff_member, "/digest@feedback_test_bot", chat_id=STAFF_CHAT)
    await fake.wait_for_messages(STAFF_CHAT, 3, timeout=WAIT)
    await settled(bot)
    usage, digest = fake.texts(STAFF_CHAT)[1:3]
    assert usage.startswith("There is no alert #999.")
    assert "only support staff" not in digest
    lookups = [c for c in fake.calls_to("getChatMember") if c.status == 200]
    assert {int(c.params["user_id"]) for c in lookups} == {staff_member, outsider}
    assert len(lookups) == 2  # cached: the second and third command of the same person cost no lookup


async def test_updates_fetched_before_a_crash_are_handled_after_restart(tmp_path: Path) -> None:
    """getUpdates confirms a batch with the next poll, maybe before it was handled. Every
    fetched batch is written to the inbox first, so a SIGKILL in between loses nothing: the
    restarted bot replays it (and a replay of something already handled changes nothing)."""
    import json
    import time

    from bot.bootstrap import runtime as runtime_mod

    db = tmp_path / "bot.db"
    async with running_fake_telegram() as fake:
        lost = fake.send_text(9001, "/feedback csat", first_name="Kim")
        fake.clear_updates()  # Telegram already counts it as delivered: only our inbox has it
        store = await runtime_mod.open_store(str(db))  # the bot's own opener: its database, whichever backend
        await store.inbox_add("telegram", [(str(lost["update_id"]), "9001", json.dumps(lost))], time.time())
        await store.close()
        async with running_bot(fake, db) as bot:
            messages = await fake.wait_for_messages(9001, 1, timeout=20)
            assert "How satisfied" in messages[0]["text"]
        async with running_bot(fake, db) as bot:  # replayed again: already handled, no second question
            fake.send_text(9002, "/help")
            await fake.wait_for_messages(9002, 1, timeout=20)
            await bot.runtime.delivery.drain(20)
            assert len(fake.messages(9001)) == 1


async def test_stop_mydata_and_forget_in_telegram(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    user = 7070
    fake.send_text(user, "/feedback", first_name="Pia", username="pia")
    [question] = await fake.wait_for_messages(user, 1, timeout=WAIT)
    fake.press(user, button_data(question, "2"), question["message_id"], first_name="Pia")
    await fake.wait_for_messages(user, 2, timeout=WAIT)
    fake.send_text(user, "Quokka-unique-words about my order", first_name="Pia")
    await fake.wait_for_messages(user, 3, timeout=WAIT)

    fake.send_text(user, "/mydata", first_name="Pia")
    await fake.wait_for(lambda f: any(c.params.get("chat_id") == str(user) or c.params.get("chat_id") == user
                                      for c in f.calls_to("sendDocument")), timeout=WAIT)
    [upload] = [c for c in fake.calls_to("sendDocument")]
    data = upload.files["document"].data.decode()
    assert "Quokka-unique-words" in data and '"display_name": "Pia"' in data

    fake.send_text(user, "/stop", first_name="Pia")
    await fake.wait_for(lambda f: any("won't get survey invitations" in m.get("text", "") for m in f.messages(user)),
                        timeout=WAIT)
    assert (await bot.respondent(user)).opted_out

    fake.send_text(user, "/forget", first_name="Pia")
    await fake.wait_for(lambda f: any("Are you sure" in m.get("text", "") for m in f.messages(user)), timeout=WAIT)
    confirm = next(m for m in fake.messages(user) if "Are you sure" in m.get("text", ""))
    fake.press(user, button_data(confirm, "Yes, delete it"), confirm["message_id"], first_name="Pia")
    await fake.wait_for(lambda f: any("has been deleted" in m.get("text", "") for m in f.messages(user)), timeout=WAIT)
    assert await bot.respondent(user) is None
    await bot.runtime.store.compact()
    if not RUNTIMES_ON_POSTGRES:  # the SQLite file's bytes (PostgreSQL's VACUUM: test_postgres_store.py)
        raw = b"".join(p.read_bytes() for p in Path(bot.runtime.store.path).parent.glob("*.db*"))
        assert b"Quokka-unique-words" not in raw and b'"Pia"' not in raw and b"Pia" not in raw
