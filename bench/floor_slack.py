"""The fair floor for Slack survey turns: a plain Bolt app (async, HTTP mode, signed requests)
that makes the same Web API calls per event as feedbackbot and commits once to SQLite per event,
with nothing else (no conversation state, no outbox, no retries, no escalations).

Per survey, like the bot (``bench.slack_turns``): ``/feedback nps`` -> ``conversations.open`` and
``users.info`` for a newcomer, then the question with eleven score buttons; a button press ->
``chat.update`` of the question and the follow-up; a typed comment -> the thanks. 6 Web API calls
per survey, 2.0 per turn. Each event first writes one row to SQLite (WAL, ``synchronous=FULL``,
the bot's ``durability = "full"``) and commits, so an acknowledged answer is on disk as in the bot.

With ``outbox=True`` (the "outbox floor") each event does the durable work the bot does instead:
the answer and the messages it sends are committed together in one transaction (the messages as
outbox rows), then each message is sent and its send recorded (``status = 'sent'``, the Slack ts)
in a commit of its own, so a crash between commit and send loses nothing. The plain floor skips
that second write and the outbox row; the bot does both (it batches the send records).

The echo floor (``bench.echo_slack``) measures Bolt in, one call out; these measure what any
app with the bot's Slack traffic and durability must pay. ``bench.slack_turns`` drives both with
the same simulated people and reports the ratio (target >= 0.8).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
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


class InFlight:
    """Listeners still running: a send is recorded after the fake has the message (the moment a
    simulated person moves on), so the database must stay open until the last one finished."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def settle(self) -> None:
        await self._idle.wait()


@dataclass
class FloorApp:
    url: str
    db: aiosqlite.Connection
    in_flight: InFlight

    async def settle(self) -> None:
        await self.in_flight.settle()

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
    fake: FakeSlackAPI,
    session: aiohttp.ClientSession,
    signing_secret: str,
    db: aiosqlite.Connection,
    *,
    outbox: bool = False,
    in_flight: InFlight | None = None,
) -> AsyncApp:
    app = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(
            token=fake.bot_token, base_url=fake.base_url, session=session, logger=_settled_logger("slack_sdk.web.floor")
        ),
        logger=_settled_logger("slack_bolt.floor"),
    )
    dms: dict[str, str] = {}
    lock = asyncio.Lock()

    async def commit(user: str, kind: str, value: str, messages: list[dict[str, Any]]) -> list[int]:
        """The answer (and, with ``outbox``, the messages it sends) in one commit; the outbox ids.
        With ``outbox`` the transaction holds a lock, so no other event's statements interleave
        with it on the one connection (the plain floor's single INSERT needs none)."""
        async with lock if outbox else contextlib.nullcontext():
            await db.execute(
                "INSERT INTO answers (user, kind, value, at) VALUES (?, ?, ?, ?)", (user, kind, value, time.time())
            )
            ids = []
            if outbox:
                for message in messages:
                    cursor = await db.execute(
                        "INSERT INTO outbox (payload, status) VALUES (?, 'pending')", (json.dumps(message),)
                    )
                    ids.append(cursor.lastrowid or 0)
            await db.commit()
        return ids

    async def send(call: Awaitable[Any], ids: list[int], index: int) -> None:
        """Make the Web API call; with ``outbox``, then record the send in a commit of its own
        (what the bot's delivery loop writes). Counted in ``busy`` until recorded."""
        async with busy.running():
            response = await call
            await sent(ids, index, response["ts"])

    async def sent(ids: list[int], index: int, ts: Any) -> None:
        if outbox:
            async with lock:
                await db.execute(
                    "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ? WHERE id = ?",
                    (str(ts), time.time(), ids[index]),
                )
                await db.commit()

    busy = in_flight or InFlight()

    @app.command("/feedback")
    async def start(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = command["user_id"]
        channel = dms.get(user)
        if channel is None:  # a newcomer: the bot opens the DM and reads the profile once
            opened = await client.conversations_open(users=user)
            channel = dms[user] = opened["channel"]["id"]
            await client.users_info(user=user)
        question: dict[str, Any] = {
            "channel": channel,
            "text": "How likely are you to recommend Acme?",
            "blocks": _question(secrets.token_hex(4)),
        }
        ids = await commit(user, "start", command.get("text", ""), [question])
        await send(client.chat_postMessage(**question), ids, 0)

    @app.action(re.compile(r"score_\d+"))
    async def press(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = body["user"]["id"]
        value = body["actions"][0]["value"]
        channel = body["channel"]["id"]
        edit: dict[str, Any] = {
            "channel": channel,
            "ts": body["message"]["ts"],
            "text": f"You chose {value[-2:]}",
            "blocks": [],
        }
        follow_up: dict[str, Any] = {"channel": channel, "text": "Thanks! What is the main reason for your score?"}
        ids = await commit(user, "score", value, [edit, follow_up])
        await send(client.chat_update(**edit), ids, 0)
        await send(client.chat_postMessage(**follow_up), ids, 1)

    @app.event("message")
    async def comment(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
            return
        thanks: dict[str, Any] = {"channel": event["channel"], "text": "Thank you, that helps us a lot."}
        ids = await commit(event["user"], "comment", event.get("text", ""), [thanks])
        await send(client.chat_postMessage(**thanks), ids, 0)

    return app


@contextlib.asynccontextmanager
async def running_floor(
    fake: FakeSlackAPI, folder: Path, signing_secret: str, *, outbox: bool = False
) -> AsyncIterator[FloorApp]:
    """The floor app served on 127.0.0.1:<free port>, its SQLite file in ``folder``; ``outbox``:
    the messages committed with the answer and each send recorded (see the module's docstring)."""
    db = await aiosqlite.connect(folder / "floor.db")
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, user TEXT, kind TEXT, value TEXT, at REAL)")
        await db.execute(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY, payload TEXT, status TEXT, message_id TEXT, sent_at REAL)"
        )
        await db.commit()
        async with aiohttp.ClientSession() as session:
            in_flight = InFlight()
            app = _build(fake, session, signing_secret, db, outbox=outbox, in_flight=in_flight)
            async with serve_bolt_app(app) as url:
                floor = FloorApp(url, db, in_flight)
                yield floor
                await floor.settle()
    finally:
        await db.close()
