"""The terminal is a full channel for both sides (issue 14, item 10): the person at the
keyboard is the customer and, by default, staff of the console staff room, so the loop the
README's Quick start shows (answer, alert, claim, reply, resolve, recovery question) runs
in ``feedbackbot run`` and ``feedbackbot shell`` as real subprocesses fed on stdin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, feedbackbot
from tests.integration.test_shell_cli import write_config


def quick_start_script() -> tuple[str, str]:
    """The scripted loop exactly as the README's Quick start prints it:
    ``printf '...' | .venv/bin/feedbackbot <command>``. Returns (stdin, command)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^printf '([^']*)' \| \.venv/bin/feedbackbot (\w+)$", quick_start, re.MULTILINE)
    assert match, "the Quick start shows the whole loop as one scripted line"
    return match.group(1).replace("\\n", "\n"), match.group(2)


def in_order(out: str, *fragments: str) -> None:
    position = 0
    for fragment in fragments:
        found = out.find(fragment, position)
        assert found >= 0, f"{fragment!r} not found after position {position} in:\n{out}"
        position = found + len(fragment)


def test_the_quick_start_loop_runs_as_written(tmp_path: Path) -> None:
    script, command = quick_start_script()
    assert command == "run"
    for step in ("/claim 1", "/reply 1", "/resolve 1"):
        assert step in script
    result = feedbackbot(command, "--config", str(write_config(tmp_path)), stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "/feedback: start a short survey" not in out  # no staff command fell through to the customer /help
    in_order(
        out,
        "How likely are you to recommend Acme",
        "FEEDBACK ALERT #1",
        "Open: nobody has claimed it yet",
        "What went wrong",
        "Someone from our team will look into it.",
        "Claimed by Console User",
        "Your next message here",
        "bot> Message from the Acme support team:\n     Sorry about that",
        "bot> Our team has marked your issue as resolved. Was it solved for you?",
        "bot> Wonderful, thank you for letting us know!",
    )
    in_order(out, "Claimed by Console User", "Resolved by Console User")
    assert re.search(r"Resolved by Console User.*sent a fix", out), out
    # The customer's yes is shown on the alert (recorded for the recovery rate).
    assert re.search(r"(?i)customer says:? solved", out), out


def test_staff_commands_and_the_digest_in_the_shell(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    script = "/feedback\n2\n/skip\n/claim 1\n/digest\n/resolve 1 called back\nno\n"
    result = feedbackbot("shell", "--config", cfg, "--user", "ann", "--name", "Ann", stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "/feedback: start a short survey" not in out
    in_order(out, "FEEDBACK ALERT #1", "Claimed by Ann", "Resolved by Ann", "called back")
    in_order(out, "Was it solved for you?", "We'll take another look.")
    # The digest is a staff message, printed in the staff frame.
    digest_frame = [frame for frame in out.split("=" * 60) if "NPS" in frame and "FEEDBACK ALERT" not in frame]
    assert digest_frame, out


def test_a_staff_reply_goes_to_the_customer_and_the_answer_comes_back(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    script = "/feedback\n1\nAwful, it crashed\n/reply 1\nWe are on it\nThanks, still broken here\n"
    result = feedbackbot("shell", "--config", cfg, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    in_order(
        out,
        "FEEDBACK ALERT #1",
        "bot> Message from the Acme support team:\n     We are on it",
        "💬 Console User: Thanks, still broken here",  # back into the alert's thread
    )
    # The line after /reply was the staff's, not a customer's message to the bot.
    assert "To share feedback, send /feedback" not in out


def test_a_staff_reply_is_worded_in_the_customers_language(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    script = "/feedback csat\n1\n/skip\n/reply 1\nWir kümmern uns darum\n"
    result = feedbackbot("shell", "--config", cfg, "--language", "de", stdin=script)
    assert result.returncode == 0, result.stderr
    # The example's CSAT product is "Acme support" in English only: German gets the name.
    assert "bot> Nachricht vom Support-Team von Acme:\n     Wir kümmern uns darum" in result.stdout


def test_a_terminal_user_who_is_not_staff_is_told_so(tmp_path: Path) -> None:
    cfg = write_config(tmp_path).read_text(encoding="utf-8").replace("\nstaff = true\n", "\nstaff = false\n")
    assert "\nstaff = false\n" in cfg
    path = tmp_path / "customer-only.toml"
    path.write_text(cfg, encoding="utf-8")
    result = feedbackbot("shell", "--config", str(path), stdin="/feedback\n2\n/skip\n/claim 1\n/digest\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "only support staff can act on feedback alerts" in out
    assert "only support staff can ask for a digest" in out
    assert "Claimed by" not in out


@pytest.mark.parametrize("command", ["run", "shell"])
def test_check_config_documents_the_staff_switch(tmp_path: Path, command: str) -> None:
    """``[console] staff`` is a known key with a boolean value."""
    text = write_config(tmp_path).read_text(encoding="utf-8").replace("\nstaff = true\n", '\nstaff = "yes"\n')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = feedbackbot(command, "--config", str(path), stdin="")
    assert result.returncode == 2
    assert "console.staff: expected true or false" in result.stderr


def test_a_reply_to_no_alert_does_not_capture_the_next_line(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    result = feedbackbot("shell", "--config", cfg, stdin="/reply 99\nhello there\n")
    assert result.returncode == 0, result.stderr
    # The line after a refused /reply is the customer's own message to the bot.
    assert "bot> Thanks for your message! To share feedback, send /feedback." in result.stdout
