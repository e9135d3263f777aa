"""Framework floor: a python-telegram-bot echo bot polling the fake Telegram Bot API on loopback.

One process, one event loop: the fake API (aiohttp) and the Application (polling with a short timeout,
``poll_interval=0``) share it, so CPU time per update includes the fake's share. The figure is a floor for
"Telegram in, Telegram out" overhead of the library, not a server capacity.

    .venv/bin/python -m bench.echo_telegram --updates 500
    .venv/bin/python -m bench.echo_telegram --updates 200 --latency 0.05 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dtm
import json
import logging
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.telegram.request import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegramAPI

FIRST_USER = 100_000


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _concurrency_arg(text: str) -> int | bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off", "0", "1"):
        return False
    return int(lowered)


async def measure_echo(
    n_updates: int,
    latency: float = 0.0,
    concurrency: int | bool = False,
    *,
    n_users: int | None = None,
    warmup: int = 20,
    poll_timeout: float = 1.0,
    transport: str = "httpx",
) -> dict[str, Any]:
    """Queue ``n_updates`` text messages (from ``n_users`` distinct users, default one user per update) for an
    Application whose single MessageHandler echoes with ``reply_text``; time until the fake recorded every
    reply. ``concurrency``: False (one update at a time), True (PTB's default of 256) or a bound.
    ``transport``: "httpx" (PTB's default) or "aiohttp" (the transport feedbackbot uses, with the
    same pool sizes), so the floor can be read both for stock PTB and for the same network layer."""
    users = n_users or n_updates
    async with FakeTelegramAPI() as fake:
        builder = ApplicationBuilder().token(fake.token).base_url(fake.base_url).job_queue(None)
        if transport == "aiohttp":
            pool = 256 if concurrency is True else max(int(concurrency), 1) + 4
            builder = builder.request(AiohttpRequest(pool)).get_updates_request(AiohttpRequest(2))
        app = builder.concurrent_updates(concurrency).build()

        async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.message is not None and update.message.text is not None:
                await update.message.reply_text(update.message.text)

        app.add_handler(MessageHandler(filters.TEXT, echo))
        await app.initialize()
        try:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=poll_timeout))
            await app.start()
            try:
                if warmup:
                    for i in range(warmup):
                        fake.send_text(FIRST_USER - 1 - i, "warm up")
                    await fake.wait_for(lambda f: f.sent_count >= warmup, timeout=60 + warmup * latency * 4)
                fake.latency = latency
                baseline_sent = fake.sent_count
                baseline_calls = len(fake.calls)
                queued_at: dict[int, float] = {}

                cpu0 = time.process_time()
                t0 = time.perf_counter()
                for i in range(n_updates):
                    user = FIRST_USER + i % users
                    fake.send_text(user, f"echo {i}", first_name=f"U{i % users}")
                    queued_at.setdefault(user, time.time())
                limit = 60 + n_updates * (latency * 4 + 0.05)
                await fake.wait_for(lambda f: f.sent_count - baseline_sent >= n_updates, timeout=limit, interval=0.002)
                elapsed = time.perf_counter() - t0
                cpu = time.process_time() - cpu0
            finally:
                await app.updater.stop()
                await app.stop()
        finally:
            await app.shutdown()

        run_calls = fake.calls[baseline_calls:]
        first_reply: dict[int, float] = {}
        for call in run_calls:
            if call.method == "sendMessage" and call.status == 200:
                chat = int(call.params["chat_id"])
                first_reply.setdefault(chat, call.time)
        delays = [(first_reply[u] - t) * 1000 for u, t in queued_at.items() if u in first_reply]
        echoed = sum(len(fake.messages(FIRST_USER + u)) for u in range(min(users, n_updates)))

    return {
        "updates": n_updates,
        "users": users,
        "latency_s": latency,
        "concurrency": concurrency,
        "elapsed_s": elapsed,
        "updates_per_s": n_updates / elapsed if elapsed else float("inf"),
        "cpu_ms_per_update": cpu * 1000 / n_updates if n_updates else 0.0,
        "cpu_share": cpu / elapsed if elapsed else 0.0,
        "first_reply_p50_ms": _pct(delays, 0.5),
        "first_reply_p95_ms": _pct(delays, 0.95),
        "get_updates_calls": sum(1 for c in run_calls if c.method == "getUpdates"),
        "all_echoed": echoed == n_updates,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=500, help="text updates to echo (default 500)")
    parser.add_argument("--latency", type=float, default=0.0, help="simulated Bot API latency in seconds")
    parser.add_argument("--concurrency", type=_concurrency_arg, default=False,
                        help="concurrent_updates: false (default, one at a time), true (256) or a number")
    parser.add_argument("--users", type=int, default=None, help="distinct users (default: one per update)")
    parser.add_argument("--transport", choices=("httpx", "aiohttp"), default="httpx",
                        help="PTB's network layer: its default httpx, or feedbackbot's aiohttp one")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median updates/s is reported too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    runs = []
    for run in range(args.repeat):
        result = asyncio.run(measure_echo(
            args.updates, args.latency, args.concurrency, n_users=args.users, transport=args.transport
        ))
        runs.append(result)
        print(
            f"run {run + 1}: {result['updates']} updates in {result['elapsed_s']:.3f}s = "
            f"{result['updates_per_s']:.0f} updates/s (latency {result['latency_s'] * 1000:.0f} ms, concurrency "
            f"{result['concurrency']}) | first reply p50 {result['first_reply_p50_ms']:.1f} ms, "
            f"p95 {result['first_reply_p95_ms']:.1f} ms | CPU {result['cpu_ms_per_update']:.2f} ms/update | "
            f"{result['get_updates_calls']} getUpdates | peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    summary: dict[str, Any] = {"runs": runs}
    if len(runs) > 1:
        summary["median_updates_per_s"] = statistics.median(r["updates_per_s"] for r in runs)
    print(json.dumps(summary if len(runs) > 1 else runs[0]))


if __name__ == "__main__":
    main()
