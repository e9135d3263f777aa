"""What a PostgreSQL error means for an operator, and which errors a retry cures.

A server restart, a failover or ``pg_terminate_backend`` closes connections under running
transactions. Those transactions did not commit (or, for a COMMIT whose answer was lost, did:
the unit of work is then found done, e.g. its event id already claimed), so the store runs the
unit of work again on a fresh connection. Errors that retrying cannot fix (a refused login, a
database that does not exist, a full disk on the server) become one line naming the database,
without its password, and what to do.
"""

from __future__ import annotations

import asyncio
import socket

import asyncpg

from storage.postgres.url import redact

# A retry on a fresh connection cures these: the connection went away (server restart,
# terminated backend, network), the server is starting or shutting down, or two
# transactions met (deadlock, serialization failure).
RETRY_SQLSTATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "57P01",  # admin_shutdown (pg_terminate_backend, a fast shutdown)
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, in recovery)
        "53300",  # too_many_connections
        "08000",
        "08003",
        "08006",
        "08001",
        "08004",
    }
)


def retryable(exc: BaseException) -> bool:
    """Whether the same work may succeed on a fresh connection a moment later."""
    if isinstance(exc, asyncpg.PostgresError):
        return exc.sqlstate in RETRY_SQLSTATES
    if isinstance(exc, asyncpg.InternalClientError):
        # A rollback attempted on a connection the server just dropped ("another operation
        # is in progress"): the connection is gone, the transaction did not commit.
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        # "connection is closed", "connection was closed in the middle of operation"
        if "pool is clos" in str(exc):
            return False  # the store is closing: nothing to wait for
        return "closed" in str(exc) or isinstance(exc, asyncpg.ConnectionDoesNotExistError)
    return isinstance(exc, ConnectionError | OSError | asyncio.TimeoutError | TimeoutError)


def operator_message(exc: BaseException, url: str) -> str | None:
    """One line for an operator (the database named without its password), or None when
    ``exc`` is not about reaching or using the database (a bug, a constraint)."""
    where = redact(url)
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return (
            f"PostgreSQL at {where} refused the login ({exc}); check the user and password in "
            "FEEDBACKBOT_DATABASE_URL (or [storage] url) and the server's pg_hba.conf"
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"PostgreSQL at {where}: {exc}; create it first (createdb) or fix the database name in the URL"
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return (
            f"the PostgreSQL user of {where} lacks a privilege ({exc}); it must be able to create tables "
            "in the database (or be its owner)"
        )
    if isinstance(exc, asyncpg.DiskFullError):
        return f"the disk of the PostgreSQL server at {where} is full ({exc}); free some space on the server"
    if isinstance(exc, socket.gaierror):
        return f"cannot reach PostgreSQL at {where}: unknown host ({exc.strerror or exc})"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return f"cannot reach PostgreSQL at {where}: no answer in time; check the host, port and firewall"
    if isinstance(exc, ConnectionRefusedError) or (isinstance(exc, OSError) and exc.errno is not None):
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else exc.strerror or type(exc).__name__
        return f"cannot reach PostgreSQL at {where} ({reason}); check that the server runs and the host and port"
    if isinstance(exc, asyncpg.CannotConnectNowError | asyncpg.TooManyConnectionsError):
        return f"PostgreSQL at {where} does not take connections now ({exc})"
    return None
