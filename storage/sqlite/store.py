"""The SQLite store (:class:`storage.port.Store`): the engine (one connection, group commit),
the outbox, the operations shared with PostgreSQL (:class:`storage.sql.store.SqlStore`), and
compaction."""

from __future__ import annotations

from storage.sqlite.outbox import Outbox


class Store(Outbox):
    """One SQLite file, one writer: every write happens inside ``run`` or ``transaction()``.
    Opened by :meth:`Store.open` (``storage.backends.open_store`` in the application)."""

    backend = "sqlite"

    async def compact(self) -> None:
        """Rewrite the file so erased bytes are really gone (VACUUM), then empty the WAL."""
        async with self._lock:
            await self.conn.execute("VACUUM")
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
