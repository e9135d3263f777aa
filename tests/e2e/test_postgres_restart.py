"""Issue 17 test 11: PostgreSQL drops every connection under load, and the bot recovers by
itself with nothing lost and nothing doubled (skipped without FEEDBACKBOT_TEST_DATABASE_URL).

A restart of the server cannot be done from a test on this machine (one PostgreSQL shared by
everyone); what a restart does to its clients is that every connection is closed under them,
mid-transaction or idle. ``pg_terminate_backend`` on every backend of the bot's database does
exactly that, three times while 40 people answer a survey through the real python-telegram-bot
stack against the fake Bot API: every person gets each reply once, every answer is stored once.
"""

from __future__ import annotations

import asyncio

from tests.e2e.telegram_helpers import button_data, running_bot
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.postgres import needs_postgres, terminate_sessions

pytestmark = needs_postgres
PEOPLE = range(5001, 5041)
WAIT = 60.0


async def test_the_bot_recovers_when_postgresql_drops_every_connection(fake: FakeTelegramAPI, pg_url: str) -> None:
    async with running_bot(fake, pg_url) as bot:
        for person in PEOPLE:
            fake.send_text(person, "/feedback", first_name=f"P{person}")
        dropped = await terminate_sessions(pg_url)
        questions = {p: (await fake.wait_for_messages(p, 1, timeout=WAIT))[0] for p in PEOPLE}
        for person in PEOPLE:
            fake.press(person, button_data(questions[person], str(person % 11)), questions[person]["message_id"])
            if person == PEOPLE[len(PEOPLE) // 2]:
                dropped += await terminate_sessions(pg_url)
        for person in PEOPLE:
            await fake.wait_for_messages(person, 2, timeout=WAIT)
        dropped += await terminate_sessions(pg_url)
        for person in PEOPLE:
            fake.send_text(person, f"comment from {person}")
        for person in PEOPLE:
            await fake.wait_for_messages(person, 3, timeout=WAIT)
        await bot.runtime.delivery.drain(WAIT)
        await asyncio.sleep(0.5)  # anything sent twice would have arrived by now

        assert dropped > 0  # connections really were dropped under the bot
        for person in PEOPLE:
            assert len(fake.messages(person)) == 3, fake.texts(person)  # question, follow-up, thanks: once each
        responses = await bot.responses()
        assert sorted(int(r["user_id"]) for r in responses) == list(PEOPLE)
        assert {int(r["user_id"]): r["score"] for r in responses} == {p: p % 11 for p in PEOPLE}
        assert {int(r["user_id"]): r["comment"] for r in responses} == {p: f"comment from {p}" for p in PEOPLE}
