"""SQLite's export, privacy and bounded-disk operations: the shared statements
(:mod:`storage.sql.maintenance`) under the store's lock, and VACUUM for erasure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from storage.port.store import PruneReport
from storage.records import ResponseRow
from storage.sql import maintenance as shared
from storage.sqlite.engine import Engine


class Maintenance(Engine):
    """Export, /mydata, retention, compaction and pruning of :class:`storage.sqlite.Store`."""

    async def responses(
        self, since: float | None = None, until: float | None = None, survey_id: str | None = None
    ) -> AsyncIterator[ResponseRow]:
        """Every response in a time window with its respondent, oldest first (for export)."""
        sql, params = shared.responses_query(since, until, survey_id)
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            rows = await cur.fetchall()
            await cur.close()
        for row in rows:
            yield ResponseRow.from_row(row)

    async def personal_data(self, respondent_id: int) -> dict[str, Any]:
        """Everything stored about one person, for /mydata."""
        async with self._lock:
            return await shared.personal_data(self.conn, respondent_id)

    async def compact(self) -> None:
        """Rewrite the file so erased bytes are really gone (VACUUM), then empty the WAL."""
        async with self._lock:
            await self.conn.execute("VACUUM")
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def apply_retention(self, older_than: float) -> dict[str, int]:
        """Anonymise what is older than the retention window, keeping scores for trends.
        A person who opted out keeps a bare record, so the opt-out is still honoured."""
        async with self.transaction() as tx:
            return await shared.apply_retention(tx, older_than)

    async def prune(self, now: float) -> PruneReport:
        """Forget what nothing can refer to any more, in small batches (see
        :func:`storage.sql.maintenance.prune` and README "Operations"): each batch is its own
        short transaction, and conversations' transactions run between them."""
        return await shared.prune(self._statement, now)
