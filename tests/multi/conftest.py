"""Fixtures for several instances on one PostgreSQL: a database of its own per test.

Skipped, with the reason shown, when ``FEEDBACKBOT_TEST_DATABASE_URL`` is unset (a machine
without PostgreSQL still passes the suite)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest

ADMIN_URL = os.environ.get("FEEDBACKBOT_TEST_DATABASE_URL", "")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    if not ADMIN_URL:
        pytest.skip(
            "PostgreSQL tests need FEEDBACKBOT_TEST_DATABASE_URL (for example postgresql://postgres@127.0.0.1/test)"
        )
    asyncpg = pytest.importorskip("asyncpg")
    name = f"fb_multi_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
