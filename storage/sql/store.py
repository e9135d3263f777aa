"""The store operations that are the same statements on both backends, written once: a
backend's store inherits :class:`SqlStore` and supplies how a unit of work, a transaction,
a read and a lone statement run (``run``, ``transaction``, ``reading``, ``_statement``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from storage.port.connection import Connection
from storage.port.store import PruneReport
from storage.records import OutboxRow, ResponseRow
from storage.reports import Reports
from storage.sql import maintenance as shared
from storage.sql.tx import SqlTx

T = TypeVar("T")


class SqlStore:
    """Outbox dead letters and lookups, the inbox, export, /mydata, retention and pruning."""

    async def run(self, work: Callable[[SqlTx], Awaitable[T]], *, key: tuple[str, str] | None = None) -> T:
        raise NotImplementedError

    def transaction(self) -> AbstractAsyncContextManager[SqlTx]:
        raise NotImplementedError

    def reading(self) -> AbstractAsyncContextManager[Connection]:
        raise NotImplementedError

    @asynccontextmanager
    async def reports(self) -> AsyncIterator[Reports]:
        """The report queries (``storage/reports.py``) on a read of their own."""
        async with self.reading() as conn:
            yield Reports(conn)

    async def _statement(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement as its own transaction; its rows."""
        raise NotImplementedError

    async def mark_dead(self, row: OutboxRow, error: str, unreachable: bool) -> None:
        async def work(tx: SqlTx) -> None:
            shared.hold_dead(tx, row, error, unreachable)

        await self.run(work)

    async def message_id_for(self, ref_key: str) -> tuple[str, str] | None:
        """(chat id, platform message id) of the last sent message with this ref key."""
        rows = await self._statement(shared.MESSAGE_ID_FOR, (ref_key,))
        return None if not rows else (str(rows[0][0]), str(rows[0][1]))

    async def undelivered_alerts(self, since: float) -> int:
        """Alerts opened since ``since`` and not resolved that reached nobody: a copy could
        not be delivered and no copy was sent or is still on its way (``/healthz``)."""
        rows = await self._statement(shared.UNDELIVERED_ALERTS, (since,))
        return int(rows[0][0]) if rows else 0

    async def inbox_add(self, platform: str, items: Sequence[tuple[str, str | None, str]], now: float) -> None:
        if not items:
            return

        async def work(tx: SqlTx) -> None:
            shared.hold_inbox(tx, platform, items, now)

        await self.run(work)

    async def inbox_recent(self, platform: str, since: float) -> list[str]:
        rows = await self._statement(shared.INBOX_RECENT, (platform, since))
        return [str(r[0]) for r in rows]

    async def responses(
        self, since: float | None = None, until: float | None = None, survey_id: str | None = None
    ) -> AsyncIterator[ResponseRow]:
        sql, params = shared.responses_query(since, until, survey_id)
        for row in await self._statement(sql, params):
            yield ResponseRow.from_row(row)

    async def personal_data(self, respondent_id: int) -> dict[str, Any]:
        async with self.reading() as conn:
            return await shared.personal_data(conn, respondent_id)

    async def apply_retention(self, older_than: float) -> dict[str, int]:
        async with self.transaction() as tx:
            return await shared.apply_retention(tx, older_than)

    async def prune(self, now: float) -> PruneReport:
        """Each batch its own short transaction (see :func:`storage.sql.maintenance.prune`)."""
        return await shared.prune(self._statement, now)
