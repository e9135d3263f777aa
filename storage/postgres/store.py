"""The PostgreSQL store: the same operations as SQLite's, for one or several instances.

A pool of asyncpg connections; each unit of work is one transaction on one connection. What
SQLite gets from its single writer, PostgreSQL gets from locks:

* a turn's first statement takes ``pg_advisory_xact_lock`` on its conversation key, so two
  instances never run two turns of one chat at once (it also works before the person's row
  exists, which a row lock could not);
* the outbox is claimed by status with ``FOR UPDATE SKIP LOCKED`` (a lower id can commit after a
  higher one here, so no high-water mark), and status writes are fenced on the status they
  expect, so a sender that lost its claim changes nothing;
* migrations run under ``pg_advisory_lock``, so instances starting together migrate once.

A lost connection (server restart, failover, ``pg_terminate_backend``) is not a fault: the unit
of work runs again on a fresh connection (see :mod:`storage.postgres.faults`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, TypeVar

import asyncpg

from storage.postgres import engine
from storage.postgres.faults import operator_message, retryable
from storage.postgres.url import redact
from storage.records import OutboxRow, PersonSeen, Respondent, ResponseRow
from storage.sqlite import (
    DEAD_KEEP,
    EVENT_KEEP,
    INBOX_KEEP,
    PRUNE_BATCH,
    SENT_KEEP,
    SLIM_PAYLOAD,
    PruneReport,
    StorageError,
    StorageVersionError,
    _person_fields,
    _session,
    subject_of,
)
from storage.sqlite import Tx as SqlTx
from surveys.engine import Session

log = logging.getLogger(__name__)
T = TypeVar("T")

# Advisory lock keys. One-bigint keys: the migration lock and conversations (hashes of
# "platform:chat"). Leadership locks use the two-int4 form, a separate key space.
MIGRATION_LOCK = 0x6662_6D69_6772_6174  # "fbmigrat"
RECONNECT_FOR = 60.0  # seconds a unit of work keeps retrying while the server is away
CONNECT_TIMEOUT = 10.0
DURABILITY = {"full": "on", "normal": "off"}  # synchronous_commit
# New outbox rows are NOTIFY'd on "feedbackbot_outbox" (payload: the platform) by a trigger
# (see the migration), whoever inserts them: a turn, a CLI command, a copy.


def _migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.postgres.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


def conversation_key(platform: str, chat_id: str) -> str:
    return f"{platform}:{chat_id}"


async def _setup_connection(conn: asyncpg.Connection) -> None:
    # AVG and SUM over bigint are numeric: floats, as SQLite gives, not Decimals.
    await conn.set_type_codec("numeric", encoder=str, decoder=float, schema="pg_catalog", format="text")


# SQLite's upsert with the existing row's columns named by table (PostgreSQL finds a bare
# ``chat_id`` ambiguous beside ``excluded.chat_id``).
UPSERT_RESPONDENT = """
    INSERT INTO respondents (platform, user_id, chat_id, display_name, handle, language, timezone,
                             created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, user_id) DO UPDATE SET
        chat_id = COALESCE(excluded.chat_id, respondents.chat_id),
        display_name = CASE WHEN excluded.display_name != '' THEN excluded.display_name
                            ELSE respondents.display_name END,
        handle = CASE WHEN excluded.handle != '' THEN excluded.handle ELSE respondents.handle END,
        language = COALESCE(excluded.language, respondents.language),
        timezone = COALESCE(excluded.timezone, respondents.timezone),
        unreachable = CASE WHEN excluded.chat_id IS NOT NULL THEN 0 ELSE respondents.unreachable END,
        updated_at = excluded.updated_at
    RETURNING *
"""


# begin_turn in one round trip: the claim (skipped for a NULL event id), the upsert, and the
# person's open session as JSON (read in the statement's snapshot, which the upsert does not change).
BEGIN_TURN = f"""
    WITH claim AS (
        INSERT INTO processed_events (event_id, processed_at, subject)
        SELECT ?::text, ?::double precision, ?::text WHERE ?::text IS NOT NULL
        ON CONFLICT (event_id) DO NOTHING RETURNING 1
    ), person AS ({UPSERT_RESPONDENT})
    SELECT (SELECT count(*) FROM claim) AS claimed, person.*,
           (SELECT row_to_json(s)::text FROM sessions s WHERE s.respondent_id = person.id
            AND s.stage IN ('score', 'comment') ORDER BY s.id DESC LIMIT 1) AS open_session
    FROM person
"""


class Tx(SqlTx):
    """Operations inside one PostgreSQL transaction.

    The statements are the SQLite store's (the shared bodies of :class:`storage.sqlite.Tx`),
    run through :mod:`storage.postgres.engine`; only the few whose SQL differs are written
    here. Held statements run in order before the next statement whose outcome is read."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._pg = conn
        self._raw = engine.Connection(conn)  # type: ignore[assignment]
        self._held = []
        self._locked: set[str] = set()

    @property
    def conn(self) -> Any:
        if self._held:
            raise RuntimeError("statements are held: use `await tx.connection()` instead of tx.conn")
        return self._raw

    async def connection(self) -> Any:
        await self.flush()
        return self._raw

    async def _run(self, *statements: Any) -> list[Any]:
        todo = [*self._held, *statements]
        self._held = []
        results: list[engine.Result] = []
        for sql, params, many in todo:
            if many:
                if sql.lstrip().upper().startswith("INSERT INTO"):  # nobody reads the count: one pipelined call
                    await self._pg.executemany(engine.translate(sql, True).sql, params)
                    results.append(engine.Result([], len(params), None))
                else:
                    results.append(engine.Result([], await engine.execute_many(self._pg, sql, params), None))
            else:
                results.append(await engine.execute(self._pg, sql, params))
        return results[len(todo) - len(statements) :]

    async def commit(self) -> None:
        await self.flush()

    async def rollback(self) -> None:
        self._held = []

    async def lock_conversation(self, platform: str, chat_id: str) -> None:
        """Wait until no other transaction (on any instance) runs a turn of this chat; held
        until this transaction ends."""
        key = conversation_key(platform, chat_id)
        if key in self._locked:
            return
        await self.flush()
        await self._pg.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        self._locked.add(key)

    async def begin_turn(
        self, event_id: str | None, now: float, seen: PersonSeen
    ) -> tuple[bool, Respondent, Session | None]:
        """The SQLite store's three steps (claim the event, upsert the person, read their open
        session) in one statement, after the conversation's lock (its own statement: the
        statement after it must see what the previous turn of this chat committed)."""
        await self.lock_conversation(seen.platform, seen.chat_id or f"user:{seen.user_id}")
        claim = (event_id, now, subject_of(seen.platform, seen.user_id), event_id)
        row = await self._one(BEGIN_TURN, (*claim, *_person_fields(seen), now, now))
        assert row is not None
        session = json.loads(row["open_session"]) if row["open_session"] else None
        return event_id is None or bool(row["claimed"]), Respondent.from_row(row), session and _session(session)

    async def erase_person(self, respondent_id: int) -> list[tuple[int, str, str, str]]:
        # The same steps as SQLite's, with PostgreSQL's JSON functions (see storage.sqlite.Tx).
        from storage.postgres import erasure

        return await erasure.erase_person(self, respondent_id)

    # The scheduler's reads of due work. They run on the scheduler leader only, but during a
    # takeover two instances may both believe they lead for a moment: each read locks the
    # rows it returns until its transaction ends, and skips rows another transaction holds,
    # so the same invitation, reminder, expiry or staff reminder is never handled twice.
    # (A row handled and committed by the other no longer matches the WHERE clause.)

    async def due_invitations(self, now: float, limit: int) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT * FROM invitations WHERE status = 'scheduled' AND not_before <= ? "
            "ORDER BY not_before, id LIMIT ? FOR UPDATE SKIP LOCKED",
            (now, limit),
        )
        return [dict(r) for r in rows]

    async def reminders_due(self, sent_before: float, limit: int) -> list[dict[str, Any]]:
        rows = await self._all(
            """
            SELECT i.id, i.survey_id, s.nonce, s.language, p.platform, p.chat_id, p.timezone
            FROM invitations i
            JOIN sessions s ON s.id = i.session_id
            JOIN respondents p ON p.id = i.respondent_id
            WHERE i.status = 'sent' AND i.reminded_at IS NULL AND i.sent_at <= ? AND s.stage = 'score'
              AND p.opted_out = 0 AND p.unreachable = 0
            ORDER BY i.sent_at LIMIT ?
            FOR UPDATE OF i SKIP LOCKED
            """,
            (sent_before, limit),
        )
        return [dict(r) for r in rows]

    async def expired_sessions(self, now: float, limit: int = 500) -> list[tuple[Session, int]]:
        rows = await self._all(
            "SELECT * FROM sessions WHERE stage IN ('score', 'comment') AND expires_at <= ? "
            "LIMIT ? FOR UPDATE SKIP LOCKED",
            (now, limit),
        )
        return [(_session(r), int(r["respondent_id"])) for r in rows]

    async def escalations_to_remind(
        self, now: float, *, first: float, repeat: float, unresolved: float, limit: int
    ) -> list[Any]:
        from storage.records import Escalation

        rows = await self._all(
            """
            SELECT * FROM escalations
            WHERE respondent_id IS NOT NULL AND reminders < ? AND (
                  (state = 'open' AND reminders = 0 AND opened_at <= ?)
               OR (state = 'open' AND reminders > 0 AND reminded_at <= ?)
               OR (state = 'claimed' AND GREATEST(COALESCE(claimed_at, opened_at), COALESCE(reminded_at, 0)) <= ?))
            ORDER BY id
            FOR UPDATE SKIP LOCKED
            """,
            (limit, now - first, now - repeat, now - unresolved),
        )
        return [Escalation.from_row(r) for r in rows]


class Store:
    """The PostgreSQL store (same public operations as :class:`storage.sqlite.Store`)."""

    backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.path = redact(url)  # what messages name the database by
        self.on_fault: Callable[[StorageError], None] | None = None
        self.fault: StorageError | None = None

    @classmethod
    async def open(
        cls, url: str, durability: str = "full", *, min_size: int = 1, max_size: int = 10
    ) -> Store:
        """Connect (a pool), and migrate under the migration lock. ``durability = "normal"``
        turns ``synchronous_commit`` off: the last commits may be lost if the server crashes
        (never the database's consistency)."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT,
                init=_setup_connection,
                server_settings={"synchronous_commit": DURABILITY[durability], "application_name": "feedbackbot"},
            )
        except Exception as exc:
            message = operator_message(exc, url)
            if message is None:
                raise
            raise StorageError(message) from None
        store = cls(pool, url)
        try:
            await store._migrate()
        except BaseException as exc:
            await pool.close()
            message = operator_message(exc, url) if isinstance(exc, Exception) else None
            if message is not None:
                raise StorageError(message) from None
            raise
        return store

    async def close(self) -> None:
        await self.pool.close()

    async def _migrate(self) -> None:
        """Apply what the database lacks, under a session advisory lock: an instance starting
        beside another waits for it, then finds the schema current."""
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                async with conn.transaction():
                    await conn.execute("CREATE TABLE IF NOT EXISTS feedbackbot_schema (version integer NOT NULL)")
                    current = await conn.fetchval("SELECT max(version) FROM feedbackbot_schema") or 0
                    if current > SCHEMA_VERSION:
                        raise StorageVersionError(
                            f"database {self.path} has schema version {current}, but this feedbackbot only knows up "
                            f"to {SCHEMA_VERSION}; upgrade feedbackbot (or restore a backup made before the upgrade)"
                        )
                    for version, sql in MIGRATIONS:
                        if version <= current:
                            continue
                        log.info("applying PostgreSQL migration %04d", version)
                        await conn.execute(sql)
                        await conn.execute("DELETE FROM feedbackbot_schema")
                        await conn.execute("INSERT INTO feedbackbot_schema (version) VALUES ($1)", version)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    async def schema_version(self) -> int:
        return int(await self._fetchval("SELECT max(version) FROM feedbackbot_schema") or 0)

    def _check(self, exc: BaseException) -> None:
        """Report a fault that retrying cannot fix to ``on_fault`` (once)."""
        if self.fault is not None or not isinstance(exc, Exception) or retryable(exc):
            return
        if isinstance(exc, asyncpg.DiskFullError | asyncpg.InsufficientPrivilegeError | asyncpg.InvalidPasswordError):
            message = operator_message(exc, self.url)
            if message is not None:
                self.fault = StorageError(message)
                if self.on_fault is not None:
                    self.on_fault(self.fault)

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` again on a fresh connection while the server is away (restart,
        failover, a terminated backend), for up to :data:`RECONNECT_FOR` seconds."""
        deadline = time.monotonic() + RECONNECT_FOR
        delay = 0.05
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not retryable(exc) or time.monotonic() + delay > deadline:
                    self._check(exc)
                    message = operator_message(exc, self.url) if retryable(exc) else None
                    if message is not None:
                        raise StorageError(message) from exc
                    raise
                log.warning(
                    "PostgreSQL at %s: %s (%s); trying again in %.2f s",
                    self.path,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def run(self, work: Callable[[SqlTx], Awaitable[T]], *, key: tuple[str, str] | None = None) -> T:
        """Run ``work`` in one transaction and return its result once committed. ``key``
        (platform, chat id): take the conversation's lock first. Run again from the start
        on a fresh connection if the connection is lost (it did not commit, or if the COMMIT's
        answer was lost, the work finds its event id claimed and changes nothing)."""

        async def attempt() -> T:
            conn = await self.pool.acquire()
            try:
                async with conn.transaction():
                    tx = Tx(conn)
                    if key is not None:
                        await tx.lock_conversation(*key)
                    result = await work(tx)
                    await tx.flush()
                return result
            finally:
                await self._release(conn)

        return await self._retrying(attempt)

    async def _release(self, conn: asyncpg.Connection) -> None:
        """Give a connection back. One that broke is closed by the pool; the error that says
        so is not the caller's (its work committed, or failed with its own error)."""
        try:
            await self.pool.release(conn)
        except Exception as exc:
            log.debug("dropped a broken PostgreSQL connection: %s", exc)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        """One transaction of its own (maintenance, imports, digests, staff work)."""
        conn = await self._retrying(self._acquire)
        try:
            async with conn.transaction():
                tx = Tx(conn)
                try:
                    yield tx
                    await tx.flush()
                except Exception as exc:
                    self._check(exc)
                    raise
        finally:
            await self._release(conn)

    async def _acquire(self) -> asyncpg.Connection:
        conn = await self.pool.acquire()
        try:
            await conn.execute("SELECT 1")  # a pooled connection may have died with the server
        except BaseException:
            await self._release(conn)
            raise
        return conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Any]:
        """A connection for read-only queries (reports, exports), statements in the shared
        (SQLite) spelling."""
        conn = await self._retrying(self._acquire)
        try:
            # One snapshot for the whole read (a digest's figures agree with each other); not
            # read-only: the read side also records what it posted (digest runs, trend alerts).
            async with conn.transaction(isolation="repeatable_read"):
                yield engine.Connection(conn)
        finally:
            await self._release(conn)

    async def _statement(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement as its own transaction (retried while the server is away)."""

        async def attempt(conn: asyncpg.Connection) -> list[Any]:
            return (await engine.execute(conn, sql, params)).rows

        return await self._retrying(lambda: self._with_connection(attempt))

    async def _fetchval(self, sql: str, *args: Any) -> Any:
        async def attempt(conn: asyncpg.Connection) -> Any:
            return await conn.fetchval(sql, *args)

        return await self._retrying(lambda: self._with_connection(attempt))

    async def _with_connection(self, use: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """``use`` on a pooled connection (autocommit), released whatever happens."""
        conn = await self.pool.acquire()
        try:
            return await use(conn)
        finally:
            await self._release(conn)

    # -- the outbox ------------------------------------------------------------------------

    async def claim_pending(self, limit: int = 5000, platforms: Sequence[str] | None = None) -> list[OutboxRow]:
        """Take pending rows for sending, oldest first (pending -> sending). Rows another
        sender is claiming right now are skipped, not waited for; a row whose transaction
        commits late is simply pending at a later claim (no high-water mark of ids).
        ``platforms``: only these shards' rows (a sender leads some platforms).

        If the connection is lost while claiming, the claim may have committed without its
        answer arriving: the retry then also takes the shards' rows already ``sending`` (the
        delivery loop skips the ones it holds), so none is left claimed by nobody."""
        tries = 0

        async def attempt(conn: asyncpg.Connection) -> list[Any]:
            nonlocal tries
            tries += 1
            where = "status = 'pending'" if tries == 1 else "status IN ('pending', 'sending')"
            params: list[Any] = [limit]
            if platforms is not None:
                where += " AND platform = ANY($2::text[])"
                params.append(list(platforms))
            sql = (
                "UPDATE outbox SET status = 'sending' WHERE id IN (SELECT id FROM outbox WHERE "
                f"{where} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING *"
            )
            return list(await conn.fetch(sql, *params))

        rows = await self._retrying(lambda: self._with_connection(attempt))
        return sorted((OutboxRow.from_row(r) for r in rows), key=lambda row: row.id)

    async def release_claims(self, platforms: Sequence[str] | None = None) -> int:
        """Rows a previous sender claimed and did not finish are pending again (called by
        the sender of those platforms when it starts leading them)."""
        sql = "UPDATE outbox SET status = 'pending' WHERE status = 'sending'"
        if platforms is not None:
            return len(await self._fetch(sql + " AND platform = ANY($1::text[]) RETURNING 1", list(platforms)))
        return len(await self._fetch(sql + " RETURNING 1"))

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        async def attempt(conn: asyncpg.Connection) -> list[Any]:
            return list(await conn.fetch(sql, *args))

        return await self._retrying(lambda: self._with_connection(attempt))

    async def mark_sent(self, row_id: int, message_id: str | None, now: float) -> None:
        """Record a send; fenced: only a row still being sent changes (a row another sender
        already finished, or that an erasure removed, stays as it is)."""
        await self._fetch(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, error = NULL, message_id = $1, sent_at = $2 "
            "WHERE id = $3 AND status = 'sending' RETURNING 1",
            message_id,
            now,
            row_id,
        )

    async def reschedule(self, row_id: int, next_at: float, error: str) -> None:
        await self._fetch(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, error = $2 "
            "WHERE id = $3 AND status = 'sending' RETURNING 1",
            next_at,
            error[:500],
            row_id,
        )

    async def mark_dead(self, row: OutboxRow, error: str, unreachable: bool) -> None:
        async def work(tx: SqlTx) -> None:
            tx._hold(
                "UPDATE outbox SET status = 'dead', error = ?, attempts = attempts + 1 "
                "WHERE id = ? AND status IN ('sending', 'pending')",
                (error[:500], row.id),
            )
            if unreachable:
                tx._hold(
                    "UPDATE respondents SET unreachable = 1 WHERE platform = ? AND chat_id = ?",
                    (row.platform, row.chat_id),
                )
                tx._hold(
                    "UPDATE outbox SET status = 'dead', error = 'recipient unreachable' "
                    "WHERE status IN ('pending', 'sending') AND platform = ? AND chat_id = ?",
                    (row.platform, row.chat_id),
                )

        await self.run(work)

    async def message_id_for(self, ref_key: str) -> tuple[str, str] | None:
        rows = await self._statement(
            "SELECT chat_id, message_id FROM outbox WHERE ref_key = ? AND status = 'sent' "
            "AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (ref_key,),
        )
        return None if not rows else (str(rows[0][0]), str(rows[0][1]))

    async def responses(
        self, since: float | None = None, until: float | None = None, survey_id: str | None = None
    ) -> AsyncIterator[ResponseRow]:
        sql = [
            "SELECT r.*, p.platform AS r_platform, p.user_id AS r_user_id, p.display_name AS r_name,"
            " p.handle AS r_handle FROM responses r LEFT JOIN respondents p ON p.id = r.respondent_id WHERE 1=1"
        ]
        params: list[Any] = []
        if since is not None:
            sql.append("AND r.created_at >= ?")
            params.append(since)
        if until is not None:
            sql.append("AND r.created_at < ?")
            params.append(until)
        if survey_id is not None:
            sql.append("AND r.survey_id = ?")
            params.append(survey_id)
        sql.append("ORDER BY r.created_at, r.id")
        for row in await self._statement(" ".join(sql), params):
            yield ResponseRow.from_row(row)

    # -- privacy -----------------------------------------------------------------------------

    async def personal_data(self, respondent_id: int) -> dict[str, Any]:
        """Everything stored about one person, for /mydata."""
        queries = {
            "profile": (
                "SELECT platform, user_id, chat_id, display_name, handle, language, timezone, opted_out, "
                "unreachable, created_at, updated_at FROM respondents WHERE id = ?"
            ),
            "responses": (
                "SELECT survey_id, kind, status, score, category, comment, comment_status, sentiment, "
                "sentiment_label, flags, language, channel, context, created_at FROM responses "
                "WHERE respondent_id = ? ORDER BY created_at"
            ),
            "invitations": (
                "SELECT survey_id, status, context, created_at, sent_at FROM invitations "
                "WHERE respondent_id = ? ORDER BY created_at"
            ),
            "escalations": (
                "SELECT survey_id, state, opened_at, claimed_at, resolved_at, recovered "
                "FROM escalations WHERE respondent_id = ? ORDER BY opened_at"
            ),
        }
        out: dict[str, Any] = {}
        async with self.reading() as conn:
            for name, sql in queries.items():
                out[name] = [dict(r) for r in await conn.execute_fetchall(sql, (respondent_id,))]
            rows = await conn.execute_fetchall(
                "SELECT o.payload, o.created_at FROM outbox o JOIN respondents p ON p.id = ? "
                "WHERE o.platform = p.platform AND o.chat_id = p.chat_id AND o.payload != '{}' ORDER BY o.id",
                (respondent_id,),
            )
            out["messages_to_you"] = [{"text": json.loads(r[0])["text"], "created_at": r[1]} for r in rows]
        return out

    async def undelivered_alerts(self, since: float) -> int:
        rows = await self._statement(
            "SELECT COUNT(*) FROM escalations e WHERE e.opened_at >= ? AND e.state != 'resolved' "
            "AND EXISTS (SELECT 1 FROM outbox o WHERE o.ref_key >= 'alert:' || e.id || ':' "
            "AND o.ref_key < 'alert:' || e.id || ';' AND o.status = 'dead') "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ref_key >= 'alert:' || e.id || ':' "
            "AND o.ref_key < 'alert:' || e.id || ';' AND o.status IN ('sent', 'pending'))",
            (since,),
        )
        return int(rows[0][0]) if rows else 0

    # Tables an erasure writes to: VACUUM makes their dead row versions' space reusable and
    # drops them from the table files (see README "Privacy and data" for the WAL and backups).
    ERASED_TABLES = (
        "respondents",
        "sessions",
        "responses",
        "response_context",
        "segment_days",
        "segment_weeks",
        "invitations",
        "escalations",
        "outbox",
        "inbox",
        "processed_events",
    )

    async def compact(self) -> None:
        """VACUUM the tables an erasure touches, so the erased rows' old versions are gone
        from the table files (not only invisible). VACUUM cannot run in a transaction."""

        async def attempt(conn: asyncpg.Connection) -> None:
            await conn.execute("VACUUM (ANALYZE) " + ", ".join(self.ERASED_TABLES))

        await self._retrying(lambda: self._with_connection(attempt))

    async def apply_retention(self, older_than: float) -> dict[str, int]:
        counts: dict[str, int] = {}
        async with self.transaction() as tx:
            steps = {
                "comments": (
                    "UPDATE responses SET comment = NULL, context = '{}', respondent_id = NULL, session_id = NULL "
                    "WHERE created_at < ? AND (comment IS NOT NULL OR respondent_id IS NOT NULL)"
                ),
                "messages": "DELETE FROM outbox WHERE created_at < ? AND status NOT IN ('pending', 'sending')",
                "sessions": "DELETE FROM sessions WHERE updated_at < ? AND stage NOT IN ('score', 'comment')",
                "notes": (
                    "UPDATE escalations SET resolution_note = NULL WHERE opened_at < ? AND resolution_note IS NOT NULL"
                ),
                "people": (
                    "DELETE FROM respondents WHERE updated_at < ? AND opted_out = 0 "
                    "AND id NOT IN (SELECT respondent_id FROM sessions) "
                    "AND id NOT IN (SELECT respondent_id FROM invitations WHERE status = 'scheduled')"
                ),
                "opted_out_identities": (
                    "UPDATE respondents SET display_name = '', handle = '' WHERE updated_at < ? AND opted_out = 1 "
                    "AND (display_name != '' OR handle != '')"
                ),
            }
            for name, sql in steps.items():
                counts[name] = (await tx._exec(sql, (older_than,))).rowcount
        return counts

    # -- inbox -------------------------------------------------------------------------------

    async def inbox_add(self, platform: str, items: Sequence[tuple[str, str | None, str]], now: float) -> None:
        if not items:
            return

        async def work(tx: SqlTx) -> None:
            tx._hold(
                "INSERT OR IGNORE INTO inbox (platform, update_key, chat_id, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(platform, key, chat, payload, now) for key, chat, payload in items],
                many=True,
            )
            tx._hold("DELETE FROM inbox WHERE received_at < ?", (now - INBOX_KEEP,))

        await self.run(work)

    async def inbox_recent(self, platform: str, since: float) -> list[str]:
        rows = await self._statement(
            "SELECT payload FROM inbox WHERE platform = ? AND received_at >= ? ORDER BY received_at, update_key",
            (platform, since),
        )
        return [str(r[0]) for r in rows]

    async def prune(self, now: float) -> PruneReport:
        """Forget what nothing can refer to any more, in small batches (see the SQLite
        store's docstring and README "Operations"): the same statements."""
        report = PruneReport()
        report.slimmed = await self._prune_batches(
            f"UPDATE outbox SET payload = '{SLIM_PAYLOAD}' WHERE id IN (SELECT id FROM outbox "
            f"WHERE status = 'sent' AND payload != '{SLIM_PAYLOAD}' AND sent_at < ? AND ref_key IS NOT NULL "
            "ORDER BY sent_at LIMIT ?) RETURNING 1",
            now - SENT_KEEP,
            report,
        )
        report.sent = await self._prune_batches(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
            f"WHERE status = 'sent' AND payload != '{SLIM_PAYLOAD}' AND sent_at < ? AND ref_key IS NULL "
            "ORDER BY sent_at LIMIT ?) RETURNING 1",
            now - SENT_KEEP,
            report,
        )
        report.dead = await self._prune_batches(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'dead' AND created_at < ? "
            "ORDER BY created_at LIMIT ?) RETURNING 1",
            now - DEAD_KEEP,
            report,
        )
        report.event_ids = await self._prune_batches(
            "DELETE FROM processed_events WHERE event_id IN (SELECT event_id FROM processed_events "
            "WHERE processed_at < ? ORDER BY processed_at LIMIT ?) RETURNING 1",
            now - EVENT_KEEP,
            report,
        )
        report.inbox = await self._prune_batches(
            "DELETE FROM inbox WHERE (platform, update_key) IN (SELECT platform, update_key FROM inbox "
            "WHERE received_at < ? ORDER BY received_at LIMIT ?) RETURNING 1",
            now - INBOX_KEEP,
            report,
        )
        return report

    async def _prune_batches(self, sql: str, cutoff: float, report: PruneReport) -> int:
        total = 0
        while True:
            started = time.perf_counter()
            touched = len(await self._statement(sql, (cutoff, PRUNE_BATCH)))
            report.batches += 1
            report.longest_batch_ms = max(report.longest_batch_ms, (time.perf_counter() - started) * 1000)
            total += touched
            if touched < PRUNE_BATCH:
                return total
            await asyncio.sleep(0)
