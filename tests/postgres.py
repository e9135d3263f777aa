"""PostgreSQL for tests: a fresh database per test, dropped afterwards.

The tests that need PostgreSQL run when ``FEEDBACKBOT_TEST_DATABASE_URL`` names a server
(``.ci/run`` sets it to the local one); without it they are skipped with that reason, so a
machine without PostgreSQL still passes the suite. Each test gets its own database
(``fb_test_<random>``), created from ``template0`` in about 0.2 s, so tests never see each
other's rows, locks or notifications, and it is dropped (``WITH (FORCE)``) when the test ends.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV = "FEEDBACKBOT_TEST_DATABASE_URL"
SERVER = os.environ.get(ENV, "").strip()
SKIP_REASON = f"PostgreSQL tests need {ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
needs_postgres = pytest.mark.skipif(not SERVER, reason=SKIP_REASON)
# FEEDBACKBOT_TEST_STORAGE=postgresql: the runtimes tests open store on PostgreSQL (tests/conftest.py).
RUNTIMES_ON_POSTGRES = os.environ.get("FEEDBACKBOT_TEST_STORAGE", "sqlite") == "postgresql"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(prefix: str = "fb_test") -> str:
    """A new, empty database on the test server; its URL (drop it with :func:`drop_database`)."""
    import asyncpg

    if not SERVER:
        pytest.skip(SKIP_REASON)
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(SERVER)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await admin.close()
    return with_database(SERVER, name)


async def drop_database(url: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(SERVER)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.strip("/")}" WITH (FORCE)')
    finally:
        await admin.close()


async def terminate_sessions(url: str, application_name: str | None = None) -> int:
    """Fault injection: the server ends the sessions on ``url``'s database (all but this one,
    or only those of one ``application_name``), as a restart, a failover or a network failure
    would; how many it ended."""
    import asyncpg

    admin = await asyncpg.connect(url)
    try:
        sql = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        if application_name is None:
            return int(await admin.fetchval(sql))
        return int(await admin.fetchval(sql + " AND application_name = $1", application_name))
    finally:
        await admin.close()


async def terminate_advisory_lock_holder(url: str, classid: int, objid: int) -> bool:
    """Fault injection: end the session holding the two-key advisory lock (classid, objid) in
    ``url``'s database (advisory locks are per database: other test databases on the server may
    hold the same key, and ending their session would prove nothing); False if none holds it."""
    import asyncpg

    admin = await asyncpg.connect(url)
    try:
        pid = await admin.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            classid,
            objid,
        )
        if pid is None:
            return False
        return bool(await admin.fetchval("SELECT pg_terminate_backend($1)", pid))
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_database(prefix: str = "fb_test") -> AsyncIterator[str]:
    """The URL of a new, empty database on the test server; dropped on the way out."""
    url = await create_database(prefix)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test (skipped without a server)."""
    async with fresh_database() as url:
        yield url
