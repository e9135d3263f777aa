"""Platform faults from the fake Bot API, with the real python-telegram-bot: connection
resets, 5xx bursts, a 429 storm, slow answers and out-of-order updates. Nothing is lost,
nothing is sent twice, and the bot keeps answering."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.telegram_helpers import BotUnderTest
from tests.fakes.telegram_api import FakeTelegramAPI

WAIT = 40.0
QUESTION = "How likely are you to recommend Acme"
THANKS = "Thank you"


async def survey(fake: FakeTelegramAPI, user: int, score: str = "9", comment: str = "Lovely") -> None:
    """A customer who waits for each reply before answering."""
    for n, text in ((1, "/feedback"), (2, score), (3, comment)):
        fake.send_text(user, text, first_name=f"U{user}")
        await fake.wait_for_messages(user, n, timeout=WAIT)


def doubled(fake: FakeTelegramAPI, user: int) -> int:
    return sum(n - 1 for n in Counter(m.get("text", "") for m in fake.messages(user)).values() if n > 1)


@pytest.mark.parametrize(
    "fault",
    ["reset", "5xx", "429"],
)
async def test_send_faults_deliver_every_message_once(bot: BotUnderTest, fake: FakeTelegramAPI, fault: str) -> None:
    if fault == "reset":
        fake.drop_connection_next("sendMessage", count=2)
    elif fault == "5xx":
        fake.fail_next("sendMessage", 502, "Bad Gateway", count=3)
    else:
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, count=3)
    await survey(fake, 4001)
    texts = [m.get("text", "") for m in fake.messages(4001)]
    assert texts[0].startswith(QUESTION) and texts[-1].startswith(THANKS)
    assert doubled(fake, 4001) == 0
    [response] = await bot.responses()
    assert response["score"] == 9 and response["comment"] == "Lovely"


async def test_slow_platform_still_answers_everyone(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.latency = 0.3
    await asyncio.gather(*(survey(fake, 4100 + i) for i in range(6)))
    assert len(await bot.responses()) == 6
    assert all(doubled(fake, 4100 + i) == 0 for i in range(6))


async def test_out_of_order_updates_keep_the_bot_running(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    """A comment that overtakes its score (as a badly behaved proxy might deliver them) is read
    as a score attempt and re-asked; the survey then completes normally."""
    user = 4200
    fake.send_text(user, "/feedback", first_name="O")
    await fake.wait_for_messages(user, 1, timeout=WAIT)
    fake.send_text(user, "The courier was late", first_name="O")  # overtook the score
    fake.send_text(user, "4", first_name="O")
    try:
        await fake.wait_for_messages(user, 3, timeout=10)  # question, re-ask, follow-up
    except TimeoutError:
        raise AssertionError([m.get("text") for m in fake.messages(user)]) from None
    fake.send_text(user, "The courier was late", first_name="O")
    try:
        await fake.wait_for(lambda f: any(THANKS in m.get("text", "") for m in f.messages(user)), timeout=15)
    except TimeoutError:
        raise AssertionError([m.get("text") for m in fake.messages(user)]) from None
    [response] = await bot.responses()
    assert response["score"] == 4 and response["comment"] == "The courier was late"
    assert doubled(fake, user) == 0
