"""The scoring process ends with the bot, however the bot ends: a SIGKILLed bot must not
leave its 200 MB model behind as an orphan (one more after every crash)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")

SCRIPT = textwrap.dedent(
    """
    import os, time
    from bot.analysis.sentiment_model import ProcessScorer

    if __name__ == "__main__":
        scorer = ProcessScorer()
        scorer.score_many(["the app keeps crashing"], [None])
        print("ready", flush=True)
        time.sleep(600)
    """
)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The fields after the command name (which may hold spaces) start at the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_scoring_process_ends_when_the_bot_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "bot_with_scorer.py"
    script.write_text(SCRIPT)
    bot = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert bot.stdout is not None
        assert bot.stdout.readline().strip() == "ready"
        workers = _children(bot.pid)
        assert workers, "the scorer runs in a process of its own"
    finally:
        bot.send_signal(signal.SIGKILL)
        bot.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes outlived the killed bot: {left}"
