"""Errors, not tracebacks: real ``feedbackbot`` processes meeting an operator's mistakes and an
unreachable network. Exit codes: 0 done, 1 a failure at run time, 2 a usage or configuration
mistake. Process timeouts are hang detectors, not timing assertions."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from bench.kill_trials import STAFF, BotProcess, write_config
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent.parent
HANG = 60.0


def config_file(folder: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[bot]
log_level = "WARNING"
[storage]
path = "{(folder / 'bot.db').as_posix()}"
[[surveys]]
id = "nps"
kind = "nps"
product = "Acme"
""",
        encoding="utf-8",
    )
    return config


def feedbackbot(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=stdout,
        stderr=subprocess.PIPE, text=True, timeout=HANG,
    )


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_export_into_a_pipe_nobody_reads_ends_quietly(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    assert feedbackbot("send", "--config", str(config), "--survey", "nps", "--to", "console:alice").returncode == 0
    reader, writer = os.pipe()
    os.close(reader)  # like `export | head` once head has read what it wanted
    try:
        result = feedbackbot("export", "--config", str(config), stdout=writer)
    finally:
        os.close(writer)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_export_of_an_unknown_survey_names_it_and_exits_2(tmp_path: Path) -> None:
    result = feedbackbot("export", "--config", str(config_file(tmp_path)), "--survey", "nope")
    assert result.returncode == 2
    assert result.stdout == ""  # no header for a survey that does not exist
    line = one_line(result.stderr)
    assert "'nope'" in line and "nps" in line


def test_export_to_a_path_that_cannot_be_written_exits_1(tmp_path: Path) -> None:
    result = feedbackbot("export", "--config", str(config_file(tmp_path)), "--output", "/proc/nope/x.csv")
    assert result.returncode == 1
    assert "/proc/nope/x.csv" in one_line(result.stderr)


def test_usage_mistakes_exit_2_with_one_line(tmp_path: Path) -> None:
    config = str(config_file(tmp_path))
    for args in (
        ["export", "--config", config, "--since", "yesterday"],
        ["send", "--config", config, "--survey", "nps", "--to", "console:a", "--context", "novalue"],
        ["export", "--config", str(tmp_path / "missing.toml")],
    ):
        result = feedbackbot(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert one_line(result.stderr).startswith("feedbackbot: ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_no_network_at_start_is_one_line_then_the_bot_retries_until_it_is_back(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet: "the network is down"
    log = tmp_path / "bot.log"
    async with FakeTelegramAPI(port=port) as template:
        config = write_config(tmp_path, template, recipients=0)
    bot = BotProcess(config, log)
    await bot.start()
    try:
        for _ in range(int(HANG * 10)):
            if log.exists() and log.read_text(encoding="utf-8").count("cannot reach Telegram") >= 2:
                break
            await asyncio.sleep(0.1)
        text = log.read_text(encoding="utf-8")
        assert text.count("cannot reach Telegram") >= 2, text  # tried again, and said so each time
        assert bot.proc is not None and bot.proc.returncode is None  # still running
        assert "Traceback" not in text

        async with FakeTelegramAPI(port=port) as fake:  # the network is back
            fake.set_member(STAFF, 1, "member")
            fake.send_text(7001, "/feedback")
            await fake.wait_for_messages(7001, 1, timeout=HANG)
            bot.proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(bot.proc.wait(), HANG)
    finally:
        await bot.kill()
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "Traceback" not in text and "ERROR" not in text, text


async def test_a_signal_while_the_network_is_down_stops_the_bot(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "bot.log"
    async with FakeTelegramAPI(port=port) as template:
        config = write_config(tmp_path, template, recipients=0)
    bot = BotProcess(config, log)
    await bot.start()
    try:
        for _ in range(int(HANG * 10)):
            if log.exists() and "cannot reach Telegram" in log.read_text(encoding="utf-8"):
                break
            await asyncio.sleep(0.1)
        assert bot.proc is not None
        bot.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.proc.wait(), HANG)
    finally:
        await bot.kill()
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "Traceback" not in text, text
