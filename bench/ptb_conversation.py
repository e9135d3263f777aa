"""What a developer would write instead: the same NPS conversation built the way
python-telegram-bot's examples teach (a ConversationHandler, answers kept in ``user_data``,
PicklePersistence flushed every 60 s), over the same fake Bot API, beside feedbackbot.

Two figures: survey turns per second (same users, same answers, no added latency), and
what each loses when the process is killed with SIGKILL in the middle of the load.

    python -m bench.ptb_conversation [--users 200] [--kill-users 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

from bench.telegram_turns import FIRST_USER, measure_turns
from tests.fakes.telegram_api import FakeTelegramAPI

SCORE, COMMENT = range(2)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None
    await update.message.reply_text("How likely are you to recommend Acme to a friend or colleague? (0-10)")
    return SCORE


async def score(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and update.message.text is not None and context.user_data is not None
    text = update.message.text.strip()
    if not text.isdigit() or not 0 <= int(text) <= 10:
        await update.message.reply_text("Please reply with a number from 0 to 10.")
        return SCORE
    context.user_data["score"] = int(text)
    await update.message.reply_text("Thanks! What is the main reason for your score?")
    return COMMENT


async def comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and context.user_data is not None
    answers = context.user_data.setdefault("answers", [])
    answers.append({"score": context.user_data.pop("score", None), "comment": update.message.text})
    await update.message.reply_text("Thank you! Your feedback helps us make Acme better.")
    return ConversationHandler.END


def build(fake_base_url: str, token: str, pickle_path: str) -> Application[Any, Any, Any, Any, Any, Any]:
    persistence = PicklePersistence(filepath=pickle_path, update_interval=60)
    app = (
        ApplicationBuilder().token(token).base_url(fake_base_url).persistence(persistence).job_queue(None).build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("feedback", start)],
            states={
                SCORE: [MessageHandler(filters.TEXT & ~filters.COMMAND, score)],
                COMMENT: [MessageHandler(filters.TEXT & ~filters.COMMAND, comment)],
            },
            fallbacks=[],
            name="nps",
            persistent=True,
        )
    )
    return app


async def _run_surveys(fake: FakeTelegramAPI, users: range, timeout: float) -> None:
    """The same updates as bench.telegram_turns queues; this bot sends three messages per
    user and edits none."""
    sent0 = fake.sent_count
    for text in ("/feedback", None, "Quick delivery and a friendly courier"):
        for user in users:
            fake.send_text(user, text or str(7 + user % 4), first_name=f"U{user}")
    await fake.wait_for(lambda f: f.sent_count - sent0 >= 3 * len(users), timeout=timeout, interval=0.002)


async def measure_conversation(users: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegramAPI() as fake:
            app = build(fake.base_url, fake.token, str(Path(tmp) / "state.pickle"))
            await app.initialize()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            try:
                await _run_surveys(fake, range(FIRST_USER - 10, FIRST_USER), timeout=60)
                cpu0, t0 = time.process_time(), time.perf_counter()
                await _run_surveys(fake, range(FIRST_USER, FIRST_USER + users), timeout=120)
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            finally:
                await app.updater.stop()
                await app.stop()
                await app.shutdown()
    turns = users * 3
    return {"turns": turns, "turns_per_s": turns / elapsed, "cpu_ms_per_turn": 1000 * cpu / turns}


async def serve(base_url: str, token: str, pickle_path: str) -> None:
    """The conversation bot as its own process, for the kill experiment."""
    app = build(base_url, token, pickle_path)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    await asyncio.Event().wait()


async def kill_experiment(users: int) -> dict[str, Any]:
    """Every user answers; the process is killed once half of them finished. Afterwards:
    answers the users saw acknowledged ("Thank you") against answers that survived."""
    with tempfile.TemporaryDirectory() as tmp:
        pickle_path = Path(tmp) / "state.pickle"
        async with FakeTelegramAPI() as fake:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.ptb_conversation", "--serve", fake.base_url, fake.token, str(pickle_path),
                env={**os.environ}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
            driver = asyncio.create_task(_run_surveys(fake, range(FIRST_USER, FIRST_USER + users), timeout=120))

            def thanked(f: FakeTelegramAPI) -> int:
                return sum(1 for u in range(FIRST_USER, FIRST_USER + users) if len(f.messages(u)) >= 3)

            await fake.wait_for(lambda f: thanked(f) >= users // 2, timeout=120)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            driver.cancel()
            acknowledged = thanked(fake)
        stored = 0
        if pickle_path.exists():
            with pickle_path.open("rb") as file:
                data = pickle.load(file)
            stored = sum(len(d.get("answers", [])) for d in data.get("user_data", {}).values())
    return {"acknowledged_answers": acknowledged, "answers_kept_after_kill": stored, "lost": acknowledged - stored}


async def main_async(users: int, kill_users: int) -> dict[str, Any]:
    conversation = await measure_conversation(users)
    ours = await measure_turns(users, durability="full")
    killed = await kill_experiment(kill_users)
    return {
        "conversation_handler": conversation,
        "feedbackbot": {"turns_per_s": ours["turns_per_s"], "cpu_ms_per_turn": ours["cpu_ms_per_turn"]},
        "ratio_feedbackbot_to_conversation_handler": ours["turns_per_s"] / conversation["turns_per_s"],
        "kill_conversation_handler": killed,
        "kill_feedbackbot": "0 answers lost in the SIGKILL trials (bench.kill_trials): every answer is committed "
        "before the bot replies",
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        asyncio.run(serve(*sys.argv[2:]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--kill-users", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.users, args.kill_users))
    c, k = result["conversation_handler"], result["kill_conversation_handler"]
    print(
        f"ConversationHandler + PicklePersistence: {c['turns_per_s']:.0f} turns/s; feedbackbot (durability full): "
        f"{result['feedbackbot']['turns_per_s']:.0f} turns/s (ratio "
        f"{result['ratio_feedbackbot_to_conversation_handler']:.2f}). Killed mid-load: the ConversationHandler bot "
        f"had acknowledged {k['acknowledged_answers']} answers and kept {k['answers_kept_after_kill']}."
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
