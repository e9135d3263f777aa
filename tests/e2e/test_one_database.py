"""One database, several processes. A second ``feedbackbot run`` on the same SQLite file
would send every message twice, so it refuses to start and names the process that holds the
file; the offline commands an operator runs beside the bot (send, campaign, import, forget,
export) work; processes that start together on a fresh file migrate it once.

Process timeouts are hang detectors, not timing assertions."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bench.kill_trials import STAFF, BotProcess, write_config
from storage.sqlite import SCHEMA_VERSION, Store
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent.parent
CUSTOMER = 7001
HANG = 60.0


async def feedbackbot(config: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456:TEST"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, "--config", str(config),
        cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), HANG)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"feedbackbot {' '.join(args)} hung") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_a_second_run_refuses_and_offline_commands_work_beside_the_bot(tmp_path: Path) -> None:
    async with FakeTelegramAPI() as fake:
        fake.set_member(STAFF, 1, "member")
        config = write_config(tmp_path, fake, recipients=0)
        bot = BotProcess(config, tmp_path / "bot.log")
        await bot.start()
        try:
            fake.send_text(CUSTOMER, "/feedback")
            await fake.wait_for_messages(CUSTOMER, 1, timeout=HANG)
            assert bot.proc is not None

            code, _, err = await feedbackbot(config, "run")
            assert code == 1, err
            assert "Traceback" not in err
            lines = [line for line in err.splitlines() if line.startswith("feedbackbot:")]
            assert len(lines) == 1, err
            assert f"pid {bot.proc.pid}" in lines[0] and str(tmp_path / "bot.db") in lines[0], lines[0]
            assert bot.proc.returncode is None  # the first one runs on

            # Everything an operator does beside the running bot works.
            code, out, err = await feedbackbot(config, "send", "--survey", "csat", "--to", "telegram:4242")
            assert (code, out.split()[:2]) == (0, ["telegram:4242", "sent"]), err
            await fake.wait_for_messages(4242, 1, timeout=HANG)  # and the running bot delivers it

            code, out, err = await feedbackbot(config, "campaign", "kill", "--run-key", "beside")
            assert code == 0, err

            history = tmp_path / "history.csv"
            history.write_text("survey_id,kind,score,created_at\nnps,nps,9,2026-01-05\n", encoding="utf-8")
            code, out, err = await feedbackbot(config, "import", str(history))
            assert code == 0, err

            code, out, err = await feedbackbot(config, "export", "--format", "jsonl")
            assert code == 0, err
            assert len(out.splitlines()) == 1  # the imported row (the customer has not answered yet)

            code, out, err = await feedbackbot(config, "forget", "--platform", "telegram", "--user", "4242")
            assert code == 0, err
            assert out.startswith("erased telegram:4242"), out

            # The bot still works after all that.
            fake.send_text(CUSTOMER, "9")
            await fake.wait_for_messages(CUSTOMER, 2, timeout=HANG)
            assert bot.proc.returncode is None
        finally:
            await bot.stop()
        assert bot.proc.returncode == 0, (tmp_path / "bot.log").read_text(encoding="utf-8")

        # Once the first has stopped, a new run starts as usual.
        await bot.start()
        try:
            fake.send_text(CUSTOMER, "Quick and kind")
            await fake.wait_for_messages(CUSTOMER, 3, timeout=HANG)
        finally:
            await bot.stop()


async def test_processes_starting_together_on_a_fresh_file_migrate_it_once(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    results = await asyncio.gather(*(Store.open(db) for _ in range(4)), return_exceptions=True)
    stores = [r for r in results if isinstance(r, Store)]
    try:
        assert len(stores) == 4, [r for r in results if not isinstance(r, Store)]
        assert [await store.schema_version() for store in stores] == [SCHEMA_VERSION] * 4
    finally:
        for store in stores:
            await store.close()
