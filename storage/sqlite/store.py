"""The SQLite store: the engine (one connection, group commit) with the outbox and the
maintenance operations, implementing :class:`storage.port.Store`."""

from __future__ import annotations

from storage.sqlite.maintenance import Maintenance
from storage.sqlite.outbox import Outbox


class Store(Outbox, Maintenance):
    """One SQLite file, one writer: every write happens inside ``run`` or ``transaction()``.
    Opened by :meth:`Store.open` (``storage.backends.open_store`` in the application)."""

    backend = "sqlite"
