"""One ``feedbackbot run`` per database.

Two bots on one SQLite file would each deliver every outbox row (and answer every update
twice), so ``run`` holds an exclusive lock on ``<database>.lock`` for its whole life and
writes its process id into it; a second ``run`` is refused with that id. The lock is an
``flock``: the kernel releases it when the process ends, however it ends (a SIGKILL or a
power loss leaves no stale lock to clean up). The file itself stays; only the lock matters.

Only ``run`` takes it: the commands an operator runs beside the bot (send, campaign, import,
forget, export, digest) write through SQLite's own locking like any other connection.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from storage.backends import describe_fault


class AlreadyRunning(RuntimeError):
    """Another ``feedbackbot run`` holds this database."""


class RunLock:
    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    @classmethod
    def acquire(cls, db_path: str) -> RunLock | None:
        """Take the lock next to ``db_path`` (None for an in-memory database), or raise
        :class:`AlreadyRunning` naming the process that holds it."""
        if db_path == ":memory:":
            return None
        db = Path(os.path.abspath(db_path))
        path = db.with_name(db.name + ".lock")
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # the same one line as when the database cannot be created
            raise describe_fault(exc, db_path) or exc from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another feedbackbot run (pid {holder}) is using the database {db}; stop it first, "
                "or give this one its own [storage] path"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        return cls(fd, path)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = -1
