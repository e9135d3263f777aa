"""No secret reaches the log at any level, DEBUG included: the end-to-end flows of every
channel (Telegram polling and webhook, Slack HTTP and Socket Mode, the send API) run with the
bot's own log handler at DEBUG, and the captured log is searched for every secret value."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.cli import logs
from bot.web.api import SendApi
from bot.web.http import HttpServer
from tests.e2e import slack_helpers
from tests.e2e.telegram_helpers import bot_config, button_data, running_bot
from tests.fakes.slack_api import FakeSlackAPI, dm_message
from tests.fakes.telegram_api import FakeTelegramAPI

TELEGRAM_TOKEN = "7654321:SECRET-telegram-bot-token"
WEBHOOK_SECRET = "SECRET-telegram-webhook-secret"
SLACK_BOT_TOKEN = "xoxb-SECRET-slack-bot-token"
SLACK_APP_TOKEN = "xapp-SECRET-slack-app-token"
SIGNING_SECRET = slack_helpers.SIGNING_SECRET
API_TOKEN = "SECRET-feedbackbot-api-token"
SECRETS = {
    "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
    "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "FEEDBACKBOT_API_TOKEN": API_TOKEN,
}
WAIT = 30.0


@pytest.fixture
def debug_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The bot's own handler (the one ``feedbackbot`` installs) at DEBUG, secrets from the
    environment as in production."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    logs.setup("DEBUG", stream=stream)
    yield stream
    logs.setup("WARNING", stream=io.StringIO())  # leave the root logger quiet for other tests


def assert_no_secret(text: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"{name} appears in the log"
        # Nor a recognisable piece of it (a URL-encoded or split form).
        assert value.split("-", 1)[-1] not in text, f"part of {name} appears in the log"


async def test_telegram_polling_and_webhook_at_debug(debug_log: io.StringIO, tmp_path: Path) -> None:
    async with FakeTelegramAPI(token=TELEGRAM_TOKEN) as fake:
        async with running_bot(fake, tmp_path / "polling.db") as bot:
            fake.send_text(501, "/feedback")
            [question] = await fake.wait_for_messages(501, 1, timeout=WAIT)
            fake.press(501, button_data(question, "3"), question["message_id"])
            await fake.wait_for_messages(501, 2, timeout=WAIT)
            fake.send_text(501, "the delivery was broken")
            await fake.wait_for_messages(501, 3, timeout=WAIT)
            await bot.runtime.delivery.drain()

        cfg = bot_config(
            fake,
            telegram={"mode": "webhook", "webhook_url": "https://bot.example.com/telegram/webhook"},
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        async with running_bot(fake, tmp_path / "webhook.db", config=cfg) as bot:
            assert fake.webhook_secret == WEBHOOK_SECRET
            assert bot.runtime.http is not None
            url = f"http://127.0.0.1:{bot.runtime.http.ports[0]}/telegram/webhook"
            update = fake.send_text(502, "/feedback")
            async with aiohttp.ClientSession() as session:
                for secret in (WEBHOOK_SECRET, "wrong"):
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
                    async with session.post(url, json=update, headers=headers) as r:
                        assert r.status in (200, 403)
            await fake.wait_for_messages(502, 1, timeout=WAIT)
    text = debug_log.getvalue()
    assert "setWebhook" in text or "set_webhook" in text  # PTB's DEBUG lines were captured
    assert_no_secret(text)


async def test_slack_http_socket_and_send_api_at_debug(debug_log: io.StringIO, tmp_path: Path) -> None:
    async with FakeSlackAPI(bot_token=SLACK_BOT_TOKEN, app_token=SLACK_APP_TOKEN) as fake:
        async with slack_helpers.running_bot(fake, str(tmp_path / "http.db")) as bot:
            assert (await bot.http.event(dm_message("U1", "/feedback"))).status == 200
            await fake.wait_for(lambda f: len(f.messages("DU1")) >= 1, timeout=WAIT)
            await bot.http.event(dm_message("U1", "2"))
            await fake.wait_for(lambda f: len(f.messages("DU1")) >= 2, timeout=WAIT)
            await bot.http.event(dm_message("U1", "9"), bad_signature=True)

            server = HttpServer(["127.0.0.1:0"])
            SendApi(bot.runtime.inviter, API_TOKEN).install(server.app)
            await server.start()
            try:
                url = f"http://127.0.0.1:{server.ports[0]}/v1/surveys/nps/send"
                body = {"recipient": {"platform": "slack", "id": "U2"}}
                async with aiohttp.ClientSession() as session:
                    for token in (API_TOKEN, API_TOKEN + "x"):
                        headers = {"Authorization": f"Bearer {token}"}
                        async with session.post(url, data=json.dumps(body), headers=headers) as r:
                            assert r.status in (202, 401)
            finally:
                await server.stop()
            await bot.settle()

        async with slack_helpers.running_bot(fake, str(tmp_path / "socket.db"), mode="socket") as bot:
            await fake.socket_mode.wait_connected(timeout=WAIT)
            envelope = await fake.socket_mode.send_event(dm_message("U3", "/feedback"))
            await fake.socket_mode.wait_ack(envelope, timeout=WAIT)
            await fake.wait_for(lambda f: len(f.messages("DU3")) >= 1, timeout=WAIT)
            await bot.settle()
    text = debug_log.getvalue()
    assert " DEBUG " in text
    assert_no_secret(text)


def test_a_secret_in_an_exception_is_redacted_in_text_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    for fmt in ("text", "json"):
        stream = io.StringIO()
        logs.setup("DEBUG", stream=stream, fmt=fmt)
        try:
            raise RuntimeError(f"The token `{WEBHOOK_SECRET}` was rejected by the server.")
        except RuntimeError:
            logging.getLogger("telegram.ext").debug("failed", exc_info=True)
        text = stream.getvalue()
        assert "rejected by the server" in text and "[REDACTED]" in text
        assert WEBHOOK_SECRET not in text
    logs.setup("WARNING", stream=io.StringIO())
