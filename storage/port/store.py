"""The store: how the application reaches its database, whichever backend holds it.

``storage.backends.open_store`` opens one from the configuration (an SQLite path or a
PostgreSQL URL); everything else in ``bot/`` sees only this protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from storage.port.connection import Connection
from storage.port.errors import StorageError
from storage.port.reports import Reports
from storage.port.unit import UnitOfWork
from storage.records import OutboxRow, ResponseRow

T = TypeVar("T")


@dataclass
class PruneReport:
    """What one :meth:`Store.prune` removed, and how long its longest batch took (wall time,
    including the wait for its turn on the database)."""

    slimmed: int = 0
    sent: int = 0
    dead: int = 0
    event_ids: int = 0
    inbox: int = 0
    batches: int = 0
    longest_batch_ms: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "sent_slimmed": self.slimmed,
            "sent_deleted": self.sent,
            "dead_deleted": self.dead,
            "event_ids": self.event_ids,
            "inbox": self.inbox,
        }


class Store(Protocol):
    """The operations the application runs on its database."""

    path: str  # how messages name the database: a file path, or a URL without its password
    # The first fault retrying cannot fix (a damaged file, a full disk), and who is told of it
    # (``feedbackbot run`` stops on it instead of failing every event).
    fault: StorageError | None
    on_fault: Callable[[StorageError], None] | None

    async def close(self) -> None: ...

    async def schema_version(self) -> int:
        """The migration the database is at."""

    # -- units of work ---------------------------------------------------------------------

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]], *, key: tuple[str, str] | None = None) -> T:
        """Run ``work`` as one unit of work and return its result once it is committed (and
        not before: nobody hears of a result that could still be lost). ``key`` (platform,
        chat id) names the conversation it belongs to, so no two units of one conversation run
        at once on any instance. If ``work`` raises, nothing of it is kept."""

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction of its own (maintenance, imports, digests, staff work): committed
        when the block ends, rolled back if it raises."""

    def reading(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for read-only queries (reports, exports) that never sees half of
        another transaction."""

    def reports(self) -> AbstractAsyncContextManager[Reports]:
        """The report queries on a read of their own (see :meth:`reading`)."""

    # -- the outbox ------------------------------------------------------------------------

    async def claim_pending(self, limit: int = 5000, platforms: Sequence[str] | None = None) -> list[OutboxRow]:
        """Take pending rows for sending, oldest first: they become ``sending``, so the next
        claim returns only rows committed since, whatever order their ids committed in. With
        ``platforms``, only theirs (the shards this instance sends for)."""

    async def release_claims(self, platforms: Sequence[str] | None = None) -> int:
        """Rows a previous sender claimed and did not finish are pending again (a sender calls
        this when it starts sending for these platforms); how many."""

    async def mark_sent(self, row_id: int, message_id: str | None, now: float) -> None:
        """Record a send (with the platform's id of the message, to edit or reply to it later)."""

    async def reschedule(self, row_id: int, next_at: float, error: str) -> None:
        """A send failed for a while: try again at ``next_at``."""

    async def mark_dead(self, row: OutboxRow, error: str, unreachable: bool) -> None:
        """A message that cannot be delivered; ``unreachable``: the person blocked us, so they
        are marked and nothing else queued for them is tried."""

    async def message_id_for(self, ref_key: str) -> tuple[str, str] | None:
        """(chat id, platform message id) of the last sent message with this ref key."""

    async def undelivered_alerts(self, since: float) -> int:
        """Alerts opened since ``since`` and not resolved that reached nobody (``/healthz``)."""

    # -- the inbox (updates received, maybe not yet handled) ---------------------------------

    async def inbox_add(self, platform: str, items: Sequence[tuple[str, str | None, str]], now: float) -> None:
        """Keep raw updates (key, chat id, payload) before the platform is told they arrived."""

    async def inbox_recent(self, platform: str, since: float) -> list[str]:
        """The payloads kept since ``since``, oldest first (a replay after a crash)."""

    # -- export, privacy, bounded disk -------------------------------------------------------

    def responses(
        self, since: float | None = None, until: float | None = None, survey_id: str | None = None
    ) -> AsyncIterator[ResponseRow]:
        """Every response in a time window with its respondent, oldest first (for export)."""

    async def personal_data(self, respondent_id: int) -> dict[str, Any]:
        """Everything stored about one person, for /mydata."""

    async def apply_retention(self, older_than: float) -> dict[str, int]:
        """Anonymise what is older than the retention window, keeping scores for trends;
        how many rows each step changed."""

    async def compact(self) -> None:
        """Make erased rows' old bytes really gone from the database's files."""

    async def prune(self, now: float) -> PruneReport:
        """Forget what nothing can refer to any more, in small batches (README "Operations")."""
