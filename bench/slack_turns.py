"""Survey turns per second through the real Bolt app (HTTP mode, signed requests) over the fake
Slack Web API, beside the Bolt echo-app floor (``bench.echo_slack``) and the fair floors of
``bench.floor_slack`` (plain: one commit per event; outbox: the answer and its messages committed
together, then each send recorded, the durable work the bot does) measured in the same run.

Each simulated person does a whole NPS survey the way a person would, waiting for the bot's
reply before the next step: ``/feedback nps`` -> press a score button -> type a comment.
That is three turns, each a signed request acknowledged by Bolt, one service transaction in
SQLite, and the replies sent by the delivery loop (question; edit + follow-up; thanks: the
"Got it!" ephemeral is not posted for a press the edit already confirms). A newcomer also
costs conversations.open and users.info once, so 6 Web API calls per survey, 2.0 per turn.
``--concurrency`` people are in the middle of a survey at any moment.

    .venv/bin/python -m bench.slack_turns --users 200
    .venv/bin/python -m bench.slack_turns --users 200 --profile   # where the time goes
    .venv/bin/python -m bench.slack_turns --users 300 --repeat 3  # the machine is noisy

CPU is reported for the whole process and for the event loop's thread alone: the rest is
aiosqlite's worker thread (SQL, fsync), which a cProfile of the loop does not see.

One process, one event loop (fake API, bot, senders), like the floor: the ratio between the
two is what to compare across machines, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import json
import logging
import pstats
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.echo_slack import measure_echo
from bench.floor_slack import running_floor
from surveys.engine import parse_button
from tests.e2e.slack_helpers import SIGNING_SECRET, running_bot
from tests.fakes.slack_api import FakeSlackAPI, SlackRequestSender, dm_message

TURNS_PER_USER = 3
COMMENT = "Support was quick and friendly, the export is a bit slow."


class SignallingFake(FakeSlackAPI):
    """The fake plus a wake-up per stored message, so hundreds of waiting users cost no polling
    (polling from the same loop would bill the bot for the benchmark's own overhead)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._waiters: dict[str, tuple[int, asyncio.Future[None]]] = {}

    def _store_message(self, channel: str, params: dict[str, Any], *, thread_ts: Any = None) -> dict[str, Any]:
        msg = super()._store_message(channel, params, thread_ts=thread_ts)
        waiter = self._waiters.get(channel)
        if waiter is not None and len(self._messages.get(channel, [])) >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)
        return msg

    async def wait_messages(self, channel: str, count: int, timeout: float) -> None:
        if len(self._messages.get(channel, [])) >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[channel] = (count, future)
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.pop(channel, None)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _score_button(question: dict[str, Any], score: int) -> dict[str, Any]:
    for block in question.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            parsed = parse_button(element["value"])
            if parsed is not None and parsed[1] == f"s{score}":
                return element
    raise RuntimeError("the question has no score buttons")


@dataclass
class Target:
    """What the simulated people talk to: the events URL, and how to wait for its background work."""

    url: str
    settle: Callable[[], Awaitable[Any]]


async def drive(
    fake: SignallingFake,
    target: Target,
    n_users: int,
    *,
    concurrency: int,
    warmup: int,
    timeout: float,
    profiler: cProfile.Profile | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Run ``warmup`` then ``n_users`` whole surveys against ``target``; the figures and the
    measured users. The same people and pacing for the bot and for the fair floor."""
    sender = SlackRequestSender(target.url, SIGNING_SECRET)
    turn_ms: list[float] = []
    non_200: list[int] = []

    async def turn(send: Any, dm: str, expect: int) -> None:
        started = time.monotonic()
        resp = await send
        if resp.status != 200:
            non_200.append(resp.status)
        await fake.wait_messages(dm, expect, timeout)
        turn_ms.append((time.monotonic() - started) * 1000)

    async def survey(user: str) -> None:
        dm = "D" + user
        await turn(sender.command(user, "/feedback", "nps"), dm, 1)
        question = fake.messages(dm)[0]
        button = _score_button(question, 9 if int(user[1:]) % 2 else 4)
        await turn(
            sender.action(user, button["action_id"], button["value"], channel=dm, message_ts=question["ts"]), dm, 2
        )
        await turn(sender.event(dm_message(user, COMMENT)), dm, 3)

    async def run(users: list[str]) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for user in users:
            queue.put_nowait(user)

        async def worker() -> None:
            while not queue.empty():
                await survey(queue.get_nowait())

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    try:
        for i in range(warmup + n_users):
            fake.add_user(f"U{i:06d}", locale="en-US")
        await run([f"U{i:06d}" for i in range(warmup)])
        await target.settle()
        turn_ms.clear()
        calls_before = len(fake.calls)

        users = [f"U{i:06d}" for i in range(warmup, warmup + n_users)]
        if profiler is not None:
            profiler.enable()
        cpu0, loop_cpu0 = time.process_time(), time.thread_time()
        t0 = time.monotonic()
        await run(users)
        elapsed = time.monotonic() - t0
        cpu, loop_cpu = time.process_time() - cpu0, time.thread_time() - loop_cpu0
        if profiler is not None:
            profiler.disable()
        by_method = collections.Counter(c.method for c in fake.calls[calls_before:])
        await target.settle()
    finally:
        await sender.close()
    turns = n_users * TURNS_PER_USER
    return {
        "users": n_users,
        "turns": turns,
        "concurrency": concurrency,
        "elapsed_s": round(elapsed, 4),
        "turns_per_s": round(turns / elapsed, 1),
        "turn_p50_ms": round(_pct(turn_ms, 0.5), 2),
        "turn_p95_ms": round(_pct(turn_ms, 0.95), 2),
        "cpu_ms_per_turn": round(cpu / turns * 1000, 3),
        "cpu_loop_thread_ms_per_turn": round(loop_cpu / turns * 1000, 3),
        "api_calls_per_turn": round(sum(by_method.values()) / turns, 2),
        "api_calls_per_turn_by_method": {m: round(n / turns, 3) for m, n in sorted(by_method.items())},
        "non_200": len(non_200),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, users


async def measure_turns(
    n_users: int,
    *,
    concurrency: int = 16,
    latency: float = 0.0,
    durability: str = "full",
    warmup: int = 10,
    timeout: float = 30.0,
    profiler: cProfile.Profile | None = None,
) -> dict[str, Any]:
    """feedbackbot itself: the real Bolt app, service, SQLite and delivery loop."""
    with tempfile.TemporaryDirectory() as tmp:
        async with SignallingFake(latency=latency) as fake:
            fake.add_channel("CSTAFF", members=["USTAFF"])
            async with running_bot(fake, str(Path(tmp) / "bench.db"), durability=durability) as bot:
                figures, users = await drive(
                    fake,
                    Target(bot.url, bot.settle),
                    n_users,
                    concurrency=concurrency,
                    warmup=warmup,
                    timeout=timeout,
                    profiler=profiler,
                )
                measured = set(users)
                responses = [r for r in await bot.responses() if r["user_id"] in measured]
    figures.update(latency_s=latency, durability=durability)
    figures["complete_responses"] = sum(1 for r in responses if r["comment_status"] == "given")
    return figures


async def measure_fair_floor(
    n_users: int,
    *,
    concurrency: int = 16,
    latency: float = 0.0,
    warmup: int = 10,
    timeout: float = 30.0,
    outbox: bool = False,
) -> dict[str, Any]:
    """The plain Bolt app of ``bench.floor_slack``: same Web API calls, one SQLite commit per event
    (``outbox``: the answer and its messages committed together, then each send recorded)."""
    with tempfile.TemporaryDirectory() as tmp:
        async with SignallingFake(latency=latency) as fake:
            async with running_floor(fake, Path(tmp), SIGNING_SECRET, outbox=outbox) as floor:
                figures, _ = await drive(
                    fake,
                    Target(floor.url, floor.settle),
                    n_users,
                    concurrency=concurrency,
                    warmup=warmup,
                    timeout=timeout,
                )
                figures["complete_responses"] = await floor.answers() - warmup
    figures["latency_s"] = latency
    return figures


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    floor = await measure_echo(args.users * TURNS_PER_USER, args.latency, concurrency=8, n_users=min(args.users, 100))
    fair = await measure_fair_floor(args.users, concurrency=args.concurrency, latency=args.latency)
    fair_outbox = await measure_fair_floor(args.users, concurrency=args.concurrency, latency=args.latency, outbox=True)
    profiler = cProfile.Profile() if args.profile else None
    turns = await measure_turns(
        args.users, concurrency=args.concurrency, latency=args.latency, durability=args.durability, profiler=profiler
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    ratio = turns["turns_per_s"] / floor["events_per_s"] if floor["events_per_s"] else float("nan")
    fair_ratio = turns["turns_per_s"] / fair["turns_per_s"] if fair["turns_per_s"] else float("nan")
    outbox_ratio = turns["turns_per_s"] / fair_outbox["turns_per_s"] if fair_outbox["turns_per_s"] else float("nan")
    return {
        "survey": turns,
        "echo_floor": floor,
        "ratio_to_floor": round(ratio, 3),
        "target_ratio": 0.75,
        "fair_floor": fair,
        "ratio_to_fair_floor": round(fair_ratio, 3),
        "target_fair_ratio": 0.8,
        "outbox_floor": fair_outbox,
        "ratio_to_outbox_floor": round(outbox_ratio, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200, help="people doing a full survey (default 200)")
    parser.add_argument("--concurrency", type=int, default=16, help="people mid-survey at once (default 16)")
    parser.add_argument("--latency", type=float, default=0.0, help="simulated Web API latency in seconds")
    parser.add_argument("--durability", choices=("full", "normal"), default="full", help="[storage] durability")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the measured survey run (loop thread) and print the top 30"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="floor + survey pairs to run; the JSON is the median-ratio pair"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    results = []
    for _ in range(max(1, args.repeat)):
        result = asyncio.run(measure(args))
        results.append(result)
        s, f = result["survey"], result["echo_floor"]
        print(
            f"survey: {s['turns']} turns in {s['elapsed_s']:.2f}s = {s['turns_per_s']:.0f} turns/s "
            f"(p50 {s['turn_p50_ms']:.1f} ms, p95 {s['turn_p95_ms']:.1f} ms, CPU {s['cpu_ms_per_turn']:.2f} ms/turn "
            f"of which loop thread {s['cpu_loop_thread_ms_per_turn']:.2f}, {s['api_calls_per_turn']} API calls/turn) "
            f"| echo floor {f['events_per_s']:.0f} events/s ({f['cpu_ms_per_event']:.2f} ms CPU/event) | "
            f"ratio {result['ratio_to_floor']:.2f} (target {result['target_ratio']}) | fair floor "
            f"{result['fair_floor']['turns_per_s']:.0f} turns/s ({result['fair_floor']['cpu_ms_per_turn']:.2f} ms "
            f"CPU/turn) | ratio {result['ratio_to_fair_floor']:.2f} (target {result['target_fair_ratio']}) | "
            f"outbox floor {result['outbox_floor']['turns_per_s']:.0f} turns/s "
            f"({result['outbox_floor']['cpu_ms_per_turn']:.2f} ms CPU/turn) | "
            f"ratio {result['ratio_to_outbox_floor']:.2f}",
            flush=True,
        )
    median = sorted(results, key=lambda r: r["ratio_to_floor"])[len(results) // 2]
    if len(results) > 1:
        median["ratios"] = [r["ratio_to_floor"] for r in results]
        median["fair_ratios"] = [r["ratio_to_fair_floor"] for r in results]
        median["median_fair_ratio"] = statistics.median(median["fair_ratios"])
        median["median_ratio"] = statistics.median(median["ratios"])
        median["outbox_ratios"] = [r["ratio_to_outbox_floor"] for r in results]
        median["median_outbox_ratio"] = statistics.median(median["outbox_ratios"])
    print(json.dumps(median))


if __name__ == "__main__":
    main()
