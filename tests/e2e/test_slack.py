"""Slack end to end: the real slack-bolt AsyncApp (signature checks on) and slack_sdk client,
feedbackbot's service, store and delivery loop, against the fake Slack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from handlers.base import PermanentError, RetryLater, TransientError, Unreachable
from handlers.slack.commands import parse_feedback_command
from handlers.slack.errors import translate_error
from handlers.slack.inbound import inbound_from_action, inbound_from_message
from handlers.slack.render import escape, render
from surveys.model import Block, Choice, Destination, OutMessage
from surveys.texts import text as catalog_text
from tests.e2e.slack_helpers import (
    SIGNING_SECRET,
    STAFF_CHANNEL,
    SlackBot,
    block_text,
    button_for,
    buttons,
    home_action_payload,
    running_bot,
)
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackAPI, channel_message, command_form, dm_message, event_callback
from tests.postgres import RUNTIMES_ON_POSTGRES

WAIT = 20.0  # generous: a loaded 2-core machine is slow, never wrong


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as api:
        api.add_user("U1", name="ana", real_name="Ana Lima", locale="en-US")
        api.add_user("U2", name="bo", real_name="Bo Berg", locale="en-GB")
        api.add_channel(STAFF_CHANNEL, name="feedback-staff", members=["USTAFF", BOT_USER_ID])
        yield api


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "bot.db")


@pytest.fixture
async def bot(fake: FakeSlackAPI, db_path: str) -> AsyncIterator[SlackBot]:
    async with running_bot(fake, db_path) as running:
        yield running


async def start_survey(bot: SlackBot, user: str, survey: str = "") -> dict[str, Any]:
    """/feedback [survey] and wait for the question in the user's DM."""
    dm = "D" + user
    before = len(bot.fake.messages(dm))
    resp = await bot.http.command(user, "/feedback", survey)
    assert resp.status == 200
    await bot.fake.wait_for(lambda f: len(f.messages(dm)) > before, timeout=WAIT)
    return bot.fake.messages(dm)[-1]


async def press(bot: SlackBot, user: str, message: dict[str, Any], answer: str, *, value: str | None = None) -> None:
    button = button_for(message, answer)
    resp = await bot.http.action(
        user, button["action_id"], value or button["value"], channel=message["channel"], message_ts=message["ts"]
    )
    assert resp.status == 200


def edited(fake: FakeSlackAPI, message: dict[str, Any]) -> dict[str, Any] | None:
    current = fake.message(message["channel"], message["ts"])
    return current if current is not None and "edited" in current else None


# ---------------------------------------------------------------------- full surveys


async def test_nps_survey_with_buttons(bot: SlackBot) -> None:
    fake = bot.fake
    question = await start_survey(bot, "U1")
    assert "How likely are you to recommend Acme" in question["text"]
    rows = buttons(question)
    assert [len(r) for r in rows] == [6, 5], "NPS 0-10 arrives as two action rows"
    action_ids = [b["action_id"] for r in rows for b in r]
    assert len(set(action_ids)) == 11
    assert [b["text"]["text"] for r in rows for b in r] == [str(i) for i in range(11)]

    await press(bot, "U1", question, "s9")
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2 and edited(f, question) is not None, timeout=WAIT)
    closed = edited(fake, question)
    assert closed is not None
    assert buttons(closed) == [], "the answered question loses its buttons"
    assert "9/10" in closed["text"] and "9/10" in block_text(closed)
    followup = fake.messages("DU1")[1]
    assert followup["text"].startswith("Great to hear!")
    assert [b["value"].rsplit(":", 1)[1] for r in buttons(followup) for b in r] == ["skip"]

    assert (await bot.http.event(dm_message("U1", "Quick & friendly <support>"))).status == 200
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)
    assert fake.messages("DU1")[2]["text"].startswith("Thank you!")

    await bot.settle()
    assert fake.ephemerals == [], "the edited question already confirms the press: no 'Got it!' clutter"
    [response] = await bot.responses()
    assert (response["survey_id"], response["score"], response["status"]) == ("nps", 9, "answered")
    assert response["comment"] == "Quick & friendly <support>"
    assert (response["display_name"], response["handle"], response["language"]) == ("Ana Lima", "ana", "en")


async def test_csat_survey_with_typed_answers(bot: SlackBot) -> None:
    fake = bot.fake
    question = await start_survey(bot, "U2", "csat")
    assert question["text"].startswith("How satisfied are you with Acme support?")
    rows = buttons(question)
    assert [len(r) for r in rows] == [1, 1, 1, 1, 1]
    assert rows[0][0]["text"]["text"] == "1 · Very unsatisfied"
    assert len({b["action_id"] for r in rows for b in r}) == 5

    await bot.http.event(dm_message("U2", "I'd say 4"))
    await fake.wait_for(lambda f: len(f.messages("DU2")) == 2, timeout=WAIT)
    # The customer's own message shows the score: the question is left as it was...
    assert edited(fake, question) is None and not fake.calls_to("chat.update")
    # ...until one of its buttons is pressed, which changes nothing but closes it.
    await press(bot, "U2", question, "s1")
    await fake.wait_for(lambda f: edited(f, question) is not None, timeout=WAIT)
    closed = edited(fake, question)
    assert closed is not None and buttons(closed) == [] and closed["text"].endswith("Your answer: Satisfied")
    assert len(fake.messages("DU2")) == 2

    await bot.http.event(dm_message("U2", "The agent solved it in minutes."))
    await fake.wait_for(lambda f: len(f.messages("DU2")) == 3, timeout=WAIT)
    assert fake.messages("DU2")[2]["text"].startswith("Thank you!")
    await bot.settle()
    [response] = await bot.responses()
    assert (response["survey_id"], response["score"], response["comment_status"]) == ("csat", 4, "given")
    assert not fake.ephemerals, "typed answers need no ephemeral notes"


async def test_slash_command_lands_in_dm_wherever_typed(bot: SlackBot) -> None:
    fake = bot.fake
    resp = await bot.http.command("U1", "/feedback", "csat", channel_id="CGENERAL")
    assert resp.status == 200 and resp.text == ""
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
    assert fake.messages("DU1")[0]["text"].startswith("How satisfied are you with Acme support?")
    assert not fake.messages("CGENERAL")
    assert fake.calls_to("conversations.open")

    await bot.http.command("U1", "/feedback", "stop")
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
    assert "won't get survey invitations" in fake.messages("DU1")[1]["text"]


# ---------------------------------------------------------------------- buttons that must not count


async def test_stale_press_after_survey_finished(bot: SlackBot) -> None:
    fake = bot.fake
    question = await start_survey(bot, "U1")
    await bot.http.event(dm_message("U1", "10"))
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
    await bot.http.event(dm_message("U1", "Love it"))
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)

    await press(bot, "U1", question, "s3")
    await fake.wait_for(lambda f: bool(f.ephemerals), timeout=WAIT)
    assert fake.ephemerals[0]["text"] == "This survey is already finished."
    await bot.settle()
    assert len(fake.messages("DU1")) == 3
    [response] = await bot.responses()
    assert response["score"] == 10


async def test_forged_button_value_is_someone_elses(bot: SlackBot) -> None:
    fake = bot.fake
    theirs = await start_survey(bot, "U1")
    mine = await start_survey(bot, "U2")
    forged = button_for(theirs, "s0")["value"]
    await press(bot, "U2", mine, "s5", value=forged)
    await fake.wait_for(lambda f: bool(f.ephemerals), timeout=WAIT)
    assert fake.ephemerals[0]["text"] == "This button belongs to someone else's survey."
    assert fake.ephemerals[0]["user"] == "U2"
    await bot.settle()
    assert edited(fake, theirs) is None and edited(fake, mine) is None
    assert len(fake.messages("DU1")) == 1 and len(fake.messages("DU2")) == 1
    assert all(r["score"] is None for r in await bot.responses())


async def test_double_press_records_one_answer(bot: SlackBot) -> None:
    fake = bot.fake
    question = await start_survey(bot, "U1")
    await asyncio.gather(press(bot, "U1", question, "s8"), press(bot, "U1", question, "s2"))
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
    await bot.settle()
    assert len(fake.messages("DU1")) == 2, "one follow-up only"
    # The second press repeats the first one's edit, which delivery sees is already showing.
    assert len(fake.calls_to("chat.update")) == 1
    [response] = await bot.responses()
    assert response["score"] in (8, 2)
    closed = edited(fake, question)
    assert closed is not None and f"{response['score']}/10" in closed["text"]
    assert fake.ephemerals == [], "the second press changed nothing, so there is nothing to say"


# ---------------------------------------------------------------------- redelivery and restarts


async def test_retried_event_is_handled_once(bot: SlackBot) -> None:
    fake = bot.fake
    await start_survey(bot, "U1")
    event = dm_message("U1", "7")
    assert (await bot.http.event(event, event_id="EvRetry1")).status == 200
    assert (await bot.http.event(event, event_id="EvRetry1", retry_num=1, retry_reason="http_timeout")).status == 200
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
    await bot.settle()
    assert len(fake.messages("DU1")) == 2
    [response] = await bot.responses()
    assert response["score"] == 7 and response["comment"] is None


async def test_restart_mid_survey_continues(fake: FakeSlackAPI, db_path: str) -> None:
    async with running_bot(fake, db_path) as first:
        question = await start_survey(first, "U1")
        await first.settle()
    # A new process: new Bolt app, new caches, same database.
    async with running_bot(fake, db_path) as second:
        await press(second, "U1", question, "s7")
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 2 and edited(f, question) is not None, timeout=WAIT)
        assert fake.messages("DU1")[1]["text"].startswith("Thanks! What is the one thing")
        await second.http.event(dm_message("U1", "More integrations please"))
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)
        await second.settle()
        [response] = await second.responses()
        assert (response["score"], response["comment"]) == (7, "More integrations please")


async def test_message_queued_before_restart_is_delivered_after(fake: FakeSlackAPI, db_path: str) -> None:
    fake.fail_next("chat.postMessage", error="service_unavailable", status=503, count=1000)
    async with running_bot(fake, db_path) as first:
        await first.http.command("U1", "/feedback", "")
        await first.component.drain(WAIT)
        await fake.wait_for(lambda f: len(f.calls_to("chat.postMessage")) >= 1, timeout=WAIT)
    fake.clear_faults()
    async with running_bot(fake, db_path):
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
    assert "How likely" in fake.messages("DU1")[0]["text"]


# ---------------------------------------------------------------------- what must be refused or ignored


async def test_bad_signature_and_stale_timestamp_rejected(bot: SlackBot) -> None:
    fake = bot.fake
    assert (await bot.http.event(dm_message("U1", "hi"), bad_signature=True)).status == 401
    assert (await bot.http.event(dm_message("U1", "hi"), timestamp=int(time.time()) - 6 * 60)).status == 401
    assert (await bot.http.command("U1", "/feedback", "", bad_signature=True)).status == 401
    assert (
        await bot.http.action("U1", "fb_0", "f:x:s1", channel="DU1", message_ts="1.0", bad_signature=True)
    ).status == 401
    await bot.settle()
    assert fake.message_count == 0
    assert await bot.responses() == []


async def test_url_verification_challenge_answered(bot: SlackBot) -> None:
    body = json.dumps({"token": "vtoken", "challenge": "c-123", "type": "url_verification"}).encode()
    headers = {"Content-Type": "application/json", **bot.http.signed_headers(body)}
    resp = await bot.http.raw(body, headers)
    assert resp.status == 200 and "c-123" in resp.text


async def test_bot_messages_subtypes_and_channel_chatter_ignored(bot: SlackBot) -> None:
    fake = bot.fake
    ignored = [
        dm_message("U1", "from another bot", bot_id="B2", subtype="bot_message"),
        dm_message(BOT_USER_ID, "our own echo", channel="DU1", bot_id="BBOT"),
        dm_message("U1", "edited", subtype="message_changed"),
        dm_message("U1", "", subtype="channel_join"),
        dm_message("U1", "gone", subtype="message_deleted"),
        channel_message("U1", "hello channel", channel="CGENERAL"),
        channel_message("USTAFF", "top-level staff chatter", channel=STAFF_CHANNEL),
    ]
    for event in ignored:
        assert (await bot.http.event(event)).status == 200
    await bot.settle()
    assert fake.message_count == 0
    # ...while a plain DM is answered, so the silence above means something.
    await bot.http.event(dm_message("U1", "hello?"))
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
    assert fake.messages("DU1")[0]["text"].startswith("Thanks for your message!")
    await bot.settle()
    assert fake.message_count == 1


async def test_staff_thread_reply_reaches_service_as_staff(bot: SlackBot) -> None:
    seen: list[Any] = []
    service = bot.runtime.service
    original = service.handle

    async def spy(inbound: Any) -> Any:
        seen.append(inbound)
        return await original(inbound)

    service.handle = spy  # type: ignore[method-assign]
    await bot.http.event(channel_message("USTAFF", "On it", channel=STAFF_CHANNEL, thread_ts="1700000000.000100"))
    await bot.http.event(channel_message("U1", "me too", channel=STAFF_CHANNEL, thread_ts="1700000000.000100"))
    await bot.settle()
    assert [(i.user_id, i.is_staff, i.is_private, i.reply_to_message_id) for i in seen] == [
        ("USTAFF", True, False, "1700000000.000100"),
        ("U1", False, False, "1700000000.000100"),
    ]
    assert len(bot.fake.calls_to("conversations.members")) == 1, "membership is cached"


# ---------------------------------------------------------------------- language, rate limits, Home


async def test_german_locale_gets_german_question(bot: SlackBot) -> None:
    fake = bot.fake
    fake.add_user("U5", name="jo", real_name="Jo Weber", locale="de-DE")
    question = await start_survey(bot, "U5")
    survey = bot.runtime.config.surveys["nps"]
    assert question["text"].startswith(escape(catalog_text("de", "question_nps", survey)))
    assert question["text"].startswith("Wie wahrscheinlich")
    assert all(str(c.params.get("include_locale")).lower() in ("1", "true") for c in fake.calls_to("users.info"))


async def test_first_contact_lookups_run_side_by_side_and_are_cached(bot: SlackBot) -> None:
    """A newcomer's /feedback needs their DM (conversations.open) and their locale (users.info):
    both are asked at once, not one after the other, and neither again on the next turns."""
    fake = bot.fake
    fake.latency = 0.3
    question = await start_survey(bot, "U1")
    [dm_open] = fake.calls_to("conversations.open")
    [info] = fake.calls_to("users.info")
    assert abs(dm_open.time - info.time) < 0.2, "the two first-contact lookups overlapped"
    fake.latency = 0.0
    await press(bot, "U1", question, "s9")
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
    await bot.http.command("U1", "/feedback", "csat")
    await fake.wait_for(lambda f: len(f.messages("DU1")) >= 3, timeout=WAIT)
    assert len(fake.calls_to("conversations.open")) == 1 and len(fake.calls_to("users.info")) == 1


async def test_rate_limited_post_is_delivered_once_after_retry_after(bot: SlackBot) -> None:
    fake = bot.fake
    fake.fail_next("chat.postMessage", retry_after=1)
    await bot.http.command("U1", "/feedback", "")
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
    await bot.settle()
    attempts = fake.calls_to("chat.postMessage")
    assert len(attempts) == 2 and fake.rate_limited_count == 1
    assert len(fake.messages("DU1")) == 1
    assert attempts[1].time - attempts[0].time >= 0.9, "Retry-After was honoured"


async def test_rate_limited_dm_open_still_starts_the_survey(bot: SlackBot) -> None:
    fake = bot.fake
    fake.fail_next("conversations.open", retry_after=1)
    assert (await bot.http.command("U1", "/feedback", "", channel_id="CGENERAL")).status == 200
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
    assert len(fake.calls_to("conversations.open")) == 2


async def test_home_tab_published_and_buttons_work(bot: SlackBot) -> None:
    fake = bot.fake
    resp = await bot.http.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"})
    assert resp.status == 200
    await fake.wait_for(lambda f: "U1" in f.views, timeout=WAIT)
    view = fake.views["U1"]
    assert view["type"] == "home"
    action_ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == ["home_feedback", "home_stop", "home_start"]

    # Opening the Messages tab publishes nothing.
    await bot.http.event({"type": "app_home_opened", "user": "U2", "channel": "DU2", "tab": "messages"})

    assert (await bot.http.interactive(home_action_payload("U1", "home_feedback"))).status == 200
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
    assert "How likely" in fake.messages("DU1")[0]["text"]
    assert (await bot.http.interactive(home_action_payload("U1", "home_stop"))).status == 200
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
    assert "won't get survey invitations" in fake.messages("DU1")[1]["text"]
    await bot.settle()
    assert "U2" not in fake.views


# ---------------------------------------------------------------------- Socket Mode


async def test_socket_mode_event_acked_and_survey_sent(fake: FakeSlackAPI, db_path: str) -> None:
    async with running_bot(fake, db_path, mode="socket") as bot:
        await fake.socket_mode.wait_connected(timeout=WAIT)
        assert fake.calls_to("apps.connections.open")
        envelope = await fake.socket_mode.send_envelope("slash_commands", command_form("U1", text="nps"))
        assert await fake.socket_mode.wait_ack(envelope, timeout=WAIT) == {"envelope_id": envelope}
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
        question = fake.messages("DU1")[0]
        assert [len(r) for r in buttons(question)] == [6, 5]

        envelope = await fake.socket_mode.send_event(dm_message("U1", "8"))
        assert await fake.socket_mode.wait_ack(envelope, timeout=WAIT) == {"envelope_id": envelope}
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)

        # A redelivered envelope (same event_id, retry_attempt 1) changes nothing.
        body = event_callback(dm_message("U1", "great product"), event_id="EvSock1")
        for attempt in (0, 1):
            env = await fake.socket_mode.send_envelope("events_api", body, retry_attempt=attempt)
            await fake.socket_mode.wait_ack(env, timeout=WAIT)
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)
        await bot.settle()
        assert len(fake.messages("DU1")) == 3
        [response] = await bot.responses()
        assert (response["score"], response["comment"]) == (8, "great product")
    await fake.wait_for(lambda f: not f.socket_mode.open_connections, timeout=WAIT)


# ---------------------------------------------------------------------- the pure parts


def test_render_escapes_and_shapes_blocks() -> None:
    to = Destination("slack", "C1")
    message = OutMessage(
        to,
        "Alert for <!channel> & co",
        blocks=(
            Block("heading", "Unhappy customer"),
            Block("field", "3/10", "Score"),
            Block("field", "Ana <ana@x>", "Customer"),
            Block("quote", "It broke\n<script> & more"),
            Block("divider"),
            Block("context", "Opened 10:00"),
        ),
        choices=((Choice("Claim", "e:1:claim", "claim"), Choice("Resolve", "e:1:resolve", "resolve")),),
    )
    text, blocks = render(message)
    assert text == "Alert for &lt;!channel&gt; &amp; co"
    assert [b["type"] for b in blocks] == ["header", "section", "section", "divider", "context", "actions"]
    assert [f["text"] for f in blocks[1]["fields"]] == ["*Score:* 3/10", "*Customer:* Ana &lt;ana@x&gt;"]
    assert blocks[2]["text"]["text"] == "> It broke\n> &lt;script&gt; &amp; more"
    assert [(e["action_id"], e["value"]) for e in blocks[5]["elements"]] == [
        ("fb_0", "e:1:claim"),
        ("fb_1", "e:1:resolve"),
    ]

    long = OutMessage(to, "x" * 7000)
    _, blocks = render(long)
    assert [len(b["text"]["text"]) for b in blocks] == [3000, 3000, 1000]

    # Slack only knows /feedback: the catalogs' /skip and /stop become sub-commands, in the
    # text and in the blocks alike, and a path-like "a/b" is left alone.
    text, blocks = render(OutMessage(to, "Type /skip or /stop.", blocks=(Block("text", "Or /help, and a/b"),)))
    assert text == "Type /feedback skip or /feedback stop."
    assert blocks[0]["text"]["text"] == "Or /feedback help, and a/b"


def test_payload_conversions() -> None:
    body = event_callback(dm_message("U1", "hello", ts="1.000001"), event_id="Ev9")
    inbound = inbound_from_message(body, bot_user_id=BOT_USER_ID, staff_channel="CS")
    assert inbound is not None
    assert (inbound.event_id, inbound.chat_id, inbound.text, inbound.is_private) == ("slack:Ev9", "DU1", "hello", True)
    typed = inbound_from_message(event_callback(dm_message("U1", " /skip")), bot_user_id=None, staff_channel="")
    assert typed is not None and typed.command == "skip"
    top_level = event_callback(channel_message("U1", "x", channel="CS", ts="2.0"))
    assert inbound_from_message(top_level, bot_user_id=None, staff_channel="CS") is None
    own = event_callback(dm_message(BOT_USER_ID, "x"))
    assert inbound_from_message(own, bot_user_id=BOT_USER_ID, staff_channel="") is None

    from tests.fakes.slack_api import block_actions_payload

    payload = block_actions_payload("U1", "fb_3", "f:n:s3", channel="DU1", message_ts="5.5")
    action = inbound_from_action(payload)
    assert action is not None and action.button == "f:n:s3" and action.message_id == "5.5"
    assert action.event_id.startswith("slack:action:DU1:5.5:") and action.event_id.endswith(":U1")

    assert parse_feedback_command("") == ("feedback", "")
    assert parse_feedback_command(" CSAT ") == ("feedback", "CSAT")
    assert parse_feedback_command("Stop") == ("stop", "")
    assert parse_feedback_command("help me") == ("help", "me")


def test_error_translation() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.slack_response import SlackResponse

    def api_error(error: str, status: int = 200, headers: dict[str, str] | None = None) -> SlackApiError:
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url="x",
            req_args={},
            data={"ok": False, "error": error},
            headers=headers or {},
            status_code=status,
        )
        return SlackApiError("failed", response)

    limited = translate_error(api_error("ratelimited", 429, {"retry-after": "7"}))
    assert isinstance(limited, RetryLater) and limited.retry_after == 7
    assert isinstance(translate_error(api_error("user_disabled")), Unreachable)
    assert isinstance(translate_error(api_error("cannot_dm_bot")), Unreachable)
    assert isinstance(translate_error(api_error("channel_not_found")), PermanentError)
    assert isinstance(translate_error(api_error("invalid_blocks")), PermanentError)
    assert isinstance(translate_error(api_error("internal_error", 503)), TransientError)
    assert isinstance(translate_error(TimeoutError()), TransientError)
    assert translate_error(ValueError("bug")) is None


async def test_invitation_by_user_id_is_sent_to_the_dm_and_edited_there(bot: SlackBot) -> None:
    """The send API addresses people by user id; the question must land in (and be
    edited in) the DM channel, which chat.update requires."""
    from bot.services.invitations import InviteRequest

    fake = bot.fake
    fake.add_user("U77", name="inv", real_name="Invited Person")
    result = await bot.runtime.inviter.invite(InviteRequest("nps", "slack", "U77", context={"ticket": "T1"}))
    assert result.status == "sent"
    await fake.wait_for(lambda f: len(f.messages("DU77")) == 1, timeout=WAIT)
    question = fake.messages("DU77")[0]
    assert [c.params.get("channel") for c in fake.calls_to("chat.postMessage")][-1] == "DU77"
    await press(bot, "U77", question, "s3")
    await fake.wait_for(lambda f: edited(f, question) is not None, timeout=WAIT)
    assert [c.params.get("channel") for c in fake.calls_to("chat.update")][-1] == "DU77"
    await fake.wait_for(lambda f: len(f.messages("DU77")) == 2, timeout=WAIT)
    followup = fake.messages("DU77")[-1]
    assert "went wrong" in followup["text"] and "Skip" in str(followup["blocks"])


async def test_logs_never_contain_secrets_or_message_text(
    fake: FakeSlackAPI, db_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Privacy: a whole survey (with a rate-limited send and a bad signature on the way)
    leaves no token, signing secret or customer text in the INFO+ logs."""
    import logging

    caplog.set_level(logging.INFO)
    secret_text = "Xylophone-7781 my very private complaint"
    fake.fail_next("chat.postMessage", retry_after=1)
    async with running_bot(fake, db_path) as bot:
        question = await start_survey(bot, "U1")
        await press(bot, "U1", question, "s2")
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
        assert (await bot.http.event(dm_message("U1", secret_text))).status == 200
        assert (await bot.http.event(dm_message("U1", secret_text), bad_signature=True)).status == 401
        await fake.wait_for(lambda f: len(f.messages("DU1")) == 3, timeout=WAIT)
        await bot.settle()
    logged = caplog.text
    assert logged, "the run should have logged something (the 429 at least)"
    for secret in (fake.bot_token, SIGNING_SECRET, fake.app_token, secret_text, "private complaint"):
        assert secret not in logged, secret


async def test_stop_mydata_and_forget_in_slack(bot: SlackBot) -> None:
    fake = bot.fake
    question = await start_survey(bot, "U2")
    await press(bot, "U2", question, "s3")
    await fake.wait_for(lambda f: len(f.messages("DU2")) == 2, timeout=WAIT)
    assert (await bot.http.event(dm_message("U2", "Wombat-unique text about billing"))).status == 200
    await fake.wait_for(lambda f: len(f.messages("DU2")) == 3, timeout=WAIT)

    assert (await bot.http.command("U2", "/feedback", "mydata")).status == 200
    await fake.wait_for(lambda f: len(f.uploads) == 1, timeout=WAIT)
    export = fake.uploads[0]
    assert b"Wombat-unique text" in export["data"] and export["channel_id"] == "DU2"

    assert (await bot.http.command("U2", "/feedback", "stop")).status == 200
    await fake.wait_for(lambda f: any("won't get survey invitations" in m["text"] for m in f.messages("DU2")),
                        timeout=WAIT)

    assert (await bot.http.command("U2", "/feedback", "forget")).status == 200
    await fake.wait_for(lambda f: "Are you sure" in f.messages("DU2")[-1]["text"], timeout=WAIT)
    confirm = fake.messages("DU2")[-1]
    resp = await bot.http.action("U2", "fb_0", "p:forget:yes", channel="DU2", message_ts=confirm["ts"])
    assert resp.status == 200
    await fake.wait_for(lambda f: any("has been deleted" in m["text"] for m in f.messages("DU2")), timeout=WAIT)
    await bot.settle()
    async with bot.runtime.store.transaction() as tx:
        assert await tx.respondent("slack", "U2") is None
    await bot.runtime.store.compact()
    if not RUNTIMES_ON_POSTGRES:  # the SQLite file's bytes (PostgreSQL's VACUUM: test_postgres_store.py)
        raw = b"".join(p.read_bytes() for p in Path(bot.runtime.store.path).parent.glob("*.db*"))
        assert b"Wombat-unique" not in raw and b"Bo Berg" not in raw


async def test_digest_on_demand_in_the_staff_channel(bot: SlackBot) -> None:
    """`/feedback digest` typed in the staff channel posts the digest there, for staff only."""
    fake = bot.fake
    fake.add_user("USTAFF", name="sam", real_name="Sam Staff")
    fake.add_user("UOUT", name="eve", real_name="Eve Outsider")
    resp = await bot.http.command("USTAFF", "/feedback", "digest", channel_id=STAFF_CHANNEL)
    assert resp.status == 200
    await fake.wait_for(lambda f: len(f.messages(STAFF_CHANNEL)) >= 1, timeout=WAIT)
    await bot.settle()
    assert "nps" in str(fake.messages(STAFF_CHANNEL)[0]).lower()
    before = len(fake.messages(STAFF_CHANNEL))
    resp = await bot.http.command("UOUT", "/feedback", "digest", channel_id=STAFF_CHANNEL)
    assert resp.status == 200
    # The refusal is for the person who asked alone (the slash command's response_url, which
    # works even for someone who is not in the channel), never a post to the whole channel.
    await fake.wait_for(
        lambda f: any("only support staff" in (e["text"] or "") and e["user"] == "UOUT" for e in f.ephemerals),
        timeout=WAIT,
    )
    await bot.settle()
    assert len(fake.messages(STAFF_CHANNEL)) == before  # no refusal in the channel, no digest
