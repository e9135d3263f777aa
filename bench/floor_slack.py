"""The fair floor for Slack survey turns: a plain Bolt app (async, HTTP mode, signed requests)
that makes the same Web API calls per event as feedbackbot and commits once to SQLite per event,
with nothing else (no conversation state, no outbox, no retries, no escalations).

Per survey, like the bot (``bench.slack_turns``): ``/feedback nps`` -> ``conversations.open`` and
``users.info`` for a newcomer, then the question with eleven score buttons; a button press ->
``chat.update`` of the question and the follow-up; a typed comment -> the thanks. 6 Web API calls
per survey, 2.0 per turn. Each event first writes one row to SQLite (WAL, ``synchronous=FULL``,
the bot's ``durability = "full"``) and commits, so an acknowledged answer is on disk as in the bot.

The echo floor (``bench.echo_slack``) measures Bolt in, one call out; this one measures what any
app with the bot's Slack traffic and durability must pay. ``bench.slack_turns`` drives both with
the same simulated people and reports the ratio (target >= 0.8).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.echo_slack import _settled_logger
from surveys.engine import BUTTON_PREFIX
from tests.fakes.slack_api import FakeSlackAPI, serve_bolt_app


@dataclass
class FloorApp:
    url: str
    db: aiosqlite.Connection

    async def answers(self) -> int:
        async with self.db.execute("SELECT count(*) FROM answers WHERE kind = 'comment'") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


def _question(nonce: str) -> list[dict[str, Any]]:
    buttons = [
        {
            "type": "button",
            "action_id": f"score_{n}",
            "text": {"type": "plain_text", "text": str(n)},
            "value": f"{BUTTON_PREFIX}:{nonce}:s{n}",
        }
        for n in range(11)
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "How likely are you to recommend Acme to a friend?"}},
        {"type": "actions", "block_id": "s1", "elements": buttons[:6]},
        {"type": "actions", "block_id": "s2", "elements": buttons[6:]},
    ]


def _build(
    fake: FakeSlackAPI, session: aiohttp.ClientSession, signing_secret: str, db: aiosqlite.Connection
) -> AsyncApp:
    app = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(
            token=fake.bot_token, base_url=fake.base_url, session=session, logger=_settled_logger("slack_sdk.web.floor")
        ),
        logger=_settled_logger("slack_bolt.floor"),
    )
    dms: dict[str, str] = {}

    async def commit(user: str, kind: str, value: str) -> None:
        await db.execute(
            "INSERT INTO answers (user, kind, value, at) VALUES (?, ?, ?, ?)", (user, kind, value, time.time())
        )
        await db.commit()

    @app.command("/feedback")
    async def start(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = command["user_id"]
        await commit(user, "start", command.get("text", ""))
        channel = dms.get(user)
        if channel is None:  # a newcomer: the bot opens the DM and reads the profile once
            opened = await client.conversations_open(users=user)
            channel = dms[user] = opened["channel"]["id"]
            await client.users_info(user=user)
        await client.chat_postMessage(
            channel=channel, text="How likely are you to recommend Acme?", blocks=_question(secrets.token_hex(4))
        )

    @app.action(re.compile(r"score_\d+"))
    async def press(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = body["user"]["id"]
        value = body["actions"][0]["value"]
        await commit(user, "score", value)
        channel = body["channel"]["id"]
        await client.chat_update(channel=channel, ts=body["message"]["ts"], text=f"You chose {value[-2:]}", blocks=[])
        await client.chat_postMessage(channel=channel, text="Thanks! What is the main reason for your score?")

    @app.event("message")
    async def comment(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
            return
        await commit(event["user"], "comment", event.get("text", ""))
        await client.chat_postMessage(channel=event["channel"], text="Thank you, that helps us a lot.")

    return app


@contextlib.asynccontextmanager
async def running_floor(fake: FakeSlackAPI, folder: Path, signing_secret: str) -> AsyncIterator[FloorApp]:
    """The floor app served on 127.0.0.1:<free port>, its SQLite file in ``folder``."""
    db = await aiosqlite.connect(folder / "floor.db")
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, user TEXT, kind TEXT, value TEXT, at REAL)")
        await db.commit()
        async with aiohttp.ClientSession() as session:
            app = _build(fake, session, signing_secret, db)
            async with serve_bolt_app(app) as url:
                yield FloorApp(url, db)
    finally:
        await db.close()
