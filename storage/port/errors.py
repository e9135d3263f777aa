"""The errors every storage backend raises, so the application handles one kind whatever
database it runs on."""

from __future__ import annotations


class StorageError(RuntimeError):
    """The database cannot be used: its message is one line naming the database and what to do.

    Raised by a store's ``open`` for any fault, and passed to ``Store.on_fault`` when a
    running store meets a fault that will not go away by retrying (a damaged file, a full
    disk, an I/O error, a refused password), so ``run`` can stop instead of failing every event."""


class StorageVersionError(StorageError):
    """The database was written by a newer feedbackbot than this one."""


def newer_schema(database: str, found: int, known: int) -> StorageVersionError:
    """The error for a database at schema ``found`` when this feedbackbot knows up to ``known``."""
    return StorageVersionError(
        f"database {database} has schema version {found}, but this feedbackbot only knows up to "
        f"{known}; upgrade feedbackbot (or restore a backup made before the upgrade)"
    )
