"""A real ``feedbackbot run`` process against the fake Bot API, stopped the way an operator
or a service manager stops it: SIGTERM (systemd, Docker) and SIGINT (Ctrl-C). In-process
tests call ``stop()`` directly; these check the signal wiring, the exit code and that work in
flight when the signal lands finishes instead of being cut off or repeated after a restart."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.kill_trials import STAFF, BotProcess, write_config
from tests import reads
from tests.fakes.telegram_api import FakeTelegramAPI

CUSTOMER = 7001
WAIT = 30.0


async def stored_answers(db: Path) -> list[tuple[int | None, str | None]]:
    async with reads.opened(str(db)) as store:
        return [(r["score"], r["comment"]) for r in await reads.answers(store) if r["survey_id"] == "nps"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_the_bot_promptly_after_finishing_what_is_in_flight(
    tmp_path: Path, sig: signal.Signals
) -> None:
    async with FakeTelegramAPI() as fake:
        fake.set_member(STAFF, 1, "member")
        log = tmp_path / "bot.log"
        bot = BotProcess(write_config(tmp_path, fake, recipients=0), log)
        await bot.start()
        try:
            fake.send_text(CUSTOMER, "/feedback")
            await fake.wait_for_messages(CUSTOMER, 1, timeout=WAIT)

            # A slow API: the reply to the score is still on its way when the signal lands.
            fake.latency = 0.5
            fake.send_text(CUSTOMER, "9")
            await fake.wait_for(
                lambda f: any(c.method == "sendMessage" and c.status == 0 for c in f.calls), timeout=WAIT
            )
            assert bot.proc is not None
            signalled = time.monotonic()
            bot.proc.send_signal(sig)
            code = await asyncio.wait_for(bot.proc.wait(), WAIT)
            took = time.monotonic() - signalled
        finally:
            await bot.kill()

        assert code == 0, log.read_text(encoding="utf-8")
        assert took < 5, f"stopping took {took:.1f} s"
        text = log.read_text(encoding="utf-8")
        assert "Traceback" not in text and "ERROR" not in text
        # The answer was committed and its follow-up delivered before the process exited.
        assert await stored_answers(tmp_path / "bot.db") == [(9, None)]
        assert len(fake.messages(CUSTOMER)) == 2

        # After a restart the survey goes on where it was, and nothing is sent again.
        fake.latency = 0.0
        await bot.start()
        try:
            fake.send_text(CUSTOMER, "Friendly and fast")
            await fake.wait_for_messages(CUSTOMER, 3, timeout=WAIT)
            await asyncio.sleep(0.5)  # anything wrongly resent would arrive now
        finally:
            await bot.stop()
        assert await stored_answers(tmp_path / "bot.db") == [(9, "Friendly and fast")]
        texts = fake.texts(CUSTOMER)
        assert len(texts) == 3 and texts[-1].startswith("Thank you")
        assert max(Counter(texts).values()) == 1


def with_grace(config: Path, seconds: float) -> Path:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[bot]\n", f"[bot]\nshutdown_grace_seconds = {seconds}\n", 1), encoding="utf-8")
    return config


async def pending_rows(db: Path) -> int:
    async with reads.opened(str(db)) as store:
        return sum(r["status"] == "pending" for r in await reads.outbox(store))


async def signal_with_replies_committed(fake: FakeTelegramAPI, bot: BotProcess, db: Path, customers: range) -> int:
    """Every customer's /feedback handled and its question committed, most of them not sent
    yet (Telegram's 30 messages a second and a slow API hold them back); then SIGTERM."""
    for user in customers:
        fake.send_text(user, "/feedback")

    async with reads.opened(str(db)) as store:  # a reader beside the running bot (WAL)
        deadline = time.monotonic() + WAIT
        while sum(r["chat_id"] != str(STAFF) for r in await reads.outbox(store)) < len(customers):
            assert time.monotonic() < deadline, "the questions were not committed in time"
            await asyncio.sleep(0.02)
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(bot.proc.wait(), 60)


async def test_sigterm_sends_what_is_committed_before_exiting(tmp_path: Path) -> None:
    customers = range(8000, 8090)
    async with FakeTelegramAPI() as fake:
        fake.set_member(STAFF, 1, "member")
        fake.latency = 0.2
        log = tmp_path / "bot.log"
        bot = BotProcess(with_grace(write_config(tmp_path, fake, recipients=0), 60), log)
        await bot.start()
        try:
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=WAIT)
            code = await signal_with_replies_committed(fake, bot, tmp_path / "bot.db", customers)
        finally:
            await bot.kill()
        text = log.read_text(encoding="utf-8")
        assert code == 0, text
        assert "Traceback" not in text and "ERROR" not in text and "still queued" not in text
        # Every customer got their question before the process exited; nothing is left over.
        assert [len(fake.messages(user)) for user in customers] == [1] * len(customers)
        assert await pending_rows(tmp_path / "bot.db") == 0


async def test_what_the_grace_period_leaves_is_sent_once_at_the_next_start(tmp_path: Path) -> None:
    customers = range(9000, 9200)
    async with FakeTelegramAPI() as fake:
        fake.set_member(STAFF, 1, "member")
        fake.latency = 1.0  # 30 sends per 2 s: 200 questions take over ten seconds to go out
        log = tmp_path / "bot.log"
        config = with_grace(write_config(tmp_path, fake, recipients=0), 0.5)
        bot = BotProcess(config, log)
        await bot.start()
        try:
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=WAIT)
            code = await signal_with_replies_committed(fake, bot, tmp_path / "bot.db", customers)
            assert code == 0, log.read_text(encoding="utf-8")
            # 200 questions cannot all go out before the signal and the half second after it.
            left = await pending_rows(tmp_path / "bot.db")
            assert left > 0 and "still queued after the 0.5 s shutdown grace period" in log.read_text(encoding="utf-8")
            sent_before = sum(len(fake.messages(user)) for user in customers)
            assert sent_before + left == len(customers)

            fake.latency = 0.0
            await bot.start()
            await fake.wait_for(lambda f: all(f.messages(user) for user in customers), timeout=WAIT)
            await asyncio.sleep(0.5)  # anything wrongly sent twice would arrive now
        finally:
            await bot.stop()
        assert [len(fake.messages(user)) for user in customers] == [1] * len(customers)
        assert await pending_rows(tmp_path / "bot.db") == 0
