"""Survey turns per second through the service and SQLite (no network), beside the floor
of bare aiosqlite commits measured in the same run on the same disk.

A "turn" is one inbound event handled end to end: event id claimed, respondent and
session loaded, the engine stepped, response and outbox rows written, one commit.
Delivery is left out on purpose: this isolates what the service adds on top of SQLite.

    python -m bench.service_turns [--users 500] [--durability full|normal]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosqlite

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from surveys.model import Inbound

ROOT = Path(__file__).resolve().parent.parent


async def floor_commits(path: Path, n: int, durability: str) -> float:
    """Bare commits: one small INSERT and a COMMIT each, WAL, same synchronous setting."""
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    start = time.perf_counter()
    for i in range(n):
        await db.execute("BEGIN IMMEDIATE")
        await db.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
        await db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    await db.close()
    return n / elapsed


async def service_turns(path: Path, users: int, durability: str, concurrency: int = 16) -> dict[str, Any]:
    cfg = config_mod.load(ROOT / "config.example.toml", env={})
    cfg = config_mod.Config(**{**cfg.__dict__, "storage": config_mod.StorageSettings(str(path), durability)})
    runtime = await Runtime.open(cfg, sentiment=lambda text, lang: 0.1)
    service = runtime.service

    async def one_user(i: int) -> None:
        user = f"u{i}"
        for step, kwargs in enumerate(
            ({"command": "feedback"}, {"text": str(i % 11)}, {"text": "Fast delivery, friendly staff"})
        ):
            await service.handle(Inbound(f"b:{user}:{step}", "console", user, user, display_name="B", **kwargs))

    sem = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> None:
        async with sem:
            await one_user(i)

    cpu0, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(users)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    turns = users * 3
    await runtime.close()
    return {"turns": turns, "seconds": elapsed, "turns_per_s": turns / elapsed, "cpu_ms_per_turn": 1000 * cpu / turns}


async def measure(users: int, durability: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        floor = await floor_commits(Path(tmp) / "floor.db", users * 3, durability)
        result = await service_turns(Path(tmp) / "bot.db", users, durability)
    result.update(floor_commits_per_s=floor, ratio=result["turns_per_s"] / floor, durability=durability)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--durability", choices=("full", "normal"), default="full")
    args = parser.parse_args()
    result = asyncio.run(measure(args.users, args.durability))
    print(
        f"service: {result['turns_per_s']:.0f} turns/s ({result['cpu_ms_per_turn']:.2f} ms CPU/turn); "
        f"floor (bare commits): {result['floor_commits_per_s']:.0f}/s; ratio {result['ratio']:.2f}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
