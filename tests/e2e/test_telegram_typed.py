"""On Telegram a typed score leaves the question as it is (one message back instead of two),
so when the bot had to interpret what was typed, the follow-up is where the customer sees
what was recorded (issue 14, item 12)."""

from __future__ import annotations

import pytest

from tests.e2e.telegram_helpers import BotUnderTest
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

WAIT = 30.0
ANN = 1001


async def test_a_converted_score_is_confirmed_in_the_follow_up(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback")
    await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    fake.send_text(ANN, "4 out of 5")
    [_, followup] = await fake.wait_for_messages(ANN, 2, timeout=WAIT)
    assert followup["text"].startswith("Got it: 8 out of 10.\n")
    [response] = await bot.responses()
    assert response["score"] == 8


async def test_a_german_label_typed_as_text_counts(bot: BotUnderTest, fake: FakeTelegramAPI) -> None:
    fake.send_text(ANN, "/feedback csat", language_code="de")
    await fake.wait_for_messages(ANN, 1, timeout=WAIT)
    fake.send_text(ANN, "zufrieden", language_code="de")
    [_, followup] = await fake.wait_for_messages(ANN, 2, timeout=WAIT)
    assert followup["text"].startswith("Verstanden: 4 von 5 (Zufrieden).\n")
    [response] = await bot.responses()
    assert response["score"] == 4
