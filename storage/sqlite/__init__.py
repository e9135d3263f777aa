"""The SQLite backend: one file, one writer, group commit (see docs/architecture.md).

By role: :mod:`~storage.sqlite.engine` (connection, lock, group-commit writer),
:mod:`~storage.sqlite.unit` (the unit of work, on the shared SQL of ``storage/sql/``),
:mod:`~storage.sqlite.batching` (one round trip per batch of statements),
:mod:`~storage.sqlite.outbox`, :mod:`~storage.sqlite.store` (with compaction),
:mod:`~storage.sqlite.schema` (migrations) and :mod:`~storage.sqlite.faults` (what an error
means for an operator). Only ``storage.backends`` opens it in the application; tests and
benchmarks import :class:`Store` from here.
"""

from storage.port.errors import StorageError, StorageVersionError
from storage.port.store import PruneReport
from storage.sql.maintenance import DEAD_KEEP, EVENT_KEEP, INBOX_KEEP, PRUNE_BATCH, SENT_KEEP, SLIM_PAYLOAD
from storage.sql.rows import subject_of
from storage.sqlite.batching import Batch, BatchingConnection
from storage.sqlite.engine import DURABILITY, GROUP_MAX
from storage.sqlite.faults import storage_error
from storage.sqlite.outbox import MARK_BATCH
from storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from storage.sqlite.store import Store
from storage.sqlite.unit import Tx

__all__ = [
    "DEAD_KEEP",
    "DURABILITY",
    "EVENT_KEEP",
    "GROUP_MAX",
    "INBOX_KEEP",
    "MARK_BATCH",
    "MIGRATIONS",
    "PRUNE_BATCH",
    "SCHEMA_VERSION",
    "SENT_KEEP",
    "SLIM_PAYLOAD",
    "Batch",
    "BatchingConnection",
    "PruneReport",
    "StorageError",
    "StorageVersionError",
    "Store",
    "Tx",
    "storage_error",
    "subject_of",
]
