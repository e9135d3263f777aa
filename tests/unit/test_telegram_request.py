"""The aiohttp transport under python-telegram-bot: what reaches the wire, and how failures
surface as PTB's own errors (which handlers.telegram translates for the delivery loop)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from handlers.telegram.request import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        if request.path.endswith("/slow"):
            await asyncio.sleep(5)
        entry: dict[str, Any] = {"method": request.method, "agent": request.headers.get("User-Agent")}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            parts = {}
            async for part in reader:
                parts[part.name] = (part.filename, part.headers.get("Content-Type"), await part.read())  # type: ignore[union-attr]
            entry["parts"] = parts
        else:
            entry["content_type"] = request.content_type
            entry["body"] = await request.read()
        seen.append(entry)
        if request.path.endswith("/getMe"):
            me = {"id": 1, "is_bot": True, "first_name": "Bot", "username": "fb_bot"}
            return web.json_response({"ok": True, "result": me})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


def _bot(base: str) -> Bot:
    return Bot("123:ABC", base_url=f"{base}/bot", request=AiohttpRequest(4), get_updates_request=AiohttpRequest(1))


async def test_parameters_are_sent_as_one_json_body(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = server
    parameters = {"chat_id": 5, "text": "Très bien 👍 & <b>", "reply_markup": {"a": [1]}, "unset": None}
    async with _bot(base) as bot:  # PTB builds the request (its RequestData), the transport sends it
        assert await bot.do_api_request("sendMessage", parameters) is True
    assert seen[-1]["content_type"] == "application/json"
    # Nested values stay JSON objects (not JSON strings inside the JSON); unset ones are left out.
    assert json.loads(seen[-1]["body"]) == {"chat_id": 5, "text": "Très bien 👍 & <b>", "reply_markup": {"a": [1]}}
    assert seen[-1]["agent"] == AiohttpRequest.USER_AGENT


async def test_a_call_without_parameters_has_no_body(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = server
    async with AiohttpRequest(4) as request:
        status, _ = await request.do_request(f"{base}/botT/getMe", "POST", RequestData([]))
    assert status == 200 and seen[0]["body"] == b""


async def test_files_go_as_multipart_with_name_and_type(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = server
    photo = InputFile(b"\x89PNG fake", filename="chart.png", attach=False)
    async with _bot(base) as bot:
        assert await bot.do_api_request("sendPhoto", {"chat_id": 5, "photo": photo}) is True
    parts = seen[-1]["parts"]
    assert parts["chat_id"][2] == b"5"
    assert parts["photo"] == ("chart.png", "image/png", b"\x89PNG fake")


async def test_a_slow_answer_is_ptbs_timed_out(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = server
    async with AiohttpRequest(4, read_timeout=0.2) as request:
        with pytest.raises(TimedOut):
            await request.do_request(f"{base}/botT/slow", "POST", None)


async def test_a_refused_connection_is_ptbs_network_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AiohttpRequest(4) as request:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:{port}/botSECRET/getMe", "POST", None)
    assert not isinstance(caught.value, TimedOut)


async def test_unused_before_initialize_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest(1).do_request("http://127.0.0.1:1/x", "POST", None)


async def test_a_bot_talks_through_it(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = server
    bot = Bot("123:ABC", base_url=f"{base}/bot", request=AiohttpRequest(4), get_updates_request=AiohttpRequest(1))
    async with bot:
        assert await bot.delete_webhook() is True
    assert seen and seen[-1]["method"] == "POST"
