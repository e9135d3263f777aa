"""The Slack fakes work with the real slack_sdk / slack_bolt clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import (
    BOT_USER_ID,
    FakeSlackAPI,
    SlackRequestSender,
    command_form,
    dm_message,
    serve_bolt_app,
)

SECRET = "test-signing-secret"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as api:
        yield api


@pytest.fixture
async def client(fake: FakeSlackAPI) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token="xoxb-test", base_url=fake.base_url, session=session)


# ---------------------------------------------------------------------- Web API


async def test_base_url_has_trailing_slash(fake: FakeSlackAPI) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/api/")


async def test_auth_and_unknown_method(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    res = await client.auth_test()
    assert (res["team_id"], res["user_id"], res["bot_id"]) == ("T1", "UBOT", "BBOT")

    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    with pytest.raises(SlackApiError) as err:
        await bad.auth_test()
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "invalid_auth"

    anonymous = AsyncWebClient(base_url=fake.base_url)
    with pytest.raises(SlackApiError) as err:
        await anonymous.chat_postMessage(channel="D1", text="x")
    assert err.value.response["error"] == "invalid_auth"

    with pytest.raises(SlackApiError) as err:
        await client.api_call("no.such.method")
    assert err.value.response["error"] == "unknown_method"
    assert [c.method for c in fake.calls] == ["auth.test", "auth.test", "chat.postMessage", "no.such.method"]


async def test_post_update_thread_and_store(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "How did we do?"}}]
    first = await client.chat_postMessage(channel="DU1", text="hello", blocks=blocks)
    second = await client.chat_postMessage(channel="DU1", text="reply", thread_ts=first["ts"])
    assert first["ok"] and first["channel"] == "DU1"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["user"] == "UBOT" and first["message"]["bot_id"] == "BBOT"
    assert first["message"]["blocks"] == blocks
    assert second["message"]["thread_ts"] == first["ts"]

    await client.chat_update(channel="DU1", ts=first["ts"], text="updated", blocks=[])
    msgs = fake.messages("DU1")
    assert [m["text"] for m in msgs] == ["updated", "reply"]
    assert msgs[0]["blocks"] == [] and "edited" in msgs[0]
    assert fake.thread("DU1", first["ts"])[0]["text"] == "reply"

    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="DU1", ts="1.000000", text="x")
    assert err.value.response["error"] == "message_not_found"

    # Posting to a user id lands in the DM, as on Slack.
    res = await client.chat_postMessage(channel="U9", text="dm")
    assert res["channel"] == "DU9" and fake.messages("DU9")[0]["text"] == "dm"

    link = await client.chat_getPermalink(channel="DU1", message_ts=first["ts"])
    assert link["permalink"].endswith(first["ts"].replace(".", ""))
    await client.chat_delete(channel="DU1", ts=second["ts"])
    assert len(fake.messages("DU1")) == 1
    assert len(fake.calls_to("chat.postMessage")) == 3


async def test_form_encoded_and_token_in_body(fake: FakeSlackAPI) -> None:
    form = {"token": "xoxb-test", "channel": "C1", "text": "form", "blocks": json.dumps([{"type": "divider"}])}
    async with aiohttp.ClientSession() as session, session.post(fake.base_url + "chat.postMessage", data=form) as r:
        body = await r.json()
    assert body["ok"] is True
    assert fake.messages("C1")[0]["blocks"] == [{"type": "divider"}]
    assert "token" not in fake.calls[0].params


async def test_users_conversations_views_ephemeral(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    fake.add_user("U1", name="ana", real_name="Ana Lima", locale="pt-BR", tz="America/Sao_Paulo")
    fake.add_user("U2", deleted=True)
    with_locale = await client.users_info(user="U1", include_locale=True)
    assert with_locale["user"]["locale"] == "pt-BR"
    assert with_locale["user"]["tz"] == "America/Sao_Paulo" and with_locale["user"]["tz_offset"] == -3 * 3600
    without = await client.users_info(user="U1")
    assert "locale" not in without["user"]
    assert (await client.users_info(user="U2"))["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"

    opened = await client.conversations_open(users="U1")
    assert opened["channel"]["id"] == "DU1"
    with pytest.raises(SlackApiError) as err:
        await client.conversations_open(users=["U2"])
    assert err.value.response["error"] == "user_disabled"
    info = await client.conversations_info(channel="DU1")
    assert info["channel"]["is_im"] is True and info["channel"]["user"] == "U1"

    fake.add_channel("C1", name="general", members=[f"U{i}" for i in range(5)])
    page1 = await client.conversations_members(channel="C1", limit=3)
    page2 = await client.conversations_members(channel="C1", limit=3, cursor=page1["response_metadata"]["next_cursor"])
    assert page1["members"] + page2["members"] == [f"U{i}" for i in range(5)]
    assert page2["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError):
        await client.conversations_members(channel="C404")

    view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    await client.views_publish(user_id="U1", view=view)
    assert fake.views["U1"]["blocks"] == view["blocks"]

    eph = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert eph["message_ts"] and fake.ephemerals[0]["user"] == "U1"


async def test_rate_limit_fault_surfaces_as_429(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="D1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert fake.rate_limited_count == 1
    await client.chat_postMessage(channel="D1", text="x")  # fault consumed
    assert len(fake.messages("D1")) == 1


async def test_rate_limit_retry_handler_recovers(fake: FakeSlackAPI) -> None:
    fake.fail_next("chat.postMessage", retry_after=0, count=1)
    retrying = AsyncWebClient(
        token="xoxb-test", base_url=fake.base_url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
    )
    res = await retrying.chat_postMessage(channel="D1", text="eventually")
    assert res["ok"] and len(fake.calls_to("chat.postMessage")) == 2


async def test_server_errors_and_ok_false_faults(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", error="service_unavailable", status=503)
    fake.fail_next("conversations.open", error="channel_not_found", status=200, count=2)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="D1", text="x")
    assert err.value.response.status_code == 503
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.conversations_open(users="U1")
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == "channel_not_found"
    assert (await client.conversations_open(users="U1"))["ok"]


async def test_sliding_window_rate_limiter(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    fake.enable_rate_limits({"chat.postMessage": 3}, window=0.5)
    for i in range(3):
        await client.chat_postMessage(channel="D1", text=str(i))
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="D1", text="too many")
    assert err.value.response.status_code == 429
    assert int(err.value.response.headers["Retry-After"]) >= 1
    assert fake.rate_limited_count == 1
    await asyncio.sleep(0.55)
    await client.chat_postMessage(channel="D1", text="again")
    assert len(fake.messages("D1")) == 4


async def test_latency(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    fake.latency = 0.05
    start = time.monotonic()
    await client.auth_test()
    assert time.monotonic() - start >= 0.05


async def test_files_upload_v2_end_to_end(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C1", text="weekly digest")
    data = b"\x89PNG fake chart bytes" * 100
    res = await client.files_upload_v2(
        channel="C1",
        content=data,
        filename="nps.png",
        title="NPS this week",
        initial_comment="Here is the chart",
        thread_ts=parent["ts"],
    )
    assert res["file"]["title"] == "NPS this week"
    [upload] = fake.uploads
    assert upload["data"] == data and upload["size"] == len(data) == upload["length"]
    assert upload["filename"] == "nps.png"
    assert (upload["channel_id"], upload["initial_comment"], upload["thread_ts"]) == (
        "C1",
        "Here is the chart",
        parent["ts"],
    )
    assert [c.method for c in fake.calls][-2:] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


async def test_wait_for_times_out(fake: FakeSlackAPI) -> None:
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda f: bool(f.calls), timeout=0.05)


# ---------------------------------------------------------------------- Bolt over HTTP


def build_app(fake: FakeSlackAPI, session: aiohttp.ClientSession) -> tuple[AsyncApp, dict[str, list[Any]]]:
    seen: dict[str, list[Any]] = {"messages": [], "actions": [], "commands": [], "retries": []}
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token="xoxb-test", base_url=fake.base_url, session=session),
    )

    @app.event("message")
    async def on_message(event: dict[str, Any], say: AsyncSay, context: Any, request: Any) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return
        seen["messages"].append(event)
        seen["retries"].append(request.headers.get("x-slack-retry-num", [None])[0])
        await say(
            text=f"echo: {event['text']}",
            blocks=[
                {
                    "type": "actions",
                    "block_id": "rate",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "rate_5",
                            "value": "5",
                            "text": {"type": "plain_text", "text": "5"},
                        }
                    ],
                }
            ],
        )

    @app.action("rate_5")
    async def on_rate(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        seen["actions"].append(body)
        await respond(text="Thanks for rating 5!", replace_original=True)

    @app.command("/feedback")
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        seen["commands"].append(command)
        await ack(f"survey started for {command['user_id']}")

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    return app, seen


@pytest.fixture
async def bolt(fake: FakeSlackAPI) -> AsyncIterator[tuple[SlackRequestSender, dict[str, list[Any]]]]:
    async with aiohttp.ClientSession() as session:
        app, seen = build_app(fake, session)
        async with serve_bolt_app(app) as url, SlackRequestSender(url, SECRET, fake=fake) as sender:
            yield sender, seen


async def test_bolt_dm_event_say_action_and_respond(
    fake: FakeSlackAPI, bolt: tuple[SlackRequestSender, dict[str, list[Any]]]
) -> None:
    sender, seen = bolt
    resp = await sender.event(dm_message("U1", "the app is great"))
    assert resp.status == 200
    await fake.wait_for(lambda f: len(f.messages("DU1")) == 1)
    [echo] = fake.messages("DU1")
    assert echo["text"] == "echo: the app is great"
    assert fake.calls_to("auth.test"), "Bolt authorizes with auth.test on the first request"

    # bot messages (including our own echo) never reach the listener
    await sender.event(dm_message("U1", "from a bot", bot_id="B2", subtype="bot_message"))
    await sender.event(dm_message(BOT_USER_ID, "self", channel="DU1", bot_id="BBOT"))

    resp = await sender.action("U1", "rate_5", "5", channel="DU1", message_ts=echo["ts"], block_id="rate")
    assert resp.status == 200
    await fake.wait_for(lambda f: len(f.responses) == 1)
    assert seen["actions"][0]["container"]["message_ts"] == echo["ts"]
    assert seen["actions"][0]["message"]["text"] == "echo: the app is great"
    assert fake.messages("DU1")[0]["text"] == "Thanks for rating 5!"
    assert len(seen["messages"]) == 1


async def test_bolt_retry_headers_command_and_home(
    fake: FakeSlackAPI, bolt: tuple[SlackRequestSender, dict[str, list[Any]]]
) -> None:
    sender, seen = bolt
    await sender.event(dm_message("U2", "hi"), event_id="Ev1", retry_num=1, retry_reason="http_timeout")
    await fake.wait_for(lambda f: len(f.messages("DU2")) == 1)
    assert seen["retries"] == ["1"]

    resp = await sender.command("U2", "/feedback", "nps")
    assert resp.status == 200 and resp.text == "survey started for U2"
    assert seen["commands"][0]["text"] == "nps"

    resp = await sender.event({"type": "app_home_opened", "user": "U2", "channel": "DU2", "tab": "home"})
    assert resp.status == 200
    await fake.wait_for(lambda f: "U2" in f.views)


async def test_bolt_rejects_bad_signatures(
    fake: FakeSlackAPI, bolt: tuple[SlackRequestSender, dict[str, list[Any]]]
) -> None:
    sender, seen = bolt
    assert (await sender.event(dm_message("U1", "x"), bad_signature=True)).status == 401
    assert (await sender.event(dm_message("U1", "x"), timestamp=int(time.time()) - 6 * 60)).status == 401
    assert (await sender.command("U1", bad_signature=True)).status == 401
    body = json.dumps({"type": "event_callback", "event": dm_message("U1", "x")}).encode()
    assert (await sender.raw(body, {"Content-Type": "application/json"})).status == 401
    tampered_headers = {"Content-Type": "application/json", **sender.signed_headers(body)}
    assert (await sender.raw(body + b" ", tampered_headers)).status == 401
    await asyncio.sleep(0.05)
    assert seen["messages"] == [] and not fake.messages("DU1")


async def test_bolt_with_invalid_bot_token_runs_no_listener(fake: FakeSlackAPI) -> None:
    fake.bot_token = "xoxb-rotated"
    async with aiohttp.ClientSession() as session:
        app, seen = build_app(fake, session)
        async with serve_bolt_app(app) as url, SlackRequestSender(url, SECRET) as sender:
            resp = await sender.event(dm_message("U1", "hello"))
    assert resp.status == 200
    assert seen["messages"] == [] and fake.calls_to("auth.test")


# ---------------------------------------------------------------------- Socket Mode


async def test_socket_mode_events_and_commands(fake: FakeSlackAPI) -> None:
    async with aiohttp.ClientSession() as session:
        app, seen = build_app(fake, session)
        # The handler's SocketModeClient uses app.client (base_url = fake) for apps.connections.open.
        handler = AsyncSocketModeHandler(app, app_token="xapp-test")
        try:
            await asyncio.wait_for(handler.connect_async(), 5)
            await fake.socket_mode.wait_connected()
            assert fake.calls_to("apps.connections.open")

            env_id = await fake.socket_mode.send_event(dm_message("U3", "over the socket"))
            ack = await fake.socket_mode.wait_ack(env_id)
            assert ack == {"envelope_id": env_id}
            await fake.wait_for(lambda f: len(f.messages("DU3")) == 1)
            assert fake.messages("DU3")[0]["text"] == "echo: over the socket"

            env_id = await fake.socket_mode.send_envelope("slash_commands", command_form("U3", text="csat"))
            ack = await fake.socket_mode.wait_ack(env_id)
            assert ack["payload"] == {"text": "survey started for U3"}

            # the SDK pings right after connecting; the fake pongs and the SDK records it
            await fake.wait_for(lambda f: handler.client.last_ping_pong_time is not None)
            assert fake.socket_mode.pings >= 1

            # a "disconnect" message makes the SDK open a fresh connection
            await fake.socket_mode.send_disconnect()
            await fake.wait_for(lambda f: f.socket_mode.connect_count == 2 and len(f.socket_mode.open_connections) == 1)
            env_id = await fake.socket_mode.send_event(dm_message("U3", "after reconnect"))
            await fake.socket_mode.wait_ack(env_id)
            await fake.wait_for(lambda f: len(f.messages("DU3")) == 2)
        finally:
            await handler.close_async()
    await fake.wait_for(lambda f: not f.socket_mode.open_connections)
    assert len(seen["messages"]) == 2


async def test_socket_mode_rejects_bot_token(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.apps_connections_open(app_token="xoxb-test")
    assert err.value.response["error"] == "not_allowed_token_type"
    url = (await client.apps_connections_open(app_token="xapp-test"))["url"]
    assert url.startswith(f"ws://127.0.0.1:{fake.port}/socket?")


async def test_response_url_modes_and_views_open(fake: FakeSlackAPI, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="DU5", text="survey")
    ts = posted["ts"]
    async with aiohttp.ClientSession() as session:
        for body in (
            {"text": "just for you"},
            {"text": "everyone", "response_type": "in_channel"},
            {"delete_original": True},
        ):
            url = fake.new_response_url(channel="DU5", message_ts=ts, user="U5")
            async with session.post(url, json=body) as r:
                assert r.status == 200
    assert fake.ephemerals[-1]["text"] == "just for you" and fake.ephemerals[-1]["user"] == "U5"
    assert [m["text"] for m in fake.messages("DU5")] == ["everyone"]
    assert len(fake.responses) == 3

    opened = await client.views_open(
        trigger_id="t1", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}}
    )
    assert fake.opened_views[0]["view"]["id"] == opened["view"]["id"]
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id="", view={"type": "modal"})
    assert err.value.response["error"] == "invalid_trigger_id"
