"""The terminal channel and the CLI as a user runs them: real subprocesses, real files."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import reads
from tests.conftest import feedbackbot

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, extra: str = "") -> Path:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('path = "feedbackbot.db"', f'path = "{(tmp_path / "bot.db").as_posix()}"')
    # These tests run on the wall clock: quiet hours would hold invitations sent at night.
    text = text.replace('quiet_hours = "21:00-09:00"', 'quiet_hours = "00:00-00:00"')
    path = tmp_path / "config.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def with_platforms(cfg: Path) -> Path:
    """Telegram and Slack enabled (with staff chats): `send` and `campaign` invite only
    where the bot delivers, and need no secrets (the running bot holds them)."""
    text = cfg.read_text(encoding="utf-8")
    text = text.replace("# Needs TELEGRAM_BOT_TOKEN from @BotFather.\nenabled = false",
                        "enabled = true\nstaff_chat_id = -1001234567890")
    text = text.replace(
        "SLACK_SIGNING_SECRET (http mode).\nenabled = false", "SLACK_SIGNING_SECRET (http mode).\nenabled = true"
    )
    text = text.replace('staff_channel = ""', 'staff_channel = "C0STAFF"')
    assert "staff_chat_id = -1001234567890" in text and "http mode).\nenabled = true" in text
    cfg.write_text(text, encoding="utf-8")
    return cfg




def test_scripted_survey_through_the_shell_then_export(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    script = "/feedback\nI'd say 3 out of 10\nThe checkout is confusing and slow\n/feedback csat\n⭐⭐⭐⭐⭐\n/skip\n"
    shell = feedbackbot("shell", "--config", cfg, "--user", "alice", "--name", "Alice", stdin=script)
    assert shell.returncode == 0, shell.stderr
    out = shell.stdout
    assert "How likely are you to recommend Acme" in out
    assert "What went wrong" in out
    assert "STAFF" in out  # the detractor alert is printed apart from the conversation
    assert "Thank you" in out
    assert "Traceback" not in shell.stderr

    export = feedbackbot("export", "--config", cfg, "--format", "jsonl")
    assert export.returncode == 0, export.stderr
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    assert [(r["survey_id"], r["score"], r["category"]) for r in rows] == [
        ("nps", 3, "detractor"),
        ("csat", 5, "satisfied"),
    ]
    assert rows[0]["comment"] == "The checkout is confusing and slow"
    assert rows[0]["sentiment_label"] == "negative" and rows[0]["user_id"] == "alice"
    assert rows[1]["comment_status"] == "skipped"

    csv_out = tmp_path / "out.csv"
    export_csv = feedbackbot("export", "--config", cfg, "--survey", "csat", "--output", str(csv_out))
    assert export_csv.returncode == 0
    lines = csv_out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,survey_id,kind") and len(lines) == 2


def test_shell_survives_hostile_input(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    lines = ["/feedback", "", "\u202e\u0000\ufeff", "/unknown", "10", "x" * 100_000, "🤷" * 50_000, "/skip", ""]
    script = "\n".join(lines)
    shell = feedbackbot("shell", "--config", cfg, stdin=script)
    assert shell.returncode == 0, shell.stderr
    assert "Traceback" not in shell.stderr
    assert "kept the first 2000 characters" in shell.stdout


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("[bot\n", "TOML syntax error"),
        ('[storage]\npath = 3\n[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n', "storage.path: expected a string"),
        ('[bogus]\n[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n', "bogus: unknown section"),
        ('[bot]\ntimezone = "Mars/Olympus"\n[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n', "bot.timezone"),
        ('[[surveys]]\nid="a"\nkind="nps2"\nproduct="x"\n', "surveys[0].kind: expected one of"),
        ('[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\ncolour="red"\n', "surveys[0].colour: unknown key"),
        ('[telegram]\nenabled = true\n[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n', "TELEGRAM_BOT_TOKEN"),
        (
            '[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n[surveys.texts.en]\nthanks = "Thanks {name"\n',
            "surveys[0].texts.en.thanks: expected '}' before end of string",
        ),
        (
            '[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n[surveys.texts.all]\nthanks = "Merci {0}"\n',
            "surveys[0].texts.all.thanks: placeholder {0} is not a name",
        ),
        (
            '[[surveys]]\nid="a"\nkind="nps"\nproduct="x"\n[surveys.texts.en]\nthanks = "Hi {product!x}"\n',
            "surveys[0].texts.en.thanks: placeholder {product!x} has a format; write it as {product}",
        ),
    ],
)
def test_broken_config_names_the_key_and_exits_2(tmp_path: Path, toml: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    result = feedbackbot("check-config", "--config", str(path))
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_and_version(tmp_path: Path) -> None:
    ok = feedbackbot("check-config", "--config", str(write_config(tmp_path)))
    assert ok.returncode == 0 and "OK" in ok.stdout
    version = feedbackbot("--version")
    assert version.returncode == 0 and version.stdout.startswith("feedbackbot ")


def test_cli_send_and_link(tmp_path: Path) -> None:
    cfg = with_platforms(write_config(tmp_path, ""))
    text = cfg.read_text(encoding="utf-8").replace(
        "concurrency = 16", 'concurrency = 16\nbot_username = "acme_feedback_bot"'
    )
    cfg.write_text(text, encoding="utf-8")
    sent = feedbackbot("send", "--config", str(cfg), "--survey", "csat", "--to", "telegram:555", "--to",
                       "slack:U9", "--context", "ticket=T-1")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines() == ["telegram:555\tsent", "slack:U9\tsent"]
    again = feedbackbot("send", "--config", str(cfg), "--survey", "nps", "--to", "telegram:555")
    assert "throttled" in again.stdout  # fatigue: invited minutes ago
    listing = tmp_path / "people.txt"
    listing.write_text("telegram:777\n# comment\nbogus-line\n", encoding="utf-8")
    bad = feedbackbot("send", "--config", str(cfg), "--survey", "nps", "--to-file", str(listing))
    assert bad.returncode == 2 and ":3:" in bad.stderr

    qr = tmp_path / "qr.png"
    link = feedbackbot("link", "--config", str(cfg), "--survey", "nps", "--context", "order-1234", "--qr", str(qr))
    assert link.returncode == 0, link.stderr
    assert link.stdout.strip() == "https://t.me/acme_feedback_bot?start=nps-order-1234"
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad_link = feedbackbot("link", "--config", str(cfg), "--survey", "nps", "--context", "a b")
    assert bad_link.returncode == 2


def test_campaign_killed_mid_run_resumes_without_doubles(tmp_path: Path) -> None:
    people = tmp_path / "people.txt"
    people.write_text("".join(f"telegram:{10_000 + i}\n" for i in range(6000)), encoding="utf-8")
    campaign = (
        f'\n[[campaigns]]\nid = "q"\nsurvey = "nps"\naudience = "file:{people.as_posix()}"\ncron = "0 10 1 * *"\n'
    )
    cfg = str(with_platforms(write_config(tmp_path, campaign)))
    db = tmp_path / "bot.db"
    args = [sys.executable, "-m", "bot", "campaign", "q", "--config", cfg, "--run-key", "2026-04-01"]

    async def killed_mid_run() -> int:
        """Start the campaign, watch its invitations through a store of our own (a reader: it
        never takes the write lock), SIGKILL it once 1,000 are written; how many there were."""
        async with reads.opened(str(db)) as store:
            proc = await asyncio.create_subprocess_exec(
                *args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 60
            invited = 0
            while time.monotonic() < deadline and proc.returncode is None:
                await asyncio.sleep(0.05)
                invited = await reads.count(store, "invitations")
                if invited >= 1000:
                    proc.kill()  # SIGKILL: no cleanup, mid-campaign
                    break
            await asyncio.wait_for(proc.wait(), 30)
            return invited

    async def afterwards() -> tuple[int, int, int]:
        async with reads.opened(str(db)) as store:
            queued = await reads.outbox(store)
            sent = sum(i["status"] == "sent" for i in await reads.invitations(store))
        return len(queued), len({r["chat_id"] for r in queued}), sent

    invited = asyncio.run(killed_mid_run())
    assert 0 < invited < 6000, "the kill should land mid-campaign"
    rerun = feedbackbot("campaign", "q", "--config", cfg, "--run-key", "2026-04-01")
    assert rerun.returncode == 0, rerun.stderr
    assert "already_invited" in rerun.stdout
    # Everyone once: nobody skipped, nobody twice.
    assert asyncio.run(afterwards()) == (6000, 6000, 6000)
