"""Floor for a Bolt (async, HTTP mode) echo app against the fake Slack Web API on loopback.

One process, one event loop: the fake API, the Bolt app (served with aiohttp AppRunner on 127.0.0.1) and
the signed-request senders all share it, so the figure is a floor for "Slack in, Slack out" overhead,
not a server capacity. The AsyncWebClient shares one aiohttp ClientSession (``session=``), and the
loggers have an explicit level (as in the bot), so neither side pays for unused debug strings.

    .venv/bin/python -m bench.echo_slack --events 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import statistics
import time
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlackAPI, SlackRequestSender, dm_message, serve_bolt_app

SIGNING_SECRET = "bench-signing-secret"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _settled_logger(name: str) -> logging.Logger:
    """The same logger setting the bot uses (``bot.platforms.slack.wiring``): slack_sdk and Bolt build
    their debug strings whenever a logger's own level is NOTSET, about 35 us per Web API
    call. The floor gets every advantage the bot has, so the ratio stays honest."""
    logger = logging.getLogger(name)
    logger.setLevel(logger.getEffectiveLevel())
    return logger


def _build_app(fake: FakeSlackAPI, session: aiohttp.ClientSession) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(
            token=fake.bot_token,
            base_url=fake.base_url,
            session=session,
            logger=_settled_logger("slack_sdk.web.echo"),
        ),
        logger=_settled_logger("slack_bolt.echo"),
    )

    @app.event("message")
    async def echo(event: dict[str, Any], say: AsyncSay) -> None:
        if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
            return
        await say(text=event["text"])

    return app


async def measure_echo(
    n_events: int,
    latency: float = 0.0,
    *,
    concurrency: int = 8,
    n_users: int = 100,
    warmup: int = 20,
) -> dict[str, Any]:
    """Send ``n_events`` signed DM events (``concurrency`` in flight, from ``n_users`` users) to a Bolt echo
    app and time until the fake has recorded all ``n_events`` echoes. ``latency`` is added by the fake to
    every Web API call."""
    async with FakeSlackAPI(latency=latency) as fake, aiohttp.ClientSession() as api_session:
        app = _build_app(fake, api_session)
        async with serve_bolt_app(app) as url, SlackRequestSender(url, SIGNING_SECRET) as sender:
            # Warm-up: auth.test, connection pools, first-request imports.
            for i in range(warmup):
                await sender.event(dm_message(f"W{i:04d}", f"warmup {i}"))
            await fake.wait_for(lambda f: f.message_count >= warmup, timeout=30)
            fake.reset()

            events = [dm_message(f"U{i % n_users:05d}", f"msg {i}") for i in range(n_events)]
            sent_at: list[float] = [0.0] * n_events
            ack_ms: list[float] = []
            bad_status: list[int] = []
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(n_events):
                queue.put_nowait(i)

            async def worker() -> None:
                while True:
                    try:
                        i = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    sent_at[i] = time.monotonic()
                    resp = await sender.event(events[i])
                    ack_ms.append((time.monotonic() - sent_at[i]) * 1000)
                    if resp.status != 200:
                        bad_status.append(resp.status)

            cpu0 = time.process_time()
            t0 = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            t_acked = time.monotonic()
            await fake.wait_for(
                lambda f: f.message_count >= n_events, timeout=30 + n_events * (0.02 + 2 * latency), interval=0.002
            )
            t_done = time.monotonic()
            cpu = time.process_time() - cpu0

            echo_ms: list[float] = []
            for call in fake.calls_to("chat.postMessage"):
                text = str(call.params.get("text", ""))
                if text.startswith("msg "):
                    echo_ms.append((call.time - sent_at[int(text[4:])]) * 1000)
            elapsed = t_done - t0
            return {
                "events": n_events,
                "latency_s": latency,
                "concurrency": concurrency,
                "users": n_users,
                "elapsed_s": round(elapsed, 4),
                "events_per_s": round(n_events / elapsed, 1),
                "all_acked_s": round(t_acked - t0, 4),
                "http_ack_p50_ms": round(_pct(ack_ms, 0.5), 2),
                "http_ack_p95_ms": round(_pct(ack_ms, 0.95), 2),
                "echo_p50_ms": round(_pct(echo_ms, 0.5), 2),
                "echo_p95_ms": round(_pct(echo_ms, 0.95), 2),
                "echo_max_ms": round(max(echo_ms, default=float("nan")), 2),
                "cpu_s": round(cpu, 3),
                "cpu_ms_per_event": round(cpu / n_events * 1000, 3),
                "non_200": len(bad_status),
                "echoes": len(echo_ms),
                "api_calls": len(fake.calls),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500, help="DM events to send (default 500)")
    parser.add_argument("--latency", type=float, default=0.0, help="simulated Web API latency in seconds")
    parser.add_argument("--concurrency", type=int, default=8, help="signed requests in flight (default 8)")
    parser.add_argument("--users", type=int, default=100, help="distinct users sending (default 100)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median events/s is reported too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    runs = []
    for run in range(args.repeat):
        result = asyncio.run(measure_echo(args.events, args.latency, concurrency=args.concurrency, n_users=args.users))
        runs.append(result)
        print(
            f"run {run + 1}: {result['events']} events in {result['elapsed_s']:.3f}s = "
            f"{result['events_per_s']:.0f} events/s | echo p50 {result['echo_p50_ms']:.1f} ms, "
            f"p95 {result['echo_p95_ms']:.1f} ms | HTTP ack p50 {result['http_ack_p50_ms']:.1f} ms | "
            f"CPU {result['cpu_ms_per_event']:.2f} ms/event | peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    summary: dict[str, Any] = {"runs": runs}
    if len(runs) > 1:
        summary["median_events_per_s"] = statistics.median(r["events_per_s"] for r in runs)
    print(json.dumps(summary if len(runs) > 1 else runs[0]))


if __name__ == "__main__":
    main()
