"""What an SQLite error means for an operator: one line naming the file and what to do, or
nothing when retrying may help (a busy lock) or it is not the file's fault (a bug)."""

from __future__ import annotations

import sqlite3

from storage.port.errors import StorageError

# SQLite's primary result codes that retrying cannot fix (extended codes share the prefix).
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_FATAL = (*_DAMAGED, "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")


def storage_error(exc: BaseException, path: str) -> StorageError | None:
    """What an operator must know about ``exc`` (one line naming the file and what to do),
    or None when it is not a fault of the database file itself (a busy lock, a bug)."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        reason = exc.strerror or type(exc).__name__
        if exc.filename and str(exc.filename) != path:
            reason += f": {exc.filename}"
        return StorageError(
            f"cannot create the database {path} ({reason}); set [storage] path (storage.path) to a file "
            "in a folder this user can write"
        )
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_DAMAGED) or "malformed" in str(exc) or "not a database" in str(exc):
        return StorageError(
            f"database {path} is damaged ({exc}); stop feedbackbot and restore it from a backup "
            f"(or salvage it with: sqlite3 {path} .recover)"
        )
    if name.startswith("SQLITE_FULL"):
        return StorageError(f"the disk holding database {path} is full; free some space, then start feedbackbot again")
    if name.startswith("SQLITE_IOERR"):
        return StorageError(
            f"cannot read or write database {path} ({exc}); check the disk and its free space, "
            "then start feedbackbot again"
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")):
        return StorageError(
            f"cannot open database {path} for writing ({exc}); set [storage] path (storage.path) to a file "
            "this user can write"
        )
    return None
