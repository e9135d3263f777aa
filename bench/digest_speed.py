"""Time to compute one weekly digest (every configured survey, without the chart) over a large
history, and how it changes when the history grows ten times while the week stays the same.

Every response carries ten context keys (agent, team, plan, ... with 3 to 20 values each, as the
send API would store them) and the digest breaks every survey down by all ten, so the timing
includes the segment queries (one index range per key and period on ``response_context``).

Two databases: the large one holds ``--responses`` answered responses spread evenly over two
years (three surveys, with comments, sessions and escalations in realistic proportions); the
small one holds only its most recent tenth (the same rows, so the same weekly volume). The same
digest (the last complete ISO week before "now") is timed on both, alternating run by run so
that machine noise hits both alike. A digest that read the whole history would be ten times
slower on the large one; one that reads its windows should not change.

The floor is the cheapest useful query measured in the same run: counting the week's answered
responses of one survey through the covering index.

    python -m bench.digest_speed [--responses 1000000] [--quick] [--repeat 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import config as config_mod
from bot.services.digests import DigestService, negative_max_score
from storage.reports import reading
from storage.sqlite import Store
from surveys.digest import SERIES_LENGTH, digest_messages, series_periods
from surveys.kinds import SCALES
from surveys.model import Destination

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()  # a Monday morning: the weekly digest is due
YEARS = 2
SURVEYS = (("nps", "nps", 0.60), ("csat", "csat", 0.25), ("ces", "ces", 0.15))
SCALE = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
NEGATIVE = {"nps": 6, "csat": 2, "ces": 3}
BATCH = 50_000
# Context keys and how many values each takes: the digest is segmented by all of them.
CONTEXT = {
    "agent": 20,
    "team": 5,
    "plan": 3,
    "product": 8,
    "region": 6,
    "country": 12,
    "tier": 4,
    "queue": 7,
    "shift": 3,
    "source": 5,
}

_GOOD = "great fast friendly helpful easy quick smooth excellent".split()
_BAD = "slow broken confusing rude expensive late buggy missing".split()
_THINGS = "delivery checkout support app refund login invoice packaging website agent".split()


def _comment_pool(rng: random.Random) -> list[tuple[str, float, str]]:
    pool = []
    for _ in range(400):
        good = rng.random() < 0.5
        words = rng.sample(_GOOD if good else _BAD, 2)
        things = rng.sample(_THINGS, 2)
        text = f"The {things[0]} was {words[0]} and the {things[1]} felt {words[1]}, " + "honestly " * rng.randint(0, 3)
        sentiment = round(rng.uniform(0.1, 0.95) if good else rng.uniform(-0.95, -0.1), 3)
        pool.append((text.strip(), sentiment, "positive" if good else "negative"))
    return pool


def _rows(count: int, start: float, end: float, first_id: int, seed: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Batches of sessions, responses and escalations for ``count`` responses in [start, end)."""
    rng = random.Random(seed)
    pool = _comment_pool(rng)
    step = (end - start) / count
    weights = [w for *_, w in SURVEYS]
    sessions: list[tuple[Any, ...]] = []
    responses: list[tuple[Any, ...]] = []
    escalations: list[tuple[Any, ...]] = []
    session_id = first_id * 2
    for i in range(count):
        at = start + i * step + rng.random() * step
        sid, kind, _ = rng.choices(SURVEYS, weights)[0]
        low, high = SCALE[kind]
        score = min(high, max(low, round(rng.triangular(low, high, high - 1))))
        respondent = rng.randint(1, 50_000)
        # about one invitation in nine goes unanswered (expired)
        if rng.random() < 0.11:
            session_id += 1
            sessions.append(
                (session_id, respondent, sid, "expired", "en", f"x{session_id}", None, at - 60, at, at + 3 * 86400)
            )
        session_id += 1
        sessions.append(
            (session_id, respondent, sid, "done", "en", f"n{session_id}", score, at - 30, at, at + 3 * 86400)
        )
        comment = text = None
        sentiment = None
        label = "none"
        status = "skipped"
        language = "en" if rng.random() < 0.9 else "de"
        if rng.random() < 0.4:
            text, sentiment, label = pool[rng.randrange(len(pool))]
            comment, status = text, "given"
            if language != "en":
                sentiment, label = None, "unscored"
        response_id = first_id + i
        context = json.dumps({key: f"{key}-{rng.randrange(values)}" for key, values in CONTEXT.items()})
        responses.append(
            (
                response_id,
                session_id,
                respondent,
                sid,
                kind,
                "answered",
                score,
                comment,
                status,
                sentiment,
                label,
                language,
                "telegram" if respondent % 3 else "slack",
                context,
                at,
                at,
            )
        )
        if score <= NEGATIVE[kind]:
            claimed = at + rng.uniform(60, 4 * 3600) if rng.random() < 0.8 else None
            resolved = claimed + rng.uniform(600, 48 * 3600) if claimed and rng.random() < 0.85 else None
            recovered = rng.choice((0, 1, 1, None)) if resolved else None
            state = "resolved" if resolved else "claimed" if claimed else "open"
            escalations.append(
                (response_id, respondent, sid, "detractor_score", state, recovered, at, claimed, resolved)
            )
        if len(responses) >= BATCH:
            yield {"sessions": sessions, "responses": responses, "escalations": escalations}
            sessions, responses, escalations = [], [], []
    if responses:
        yield {"sessions": sessions, "responses": responses, "escalations": escalations}


def build(path: Path, count: int, start: float, end: float, first_id: int, seed: int) -> float:
    """Insert ``count`` responses (with sessions and escalations) with executemany in batches."""
    began = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    if first_id == 1:
        db.executemany(
            "INSERT INTO respondents (id, platform, user_id, chat_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 0, 0)",
            [(i, "telegram" if i % 3 else "slack", f"u{i}", f"u{i}") for i in range(1, 50_001)],
        )
    for batch in _rows(count, start, end, first_id, seed):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO sessions (id, respondent_id, survey_id, stage, language, nonce, score, started_at,"
            " updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch["sessions"],
        )
        db.executemany(
            "INSERT INTO responses (id, session_id, respondent_id, survey_id, kind, status, score, comment,"
            " comment_status, sentiment, sentiment_label, language, channel, context, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch["responses"],
        )
        db.executemany(
            "INSERT INTO escalations (response_id, respondent_id, survey_id, rules, state, recovered, opened_at,"
            " claimed_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch["escalations"],
        )
        db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - began


class Timer:
    """One database: times a whole weekly digest (gather + compose) and the floor query."""

    def __init__(self, store: Store, service: DigestService) -> None:
        self.store = store
        self.service = service
        self.period = service.default_period(NOW)
        self.surveys = list(service.config.surveys)
        self.runs: list[tuple[float, float]] = []
        self.segmented: list[float] = []
        self.segmented_cpu: list[float] = []
        self.floors: list[float] = []
        self.parts: dict[str, list[float]] = {}
        self.cold = 0.0
        self.in_week = 0
        self.segment_rows = 0

    @classmethod
    async def open(cls, path: Path, timezone: str | None = None) -> Timer:
        cfg = config_mod.load(ROOT / "config.example.toml", env={})
        if timezone:  # the digest's weeks start at midnight there
            cfg = replace(cfg, bot=replace(cfg.bot, timezone=timezone))
        store = await Store.open(path, "normal")
        return cls(store, DigestService(store, cfg, clock=lambda: NOW, chart_dir=path.parent / "charts"))

    async def once_parts(self) -> None:
        """Each read of the segmented digest on its own, summed over the surveys: where the
        time goes (the digest itself overlaps computing one survey with reading the next)."""
        periods = series_periods(self.period, SERIES_LENGTH)
        windows = [(p.start_ts, p.end_ts) for p in periods]
        start, end = self.period.start_ts, self.period.end_ts
        spent: dict[str, float] = {}

        async def timed(name: str, work: Awaitable[Any]) -> None:
            t0 = time.perf_counter()
            await work
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0

        for sid in self.surveys:
            kind = self.service.config.surveys[sid].kind
            scale = SCALES[kind]
            scores = range(scale.low, scale.high + 1)
            async with reading(self.store) as reports:
                await timed("score_counts", reports.score_counts(sid, scores, windows))
                await timed("segments", reports.segments(sid, list(CONTEXT), windows[-2:], scores))
                await timed(
                    "comment_facts",
                    reports.comment_facts(sid, start, end, negative_max_score=negative_max_score(kind)),
                )
                await timed("escalation_facts", reports.escalation_facts(sid, start, end))
                await timed("invitations", reports.invitation_counts(sid, start, end))
                await timed("invitations", reports.self_started(sid, start, end))
        await timed("causes", self.service.causes(None, self.surveys, self.period))
        for name, seconds in spent.items():
            self.parts.setdefault(name, []).append(seconds)

    async def once(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        digest = await self.service.gather(self.surveys, self.period)
        t1 = time.perf_counter()
        digest_messages(digest, [Destination("console", "staff")], {})
        t2 = time.perf_counter()
        self.in_week = sum(s.current.n for s in digest.surveys)
        return t1 - t0, t2 - t1

    async def once_segmented(self) -> float:
        """The same digest broken down by all ten context keys (gather + compose)."""
        t0, c0 = time.perf_counter(), time.process_time()
        digest = await self.service.gather(self.surveys, self.period, segments=list(CONTEXT))
        digest_messages(digest, [Destination("console", "staff")], {})
        elapsed = time.perf_counter() - t0
        # CPU of every thread of the process (SQLite's, the workers'): less swayed by other
        # processes on a busy machine than the wall time.
        self.segmented_cpu.append(time.process_time() - c0)
        self.segment_rows = sum(len(t.rows) for s in digest.surveys for t in s.segments)
        return elapsed

    async def floor(self) -> float:
        t0 = time.perf_counter()
        async with (
            self.store.reading() as conn,
            conn.execute(
                "SELECT COUNT(*) FROM responses WHERE survey_id = 'nps' AND created_at >= ? AND created_at < ? "
                "AND status = 'answered'",
                (self.period.start_ts, self.period.end_ts),
            ) as cur,
        ):
            await cur.fetchone()
        return time.perf_counter() - t0

    def figures(self) -> dict[str, Any]:
        totals = sorted(g + c for g, c in self.runs)
        return {
            "week": self.period.label,
            "timezone": self.service.config.bot.timezone,
            "responses_in_week": self.in_week,
            "segment_keys": len(CONTEXT),
            "segment_rows": self.segment_rows,
            "cold_ms": 1000 * self.cold,
            "median_ms": 1000 * statistics.median(totals),
            "segments_median_ms": 1000 * statistics.median(self.segmented),
            "segments_cpu_median_ms": 1000 * statistics.median(self.segmented_cpu),
            "segments_p90_ms": 1000 * sorted(self.segmented)[int(0.9 * (len(self.segmented) - 1))],
            "min_ms": 1000 * totals[0],
            "p90_ms": 1000 * totals[int(0.9 * (len(totals) - 1))],
            "gather_median_ms": 1000 * statistics.median(g for g, _ in self.runs),
            "compose_median_ms": 1000 * statistics.median(c for _, c in self.runs),
            "floor_week_count_ms": 1000 * statistics.median(self.floors),
            "parts_median_ms": {name: 1000 * statistics.median(v) for name, v in self.parts.items()},
        }


async def measure(paths: dict[str, Path], repeat: int, timezone: str | None = None) -> dict[str, dict[str, Any]]:
    """Alternate between the databases run by run, so machine noise hits both alike."""
    timers = {name: await Timer.open(path, timezone) for name, path in paths.items()}
    try:
        for timer in timers.values():
            timer.cold = sum(await timer.once())
        for _ in range(repeat):
            for timer in timers.values():
                timer.runs.append(await timer.once())
                timer.segmented.append(await timer.once_segmented())
                timer.floors.append(await timer.floor())
                await timer.once_parts()
        return {name: timer.figures() for name, timer in timers.items()}
    finally:
        for timer in timers.values():
            await timer.store.close()


async def main_async(
    total: int, repeat: int, keep: str | None, reuse: bool = False, timezone: str | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        small, large = folder / f"digest-bench-small-{total}.db", folder / f"digest-bench-large-{total}.db"
        built_recent = built_old = 0.0
        if not (reuse and small.exists() and large.exists()):
            for path in (small, large):
                path.unlink(missing_ok=True)
            store = await Store.open(small, "normal")  # creates and migrates the schema
            await store.close()
            span = YEARS * 365 * 86400
            recent = total // 10
            cut = NOW - span * recent / total
            # The same recent tenth in both; the large one also gets the older nine tenths.
            built_recent = build(small, recent, cut, NOW, 1, seed=1)
            shutil.copyfile(small, large)
            built_old = build(large, total - recent, NOW - span, cut, recent + 1, seed=2)
        recent = total // 10
        figures = await measure({"small": small, "large": large}, repeat, timezone)
        size_mb = large.stat().st_size / 1e6
    return {
        "history_small": recent,
        "history_large": total,
        "timezone": figures["large"]["timezone"],
        "load_average": list(os.getloadavg()),
        "build_seconds": built_recent + built_old,
        "db_mb": round(size_mb, 1),
        **figures,
        "ratio_large_to_small": figures["large"]["median_ms"] / figures["small"]["median_ms"],
        "segments_ratio_large_to_small": figures["large"]["segments_median_ms"]
        / figures["small"]["segments_median_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000, help="responses in the full history")
    parser.add_argument("--quick", action="store_true", help="100,000 responses and fewer repeats")
    parser.add_argument("--repeat", type=int, default=30, help="timed digests per history size")
    parser.add_argument("--keep", metavar="DIR", help="build the database in DIR and keep it")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: use the databases kept there by an earlier run (same --responses)",
    )
    parser.add_argument(
        "--timezone", metavar="ZONE", help="the digest's time zone (default: the example config's, UTC); "
        "outside UTC a week's edges are counted from the rows"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    total = 100_000 if args.quick and args.responses == 1_000_000 else args.responses
    repeat = min(args.repeat, 10) if args.quick else args.repeat
    result = asyncio.run(main_async(max(total, 1000), max(repeat, 3), args.keep, args.reuse, args.timezone))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    large = result["large"]
    print(
        f"weekly digest, 3 surveys, {large['week']}; segmented: by {len(CONTEXT)} context keys "
        f"({large['segment_rows']} segment rows); "
        f"databases built in {result['build_seconds']:.1f} s (large: {result['db_mb']} MB)"
    )
    columns = ("in week", "median", "min", "p90", "gather", "compose", "cold", "floor")
    print(f"{'history':>10} " + " ".join(f"{c:>9}" for c in columns))
    for name, n in (("small", result["history_small"]), ("large", result["history_large"])):
        r = result[name]
        times = ("median_ms", "min_ms", "p90_ms", "gather_median_ms", "compose_median_ms", "cold_ms")
        print(
            f"{n:>10,} {r['responses_in_week']:>9,} "
            + " ".join(f"{r[k]:>7.1f}ms" for k in times)
            + f" {r['floor_week_count_ms']:>7.2f}ms"
        )
    print(f"10x history: {result['ratio_large_to_small']:.2f}x the time (target < 1.5x; target median < 50 ms)")
    print(
        f"with segments by {len(CONTEXT)} keys: median {result['small']['segments_median_ms']:.1f} ms vs "
        f"{large['segments_median_ms']:.1f} ms (p90 {large['segments_p90_ms']:.1f} ms), "
        f"{result['segments_ratio_large_to_small']:.2f}x (target < 100 ms and < 1.5x); CPU "
        f"{result['small']['segments_cpu_median_ms']:.1f} ms vs {large['segments_cpu_median_ms']:.1f} ms"
    )
    load = ", ".join(f"{x:.1f}" for x in result["load_average"])
    print(f"weeks from midnight {large['timezone']}; load average {load}")
    print("reads of the segmented digest, each on its own (ms, summed over the surveys):")
    for name in result["small"]["parts_median_ms"]:
        print(
            f"  {name:<17} {result['small']['parts_median_ms'][name]:>7.1f} "
            f"{result['large']['parts_median_ms'][name]:>7.1f}"
        )


if __name__ == "__main__":
    main()
