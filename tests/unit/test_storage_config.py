"""[storage]: an SQLite path or a PostgreSQL URL, never both; the password never shown."""

from __future__ import annotations

import io
import logging
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from bot.cli import logs
from bot.config import ConfigError
from storage.backends import describe_fault, is_postgres, name_of, open_store
from storage.postgres.store import SCHEMA_VERSION as PG_SCHEMA_VERSION
from storage.postgres.url import redact
from storage.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
BASE = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))


def parse(storage: dict[str, Any], env: dict[str, str] | None = None) -> config_mod.StorageSettings:
    return config_mod.parse({**BASE, "storage": storage}, env or {}).storage


def test_a_path_is_sqlite_and_a_url_is_postgresql() -> None:
    sqlite = parse({"path": "fb.db"})
    assert (sqlite.backend, sqlite.where, sqlite.url) == ("sqlite", "fb.db", "")
    pg = parse({"url": "postgresql://bot@db.internal:5432/feedback"})
    assert pg.backend == "postgresql" and pg.url == "postgresql://bot@db.internal:5432/feedback"
    assert "postgresql://" not in repr(pg)  # the URL is kept out of reprs (it may hold a password)


def test_the_environment_variable_overrides_the_files_url() -> None:
    env = {"FEEDBACKBOT_DATABASE_URL": "postgresql://bot:s3cret-pw@db:5432/feedback"}
    pg = parse({"url": "postgresql://bot@other:5432/feedback"}, env)
    assert pg.url == env["FEEDBACKBOT_DATABASE_URL"]
    assert pg.where == "postgresql://bot:***@db:5432/feedback"
    assert parse({}, env).backend == "postgresql"


@pytest.mark.parametrize(
    ("storage", "env", "key", "fragment"),
    [
        ({"path": "a.db", "url": "postgresql://h/db"}, {}, "storage.url", "not both"),
        ({"path": "a.db"}, {"FEEDBACKBOT_DATABASE_URL": "postgresql://h/db"}, "storage.path", "remove one"),
        ({"url": "mysql://h/db"}, {}, "storage.url", "postgresql://user@host:5432/database"),
        ({"url": "postgresql://h:port/db"}, {}, "storage.url", "not a valid URL"),
        ({"url": "postgresql://h:5432/"}, {}, "storage.url", "names no database"),
        ({"url": "postgresql://bot:pw@h/db"}, {}, "storage.url", "FEEDBACKBOT_DATABASE_URL"),
        ({}, {"FEEDBACKBOT_DATABASE_URL": "postgres://u:topsecret@h:x/db"}, "FEEDBACKBOT_DATABASE_URL", "valid"),
    ],
)
def test_storage_mistakes_name_the_key(storage: dict[str, Any], env: dict[str, str], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(storage, env)
    assert caught.value.key == key and fragment in caught.value.problem
    assert "topsecret" not in str(caught.value) and ":pw@" not in str(caught.value)


def test_redaction_keeps_everything_but_the_password() -> None:
    assert redact("postgresql://bot:p%40ss@[::1]:6432/fb?sslmode=require") == (
        "postgresql://bot:***@[::1]:6432/fb?sslmode=require"
    )
    assert redact("postgresql://bot@h/fb") == "postgresql://bot@h/fb"
    assert name_of("postgresql://u:pw1234@h/db") == "postgresql://u:***@h/db" and name_of("a.db") == "a.db"
    assert is_postgres("postgres://h/db") and not is_postgres("feedbackbot.db")



async def test_a_path_object_is_a_file_for_the_opener(tmp_path: Path) -> None:
    """The opener is handed a ``Path`` as often as a string (the CLI, tests): a ``Path`` is
    always an SQLite file, even one whose folders spell something like a URL scheme."""
    target = tmp_path / "postgresql:" / "db" / "fb.db"
    assert not is_postgres(target) and name_of(target) == str(target)
    fault = describe_fault(NotADirectoryError(20, "Not a directory", str(tmp_path)), target)
    assert fault is not None and str(target) in str(fault)
    store = await open_store(target)
    try:
        assert store.path == str(target) and await store.schema_version() == SQLITE_SCHEMA_VERSION
    finally:
        await store.close()

def test_a_connection_fault_names_the_server_without_the_password() -> None:
    fault = describe_fault(ConnectionRefusedError(111, "Connection refused"), "postgresql://u:pw1234@h:1/db")
    assert fault is not None
    assert str(fault) == (
        "cannot reach PostgreSQL at postgresql://u:***@h:1/db (connection refused); "
        "check that the server runs and the host and port"
    )


def test_the_password_never_reaches_a_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACKBOT_DATABASE_URL", "postgresql://bot:hunter2-pw@db/feedback")
    out = io.StringIO()
    logs.setup("DEBUG", stream=out)
    try:
        logging.getLogger("test").warning("connecting to %s", "postgresql://bot:hunter2-pw@db/feedback")
        logging.getLogger("test").warning("server said: password hunter2-pw is wrong")
    finally:
        logs.setup("INFO")
    assert "hunter2-pw" not in out.getvalue() and out.getvalue().count("[REDACTED]") == 2


def test_the_postgresql_schema_is_as_new_as_sqlites() -> None:
    """A new SQLite migration needs its PostgreSQL counterpart with the same number in
    storage/postgres/migrations/ (the schemas must match: migrate-storage copies table by
    table, and a database is one version whichever backend holds it)."""
    assert PG_SCHEMA_VERSION == SQLITE_SCHEMA_VERSION
