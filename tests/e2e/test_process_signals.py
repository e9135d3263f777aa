"""A real ``feedbackbot run`` process against the fake Bot API, stopped the way an operator
or a service manager stops it: SIGTERM (systemd, Docker) and SIGINT (Ctrl-C). In-process
tests call ``stop()`` directly; these check the signal wiring, the exit code and that work in
flight when the signal lands finishes instead of being cut off or repeated after a restart."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.kill_trials import STAFF, BotProcess, write_config
from tests.fakes.telegram_api import FakeTelegramAPI

CUSTOMER = 7001
WAIT = 30.0


def stored_answers(db: Path) -> list[tuple[int | None, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT score, comment FROM responses WHERE survey_id = 'nps'").fetchall()


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
        assert stored_answers(tmp_path / "bot.db") == [(9, None)]
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
        assert stored_answers(tmp_path / "bot.db") == [(9, "Friendly and fast")]
        texts = fake.texts(CUSTOMER)
        assert len(texts) == 3 and texts[-1].startswith("Thank you")
        assert max(Counter(texts).values()) == 1
