"""Several ``feedbackbot run`` instances on one PostgreSQL database (issue 17), as real
processes against the fake Bot API over webhooks:

* failover: SIGKILL the instance that sends for Telegram, and time until another instance
  holds the role (its /healthz says so) and until a reply goes out again (median of N);
* a campaign of N sends with 3 instances: the rate, and the most sends in any sliding second
  (Telegram allows 30);
* service turns per second with 1, 2 and 3 instances (a turn: one webhook update handled and
  committed; chats post their next update after the 2xx, 40 connections like Telegram's
  default), with client CPU (the instances) and server CPU (their PostgreSQL backends) per turn.

This machine has 2 cores shared by the instances, PostgreSQL, the fake Bot API and this
driver: more instances cannot add CPU here, so the totals show the overhead of spreading
work, not what more machines would give (per-core figures are the CPU per turn).

    python -m bench.multi_instances [--quick] [--database-url postgresql://...]

Needs FEEDBACKBOT_TEST_DATABASE_URL (or --database-url): a server where it may create and
drop its own databases.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.multi.instances import (
    FIRST_RECIPIENT,
    STAFF,
    TOKEN,
    Cluster,
    Instance,
    campaign_table,
    max_in_any_second,
    run_campaign,
    wait_for_leader,
    wait_healthy,
    with_database,
)

CONNECTIONS = 40


@asynccontextmanager
async def fresh_database(server: str) -> AsyncIterator[str]:
    name = f"fb_bench_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await admin.close()
    try:
        yield with_database(server, name)
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def cluster(folder: Path, url: str, fake: FakeTelegramAPI, count: int, **config: Any) -> AsyncIterator[Cluster]:
    fake.set_member(STAFF, 1, "member")
    instances = [Instance(f"i{n}", folder, url, fake.base_url, **config) for n in range(count)]
    await instances[0].start()
    await wait_healthy(instances[:1])
    await asyncio.gather(*(i.start() for i in instances[1:]))
    await wait_healthy(instances)
    try:
        async with aiohttp.ClientSession() as session:
            yield Cluster(instances, session)
    finally:
        await asyncio.gather(*(i.stop() for i in instances))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backend_pids(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(r["pid"]) for r in rows]
    finally:
        await conn.close()


async def failover(server: str, trials: int) -> dict[str, Any]:
    takeovers: list[float] = []
    resumed: list[float] = []
    async with fresh_database(server) as url, FakeTelegramAPI(token=TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with cluster(Path(tmp), url, fake, 3) as c:
                user = itertools.count(30_000_000)
                for _ in range(trials):
                    leader = await wait_for_leader(c.instances, "sender:telegram")
                    survivors = [i for i in c.instances if i is not leader]
                    stop = asyncio.Event()

                    async def traffic(
                        targets: list[Instance] = survivors, done: asyncio.Event = stop, lb: Cluster = c
                    ) -> None:
                        turn = itertools.count()
                        while not done.is_set():
                            target = targets[next(turn) % len(targets)]
                            await lb.post(target, fake.send_text(next(user), "/feedback"))
                            await asyncio.sleep(0.05)

                    driver = asyncio.create_task(traffic())
                    await asyncio.sleep(0.5)
                    killed = time.time()
                    await leader.kill()
                    await wait_for_leader(survivors, "sender:telegram", timeout=60)
                    takeovers.append(time.time() - killed)
                    while True:
                        after = [c.time for c in fake.calls if c.method == "sendMessage" and c.time > killed]
                        if after:
                            resumed.append(min(after) - killed)
                            break
                        await asyncio.sleep(0.02)
                    stop.set()
                    await driver
                    await leader.start()
                    await wait_healthy([leader])
    return {
        "trials": trials,
        "takeover_median_s": statistics.median(takeovers),
        "takeover_max_s": max(takeovers),
        "sending_resumed_median_s": statistics.median(resumed),
        "sending_resumed_max_s": max(resumed),
    }


async def campaign(server: str, recipients: int) -> dict[str, Any]:
    async with fresh_database(server) as url, FakeTelegramAPI(token=TOKEN) as fake:
        fake.enable_rate_limits(global_per_second=30, per_chat_per_second=1, group_per_minute=20)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            async with cluster(folder, url, fake, 3, extra=campaign_table(folder, recipients)) as c:
                await run_campaign(c.instances[0], "big")

                def sends() -> list[float]:
                    return [
                        call.time
                        for call in fake.calls
                        if call.method == "sendMessage" and call.status == 200
                        and int(call.params["chat_id"]) >= FIRST_RECIPIENT
                    ]  # fmt: skip

                await fake.wait_for(lambda f: len(sends()) >= recipients, timeout=recipients / 20 + 60)
                times = sorted(sends())
    span = times[-1] - times[0]
    return {
        "recipients": recipients,
        "sends_per_s": (len(times) - 1) / span if span > 0 else 0.0,
        "max_in_any_second": max_in_any_second([call.time for call in fake.calls if call.method == "sendMessage"]),
        "rate_limited_429": fake.rate_limited_count,
        "allowed_per_s": 30,
    }


async def turns(server: str, count: int, chats: int, messages: int) -> dict[str, Any]:
    async with fresh_database(server) as url, FakeTelegramAPI(token=TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with cluster(Path(tmp), url, fake, count) as c:
                gate = asyncio.Semaphore(CONNECTIONS)
                turn = itertools.count()
                pids = [i.proc.pid for i in c.instances if i.proc is not None]
                servers = await backend_pids(url)
                client_before = sum(cpu_seconds(p) for p in pids)
                server_before = sum(cpu_seconds(p) for p in servers)
                started = time.perf_counter()

                async def chat(user: int) -> None:
                    async with gate:
                        for k in range(messages):
                            text = "/feedback" if k % 3 == 0 else ("8" if k % 3 == 1 else "kind and quick")
                            await c.deliver(fake.send_text(user, text), first=next(turn))

                await asyncio.gather(*(chat(40_000_000 + n) for n in range(chats)))
                elapsed = time.perf_counter() - started
                client = sum(cpu_seconds(p) for p in pids) - client_before
                server = sum(cpu_seconds(p) for p in servers) - server_before
    total = chats * messages
    return {
        "instances": count,
        "turns": total,
        "turns_per_s": total / elapsed,
        "client_cpu_ms_per_turn": client * 1000 / total,
        "server_cpu_ms_per_turn": server * 1000 / total,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    server = args.database_url or os.environ.get("FEEDBACKBOT_TEST_DATABASE_URL", "")
    if not server:
        return {"skipped": "needs FEEDBACKBOT_TEST_DATABASE_URL or --database-url"}
    if importlib.util.find_spec("storage.postgres.store") is None:
        return {"skipped": "the PostgreSQL store (storage/postgres/store.py) is not here"}
    load = os.getloadavg()[0]
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_at_start": load}
    out["turns"] = [await turns(server, n, args.chats, 6) for n in (1, 2, 3)]
    for row in out["turns"]:
        print(
            f"{row['instances']} instance(s): {row['turns_per_s']:.0f} turns/s, "
            f"{row['client_cpu_ms_per_turn']:.2f} ms client + "
            f"{row['server_cpu_ms_per_turn']:.2f} ms server CPU per turn"
        )
    out["failover"] = await failover(server, args.trials)
    f = out["failover"]
    print(
        f"failover after SIGKILL of the sender ({f['trials']} trials): role taken in {f['takeover_median_s']:.2f} s "
        f"(median; max {f['takeover_max_s']:.2f}), sending again after {f['sending_resumed_median_s']:.2f} s"
    )
    out["campaign"] = await campaign(server, args.recipients)
    k = out["campaign"]
    print(
        f"campaign of {k['recipients']} over 3 instances: {k['sends_per_s']:.1f} sends/s, "
        f"at most {k['max_in_any_second']} in any second (allowed 30), {k['rate_limited_429']} 429s"
    )
    out["load_at_end"] = os.getloadavg()[0]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer trials, chats and recipients")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--recipients", type=int, default=3000)
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.trials, parsed.chats, parsed.recipients = 3, 60, 600
    print(json.dumps(asyncio.run(main(parsed))))
