"""The SQL both backends share, written once in SQLite's spelling (``?`` placeholders,
``INSERT OR IGNORE``), which :mod:`storage.postgres.engine` adapts for PostgreSQL.

``storage.sqlite`` and ``storage.postgres`` each build their unit of work on :class:`SqlTx`
(adding how statements reach their driver) and their store on the statements in
:mod:`storage.sql.maintenance` and :mod:`storage.sql.outbox`. The few statements whose meaning
differs between the two (JSON functions, a scalar ``MAX``) are hooks a backend sets
(:class:`storage.sql.unit.Statements`); nothing here guesses at a dialect.
"""

from storage.sql.tx import SqlTx

__all__ = ["SqlTx"]
