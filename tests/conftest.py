"""Shared fixtures: a real store on a temporary file, a fake clock, a fixed sentiment table; and
``feedbackbot``, the command line run as a separate process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import Config
from bot.services.invitations import Inviter
from bot.web.api import SendApi
from bot.web.http import HttpServer

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """A clock the test moves by hand: expiry, reminders and schedules without sleeping."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config() -> Config:
    return config_mod.load(ROOT / "config.example.toml", env={})


@pytest.fixture
async def runtime(tmp_path: Path, config: Config, clock: Clock) -> AsyncIterator[Runtime]:
    rt = await Runtime.open(config, clock=clock, db_path=str(tmp_path / "bot.db"))
    yield rt
    await rt.close()


def feedbackbot(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` as an operator would run it, without the platform secrets of the
    environment the tests run in (so a command never reaches for a real platform)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and k != "SLACK_SIGNING_SECRET"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
        env=env,
    )


@contextlib.asynccontextmanager
async def send_api_server(inviter: Inviter, token: str) -> AsyncIterator[str]:
    """The send API on its own server on a free port; yields its base URL."""
    server = HttpServer(["127.0.0.1:0"])
    SendApi(inviter, token).install(server.app)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.ports[0]}"
    finally:
        await server.stop()


# PostgreSQL (skipped unless FEEDBACKBOT_TEST_DATABASE_URL is set): a fresh database per test.
from tests.postgres import pg_url  # noqa: E402, F401


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say at the end of every run whether the PostgreSQL tests ran, and against what."""
    from storage.postgres.url import redact
    from tests.postgres import SERVER, SKIP_REASON

    if SERVER:
        terminalreporter.write_line(f"PostgreSQL tests ran against {redact(SERVER)} (a fresh database per test)")
    else:
        terminalreporter.write_line(f"PostgreSQL tests SKIPPED: {SKIP_REASON}")


# ``FEEDBACKBOT_TEST_STORAGE=postgresql`` (with FEEDBACKBOT_TEST_DATABASE_URL): every runtime a
# test opens in this process stores on PostgreSQL instead of its SQLite file, one fresh database
# per file name the test uses (opened again, the same name finds the same database), all dropped
# when the test ends. ``.ci/run`` runs the integration and end-to-end suites this way once more.
if os.environ.get("FEEDBACKBOT_TEST_STORAGE", "sqlite") == "postgresql":

    @pytest.fixture(autouse=True)
    def _runtimes_on_postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        # A plain (not async) fixture: it must not create the test's event loop early (a test
        # that sets up logging first expects the loop's own first log line).
        from bot.bootstrap import runtime as runtime_mod
        from storage import backends
        from tests.postgres import create_database, drop_database

        # Plain creates and drops (no context manager held open): a command run in-process
        # (cli.main) has its own event loop, which finalises open async generators as it ends.
        databases: dict[str, str] = {}

        async def on_postgres(target: str, durability: str = "full") -> object:
            if not backends.is_postgres(target):
                if target not in databases:
                    databases[target] = await create_database()
                target = databases[target]
            return await backends.open_store(target, durability)

        monkeypatch.setattr(runtime_mod, "open_store", on_postgres)
        yield

        async def drop_all() -> None:
            for url in databases.values():
                await drop_database(url)

        # In a thread of its own: the test's event loop may still be set on this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, drop_all()).result()
