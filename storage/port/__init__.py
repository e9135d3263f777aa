"""The storage port: what the application needs from a database, as protocols.

``bot/`` is written against these and nothing else of storage's but the typed rows
(``storage.records``), the shared query modules (``storage.reports`` and its neighbours, which
take a :class:`Connection`) and the one opener (``storage.backends``). A backend is a folder
that implements them: ``storage/sqlite/`` (one file, one writer, group commit) and
``storage/postgres/`` (several instances), both built on the SQL in ``storage/sql/``.
"""

from storage.port.connection import Connection, Cursor
from storage.port.errors import StorageError, StorageVersionError
from storage.port.reports import Reports
from storage.port.store import PruneReport, Store
from storage.port.unit import UnitOfWork

__all__ = [
    "Connection",
    "Cursor",
    "PruneReport",
    "Reports",
    "StorageError",
    "StorageVersionError",
    "Store",
    "UnitOfWork",
]
