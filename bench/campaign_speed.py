"""A campaign to many recipients through the real python-telegram-bot against the fake Bot
API, which enforces Telegram's limits (30 messages/s overall, 1/s per chat) and answers 429
when they are broken. Meanwhile other people start surveys, and we time how long their
replies take: a campaign backlog must never hold them up.

Figures: the sustained send rate against the allowed 30/s (the floor here is the platform's
own limit), 429s received, messages lost or doubled, and interactive reply latency.

    python -m bench.campaign_speed [--recipients 10000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot import config as config_mod
from bot.services.campaigns import Campaign, run_campaign
from tests.e2e.telegram_helpers import ROOT, start_bot, stub_sentiment
from tests.fakes.telegram_api import FakeTelegramAPI

ALLOWED_RATE = 30.0
FIRST_RECIPIENT = 10_000_000


def campaign_config(fake: FakeTelegramAPI, db: str) -> config_mod.Config:
    import tomllib

    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["telegram"] = {"enabled": True, "mode": "polling", "api_base_url": fake.base_url, "staff_chat_id": -100999}
    data["storage"] = {"path": db, "durability": "normal"}
    data["invitations"] = {"quiet_hours": "00:00-00:00", "fatigue_days": 30, "reminder_hours": 0}
    return config_mod.parse(data, {"TELEGRAM_BOT_TOKEN": fake.token})


async def measure(recipients: int, interactive_every: float = 0.5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bot.db")
        people = Path(tmp) / "people.txt"
        people.write_text("".join(f"telegram:{FIRST_RECIPIENT + i}\n" for i in range(recipients)), encoding="utf-8")
        async with FakeTelegramAPI() as fake:
            fake.enable_rate_limits(global_per_second=30, per_chat_per_second=1, group_per_minute=20)
            bot = await start_bot(fake, db, config=campaign_config(fake, db), sentiment=stub_sentiment)
            try:
                return await _run(fake, bot, people, recipients, interactive_every)
            finally:
                await bot.stop()


async def _run(fake: FakeTelegramAPI, bot: Any, people: Path, recipients: int, every: float) -> dict[str, Any]:
    latencies: list[float] = []
    stop = asyncio.Event()

    async def interactive() -> None:
        user = 1
        while not stop.is_set():
            started = time.monotonic()
            fake.send_text(user, "/feedback", first_name="Live")
            try:
                await fake.wait_for(lambda f, u=user: len(f.messages(u)) >= 1, timeout=30)
                latencies.append(time.monotonic() - started)
            except TimeoutError:
                latencies.append(30.0)
            user += 1
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass

    live = asyncio.create_task(interactive())
    start = time.monotonic()
    counts = await run_campaign(bot.runtime.inviter, Campaign("bench", "nps", f"file:{people}"), "bench-run")
    queued = time.monotonic() - start

    def campaign_sends() -> list[Any]:
        return [
            c for c in fake.calls_to("sendMessage")
            if c.status == 200 and int(c.params.get("chat_id", 0)) >= FIRST_RECIPIENT
        ]

    await fake.wait_for(lambda f: len(campaign_sends()) >= recipients, timeout=recipients / ALLOWED_RATE * 3 + 60)
    await bot.runtime.delivery.drain(60)
    stop.set()
    await live
    sends = campaign_sends()
    times = sorted(c.time for c in sends)
    per_chat = Counter(int(c.params["chat_id"]) for c in sends)
    duration = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / duration if duration else 0.0
    # Everything the bot sent while the campaign ran (campaign plus live replies): what the
    # platform's 30/s limit is about.
    window = [c for c in fake.calls_to("sendMessage") if c.status == 200 and times[0] <= c.time <= times[-1]]
    total_rate = (len(window) - 1) / duration if duration else 0.0
    return {
        "recipients": recipients,
        "invitations": counts,
        "queue_seconds": queued,
        "send_seconds": duration,
        "rate_per_s": rate,
        "allowed_per_s": ALLOWED_RATE,
        "ratio": rate / ALLOWED_RATE,
        "total_rate_per_s": total_rate,
        "total_ratio": total_rate / ALLOWED_RATE,
        "rate_limited_429": fake.rate_limited_count,
        "lost": recipients - len(per_chat),
        "doubled": sum(1 for n in per_chat.values() if n > 1),
        "interactive_replies": len(latencies),
        "interactive_p50_s": statistics.median(latencies) if latencies else None,
        "interactive_max_s": max(latencies) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="600 recipients (about 20 s)")
    args = parser.parse_args()
    n = 600 if args.quick else args.recipients
    result = asyncio.run(measure(n))
    print(
        f"campaign: {result['recipients']} recipients at {result['rate_per_s']:.1f}/s "
        f"({100 * result['ratio']:.0f}% of the allowed {ALLOWED_RATE:.0f}/s; with live replies "
        f"{result['total_rate_per_s']:.1f}/s = {100 * result['total_ratio']:.0f}%), "
        f"429s: {result['rate_limited_429']}, "
        f"lost: {result['lost']}, doubled: {result['doubled']}; interactive replies: p50 "
        f"{result['interactive_p50_s']:.2f}s, max {result['interactive_max_s']:.2f}s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
