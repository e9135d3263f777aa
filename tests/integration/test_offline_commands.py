"""Commands that never talk to a platform run without the platforms' secrets: an operator
answering an erasure request, or an analyst with a copy of the database, holds no bot token."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot import cli
from tests.integration.test_shell_cli import write_config


def online_config(tmp_path: Path) -> Path:
    """The example with Telegram, Slack and the HTTP API on, and no secret in the environment."""
    cfg = write_config(tmp_path)
    text = cfg.read_text(encoding="utf-8")
    text = text.replace(
        "[http]\n# The bot's own HTTP server (Slack HTTP mode, Telegram webhook, the send API, /healthz).\n"
        "enabled = false",
        "[http]\nenabled = true",
    )
    text = text.replace("[telegram]\n# Needs TELEGRAM_BOT_TOKEN from @BotFather.\nenabled = false",
                        "[telegram]\nenabled = true\nstaff_chat_id = -1001234567890")
    text = text.replace("[slack]\n# Needs SLACK_BOT_TOKEN, plus SLACK_APP_TOKEN (socket mode) or "
                        "SLACK_SIGNING_SECRET (http mode).\nenabled = false", "[slack]\nenabled = true")
    text = text.replace('staff_channel = ""', 'staff_channel = "C0STAFF"')
    assert text.count("enabled = true") >= 4, "the example's layout changed: update this test"
    cfg.write_text(text, encoding="utf-8")
    return cfg


@pytest.fixture(autouse=True)
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                 "FEEDBACKBOT_API_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_offline_commands_run_without_platform_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(online_config(tmp_path))
    history = tmp_path / "history.csv"
    with history.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["survey_id", "kind", "score", "created_at"])
        writer.writerow(["nps", "nps", "9", "2026-01-05"])
    assert cli.main(["import", "--config", cfg, str(history)]) == 0
    assert cli.main(["export", "--config", cfg]) == 0
    assert cli.main(["digest", "--config", cfg, "--since", "2026-01-01", "--until", "2026-01-31"]) == 0
    assert cli.main(["forget", "--config", cfg, "--platform", "telegram", "--user", "42"]) == 0
    assert cli.main(["check-config", "--config", cfg, "--offline"]) == 0
    out = capsys.readouterr()
    assert "TELEGRAM_BOT_TOKEN" not in out.err


def test_commands_that_talk_to_a_platform_still_ask_for_its_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(online_config(tmp_path))
    assert cli.main(["check-config", "--config", cfg]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
    assert cli.main(["digest", "--config", cfg, "--post"]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
