"""The real python-telegram-bot library works end to end against the fake Telegram Bot API."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from tests.fakes.telegram_api import BOT_USER, FakeTelegramAPI
from tests.fakes.telegram_fixtures import build_application, running_application, running_fake_telegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with running_fake_telegram() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def raw_post(fake: FakeTelegramAPI, method: str, token: str | None = None, **kw: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.post(
        f"{fake.base_url}{token or fake.token}/{method}", **kw
    ) as response:
        return response.status, await response.json()


# ----------------------------------------------------------------------------------------------------------------------
# With an Application, polling


async def test_echo_round_trip(fake: FakeTelegramAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app = build_application(fake)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with running_application(app):
        sent = fake.send_text(1001, "hello there", username="ann")
        fake.send_text(1002, "¿qué tal? 👋", first_name="Bea", language_code="es")
        await fake.wait_for(lambda f: f.texts(1001) and f.texts(1002))
    assert fake.texts(1001) == ["hello there"]
    assert fake.texts(1002) == ["¿qué tal? 👋"]
    reply = fake.last_message(1001)
    assert reply is not None
    assert reply["from"]["id"] == BOT_USER["id"] and reply["chat"] == {
        "id": 1001, "type": "private", "first_name": "Ann", "username": "ann"
    }
    # ids are shared by both sides of a chat, as in Telegram
    assert reply["message_id"] == sent["message"]["message_id"] + 1
    assert [m["text"] for m in fake.transcript(1001)] == ["hello there", "hello there"]
    assert fake.pending_updates() == 0  # the updater confirmed everything on stop
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]


async def test_command_handler_in_private_and_group(fake: FakeTelegramAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"welcome {context.args}")

    app = build_application(fake)
    app.add_handler(CommandHandler("start", start))
    async with running_application(app):
        fake.send_text(7, "/start campaign42")
        group_update = fake.send_text(7, "/start@feedback_test_bot", chat_id=-1001234)
        fake.send_text(7, "/other")
        fake.send_text(7, "no command")
        await fake.wait_for(lambda f: f.texts(7) and f.texts(-1001234))
        await asyncio.sleep(0.1)  # nothing else is answered
    assert fake.texts(7) == ["welcome ['campaign42']"]
    group_reply = fake.messages(-1001234)
    assert [m["text"] for m in group_reply] == ["welcome []"]
    assert group_reply[0]["chat"]["type"] == "supergroup"
    # PTB quotes the message it answers in groups: reply_parameters becomes reply_to_message
    assert group_reply[0]["reply_to_message"]["message_id"] == group_update["message"]["message_id"]
    assert group_update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 24}]


async def test_callback_query_answered_and_message_edited(fake: FakeTelegramAPI) -> None:
    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = [[InlineKeyboardButton(str(n), callback_data=f"csat:{n}") for n in range(1, 6)]]
        await update.message.reply_text("How did we do?", reply_markup=InlineKeyboardMarkup(keyboard))

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Thanks!")
        await query.edit_message_text(f"You rated {query.data}")

    app = build_application(fake)
    app.add_handler(CommandHandler("survey", ask))
    app.add_handler(CallbackQueryHandler(answer))
    async with running_application(app):
        fake.send_text(55, "/survey")
        [question] = await fake.wait_for_messages(55)
        buttons = question["reply_markup"]["inline_keyboard"][0]
        assert [b["callback_data"] for b in buttons] == ["csat:1", "csat:2", "csat:3", "csat:4", "csat:5"]
        press = fake.press(55, "csat:4", question["message_id"])
        await fake.wait_for(lambda f: f.texts(55) == ["You rated csat:4"])
    query_id = press["callback_query"]["id"]
    assert fake.callback_answers[query_id]["text"] == "Thanks!"
    [edited] = fake.messages(55)
    assert "reply_markup" not in edited and "edit_date" in edited  # editing text without markup drops the keyboard
    assert press["callback_query"]["message"]["text"] == "How did we do?"


async def test_redelivered_update_is_handled_again(fake: FakeTelegramAPI) -> None:
    seen: list[int] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    app = build_application(fake)
    app.add_handler(MessageHandler(filters.ALL, record))
    async with running_application(app):
        first = fake.send_text(3, "one")
        await fake.wait_for(lambda f: len(seen) == 1)
        fake.send_text(3, "two")
        fake.requeue(first)  # same update_id, already confirmed: still served again
        await fake.wait_for(lambda f: len(seen) == 3)
        await asyncio.sleep(0.1)
    assert sorted(seen) == [first["update_id"], first["update_id"], first["update_id"] + 1]
    assert fake.pending_updates() == 0


async def test_shutdown_is_fast_even_with_a_long_poll_open(fake: FakeTelegramAPI) -> None:
    app = build_application(fake)
    started = time.monotonic()
    async with running_application(app, poll_timeout=30, stop_timeout=10):
        await fake.wait_for(lambda f: f.calls_to("getUpdates"))
        await asyncio.sleep(0.1)
    assert time.monotonic() - started < 10


async def test_fake_stop_wakes_open_long_polls() -> None:
    async with running_fake_telegram() as api, telegram.Bot(api.token, base_url=api.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=30, read_timeout=40))
        await api.wait_for(lambda f: f.calls_to("getUpdates"))
        await asyncio.sleep(0.05)
        await asyncio.wait_for(api.stop(), 10)
        assert await asyncio.wait_for(poll, 10) == ()


# ----------------------------------------------------------------------------------------------------------------------
# With a Bot, method by method


async def test_get_me_and_wrong_token(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    assert bot.username == "feedback_test_bot" and bot.id == 123456
    me = await bot.get_me()
    assert me.can_join_groups is True and me.supports_inline_queries is False
    with pytest.raises(InvalidToken):
        async with telegram.Bot("999:WRONG", base_url=fake.base_url):
            pass
    assert fake.calls[-1].status == 401 and fake.calls[-1].error == "Unauthorized"


async def test_unknown_method(bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})


async def test_429_surfaces_as_retry_after(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "hi")
    assert seconds(caught.value.retry_after) == 7
    assert (await bot.send_message(1, "hi")).text == "hi"  # only the next call failed


async def test_fail_next_counts_and_5xx(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.fail_next("sendMessage", 502, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(1, "hi")
    await bot.send_message(1, "hi")
    assert [c.status for c in fake.calls_to("sendMessage")] == [502, 502, 200]


async def test_blocked_user_is_forbidden(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.block(42)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(42, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(42, "typing")
    fake.unblock(42)
    await bot.send_message(42, "hi again")
    assert fake.texts(42) == ["hi again"]


async def test_dropped_connection_is_a_network_error(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.drop_connection_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(1, "lost")
    assert fake.texts(1) == []
    await bot.send_message(1, "kept")
    assert fake.texts(1) == ["kept"]


async def test_multipart_uploads_are_recorded(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(1000)
    message = await bot.send_photo(9, photo=io.BytesIO(png), filename="chart.png", caption="<b>NPS</b>",
                                   parse_mode="HTML")
    assert message.caption == "NPS" and message.photo[-1].file_size == len(png)
    [call] = fake.calls_to("sendPhoto")
    assert call.params["photo"]["filename"] == "chart.png" and call.params["photo"]["size"] == len(png)
    assert call.files["photo"].data == png and call.params["caption"] == "<b>NPS</b>"

    doc = await bot.send_document(9, document=b"a,b\n1,2\n", filename="export.csv")
    assert doc.document is not None and doc.document.file_name == "export.csv" and doc.document.file_size == 8
    downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"a,b\n1,2\n"
    assert [m.get("caption") for m in fake.messages(9)] == ["NPS", None]


async def test_edits(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=5, message_id=99)
    sent = await bot.send_message(5, "Rate us", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("👍", callback_data="up")]]))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Rate us", chat_id=5, message_id=sent.message_id,
                                    reply_markup=sent.reply_markup)
    edited = await bot.edit_message_reply_markup(chat_id=5, message_id=sent.message_id, reply_markup=None)
    assert isinstance(edited, telegram.Message) and edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=5, message_id=sent.message_id)
    await bot.edit_message_text("Thanks", chat_id=5, message_id=sent.message_id)
    assert fake.texts(5) == ["Thanks"]
    user_message = fake.send_text(5, "mine")["message"]
    with pytest.raises(BadRequest, match=r"(?i)can.t be edited"):
        await bot.edit_message_text("x", chat_id=5, message_id=user_message["message_id"])
    assert await bot.delete_message(5, sent.message_id) is True
    assert fake.messages(5) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(5, sent.message_id)


async def test_validation_like_telegram(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(1, "line<br>break", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(1, "<b>open", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(1, "Score: 9.5!", parse_mode="MarkdownV2")
    assert (await bot.send_message(1, r"*Score* 9\.5\!", parse_mode="MarkdownV2")).text == "Score 9.5!"
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(1, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("x", callback_data="d" * 65)]]))
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("unknown")


async def test_rate_limits(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.clock = lambda: 1000.0  # time stands still: every send below falls in the same windows
    fake.enable_rate_limits(global_per_second=30, per_chat_per_second=1, group_per_minute=3)
    await bot.send_message(1, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "second")
    assert seconds(caught.value.retry_after) >= 1
    limited = 0
    for chat in range(100, 140):
        try:
            await bot.send_message(chat, "broadcast")
        except RetryAfter:
            limited += 1
    assert limited >= 40 - 29  # 30 per second, one already used
    fake.enable_rate_limits(per_chat_per_second=0, group_per_minute=3)  # 0 disables a limit; windows restart
    for n in range(3):
        await bot.send_message(-555, f"group {n}")
    with pytest.raises(RetryAfter) as group_caught:
        await bot.send_message(-555, "one too many")
    assert 59 <= seconds(group_caught.value.retry_after) <= 60
    assert fake.rate_limited_count == 1 + limited + 1
    assert len(fake.messages(-555)) == 3


async def test_commands_members_chats_webhooks(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    await bot.set_my_commands([("survey", "Take the survey")])
    await bot.set_my_commands([("survey", "Umfrage starten")], language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["survey"]
    assert fake.commands("de") == [{"command": "survey", "description": "Umfrage starten"}]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])

    assert (await bot.get_chat_member(-100777, 5)).status == "left"
    for status in ("member", "administrator", "creator", "restricted", "kicked"):
        fake.set_member(-100777, 5, status)
        assert (await bot.get_chat_member(-100777, 5)).status == status

    chat = await bot.get_chat(-100777)
    assert chat.type == "supergroup" and (await bot.get_chat(-5)).type == "group"
    assert await bot.send_chat_action(5, "typing") is True

    assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret") is True
    assert fake.webhook_url == "https://example.invalid/hook" and fake.webhook_secret == "s3cret"
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(telegram.error.Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.close() is True and await bot.log_out() is True


async def test_update_builders_parse(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.my_chat_member(21, "member", "kicked")
    fake.press(21, "late", 77, inaccessible=True)
    fake.send_text(21, "re", reply_to_message_id=1, chat_id=-42, chat_type="group")
    blocked, pressed, reply = await bot.get_updates()
    assert blocked.my_chat_member is not None and blocked.my_chat_member.new_chat_member.status == "kicked"
    assert pressed.callback_query is not None and pressed.callback_query.message is not None
    assert not pressed.callback_query.message.is_accessible
    assert reply.message is not None and reply.message.reply_to_message is not None
    assert reply.message.chat.type == "group"
    with pytest.raises(Forbidden):  # a user who blocked the bot cannot be messaged
        await bot.send_message(21, "still there?")
    assert (await bot.get_chat_member(-42, bot.id)).user.is_bot


async def test_latency_is_added(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    fake.latency = 0.2
    started = time.monotonic()
    await bot.send_message(1, "slow")
    assert time.monotonic() - started >= 0.2


# ----------------------------------------------------------------------------------------------------------------------
# Wire level


async def test_get_updates_offset_limit_and_raw_updates(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    first = fake.send_text(1, "a")
    fake.send_text(1, "b")
    fake.queue_raw({"update_id": 500, "message": {"unparseable": True}})
    fake.send_text(1, "c")
    assert fake.pending_updates() == 4
    status, body = await raw_post(fake, "getUpdates", data={"limit": "2"})
    assert status == 200 and [u["update_id"] for u in body["result"]] == [first["update_id"], first["update_id"] + 1]
    # unconfirmed updates are served again; an offset confirms everything before it
    status, body = await raw_post(fake, "getUpdates", json={"offset": first["update_id"] + 2, "limit": 5})
    assert [u["update_id"] for u in body["result"]] == [500, 501]
    assert body["result"][0] == {"update_id": 500, "message": {"unparseable": True}}
    assert fake.pending_updates() == 2
    assert fake.clear_updates() == 2
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.3)) == ()
    assert 0.25 <= time.monotonic() - started < 3


async def test_long_poll_wakes_on_new_update(fake: FakeTelegramAPI, bot: telegram.Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=20))
    await fake.wait_for(lambda f: f.calls_to("getUpdates"))
    await asyncio.sleep(0.05)
    fake.send_text(8, "wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["wake up"]


async def test_wire_formats_are_decoded(fake: FakeTelegramAPI) -> None:
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": "ok"}]]}
    status, body = await raw_post(fake, "sendMessage", data={"chat_id": "12", "text": "[not json",
                                                             "reply_markup": json.dumps(markup)})
    assert status == 200 and body["result"]["reply_markup"] == markup and body["result"]["text"] == "[not json"
    status, body = await raw_post(fake, "sendMessage", json={"chat_id": 12, "text": "json body"})
    assert status == 200 and body["result"]["message_id"] == 2
    async with aiohttp.ClientSession() as session, session.get(
        f"{fake.base_url}{fake.token}/getMe"
    ) as response:
        assert (await response.json())["result"]["username"] == "feedback_test_bot"
    status, body = await raw_post(fake, "sendMessage", data=b"{broken", headers={"Content-Type": "application/json"})
    assert status == 400 and body["ok"] is False
    status, body = await raw_post(fake, "sendMessage", token="1:nope", data={"chat_id": "1", "text": "x"})
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await raw_post(fake, "noSuchMethod")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
    assert fake.calls_to("sendmessage")[0].params["reply_markup"] == markup


async def test_wait_for_times_out(fake: FakeTelegramAPI) -> None:
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda f: f.texts(1), timeout=0.05)
