"""Storage faults end a real ``feedbackbot`` process cleanly: a damaged file, a zeroed page,
a full disk, a path that cannot be written, a database from a newer release. Each must end
with one line naming the file and what to do, and a non-zero exit code, never a traceback or
a process that hangs (aiosqlite's thread would keep it alive if a connection stayed open).

The timeout on every process is a hang detector, not a timing assertion."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.kill_trials import BotProcess, write_config
from storage.sqlite import SCHEMA_VERSION
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent.parent
HANG = 60.0  # seconds: far above any clean exit; reaching it means the process hung


def console_config(folder: Path, db: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[storage]
path = "{db.as_posix()}"
[[surveys]]
id = "nps"
kind = "nps"
product = "Acme"
""",
        encoding="utf-8",
    )
    return config


def feedbackbot(*args: str, limit_file_size: int | None = None) -> subprocess.CompletedProcess[str]:
    def limits() -> None:  # runs in the child: a "disk" that is full past this many bytes
        if limit_file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "FEEDBACKBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG,
        preexec_fn=limits,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], db: Path, *words: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("feedbackbot:")]
    assert len(lines) == 1, result.stderr
    assert str(db) in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def healthy_database(db: Path, tmp_path: Path) -> None:
    """A database the real bot created and migrated, with some rows in it."""
    config = console_config(tmp_path, db)
    result = feedbackbot("send", "--config", str(config), "--survey", "nps", "--to", "console:alice")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def root_page(db: Path, table: str) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (page,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return page, page_size


def zero_page(db: Path, page: int, page_size: int) -> None:
    with db.open("r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(b"\0" * page_size)


def test_a_file_that_is_not_a_database_ends_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    db.write_bytes(os.urandom(20000))
    config = console_config(tmp_path, db)
    for command in (["run"], ["export"]):
        result = feedbackbot(*command, "--config", str(config))
        assert_one_line(result, db, "damaged", "backup")


def test_a_zeroed_page_stops_a_running_bot_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    healthy_database(db, tmp_path)
    zero_page(db, *root_page(db, "outbox"))  # the delivery loop reads it at start
    result = feedbackbot("run", "--config", str(console_config(tmp_path, db)))
    assert_one_line(result, db, "damaged", "backup")


async def test_a_zeroed_page_met_by_a_customer_stops_the_telegram_bot(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    healthy_database(db, tmp_path)
    zero_page(db, *root_page(db, "processed_events"))  # every update claims its id here first
    async with FakeTelegramAPI() as fake:
        log = tmp_path / "bot.log"
        bot = BotProcess(write_config(tmp_path, fake, recipients=0), log)
        await bot.start()
        try:
            fake.send_text(7001, "/feedback")
            assert bot.proc is not None
            code = await asyncio.wait_for(bot.proc.wait(), HANG)
        finally:
            await bot.kill()
    text = log.read_text(encoding="utf-8")
    assert code == 1, text
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.startswith("feedbackbot:")]
    assert len(lines) == 1 and str(db) in lines[0] and "damaged" in lines[0], text


def test_a_full_disk_ends_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    config = console_config(tmp_path, db)
    # The file system takes 8 KiB and no more: the schema does not fit.
    result = feedbackbot("run", "--config", str(config), limit_file_size=8192)
    assert_one_line(result, db, "disk")


def test_a_path_that_cannot_be_created_ends_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be", encoding="utf-8")
    db = blocker / "bot.db"
    result = feedbackbot("run", "--config", str(console_config(tmp_path, db)))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("feedbackbot:")]
    assert len(lines) == 1 and str(db) in lines[0] and "storage.path" in lines[0], result.stderr


def test_a_database_from_a_newer_release_ends_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    healthy_database(db, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    result = feedbackbot("run", "--config", str(console_config(tmp_path, db)))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("feedbackbot:")]
    assert len(lines) == 1 and str(db) in lines[0] and "upgrade feedbackbot" in lines[0], result.stderr
