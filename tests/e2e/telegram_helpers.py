"""Run the whole bot (runtime, delivery loop, Telegram component) against the fake Bot API.

Shared by the end-to-end tests and the benchmark, so both exercise exactly what
``feedbackbot run`` wires together, only with a short long-poll timeout."""

from __future__ import annotations

import contextlib
import copy
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config
from bot.platforms.telegram.wiring import TelegramComponent
from bot.web.http import HttpServer
from surveys.sentiment import SentimentScorer
from tests import reads
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent.parent
STAFF_CHAT = -1001234567890
WEBHOOK_SECRET = "webhook-secret-for-tests"


def stub_sentiment(text: str, language: str) -> float | None:
    """Fixed scores: tests decide what is negative by the words they type, not by VADER's mood."""
    lowered = text.lower()
    if any(word in lowered for word in ("terrible", "awful", "broken")):
        return -0.8
    return 0.6


def bot_config(
    fake: FakeTelegramAPI, *, telegram: dict[str, Any] | None = None, durability: str = "normal", **env: str
) -> Config:
    """The shipped example configuration with Telegram enabled against the fake, alerts going to
    the Telegram staff group."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["telegram"] = {
        "enabled": True,
        "mode": "polling",
        "api_base_url": fake.base_url,
        "staff_chat_id": STAFF_CHAT,
        "concurrency": 16,
        **(telegram or {}),
    }
    data["storage"] = {"path": "unused.db", "durability": durability}
    for survey in data["surveys"]:
        survey.setdefault("escalation", {})["destinations"] = [f"telegram:{STAFF_CHAT}"]
    environment = {"TELEGRAM_BOT_TOKEN": fake.token, **env}
    return config_mod.parse(data, environment)


@dataclass
class BotUnderTest:
    fake: FakeTelegramAPI
    runtime: Runtime
    component: TelegramComponent

    async def stop(self) -> None:
        await self.component.stop()
        if self.runtime.http is not None:
            await self.runtime.http.stop()
        await self.runtime.close()

    async def responses(self) -> list[dict[str, Any]]:
        return [row.values async for row in self.runtime.store.responses()]

    async def outbox_statuses(self, chat_id: int) -> list[str]:
        rows = await reads.outbox(self.runtime.store, "telegram", str(chat_id))  # type: ignore[attr-defined]
        return [str(r["status"]) for r in rows]

    async def respondent(self, user_id: int) -> Any:
        async with self.runtime.store.transaction() as tx:
            return await tx.respondent("telegram", str(user_id))


async def start_bot(
    fake: FakeTelegramAPI,
    db_path: str | Path,
    *,
    config: Config | None = None,
    poll_timeout: float = 1.0,
    sentiment: SentimentScorer = stub_sentiment,
    delivery_concurrency: int | None = None,
    pacing: bool = True,
) -> BotUnderTest:
    cfg = config or bot_config(fake)
    runtime = await Runtime.open(cfg, db_path=str(db_path), sentiment=sentiment)
    # Benchmark experiments only: the delivery loop's parallelism and its platform pacing.
    if delivery_concurrency is not None:
        runtime.delivery.concurrency = delivery_concurrency
        per_platform = getattr(runtime.delivery, "per_platform", None)
        if per_platform is not None:
            per_platform["telegram"] = delivery_concurrency
    if not pacing and hasattr(runtime.delivery, "pacers"):
        runtime.delivery.pacers = {}
    try:
        if cfg.telegram.mode == "webhook":
            runtime.http = HttpServer(["127.0.0.1:0"])
        runtime.start_delivery()
        component = TelegramComponent(runtime, poll_timeout=poll_timeout)
        await component.start()
        if runtime.http is not None:
            await runtime.http.start()
    except BaseException:
        await runtime.close()
        raise
    return BotUnderTest(fake, runtime, component)


@contextlib.asynccontextmanager
async def running_bot(fake: FakeTelegramAPI, db_path: str | Path, **kw: Any) -> AsyncIterator[BotUnderTest]:
    bot = await start_bot(fake, db_path, **kw)
    try:
        yield bot
    finally:
        await bot.stop()


def keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [list(row) for row in rows]


def button_data(message: dict[str, Any], label: str) -> str:
    for row in keyboard(message):
        for button in row:
            if button["text"] == label or button["text"].startswith(f"{label} "):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {keyboard(message)}")
