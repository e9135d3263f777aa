"""Leadership of named roles, behind the storage port.

Several identical instances share one PostgreSQL database. Some work must be done by exactly
one of them at a time: polling Telegram (``getUpdates`` allows one consumer per token), sending
a shard's outbox (Telegram's 30 messages per second hold bot-wide, and per-chat order needs one
sender), running the scheduler. Each such role is a *lease*: an instance tries to take it, and
once it holds it, it is told the moment it is gone (``Lease.lost``), so it stops that work at
once instead of racing the new holder.

The database decides who holds what, because it is the one thing every instance already
shares. SQLite has one instance by construction (``feedbackbot run`` holds a lock on the
database file), so :class:`SoleLeases` grants every role and never takes one back. PostgreSQL
uses session advisory locks (``storage.postgres.leases``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol


class Lease(Protocol):
    """One role held by this instance."""

    role: str

    @property
    def lost(self) -> asyncio.Event:
        """Set when the role is no longer ours (the connection that held it failed). Never
        cleared: a role lost is taken again as a new lease."""
        ...

    async def release(self) -> None:
        """Give the role up (at shutdown), so another instance takes it without waiting."""
        ...


class Leases(Protocol):
    """Where an instance asks for roles."""

    async def try_acquire(self, role: str) -> Lease | None:
        """The role's lease if this instance got it now, None if another instance holds it.
        Never waits for the holder; callers ask again later."""
        ...

    def watch_outbox(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever another instance commits new outbox rows, so the sender
        does not wait for its periodic look. Best effort: notices can be lost (while the
        connection is down), which the sender's periodic scan covers."""
        ...

    async def close(self) -> None:
        """Release every role held and close what holds them."""
        ...


class SoleLease:
    """A role of the only instance there can be: never lost."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._lost = asyncio.Event()

    @property
    def lost(self) -> asyncio.Event:
        return self._lost

    async def release(self) -> None:
        return None


class SoleLeases:
    """SQLite: one instance per database file (the run lock refuses a second ``run``), so
    every role is granted at once and kept."""

    async def try_acquire(self, role: str) -> Lease | None:
        return SoleLease(role)

    def watch_outbox(self, wake: Callable[[], None]) -> None:
        """Rows of this process wake its sender directly; rows another command wrote
        (``feedbackbot send``) are found by the sender's periodic look."""
        return None

    async def close(self) -> None:
        return None


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_leases(target: str) -> Leases:
    """The leases for the database at ``target`` (what ``[storage]`` names): PostgreSQL's
    session advisory locks, shared by every instance, for a ``postgresql://`` URL; for an
    SQLite path, this instance holds every role."""
    if target.startswith(POSTGRES_SCHEMES):
        from storage.postgres.leases import PgLeases

        return PgLeases(target)
    return SoleLeases()
