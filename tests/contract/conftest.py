"""The store contract runs against every backend, opened the way the application opens it
(:func:`storage.backends.open_store` with what ``[storage]`` names): SQLite on a temporary
file, and PostgreSQL on a fresh database per test (skipped, with the reason shown, when
``FEEDBACKBOT_TEST_DATABASE_URL`` is unset). The tests use only the storage port
(:class:`storage.port.Store` and :class:`storage.port.UnitOfWork`), the shared query modules
and ``tests/reads.py``: a new backend passes them or is not done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.backends import is_postgres, open_store
from storage.port import Store
from tests.postgres import SERVER, SKIP_REASON, fresh_database

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not SERVER, reason=SKIP_REASON)),
]


@pytest.fixture(params=BACKENDS)
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """What ``[storage]`` would name: an SQLite path, or the URL of an empty PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "contract.db")
        return
    async with fresh_database("fb_contract") as url:
        yield url


@pytest.fixture
def backend(target: str) -> str:
    return "postgresql" if is_postgres(target) else "sqlite"


@pytest.fixture
async def store(target: str) -> AsyncIterator[Store]:
    opened = await open_store(target)
    try:
        yield opened
    finally:
        await opened.close()
