"""``feedbackbot migrate-storage``: an SQLite database copied into PostgreSQL, counted, and
safe to run again (skipped without FEEDBACKBOT_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

from tests import reads
from tests.conftest import feedbackbot
from tests.integration.test_shell_cli import write_config
from tests.postgres import fresh_database, needs_postgres

pytestmark = needs_postgres

SCRIPT = (
    "/feedback\n3\nThe checkout is slow and confusing\n/claim 1\n/reply 1\nSorry, we are on it\n"
    "/resolve 1 fixed the checkout\nyes\n/feedback csat\n5\n/skip\n"
)


async def test_an_sqlite_database_is_copied_whole_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    shell = feedbackbot("shell", "--config", cfg, "--user", "alice", "--name", "Alice", stdin=SCRIPT)
    assert shell.returncode == 0, shell.stderr
    async with fresh_database() as url:
        first = feedbackbot("migrate-storage", "--config", cfg, "--to", url)
        assert first.returncode == 0, first.stderr
        assert "all 13 tables match" in first.stdout, first.stdout
        lines = {line.split()[0]: line for line in first.stdout.splitlines()[1:-1]}
        assert "(+2 this run)" in lines["responses"] and "(+1 this run)" in lines["escalations"]
        again = feedbackbot("migrate-storage", "--config", cfg, "--to", url)
        assert again.returncode == 0, again.stderr
        assert "all 13 tables match" in again.stdout and "(+1 this run)" not in again.stdout

        async with reads.opened(url) as store:
            [comment] = [r["comment"] for r in await reads.responses(store) if r["score"] == 3]
            [state] = [e["state"] for e in await reads.escalations(store)]
        assert comment == "The checkout is slow and confusing" and state == "resolved"

        # The copy is a working database: the bot runs on it and new ids follow the copied ones.
        env_cfg = tmp_path / "pg.toml"
        env_cfg.write_text(
            Path(cfg).read_text(encoding="utf-8").replace(f'path = "{(tmp_path / "bot.db").as_posix()}"', ""),
            encoding="utf-8",
        )
        os.environ["FEEDBACKBOT_DATABASE_URL"] = url
        try:
            more = feedbackbot("shell", "--config", str(env_cfg), "--user", "bob", stdin="/feedback\n9\n/skip\n")
            exported = feedbackbot("export", "--config", str(env_cfg), "--format", "jsonl")
        finally:
            del os.environ["FEEDBACKBOT_DATABASE_URL"]
        assert more.returncode == 0, more.stderr
        assert exported.returncode == 0, exported.stderr
        assert len(exported.stdout.splitlines()) == 3


def test_mistakes_are_one_line(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    nowhere = feedbackbot("migrate-storage", "--config", cfg, "--to", "postgresql://u:pw-123456@127.0.0.1:1/x")
    assert nowhere.returncode == 2 and "there is no SQLite database at" in nowhere.stderr
    feedbackbot("shell", "--config", cfg, stdin="/feedback\n9\n/skip\n")
    unreachable = feedbackbot("migrate-storage", "--config", cfg, "--to", "postgresql://u:pw-123456@127.0.0.1:1/x")
    assert unreachable.returncode == 1
    assert unreachable.stderr.strip() == (
        "feedbackbot: cannot reach PostgreSQL at postgresql://u:***@127.0.0.1:1/x (connection refused); "
        "check that the server runs and the host and port"
    )
    wrong = feedbackbot("migrate-storage", "--config", cfg, "--to", "mysql://h/db")
    assert wrong.returncode == 2 and "--to: expected a URL like postgresql://" in wrong.stderr
    assert "Traceback" not in nowhere.stderr + unreachable.stderr + wrong.stderr


def test_check_config_reaches_the_server_or_says_why(tmp_path: Path, pg_url: str) -> None:
    text = Path(write_config(tmp_path)).read_text(encoding="utf-8")
    text = text.replace(f'path = "{(tmp_path / "bot.db").as_posix()}"', f'url = "{pg_url}"')
    cfg = tmp_path / "pg.toml"
    cfg.write_text(text, encoding="utf-8")
    ok = feedbackbot("check-config", "--config", str(cfg), "--offline")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().endswith(f"Storage: PostgreSQL at {pg_url}.")

    os.environ["FEEDBACKBOT_DATABASE_URL"] = "postgresql://bot:pw-secret-9@127.0.0.1:1/feedback"
    try:
        cfg.write_text(text.replace(f'url = "{pg_url}"', ""), encoding="utf-8")
        down = feedbackbot("check-config", "--config", str(cfg), "--offline")
    finally:
        del os.environ["FEEDBACKBOT_DATABASE_URL"]
    assert down.returncode == 1
    assert down.stderr.strip() == (
        "feedbackbot: cannot reach PostgreSQL at postgresql://bot:***@127.0.0.1:1/feedback (connection refused); "
        "check that the server runs and the host and port"
    )
