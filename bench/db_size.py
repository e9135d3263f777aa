"""How big the database gets: simulated days of traffic through the real service and store,
with the prune running as the bot runs it, on the test's clock (so a simulated week takes a
minute).

    python -m bench.db_size [--days 10] [--per-day 1000]

Each simulated day ``--per-day`` surveys are answered (a score and, for two in three, a
comment; one in five scores alerts staff) by customers drawn from a pool five times that
size, plus a cancelled survey and a /help for every ten answers. Messages are "sent" by a
recording channel, so the outbox fills and empties as in production. Reported: the file's
size and its used bytes after each day, the bytes each table holds at the end, and the growth
per day once the windows (two days of event ids) are full. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from surveys.model import Inbound, OutMessage

ROOT = Path(__file__).resolve().parent.parent
COMMENTS = (
    "Quick delivery and a friendly courier",
    "The app kept crashing when I tried to pay",
    "Fine, nothing special",
    "Support took three days to answer my question",
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    platform = "console"

    def __init__(self) -> None:
        self.n = 0

    async def send(self, message: OutMessage, reply_to: str | None) -> str:
        self.n += 1
        return str(self.n)

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        return None


def used_mb(path: Path) -> tuple[float, float, dict[str, float]]:
    with sqlite3.connect(path) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        tables: dict[str, float] = {}
        for table, size in conn.execute(
            "SELECT COALESCE(m.tbl_name, d.name), SUM(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY 1"
        ):
            tables[str(table)] = round(size / 2**20, 3)
    return pages * page / 2**20, (pages - free) * page / 2**20, dict(sorted(tables.items(), key=lambda kv: -kv[1]))


async def simulate(days: int, per_day: int) -> dict[str, Any]:
    rng = random.Random(21)
    ids = itertools.count()
    clock = Clock()
    config = config_mod.load(ROOT / "config.example.toml", env={})
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "size.db"
        runtime = await Runtime.open(config, clock=clock, db_path=str(db), sentiment=lambda t, lang: 0.1)
        runtime.add_channel(Recorder())
        runtime.start_delivery()
        service = runtime.service
        pool = per_day * 5
        step = 86400 / (per_day * 1.2)
        daily: list[dict[str, float]] = []
        longest_batch_ms = 0.0
        batches = 0

        def say(user: str, text: str | None = None, command: str | None = None) -> Inbound:
            return Inbound(f"z{next(ids)}", "console", user, user, display_name=f"Customer {user}", text=text,
                           command=command)

        try:
            since_prune = 0.0
            for day in range(days):
                for i in range(int(per_day * 1.2)):
                    user = f"c{rng.randrange(pool)}"
                    kind = i % 12
                    if kind == 10:
                        await service.handle(say(user, command="feedback"))
                        await service.handle(say(user, command="cancel"))
                    elif kind == 11:
                        await service.handle(say(user, command="help"))
                    else:
                        await service.handle(say(user, command="feedback"))
                        score = rng.choice([2, 5, 7, 8, 9, 10, 10, 9, 10, 4])
                        await service.handle(say(user, str(score)))
                        if rng.random() < 2 / 3:
                            await service.handle(say(user, rng.choice(COMMENTS)))
                        else:
                            await service.handle(say(user, command="skip"))
                    clock.now += step
                    since_prune += step
                    if since_prune >= 300:  # the bot prunes every five minutes
                        runtime.delivery.wake()
                        await runtime.delivery.drain(timeout=120)
                        report = await runtime.store.prune(clock.now)
                        longest_batch_ms = max(longest_batch_ms, report.longest_batch_ms)
                        batches += report.batches
                        since_prune = 0.0
                runtime.delivery.wake()
                await runtime.delivery.drain(timeout=120)
                await runtime.store.prune(clock.now)
                size, used, _ = used_mb(db)
                daily.append({"day": day + 1, "file_mb": round(size, 2), "used_mb": round(used, 2)})
                print(f"day {day + 1}: file {size:.2f} MB, used {used:.2f} MB", flush=True)
        finally:
            await runtime.close()
        _, _, tables = used_mb(db)
    late = daily[2:] if len(daily) > 3 else daily
    growth = (late[-1]["used_mb"] - late[0]["used_mb"]) / max(1, len(late) - 1)
    windows = daily[1]["used_mb"] - growth * 2 if len(daily) > 1 else daily[0]["used_mb"]
    return {
        "days": days,
        "responses_per_day": per_day,
        "daily": daily,
        "tables_mb_at_end": tables,
        "prune_batches": batches,
        "prune_longest_batch_ms": round(longest_batch_ms, 2),
        "growth_mb_per_day": round(growth, 3),
        "windows_mb": round(windows, 2),
        "per_1000_daily_responses": {
            "growth_mb_per_day": round(growth * 1000 / per_day, 3),
            "growth_mb_per_year": round(growth * 365 * 1000 / per_day, 1),
            "windows_mb": round(windows * 1000 / per_day, 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-day", type=int, default=1000)
    args = parser.parse_args()
    result = asyncio.run(simulate(args.days, args.per_day))
    per = result["per_1000_daily_responses"]
    print(
        f"per 1,000 daily responses: {per['growth_mb_per_day']} MB more each day ({per['growth_mb_per_year']} MB a "
        f"year: responses, sessions, alerts and their slimmed messages, people), on top of about "
        f"{per['windows_mb']} MB of windows (two days of event ids, ten minutes of messages)"
    )
    print(f"bytes by table at the end (MB): {result['tables_mb_at_end']}")
    print(
        f"prune: {result['prune_batches']} batches, the longest {result['prune_longest_batch_ms']} ms "
        "(wall time from queueing the statement to its answer, nothing else running)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
