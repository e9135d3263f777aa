"""Shared fixtures: a real store on a temporary file, a fake clock, a fixed sentiment table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """A clock the test moves by hand: expiry, reminders and schedules without sleeping."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config() -> Config:
    return config_mod.load(ROOT / "config.example.toml", env={})


@pytest.fixture
async def runtime(tmp_path: Path, config: Config, clock: Clock) -> AsyncIterator[Runtime]:
    rt = await Runtime.open(config, clock=clock, db_path=str(tmp_path / "bot.db"))
    yield rt
    await rt.close()
