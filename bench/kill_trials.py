"""Fault injection: SIGKILL the bot at random moments while customers are mid-survey, alerts
are being raised and a campaign is going out; restart it; check afterwards that every
answer given is stored once, every conversation finished, and every alert and invitation
arrived. Messages sent twice are counted (Telegram has no idempotency key: a kill between
Telegram accepting a message and the bot recording it makes the restart send it again).

    python -m bench.kill_trials [--trials 50] [--customers 12] [--recipients 60]

The bot runs as a real ``feedbackbot run`` process against the fake Bot API, which runs
here; customers answer by typing, each waiting for the bot's reply like a person would.
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
from collections import Counter
from pathlib import Path
from typing import Any

from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent
STAFF = -1005550001
FIRST_CUSTOMER = 5000
FIRST_RECIPIENT = 900_000


def write_config(folder: Path, fake: FakeTelegramAPI, recipients: int) -> Path:
    people = folder / "people.txt"
    people.write_text("".join(f"telegram:{FIRST_RECIPIENT + i}\n" for i in range(recipients)), encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(
        f"""
[bot]
default_survey = "nps"
log_level = "WARNING"
[storage]
path = "{(folder / 'bot.db').as_posix()}"
durability = "full"
[telegram]
enabled = true
api_base_url = "{fake.base_url}"
staff_chat_id = {STAFF}
[invitations]
quiet_hours = "00:00-00:00"
reminder_hours = 0
[[campaigns]]
id = "kill"
survey = "csat"
audience = "file:{people.as_posix()}"
cron = "* * * * *"
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
  enabled = false
""",
        encoding="utf-8",
    )
    return config


class BotProcess:
    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456:TEST", "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )
        self.starts += 1

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                await self.kill()


async def customer(fake: FakeTelegramAPI, user: int, score: int, comment: str) -> None:
    """/feedback, a score, a comment: each sent once the bot's previous reply arrived."""
    for expected, text in ((1, "/feedback"), (2, str(score)), (3, comment)):
        fake.send_text(user, text, first_name=f"C{user}")

        def replied(f: FakeTelegramAPI, n: int = expected) -> bool:
            return len(f.messages(user)) >= n

        await fake.wait_for(replied, timeout=120)


async def trial(seed: int, customers: int = 12, recipients: int = 60, kills: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with FakeTelegramAPI() as fake:
            fake.set_member(STAFF, 1, "member")
            bot = BotProcess(write_config(folder, fake, recipients), folder / "bot.log")
            await bot.start()
            plan = {
                FIRST_CUSTOMER + i: (rng.choice([1, 3, 9, 10]), f"comment {seed}-{i} about the service")
                for i in range(customers)
            }
            started = time.monotonic()
            people = [asyncio.create_task(customer(fake, u, s, c)) for u, (s, c) in plan.items()]

            async def killer() -> None:
                for _ in range(kills):
                    await asyncio.sleep(rng.uniform(0.5, 2.5))
                    await bot.kill()
                    await asyncio.sleep(rng.uniform(0.0, 0.3))
                    await bot.start()

            await killer()
            try:
                await asyncio.wait_for(asyncio.gather(*people), 180)
                def all_invited(f: FakeTelegramAPI) -> bool:
                    return all(f.messages(FIRST_RECIPIENT + r) for r in range(recipients))

                await fake.wait_for(all_invited, timeout=120)
                timed_out = False
            except TimeoutError:
                timed_out = True
            await asyncio.sleep(1.0)  # let the last edits land
            await bot.stop()
            return check(folder / "bot.db", fake, plan, recipients, bot.starts, time.monotonic() - started, timed_out)


def check(
    db: Path, fake: FakeTelegramAPI, plan: dict[int, tuple[int, str]], recipients: int, starts: int, seconds: float,
    timed_out: bool,
) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.user_id, r.score, r.comment FROM responses r JOIN respondents p ON p.id = r.respondent_id "
            "WHERE r.survey_id = 'nps'"
        ).fetchall()
    stored = Counter(int(u) for u, _, _ in rows)
    answers_wrong = sum(
        1 for u, s, c in rows if int(u) in plan and (s, c) != plan[int(u)]
    )
    answers_missing = sum(1 for u in plan if stored[u] == 0)
    answers_doubled = sum(1 for u in plan if stored[u] > 1)
    unfinished = sum(1 for u in plan if not any("Thank you" in m.get("text", "") for m in fake.messages(u)))
    customer_doubles = sum(
        n - 1 for u in plan for n in Counter(m.get("text", "") for m in fake.messages(u)).values() if n > 1
    )
    detractors = sum(1 for s, _ in plan.values() if s <= 6)
    alerts = len(fake.messages(STAFF))
    invited = [len(fake.messages(FIRST_RECIPIENT + r)) for r in range(recipients)]
    return {
        "starts": starts,
        "seconds": round(seconds, 1),
        "timed_out": timed_out,
        "answers_missing": answers_missing,
        "answers_doubled": answers_doubled,
        "answers_wrong": answers_wrong,
        "conversations_unfinished": unfinished,
        "customer_messages_doubled": customer_doubles,
        "alerts_expected": detractors,
        "alerts_missing": max(0, detractors - alerts),
        "alerts_doubled": max(0, alerts - detractors),
        "invitations_missing": sum(1 for n in invited if n == 0),
        "invitations_doubled": sum(n - 1 for n in invited if n > 1),
    }


async def run_trials(trials: int, parallel: int, customers: int, recipients: int) -> list[dict[str, Any]]:
    """Trials mostly wait (on customers, restarts, the fake): several at once fit 2 cores."""
    gate = asyncio.Semaphore(parallel)

    async def one(seed: int) -> dict[str, Any]:
        async with gate:
            result = await trial(seed, customers, recipients)
            print(f"trial {seed}: {result}", flush=True)
            return result

    return list(await asyncio.gather(*(one(seed) for seed in range(trials))))


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k in results[0] if k not in ("starts", "seconds", "timed_out", "alerts_expected")]
    return {
        "trials": len(results),
        "kills": sum(r["starts"] - 1 for r in results),
        "timed_out": sum(r["timed_out"] for r in results),
        "median_trial_seconds": statistics.median(r["seconds"] for r in results),
        **{k: sum(r[k] for r in results) for k in keys},
        "trials_with_any_double": sum(
            1 for r in results if r["customer_messages_doubled"] or r["alerts_doubled"] or r["invitations_doubled"]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--recipients", type=int, default=60)
    parser.add_argument("--parallel", type=int, default=4, help="trials run side by side (each has its own bot)")
    parser.add_argument("--quick", action="store_true", help="6 trials")
    args = parser.parse_args()
    trials = 6 if args.quick else args.trials
    results = asyncio.run(run_trials(trials, args.parallel, args.customers, args.recipients))
    summary = summarise(results)
    print(
        f"{summary['trials']} trials, {summary['kills']} SIGKILLs: answers missing {summary['answers_missing']}, "
        f"doubled {summary['answers_doubled']}, wrong {summary['answers_wrong']}; unfinished conversations "
        f"{summary['conversations_unfinished']}; alerts missing {summary['alerts_missing']}, doubled "
        f"{summary['alerts_doubled']}; invitations missing {summary['invitations_missing']}, doubled "
        f"{summary['invitations_doubled']}; customer messages sent twice {summary['customer_messages_doubled']}"
    )
    print(json.dumps({"summary": summary, "trials": results}))


if __name__ == "__main__":
    main()
