"""Fixtures shared by the Telegram end-to-end tests: the fake Bot API on 127.0.0.1 and the
real bot polling it. A test file that needs another setup defines its own of the same name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.telegram_helpers import BotUnderTest, running_bot
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_fixtures import running_fake_telegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with running_fake_telegram() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    async with running_bot(fake, tmp_path / "bot.db") as running:
        yield running
