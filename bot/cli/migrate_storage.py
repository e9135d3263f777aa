"""``feedbackbot migrate-storage --to postgresql://...``: the SQLite database named by the
configuration, copied into PostgreSQL (see :mod:`storage.transfer`), then counted on both sides.

The bot must not run on the SQLite file meanwhile (what it wrote during the copy would be left
behind): the command takes the same lock as ``feedbackbot run``. It can be run again: what is
already copied stays as it is, what is missing is added.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from bot.bootstrap.runlock import RunLock
from bot.config import Config
from storage.backends import DATABASE_URL_VAR as ENV_VAR
from storage.backends import copy_sqlite_to_postgres, problem, redact


class MigrateError(Exception):
    """A mistake in the command (exit 2): the message says what to change."""


def target_url(given: str | None) -> str:
    url = (given or os.environ.get(ENV_VAR, "")).strip()
    if not url:
        raise MigrateError(f"migrate-storage needs --to postgresql://user@host:5432/database (or {ENV_VAR})")
    wrong = problem(url)
    if wrong:
        raise MigrateError(f"--to: {wrong}, got {redact(url)!r}")
    return url


async def migrate_storage(config: Config, to: str | None, out: TextIO = sys.stdout) -> int:
    """Copy, then report each table's rows on both sides. 0 when every table matches, 1 when
    one does not (the message says which)."""
    if config.storage.url:
        raise MigrateError(
            "migrate-storage copies the SQLite database named by [storage] path, and this configuration "
            "uses PostgreSQL ([storage] url); run it with the configuration that names the SQLite file"
        )
    url = target_url(to)
    path = config.storage.path
    if not os.path.exists(path):
        raise MigrateError(f"there is no SQLite database at {path} ([storage] path) to copy")
    lock = RunLock.acquire(path)  # a bot running on the file would write rows the copy misses
    try:
        counts = await copy_sqlite_to_postgres(path, url)
    finally:
        if lock is not None:
            lock.release()
    width = max(len(c.table) for c in counts)
    print(f"copied {path} to {redact(url)}", file=out)
    for c in counts:
        note = "ok" if c.matches else f"MISMATCH: PostgreSQL has {c.postgres}"
        print(f"  {c.table:<{width}}  {c.sqlite:>9} rows  (+{c.copied} this run)  {note}", file=out)
    bad = [c for c in counts if not c.matches]
    if not bad:
        print(f"all {len(counts)} tables match ({sum(c.sqlite for c in counts)} rows).", file=out)
        return 0
    names = ", ".join(c.table for c in bad)
    print(
        f"feedbackbot: the counts differ in {names}: the PostgreSQL database already held other rows "
        "(a bot ran on it, or another database was copied into it); copy into an empty database",
        file=sys.stderr,
    )
    return 1
