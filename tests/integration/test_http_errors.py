"""Every HTTP error is JSON, and nothing a client sends gives a 500 or an ERROR traceback in
the log: hostile bodies to the send API, malformed Slack headers and bodies, an unknown
route, a body too large, a body that trickles in."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap.runtime import Runtime
from bot.web import http as http_mod
from bot.web.api import SendApi
from bot.web.http import HttpServer
from tests.conftest import send_api_server
from tests.e2e.slack_helpers import SlackBot, running_bot
from tests.fakes.slack_api import FakeSlackAPI

TOKEN = "api-secret-token-123"


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[str]:
    async with send_api_server(runtime.inviter, TOKEN) as url:
        yield url


async def post(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers or {}) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


HOSTILE = {
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "nested object": b'{"recipient": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
    "5000-digit integer": b'{"recipient": {"platform": "telegram", "id": ' + b"9" * 5000 + b"}}",
    "5000-digit delay": b'{"recipient": {"platform": "telegram", "id": "42"}, "delay_seconds": ' + b"1" * 5000 + b"}",
    "not UTF-8": b'{"recipient": "\xff\xfe"}',
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
async def test_hostile_bodies_to_the_send_api_get_a_json_400(
    api: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status, content_type, text = await post(f"{api}/v1/surveys/nps/send", body, headers)
    assert status in (400, 422), (status, text[:200])
    assert content_type.startswith("application/json")
    assert json.loads(text)["error"]["code"]
    no_errors_logged(caplog)


async def test_http_errors_of_the_server_itself_are_json(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api}/nowhere") as resp:
            assert resp.status == 404
            assert (await resp.json())["error"]["code"] == "not_found"
        async with session.get(f"{api}/v1/surveys/nps/send") as resp:
            assert resp.status == 405
            assert (await resp.json())["error"]["code"] == "method_not_allowed"
        big = b"x" * (http_mod.MAX_BODY + 1)
        async with session.post(f"{api}/v1/surveys/nps/send", data=big,
                                headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            assert resp.status == 413
            assert (await resp.json())["error"]["code"] == "too_large"


async def test_a_body_that_trickles_in_is_cut_off(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_mod, "BODY_TIMEOUT", 0.5)
    server = HttpServer(["127.0.0.1:0"])
    SendApi(runtime.inviter, TOKEN).install(server.app)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.ports[0])
        writer.write(
            b"POST /v1/surveys/nps/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n".encode()
            + b'{"recipient": '
        )
        await writer.drain()
        # The rest never comes: the server answers 408 (or closes) instead of waiting forever.
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
        assert b'"request_timeout"' in answer
    finally:
        await server.stop()


# -- Slack -------------------------------------------------------------------------------------


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackBot]:
    async with FakeSlackAPI() as fake, running_bot(fake, str(tmp_path / "bot.db")) as bot:
        yield bot


BAD_HEADERS = {
    "timestamp not a number": {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
    "no signature": {"X-Slack-Request-Timestamp": str(int(time.time()))},
    "no headers": {},
    "timestamp too large": {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"},
}


@pytest.mark.parametrize("headers", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
async def test_malformed_slack_headers_get_401_without_a_traceback(
    slack: SlackBot, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"type": "event_callback"}'
    status, _, text = await post(slack.url, body, {**headers, "Content-Type": "application/json"})
    assert status == 401, (status, text)
    no_errors_logged(caplog)


BAD_BODIES = {
    "a JSON string": b'"hello"',
    "null": b"null",
    "a number": b"42",
    "a list": b"[1, 2]",
    "event is a list": b'{"type": "event_callback", "team_id": "T1", "event": []}',
    "event without type": b'{"type": "event_callback", "team_id": "T1", "event": {"user": "U1"}}',
    "not JSON": b"{nope",
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_malformed_signed_slack_bodies_get_400_never_500(
    slack: SlackBot, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**slack.http.signed_headers(body), "Content-Type": "application/json"}
    status, _, text = await post(slack.url, body, headers)
    assert status == 400, (status, text)
    no_errors_logged(caplog)


async def test_a_malformed_interactive_payload_gets_400(slack: SlackBot, caplog: pytest.LogCaptureFixture) -> None:
    for payload in (b"payload=%22x%22", b"payload=null", b"payload=%7Bnope", b"payload=%7B%22type%22%3A%5B%5D%7D"):
        headers = {**slack.http.signed_headers(payload), "Content-Type": "application/x-www-form-urlencoded"}
        status, _, text = await post(slack.url, payload, headers)
        assert status == 400, (payload, status, text)
    no_errors_logged(caplog)
