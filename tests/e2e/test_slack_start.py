"""Slack Socket Mode at start, as a real ``feedbackbot run`` process meets it: Slack out of reach
is one line per attempt and a retry with backoff (the bot serves once Slack is back); a refused
app-level token is a configuration error naming ``SLACK_APP_TOKEN`` (exit 2). Process timeouts are
hang detectors, not timing assertions."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.fakes.slack_api import FakeSlackAPI, command_form

ROOT = Path(__file__).resolve().parent.parent.parent
HANG = 60.0
STAFF_CHANNEL = "CSTAFF"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def socket_mode_config(folder: Path, port: int) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[bot]
default_survey = "nps"
log_level = "WARNING"
[storage]
path = "{(folder / 'bot.db').as_posix()}"
[invitations]
quiet_hours = "00:00-00:00"
[slack]
enabled = true
mode = "socket"
api_base_url = "http://127.0.0.1:{port}/api/"
staff_channel = "{STAFF_CHANNEL}"
[[surveys]]
id = "nps"
kind = "nps"
product = "Acme"
""",
        encoding="utf-8",
    )
    return config


async def start_bot(config: Path, log: Path, app_token: str = "xapp-test") -> asyncio.subprocess.Process:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": app_token, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config),
            cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
        )


async def wait_for_log(log: Path, needle: str, count: int) -> str:
    for _ in range(int(HANG * 10)):
        if log.exists() and log.read_text(encoding="utf-8").count(needle) >= count:
            break
        await asyncio.sleep(0.1)
    return log.read_text(encoding="utf-8") if log.exists() else ""


async def test_slack_out_of_reach_at_start_is_one_line_then_retried_until_it_is_back(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet: Slack is out of reach
    log = tmp_path / "bot.log"
    proc = await start_bot(socket_mode_config(tmp_path, port), log)
    try:
        text = await wait_for_log(log, "cannot reach Slack", 2)
        assert text.count("cannot reach Slack") >= 2, text  # tried again, and said so each time
        assert proc.returncode is None  # still running
        assert "Traceback" not in text and "xapp-test" not in text and "xoxb-test" not in text, text

        async with FakeSlackAPI(port=port) as fake:  # Slack is back
            await fake.socket_mode.wait_connected(timeout=HANG)
            envelope = await fake.socket_mode.send_envelope("slash_commands", command_form("U1", text="nps"))
            assert await fake.socket_mode.wait_ack(envelope, timeout=HANG) == {"envelope_id": envelope}
            await fake.wait_for(lambda f: bool(f.messages("DU1")), timeout=HANG)  # the survey reached U1
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), HANG)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "Traceback" not in text and "ERROR" not in text, text


async def test_a_refused_app_token_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    async with FakeSlackAPI() as fake:
        proc = await start_bot(socket_mode_config(tmp_path, fake.port), log, app_token="xapp-wrong")
        try:
            code = await asyncio.wait_for(proc.wait(), HANG)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    text = log.read_text(encoding="utf-8")
    assert code == 2, text
    assert "SLACK_APP_TOKEN" in text and "invalid_auth" in text, text
    assert "Traceback" not in text and "xapp-wrong" not in text, text
