"""Soak: the real ``feedbackbot run`` process for N minutes under a mixed load, sampled every
30 seconds, to show what grows and what stays flat.

    python -m bench soak --minutes 60 [--rate 10] [--customers 2000]

The bot runs as a subprocess against the fake Bot API, which runs here with the simulated
people. The load, at about ``--rate`` customer turns a second: surveys answered by typing or
by pressing (comments, skips, cancels), plain commands, redelivered updates and presses,
invitations through the HTTP send API answered by their recipients, alerts for low scores
that staff claim, reply to and resolve, and an on-demand ``/digest`` (with its chart) every
two minutes.

Every sample records the bot's resident memory (RSS), open descriptors, threads and CPU
time (from /proc), the database and WAL sizes, each table's row count and, per table, the
bytes it occupies (SQLite's dbstat), and the reply latency of the turns in the interval (from
a customer's message to the bot's first answer to it, as the fake API sees it). The report
gives each series' slope per 10 minutes over the whole run and over its second half (after
warm-up). Figures are reported, never asserted. The machine is shared: other processes'
load shows up in latency, not in memory or disk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent
STAFF = -1005550001
STAFF_USERS = (4001, 4002)
FIRST_CUSTOMER = 7_000_000
API_TOKEN = "soak-api-token"
SAMPLE_SECONDS = 30.0
TABLES = (
    "outbox",
    "processed_events",
    "inbox",
    "sessions",
    "responses",
    "respondents",
    "escalations",
    "invitations",
)
COMMENTS = (
    "Quick delivery and a friendly courier",
    "The app kept crashing when I tried to pay, awful",
    "Fine, nothing special",
    "Support took three days to answer my question",
    "Great value, I will order again",
)


def write_config(folder: Path, fake: FakeTelegramAPI, port: int) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[bot]
default_survey = "nps"
log_level = "INFO"
[storage]
path = "{(folder / 'bot.db').as_posix()}"
durability = "full"
[http]
enabled = true
send_api = true
listen = "127.0.0.1:{port}"
[telegram]
enabled = true
api_base_url = "{fake.base_url}"
staff_chat_id = {STAFF}
[invitations]
quiet_hours = "00:00-00:00"
reminder_hours = 0
fatigue_days = 0
[[surveys]]
id = "nps"
kind = "nps"
product = "Acme"
  [surveys.escalation]
  destinations = ["telegram:{STAFF}"]
[[surveys]]
id = "csat"
kind = "csat"
product = "Acme"
  [surveys.escalation]
  destinations = ["telegram:{STAFF}"]
""",
        encoding="utf-8",
    )
    return config


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- watching the fake API ---------------------------------------------------------------------


@dataclass
class Watcher:
    """Turns the fake's call log into per-chat queues of what the bot did, and trims the fake's
    records so the driver's own memory stays flat over an hour."""

    fake: FakeTelegramAPI
    inbox: dict[int, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    answered: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    alerts: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    seen: int = 0
    api_calls: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def queue(self, chat: int) -> asyncio.Queue[dict[str, Any]]:
        found = self.inbox.get(chat)
        if found is None:
            found = self.inbox[chat] = asyncio.Queue()
        return found

    async def run(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(0.01)

    def scan(self) -> None:
        calls = self.fake.calls
        index = self.seen
        while index < len(calls):
            call = calls[index]
            method = call.method.lower()
            if call.status == 0 and method != "getupdates":
                break  # still being answered: look again next time
            index += 1
            if method == "getupdates":
                continue
            self.api_calls[method] = self.api_calls.get(method, 0) + 1
            if call.status != 200:
                key = f"{method} {call.status}"
                self.errors[key] = self.errors.get(key, 0) + 1
                continue
            if method == "answercallbackquery":
                waiter = self.answered.pop(str(call.params.get("callback_query_id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                continue
            if method in ("sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagereplymarkup"):
                result = call.result if isinstance(call.result, dict) else {}
                chat = int(result.get("chat", {}).get("id", call.params.get("chat_id", 0)) or 0)
                event = {"method": method, "message": result, "at": call.time}
                if chat == STAFF and method == "sendmessage":
                    self.alerts.put_nowait(result)
                elif chat != STAFF:
                    self.queue(chat).put_nowait(event)
        # Forget what was read; keep the fake's transcripts short (edits need recent messages only).
        del calls[:index]
        self.seen = 0
        for chat, transcript in self.fake._transcripts.items():  # our own fake, not a dependency
            keep = 400 if chat == STAFF else 12
            if len(transcript) > keep * 2:
                del transcript[:-keep]


# -- the people ----------------------------------------------------------------------------------


@dataclass
class Load:
    fake: FakeTelegramAPI
    watcher: Watcher
    customers: int
    rate: float
    api_url: str
    rng: random.Random = field(default_factory=lambda: random.Random(21))
    busy: set[int] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    turns: int = 0
    scenarios: dict[str, int] = field(default_factory=dict)
    stalls: int = 0
    redeliveries: int = 0
    invitations: int = 0
    staff_actions: int = 0
    digests: int = 0
    stopping: bool = False

    def pick(self) -> int:
        while True:
            user = FIRST_CUSTOMER + self.rng.randrange(self.customers)
            if user not in self.busy:
                return user

    async def turn(self, user: int, update: dict[str, Any] | None = None, *, text: str | None = None,
                   wait: bool = True) -> dict[str, Any] | None:
        """Send one message (or press) and wait for the bot's first answer in that chat."""
        queue = self.watcher.queue(user)
        while not queue.empty():
            queue.get_nowait()
        started = time.time()
        if update is None:
            assert text is not None
            update = self.fake.send_text(user, text, first_name=f"C{user % 1000}")
        self.turns += 1
        if self.rng.random() < 0.03:  # the platform delivers it twice
            self.fake.requeue(update)
            self.redeliveries += 1
        if not wait:
            return None
        try:
            event = await asyncio.wait_for(queue.get(), 60)
        except TimeoutError:
            self.stalls += 1
            return None
        self.latencies.append(max(0.0, event["at"] - started))
        return event["message"]

    async def press(self, user: int, message: dict[str, Any], suffix: str) -> bool:
        data = button(message, suffix)
        if data is None:
            return False
        update = self.fake.press(user, data, int(message["message_id"]), first_name=f"C{user % 1000}")
        query = str(update["callback_query"]["id"])
        answered = asyncio.get_running_loop().create_future()
        self.watcher.answered[query] = answered
        started = time.time()
        self.turns += 1
        if self.rng.random() < 0.05:  # a redelivered press: must not be answered twice
            self.fake.requeue(update)
            self.redeliveries += 1
        try:
            await asyncio.wait_for(answered, 60)
            self.latencies.append(time.time() - started)
        except TimeoutError:
            self.stalls += 1
            self.watcher.answered.pop(query, None)
        return True

    async def survey(self, user: int) -> None:
        kind = self.rng.random()
        # About one score in six is a detractor's (an alert, edited as staff act on it).
        score = self.rng.choice([0, 3, 5, 7, 8, 8, 9, 9, 9, 10, 10, 10])
        question = await self.turn(user, text="/feedback")
        if question is None:
            return
        if kind < 0.45:  # typed score, then a comment
            self.count("typed")
            if await self.turn(user, text=str(score)) is not None:
                await self.pause()
                await self.turn(user, text=self.rng.choice(COMMENTS))
        elif kind < 0.8:  # pressed score, then a comment or skip
            await self.press(user, question, f":s{score}")
            follow = await self.next_message(user)
            if follow is not None and self.rng.random() < 0.4 and await self.press(user, follow, ":skip"):
                self.count("pressed+skip")
            else:
                self.count("pressed")
                await self.pause()
                await self.turn(user, text=self.rng.choice(COMMENTS))
        elif kind < 0.92:
            self.count("cancel")
            await self.pause()
            await self.turn(user, text="/cancel")
        else:  # a late tap on an answered question's keyboard
            self.count("typed+late tap")
            await self.turn(user, text=str(score))
            await self.turn(user, text="/skip")
            await self.press(user, question, ":s3")

    async def next_message(self, user: int) -> dict[str, Any] | None:
        queue = self.watcher.queue(user)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                event = await asyncio.wait_for(queue.get(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            if event["method"] == "sendmessage":
                return dict(event["message"])
        return None

    async def invite(self, session: aiohttp.ClientSession, user: int) -> None:
        self.count("invited")
        body = {"recipient": {"platform": "telegram", "id": user}, "context": {"order": str(self.invitations)}}
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        queue = self.watcher.queue(user)
        while not queue.empty():
            queue.get_nowait()
        async with session.post(f"{self.api_url}/v1/surveys/csat/send", json=body, headers=headers) as resp:
            await resp.read()
            if resp.status not in (200, 202):
                self.count(f"invite http {resp.status}")
                return
        self.invitations += 1
        question = await self.next_message(user)
        if question is None:
            self.stalls += 1
            return
        await self.press(user, question, f":s{self.rng.randint(1, 5)}")
        await self.next_message(user)
        await self.turn(user, text=self.rng.choice(COMMENTS))

    def count(self, what: str) -> None:
        self.scenarios[what] = self.scenarios.get(what, 0) + 1

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.2, 2.0))  # people take a moment to type

    async def customers_loop(self) -> None:
        """Start a scenario whenever the turn budget allows; many run at once."""
        running: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession() as session:
            started = time.monotonic()
            begun = 0.0
            while not self.stopping:
                # About 2.6 turns per scenario: start scenarios at rate / 2.6 per second.
                due = (time.monotonic() - started) * self.rate / 2.6
                while begun < due and len(running) < 400:
                    begun += 1
                    user = self.pick()
                    self.busy.add(user)
                    roll = self.rng.random()
                    if roll < 0.06:
                        work = self.invite(session, user)
                    elif roll < 0.12:
                        self.count("command")
                        work = self.command(user)
                    else:
                        work = self.survey(user)
                    task = asyncio.create_task(self.guard(user, work))
                    running.add(task)
                    task.add_done_callback(running.discard)
                await asyncio.sleep(0.05)
            if running:
                await asyncio.wait(running, timeout=30)

    async def command(self, user: int) -> None:
        await self.turn(user, text=self.rng.choice(["/help", "/start", "/mydata"]))

    async def guard(self, user: int, work: Any) -> None:
        try:
            await work
        except Exception as exc:  # a driver bug must not stop the soak; it is counted
            self.count(f"driver error {type(exc).__name__}")
        finally:
            self.busy.discard(user)

    async def staff_loop(self) -> None:
        """Staff act on every alert: claim then resolve, or reply (relayed to the customer)."""
        tasks: set[asyncio.Task[None]] = set()
        while not self.stopping:
            try:
                alert = await asyncio.wait_for(self.watcher.alerts.get(), 1.0)
            except TimeoutError:
                continue
            if button(alert, ":claim") is None:
                continue  # a digest, a chart, a relayed message
            task = asyncio.create_task(self.handle_alert(alert))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def handle_alert(self, alert: dict[str, Any]) -> None:
        staff = self.rng.choice(STAFF_USERS)
        await asyncio.sleep(self.rng.uniform(1, 10))
        if self.rng.random() < 0.3:
            self.fake.send_text(
                staff, "Sorry about that, we are on it", chat_id=STAFF, reply_to_message_id=int(alert["message_id"])
            )
            self.staff_actions += 1
            return
        for action in (":claim", ":resolve"):
            data = button(alert, action)
            if data is None:
                return
            self.fake.press(staff, data, int(alert["message_id"]), chat_id=STAFF)
            self.staff_actions += 1
            await asyncio.sleep(self.rng.uniform(1, 5))

    async def digest_loop(self) -> None:
        while not self.stopping:
            await asyncio.sleep(120)
            self.fake.send_text(STAFF_USERS[0], "/digest", chat_id=STAFF)
            self.digests += 1


def button(message: dict[str, Any], suffix: str) -> str | None:
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for b in row:
            data = str(b.get("callback_data", ""))
            if data.endswith(suffix):
                return data
    return None


# -- sampling -----------------------------------------------------------------------------------


def proc_stats(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "cpu_s": (int(stat[11]) + int(stat[12])) / ticks,
    }


def db_stats(path: Path, with_tables: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "db_mb": path.stat().st_size / 2**20 if path.exists() else 0.0,
        "wal_mb": Path(f"{path}-wal").stat().st_size / 2**20 if Path(f"{path}-wal").exists() else 0.0,
    }
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            out["rows"] = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            out["free_mb"] = free * page / 2**20
            if with_tables:
                sizes: dict[str, float] = {}
                for _name, table, size in conn.execute(
                    "SELECT d.name, COALESCE(m.tbl_name, d.name), SUM(d.pgsize) FROM dbstat d "
                    "LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY d.name"
                ):
                    sizes[table] = sizes.get(table, 0.0) + size / 2**20
                out["table_mb"] = {k: round(v, 3) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        out["db_error"] = str(exc)
    return out


def slope_per_10min(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (minutes, value), per 10 minutes."""
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    return 10 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the run -------------------------------------------------------------------------------------


async def soak(minutes: float, rate: float, customers: int, keep: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        async with FakeTelegramAPI() as fake:
            for staff in STAFF_USERS:
                fake.set_member(STAFF, staff, "member")
            port = free_port()
            config = write_config(folder, fake, port)
            log_path = folder / "bot.log"
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": fake.token,
                "FEEDBACKBOT_API_TOKEN": API_TOKEN,
                "PYTHONUNBUFFERED": "1",
            }
            with log_path.open("wb") as log:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", "--config", str(config),
                    cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                )
            watcher = Watcher(fake)
            watch_task = asyncio.create_task(watcher.run())
            load = Load(fake, watcher, customers, rate, f"http://127.0.0.1:{port}")
            try:
                await wait_ready(load.api_url, proc)
                samples = await drive(load, proc, folder / "bot.db", minutes)
            finally:
                load.stopping = True
                stop_started = time.monotonic()
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 60)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
                stop_seconds = time.monotonic() - stop_started
                watch_task.cancel()
            log_text = log_path.read_text(encoding="utf-8", errors="replace")
            final = db_stats(folder / "bot.db", with_tables=True)
            return summarise(samples, load, watcher, log_text, final, proc.returncode, stop_seconds, minutes, rate)


async def wait_ready(api_url: str, proc: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if proc.returncode is not None:
                raise RuntimeError(f"the bot exited with status {proc.returncode} at start-up")
            try:
                async with session.get(f"{api_url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not come up within a minute")


async def drive(load: Load, proc: asyncio.subprocess.Process, db: Path, minutes: float) -> list[dict[str, Any]]:
    tasks = [
        asyncio.create_task(load.customers_loop()),
        asyncio.create_task(load.staff_loop()),
        asyncio.create_task(load.digest_loop()),
    ]
    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    end = started + minutes * 60
    last_turns = 0
    recent: deque[float] = deque()
    try:
        while True:
            now = time.monotonic()
            next_at = started + (len(samples) + 1) * SAMPLE_SECONDS
            if next_at > end + 1:
                break
            await asyncio.sleep(max(0.0, next_at - now))
            if proc.returncode is not None:
                raise RuntimeError(f"the bot exited with status {proc.returncode} during the soak")
            latencies, load.latencies = load.latencies, []
            recent.extend(latencies)
            sample: dict[str, Any] = {
                "minute": round((time.monotonic() - started) / 60, 2),
                "turns": load.turns - last_turns,
                "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                **proc_stats(proc.pid or 0),
                **db_stats(db, with_tables=len(samples) % 4 == 3),
            }
            last_turns = load.turns
            samples.append(sample)
            print(
                f"[{sample['minute']:5.1f} min] turns {sample['turns']:5d}  rss {sample['rss_mb']:6.1f} MB  "
                f"fds {sample['fds']:3d}  threads {sample['threads']:2d}  db {sample['db_mb']:6.1f} MB  "
                f"wal {sample['wal_mb']:5.1f} MB  p50 {sample['latency_p50_ms']:6.1f} ms  "
                f"p99 {sample['latency_p99_ms']:7.1f} ms  rows {sample.get('rows')}",
                flush=True,
            )
    finally:
        load.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return samples


def summarise(
    samples: list[dict[str, Any]], load: Load, watcher: Watcher, log_text: str, final: dict[str, Any],
    returncode: int | None, stop_seconds: float, minutes: float, rate: float,
) -> dict[str, Any]:
    half = minutes / 2

    def series(key: str, since: float = 0.0) -> list[tuple[float, float]]:
        return [(s["minute"], float(s[key])) for s in samples if key in s and s["minute"] >= since]

    def rows(table: str, since: float = 0.0) -> list[tuple[float, float]]:
        return [(s["minute"], float(s["rows"][table])) for s in samples if "rows" in s and s["minute"] >= since]

    slopes: dict[str, Any] = {}
    for key in ("rss_mb", "fds", "threads", "db_mb", "wal_mb", "latency_p50_ms", "latency_p99_ms"):
        slopes[key] = {
            "all": _round(slope_per_10min(series(key))),
            "second_half": _round(slope_per_10min(series(key, half))),
        }
    row_slopes = {t: _round(slope_per_10min(rows(t, half))) for t in TABLES}
    cpu = series("cpu_s")
    turns_total = sum(s["turns"] for s in samples)
    warnings = [
        line for line in log_text.splitlines() if " WARNING " in line or " ERROR " in line or "Traceback" in line
    ]
    last = samples[-1] if samples else {}
    return {
        "minutes": minutes,
        "target_rate_per_s": rate,
        "turns": turns_total,
        "turns_per_s": round(turns_total / (minutes * 60), 1) if minutes else 0,
        "scenarios": load.scenarios,
        "redeliveries": load.redeliveries,
        "invitations": load.invitations,
        "staff_actions": load.staff_actions,
        "digests": load.digests,
        "stalls": load.stalls,
        "api_calls": watcher.api_calls,
        "api_errors": watcher.errors,
        "cpu_ms_per_turn": round(1000 * (cpu[-1][1] - cpu[0][1]) / max(1, turns_total - samples[0]["turns"]), 2)
        if len(cpu) > 1 else None,
        "first": samples[0] if samples else {},
        "last": last,
        "slopes_per_10min": slopes,
        "row_slopes_per_10min_second_half": row_slopes,
        "final_db": final,
        "log_warnings": len(warnings),
        "log_warning_examples": sorted(set(_shape(w) for w in warnings))[:8],
        "exit_status": returncode,
        "stop_seconds": round(stop_seconds, 2),
        "samples": samples,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _shape(line: str) -> str:
    """A log line without its timestamp and numbers, to group repeats."""
    parts = line.split(" ", 2)
    text = parts[-1] if len(parts) == 3 else line
    return "".join("#" if ch.isdigit() else ch for ch in text)[:160]


def report_lines(result: dict[str, Any]) -> list[str]:
    s = result["slopes_per_10min"]
    first, last = result["first"], result["last"]
    lines = [
        f"soak: {result['minutes']:g} min, {result['turns']} customer turns ({result['turns_per_s']}/s), "
        f"{result['invitations']} invitations, {result['staff_actions']} staff actions, {result['digests']} digests, "
        f"{result['redeliveries']} redeliveries, {result['stalls']} turns unanswered within 60 s; log: "
        f"{result['log_warnings']} warnings/errors; exit status {result['exit_status']} {result['stop_seconds']} s "
        "after SIGTERM",
        f"RSS {first.get('rss_mb', 0):.1f} -> {last.get('rss_mb', 0):.1f} MB; slope {s['rss_mb']['all']} MB/10 min "
        f"overall, {s['rss_mb']['second_half']} MB/10 min in the second half",
        f"DB {first.get('db_mb', 0):.1f} -> {last.get('db_mb', 0):.1f} MB "
        f"(free pages {last.get('free_mb', 0):.1f} MB); "
        f"slope {s['db_mb']['all']} MB/10 min overall, {s['db_mb']['second_half']} in the second half; "
        f"WAL {last.get('wal_mb', 0):.1f} MB",
        f"fds {first.get('fds')} -> {last.get('fds')}, threads {first.get('threads')} -> {last.get('threads')}; "
        f"latency p50 {last.get('latency_p50_ms')} ms, p99 {last.get('latency_p99_ms')} ms in the last interval "
        f"(p99 slope {s['latency_p99_ms']['second_half']} ms/10 min); CPU {result['cpu_ms_per_turn']} ms per turn",
        f"rows at the end {last.get('rows')}; row slopes per 10 min (second half) "
        f"{result['row_slopes_per_10min_second_half']}",
        f"bytes by table at the end (MB) {result['final_db'].get('table_mb')}",
    ]
    return lines


def markdown_section(result: dict[str, Any], note: str = "") -> list[str]:
    """The soak's part of docs/benchmarks.md: the summary, then one row per five minutes."""
    lines = ["", f"## Soak ({result['minutes']:g} minutes)", ""]
    if note:
        lines += [note, ""]
    lines += [f"- {line}" for line in report_lines(result)]
    lines += [
        "",
        "| Minute | Turns in 30 s | RSS MB | fds | Threads | DB MB | WAL MB | outbox rows | event ids | "
        "p50 ms | p99 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    samples = result.get("samples", [])
    every = max(1, round(300 / SAMPLE_SECONDS)) if result["minutes"] > 10 else 1
    for index, sample in enumerate(samples):
        if (index + 1) % every and index != len(samples) - 1:
            continue
        rows = sample.get("rows", {})
        lines.append(
            f"| {sample['minute']:g} | {sample['turns']} | {sample['rss_mb']:.1f} | {sample['fds']} | "
            f"{sample['threads']} | {sample['db_mb']:.1f} | {sample['wal_mb']:.1f} | {rows.get('outbox', '')} | "
            f"{rows.get('processed_events', '')} | {sample['latency_p50_ms']} | {sample['latency_p99_ms']} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    # 10 turns/s make about 20 platform calls a second with this mix (alerts, edits, digests):
    # inside Telegram's 30 messages a second, so the bot is not measured against a backlog.
    parser.add_argument("--rate", type=float, default=10.0, help="customer turns per second to aim for")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the database and the bot's log in this folder")
    args = parser.parse_args(argv)
    result = asyncio.run(soak(args.minutes, args.rate, args.customers, args.keep))
    for line in report_lines(result):
        print(line)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
