"""The SQLite store: the only module that writes SQL.

One aiosqlite connection, guarded by one asyncio lock: every write happens inside
``transaction()``, so an event's whole effect (claimed id, session, response, outbox rows)
commits together or not at all. WAL keeps readers from blocking the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import aiosqlite

from storage.records import Escalation, OutboxRow, PersonSeen, Respondent, ResponseRow
from surveys.engine import ResponseUpdate, Session, Stage
from surveys.model import OutMessage

log = logging.getLogger(__name__)
T = TypeVar("T")

DURABILITY = {"full": "FULL", "normal": "NORMAL"}
INBOX_KEEP = 600.0  # seconds a received update is kept for a replay after a crash
# Bounded disk (see README "Operations"): how long what is done stays, in seconds.
SENT_KEEP = 600.0  # a sent message's text (named ones keep their platform id for good)
DEAD_KEEP = 7 * 86400.0  # a message that could not be delivered, for an operator to look at
EVENT_KEEP = 2 * 86400.0  # a handled event id: past every platform's redelivery window (a day)
PRUNE_BATCH = 100  # rows one prune statement touches at most (about 0.6 ms of SQLite work each)
SLIM_PAYLOAD = "{}"  # what a sent message keeps once only its platform id matters
MARK_BATCH = 300  # sends recorded by one statement at most (three parameters each)
GROUP_MAX = 64  # units of work committed together at most (see Store.run)


@dataclass
class _Marks:
    """Sends that finished while the database was busy, recorded together."""

    rows: list[tuple[int, str | None, float]]
    done: asyncio.Future[None]


@dataclass
class _Job(Generic[T]):
    """A unit of work waiting for :meth:`Store.run`'s writer, and where its result goes."""

    work: Callable[[Tx], Awaitable[T]]
    done: asyncio.Future[T]


def _fail(job: _Job[Any], exc: BaseException) -> None:
    if not job.done.done():
        job.done.set_exception(exc)


async def _rollback_quietly(conn: aiosqlite.Connection) -> None:
    """Roll back whatever is open; a failure here must not hide the error that led to it."""
    try:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
    except Exception:
        log.exception("rollback failed")


class StorageError(RuntimeError):
    """The database cannot be used: its message is one line naming the file and what to do.

    Raised by :meth:`Store.open` for any fault, and passed to ``Store.on_fault`` when a
    running store meets a fault that will not go away by retrying (a damaged file, a full
    disk, an I/O error), so ``run`` can stop instead of failing every event."""


class StorageVersionError(StorageError):
    """The database was written by a newer feedbackbot than this one."""


# SQLite's primary result codes that retrying cannot fix (extended codes share the prefix).
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_FATAL = (*_DAMAGED, "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")


def storage_error(exc: BaseException, path: str) -> StorageError | None:
    """What an operator must know about ``exc`` (one line naming the file and what to do),
    or None when it is not a fault of the database file itself (a busy lock, a bug)."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        reason = exc.strerror or type(exc).__name__
        if exc.filename and str(exc.filename) != path:
            reason += f": {exc.filename}"
        return StorageError(
            f"cannot create the database {path} ({reason}); set [storage] path (storage.path) to a file "
            "in a folder this user can write"
        )
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_DAMAGED) or "malformed" in str(exc) or "not a database" in str(exc):
        return StorageError(
            f"database {path} is damaged ({exc}); stop feedbackbot and restore it from a backup "
            f"(or salvage it with: sqlite3 {path} .recover)"
        )
    if name.startswith("SQLITE_FULL"):
        return StorageError(f"the disk holding database {path} is full; free some space, then start feedbackbot again")
    if name.startswith("SQLITE_IOERR"):
        return StorageError(
            f"cannot read or write database {path} ({exc}); check the disk and its free space, "
            "then start feedbackbot again"
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")):
        return StorageError(
            f"cannot open database {path} for writing ({exc}); set [storage] path (storage.path) to a file "
            "this user can write"
        )
    return None


def _migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _when_free(conn: aiosqlite.Connection, sql: str, attempts: int = 100) -> None:
    """A statement that needs the file's lock while another process may be setting it up.
    ``busy_timeout`` covers most waits, but SQLite answers "database is locked" at once when
    waiting could deadlock (two connections switching a fresh file to WAL together, each
    holding a shared lock), and a migration on a slow disk may outlast it: ask again."""
    for attempt in range(attempts):
        try:
            await conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05)


def _statements(script: str) -> list[str]:
    """A migration script cut into its statements (``sqlite3.complete_statement`` knows
    where a trigger's body or a string ends)."""
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                out.append(pending.strip())
            pending = ""
    if pending.strip() and not all(ln.strip().startswith("--") for ln in pending.splitlines() if ln.strip()):
        out.append(pending.strip())
    return out


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


class Store:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._marks: _Marks | None = None
        self._queue: deque[_Job[Any]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._mark_tasks: set[asyncio.Task[None]] = set()
        # Called once with the first fault retrying cannot fix (``run`` stops on it).
        self.on_fault: Callable[[StorageError], None] | None = None
        self.fault: StorageError | None = None

    @classmethod
    async def open(cls, path: str | Path, durability: str = "full") -> Store:
        """Open (creating if needed) and migrate. ``durability='full'`` survives power
        loss; ``'normal'`` can lose the last commits on power loss (never on a crash of
        the process) in exchange for fewer fsyncs."""
        path = str(path)
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None, factory=BatchingConnection)
        except Exception as exc:
            raise storage_error(exc, path) or exc from None
        # From here on the connection's thread keeps the process alive until it is closed:
        # every way out of this method closes it.
        try:
            conn.row_factory = aiosqlite.Row
            # First, so that two processes opening a fresh file wait for each other.
            await conn.execute("PRAGMA busy_timeout=5000")
            await _when_free(conn, "PRAGMA journal_mode=WAL")
            await conn.execute(f"PRAGMA synchronous={DURABILITY[durability]}")
            await conn.execute("PRAGMA foreign_keys=ON")
            # Deleted content is overwritten, not just unlinked: erasure must leave no trace.
            await conn.execute("PRAGMA secure_delete=ON")
            store = cls(conn, path)
            await store._migrate()
        except BaseException as exc:
            await conn.close()
            fault = storage_error(exc, path) if isinstance(exc, Exception) else None
            if fault is not None and fault is not exc:
                raise fault from None
            raise
        return store

    def _check(self, exc: BaseException) -> None:
        """Report a fault that retrying cannot fix to ``on_fault`` (once)."""
        if self.fault is not None or not isinstance(exc, sqlite3.Error):
            return
        name = getattr(exc, "sqlite_errorname", "") or ""
        if not name.startswith(_FATAL):
            return
        self.fault = storage_error(exc, self.path)
        if self.fault is not None and self.on_fault is not None:
            self.on_fault(self.fault)

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.wait([self._writer])
        if self._mark_tasks:
            await asyncio.wait(list(self._mark_tasks))
        await self.conn.close()

    async def _migrate(self) -> None:
        """Apply the migrations this file lacks, all in one transaction that takes the write
        lock before it reads the version: of two processes starting on a fresh file, the
        second waits, then finds the schema current (reading first, both migrated and the
        second failed on "duplicate column name")."""
        await _when_free(self.conn, "BEGIN IMMEDIATE", attempts=10)
        try:
            row = await Tx(self.conn)._one("PRAGMA user_version")
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise StorageVersionError(
                    f"database {self.path} has schema version {current}, but this feedbackbot only knows up to "
                    f"{SCHEMA_VERSION}; upgrade feedbackbot (or restore a backup made before the upgrade)"
                )
            for version, sql in MIGRATIONS:
                if version <= current:
                    continue
                log.info("applying database migration %04d", version)
                # executescript() would commit first: statement by statement keeps the lock.
                for statement in _statements(sql):
                    await self.conn.execute(statement)
                await self.conn.execute(f"PRAGMA user_version={version}")
            await self.conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await self.conn.execute("ROLLBACK")
            raise

    async def schema_version(self) -> int:
        row = await Tx(self.conn)._one("PRAGMA user_version")
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction of its own under the store's lock (maintenance, imports, digests:
        work that may take a while or read through the raw connection). Turns go through
        :meth:`run`, which commits many of them together."""
        async with self._lock:
            tx = Tx(self.conn, begin=True)
            try:
                yield tx
                await tx.commit()
            except BaseException as exc:
                self._check(exc)
                try:
                    await tx.rollback()
                except sqlite3.Error:
                    if self.fault is None:  # a damaged file may refuse the rollback too
                        raise
                raise

    async def run(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``work`` (a coroutine function given a :class:`Tx`) as one unit of work and
        return its result once it is committed.

        Group commit: units of work queued while the database is busy run together in one
        transaction, each in its own SAVEPOINT, so one that fails rolls back only itself (its
        caller gets the exception; the others commit). One COMMIT, so one fsync, for the whole
        group: at ``durability = "full"`` the fsync, not the statements, is what a turn costs
        most. Nobody hears of a result before the COMMIT that makes it durable.

        A caller cancelled before its work started is skipped; once started, its work runs to
        the end with the others (as if the cancellation came a moment later).
        """
        job: _Job[T] = _Job(work, asyncio.get_running_loop().create_future())
        self._queue.append(job)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_groups(), name="store-writer")
        try:
            return await job.done
        except Exception as exc:
            self._check(exc)
            raise

    async def _write_groups(self) -> None:
        try:
            while self._queue:
                async with self._lock:
                    await self._write_group()
        finally:
            self._writer = None
            if self._queue and asyncio.current_task().cancelling():  # type: ignore[union-attr]
                while self._queue:  # the store is closing: nobody will run these
                    self._queue.popleft().done.cancel()

    async def _write_group(self) -> None:
        """One transaction for the units of work queued now (and those queued while it runs,
        up to :data:`GROUP_MAX`). BEGIN, and each later unit's SAVEPOINT, travel with the
        unit's first statement. The first unit needs no savepoint: if it fails, the
        transaction has nothing else to lose and is rolled back whole."""
        done: list[tuple[_Job[Any], Any]] = []
        taken = 0
        job: _Job[Any] | None = None
        try:
            while self._queue and taken < GROUP_MAX:
                job = self._queue.popleft()
                if job.done.done():
                    continue  # its caller was cancelled before it started
                taken += 1
                tx = Tx(self.conn)
                savepoint = f"unit{taken}" if self.conn.in_transaction else None
                opening: _Statement = (f"SAVEPOINT {savepoint}" if savepoint else "BEGIN IMMEDIATE", (), False)
                tx._held.append(opening)
                try:
                    result = await job.work(tx)
                    await tx.flush()  # what it left held is part of it
                except Exception as exc:
                    self._check(exc)
                    if tx._held[:1] == [opening]:
                        pass  # it failed before anything of it ran
                    elif savepoint and self.conn.in_transaction:
                        # Undo this unit only. Its savepoint stays open (nested in the next
                        # one's); COMMIT releases them all.
                        await self.conn.execute(f"ROLLBACK TO {savepoint}")
                    else:
                        # The first unit, or an error SQLite answered by rolling back the whole
                        # transaction (disk full, I/O): everything in it so far is gone.
                        await _rollback_quietly(self.conn)
                        for earlier, _ in done:
                            _fail(earlier, exc)
                        done = []
                    _fail(job, exc)
                else:
                    done.append((job, result))
                job = None
            if self.conn.in_transaction:
                await self.conn.execute("COMMIT")
        except BaseException as exc:
            self._check(exc)
            await _rollback_quietly(self.conn)
            for failed in [j for j, _ in done] + ([job] if job is not None else []):
                _fail(failed, exc)
            if not isinstance(exc, Exception):
                raise
            log.error("a group of storage writes failed (%s); each caller was told", type(exc).__name__)
            return
        for finished, result in done:
            if not finished.done.done():
                finished.done.set_result(result)

    async def _statement(self, sql: str, params: Any = ()) -> list[aiosqlite.Row]:
        """One statement as its own (autocommit) transaction."""
        try:
            async with self._lock:
                return list(await self.conn.execute_fetchall(sql, params))
        except Exception as exc:
            self._check(exc)
            raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for read-only queries (reports, exports), under the same lock so
        a read never interleaves with another coroutine's open transaction."""
        async with self._lock:
            try:
                yield self.conn
            except Exception as exc:
                self._check(exc)
                raise

    # -- reads and small writes that are their own transaction ------------------------

    async def claim_pending(self, limit: int = 5000, platforms: Sequence[str] | None = None) -> list[OutboxRow]:
        """Take pending rows for sending, oldest first: they become ``sending``, so the next
        claim returns only rows committed since, whatever order their ids committed in (a
        high-water mark of ids would miss a lower id committed after a higher one). With
        ``platforms``, only theirs (the shards this instance sends for)."""
        where, params = _platforms_clause(platforms)
        rows = await self._statement(
            "UPDATE outbox SET status = 'sending' WHERE id IN "
            f"(SELECT id FROM outbox WHERE status = 'pending'{where} ORDER BY id LIMIT ?) RETURNING *",
            (*params, limit),
        )
        return sorted((OutboxRow.from_row(r) for r in rows), key=lambda row: row.id)

    async def release_claims(self, platforms: Sequence[str] | None = None) -> int:
        """Rows a previous run (or sender) claimed but did not finish (it stopped or crashed)
        are pending again; the delivery loop calls this when it starts sending for a platform."""
        where, params = _platforms_clause(platforms)
        return len(
            await self._statement(
                f"UPDATE outbox SET status = 'pending' WHERE status = 'sending'{where} RETURNING 1", params
            )
        )

    async def mark_sent(self, row_id: int, message_id: str | None, now: float) -> None:
        """Record a send. Sends that finish while another write holds the database join
        one batch, written by one statement (so one autocommit, atomic without BEGIN/COMMIT
        hops) as soon as the lock is free: under load a send used to queue behind the lock
        for its own commit. The write runs in a task of its own, so a caller cancelled at
        shutdown never leaves the others' sends unrecorded.

        Fenced, as every status write is (and as on PostgreSQL): only a row still being sent
        changes, so a second mark, or a late one after the row was given back, marked dead or
        erased, does nothing."""
        batch = self._marks
        if batch is None or len(batch.rows) >= MARK_BATCH:
            batch = self._marks = _Marks([], asyncio.get_running_loop().create_future())
            task = asyncio.create_task(self._write_marks(batch))
            self._mark_tasks.add(task)
            task.add_done_callback(self._mark_tasks.discard)
        batch.rows.append((row_id, message_id, now))
        await asyncio.shield(batch.done)

    async def _write_marks(self, batch: _Marks) -> None:
        try:
            async with self._lock:
                if self._marks is batch:
                    self._marks = None  # sends finishing from now on start the next batch
                await self.conn.execute(*_mark_sent_sql(batch.rows))
        except asyncio.CancelledError:
            batch.done.cancel()
            raise
        except BaseException as exc:
            self._check(exc)
            if self._marks is batch:
                self._marks = None
            batch.done.set_exception(exc)
            batch.done.exception()  # every waiter re-raises it; none may be left to read it
        else:
            batch.done.set_result(None)

    async def reschedule(self, row_id: int, next_at: float, error: str) -> None:
        await self._statement(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ? "
            "WHERE id = ? AND status = 'sending'",
            (next_at, error[:500], row_id),
        )

    async def mark_dead(self, row: OutboxRow, error: str, unreachable: bool) -> None:
        async def work(tx: Tx) -> None:
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
                # Nothing else queued for a person who blocked us can ever arrive.
                tx._hold(
                    "UPDATE outbox SET status = 'dead', error = 'recipient unreachable' "
                    "WHERE status IN ('pending', 'sending') AND platform = ? AND chat_id = ?",
                    (row.platform, row.chat_id),
                )

        await self.run(work)

    async def message_id_for(self, ref_key: str) -> tuple[str, str] | None:
        """(chat id, platform message id) of the last sent message with this ref key."""
        rows = await self._statement(
            "SELECT chat_id, message_id FROM outbox WHERE ref_key = ? AND status = 'sent' "
            "AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (ref_key,),
        )
        return None if not rows else (str(rows[0][0]), str(rows[0][1]))

    async def responses(
        self, since: float | None = None, until: float | None = None, survey_id: str | None = None
    ) -> AsyncIterator[ResponseRow]:
        """Every response in a time window with its respondent, oldest first (for export)."""
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
        async with self._lock:
            cur = await self.conn.execute(" ".join(sql), params)
            rows = await cur.fetchall()
            await cur.close()
        for row in rows:
            yield ResponseRow.from_row(row)

    # -- privacy -----------------------------------------------------------------------

    async def personal_data(self, respondent_id: int) -> dict[str, Any]:
        """Everything stored about one person, for /mydata."""
        async with self._lock:
            out: dict[str, Any] = {}
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
            for name, sql in queries.items():
                async with self.conn.execute(sql, (respondent_id,)) as cur:
                    out[name] = [dict(r) for r in await cur.fetchall()]
            async with self.conn.execute(
                "SELECT o.payload, o.created_at FROM outbox o JOIN respondents p ON p.id = ? "
                "WHERE o.platform = p.platform AND o.chat_id = p.chat_id AND o.payload != '{}' ORDER BY o.id",
                (respondent_id,),
            ) as cur:
                out["messages_to_you"] = [
                    {"text": json.loads(r[0])["text"], "created_at": r[1]} for r in await cur.fetchall()
                ]
        return out

    async def undelivered_alerts(self, since: float) -> int:
        """Alerts opened since ``since`` and not resolved that reached nobody: a copy could
        not be delivered and no copy was sent or is still on its way (``/healthz``)."""
        rows = await self._statement(
            "SELECT COUNT(*) FROM escalations e WHERE e.opened_at >= ? AND e.state != 'resolved' "
            "AND EXISTS (SELECT 1 FROM outbox o WHERE o.ref_key >= 'alert:' || e.id || ':' "
            "AND o.ref_key < 'alert:' || e.id || ';' AND o.status = 'dead') "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ref_key >= 'alert:' || e.id || ':' "
            "AND o.ref_key < 'alert:' || e.id || ';' AND o.status IN ('sent', 'pending'))",
            (since,),
        )
        return int(rows[0][0]) if rows else 0

    async def compact(self) -> None:
        """Rewrite the file so erased bytes are really gone (VACUUM), then empty the WAL."""
        async with self._lock:
            await self.conn.execute("VACUUM")
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def apply_retention(self, older_than: float) -> dict[str, int]:
        """Anonymise what is older than the retention window, keeping scores for trends.
        A person who opted out keeps a bare record, so the opt-out is still honoured."""
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

    # -- inbox (updates fetched but maybe not yet handled) --------------------------------

    async def inbox_add(self, platform: str, items: Sequence[tuple[str, str | None, str]], now: float) -> None:
        """Keep raw updates (key, chat id, payload) before the platform is told they arrived.
        Rows older than ten minutes were handled long ago and go as new ones come; a replay
        after a crash happens before anything new is added."""
        if not items:
            return

        async def work(tx: Tx) -> None:
            tx._hold(
                "INSERT OR IGNORE INTO inbox (platform, update_key, chat_id, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(platform, key, chat, payload, now) for key, chat, payload in items],
                many=True,
            )
            tx._hold("DELETE FROM inbox WHERE received_at < ?", (now - INBOX_KEEP,))

        await self.run(work)

    async def inbox_recent(self, platform: str, since: float) -> list[str]:
        async with self._lock:
            rows = await self.conn.execute_fetchall(
                "SELECT payload FROM inbox WHERE platform = ? AND received_at >= ? ORDER BY received_at, update_key",
                (platform, since),
            )
        return [str(r[0]) for r in rows]

    async def prune(self, now: float) -> PruneReport:
        """Forget what nothing can refer to any more, in small batches (see README "Operations").

        * Sent messages lose their text ten minutes after they were sent. One that has a name
          (``ref_key``: a survey question, an alert, a digest) may still be edited (a late tap on
          a typed-answer question tidies it, an erasure redacts an alert) or replied to (a staff
          reply, an invitation reminder), so it keeps its chat and platform id, slimmed to a few
          dozen bytes, for as long as the message exists; the others are deleted.
        * Messages that could not be delivered are deleted after a week; pending (or sending) ones never.
        * Handled event ids go after two days (Telegram keeps updates a day, Slack retries
          within the hour), received updates after ten minutes (they were handled long before).

        Each statement touches at most ``PRUNE_BATCH`` rows through an index range, so it holds
        the database for about 0.6 ms even with ``secure_delete`` (plus the commit's fsync with
        durability "full", like any commit; measured on 40,000 rows: median 0.63 ms a batch
        with "normal", 3.4 ms with "full"), and conversations' transactions run between the
        batches."""
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

    async def _prune_batches(self, sql: str, cutoff: float, report: PruneReport | None = None) -> int:
        """Run ``sql`` (cutoff, limit) until it touches fewer than a batch; each run is its own
        short transaction, and the loop yields between them."""
        total = 0
        while True:
            started = time.perf_counter()
            touched = len(await self._statement(sql, (cutoff, PRUNE_BATCH)))
            if report is not None:
                report.batches += 1
                report.longest_batch_ms = max(report.longest_batch_ms, (time.perf_counter() - started) * 1000)
            total += touched
            if touched < PRUNE_BATCH:
                return total
            await asyncio.sleep(0)


@dataclass
class PruneReport:
    """What one :meth:`Store.prune` removed, and how long its longest batch took (wall time,
    including the wait for its turn on SQLite's thread)."""

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


@dataclass
class _Result:
    rows: list[Any]
    rowcount: int
    lastrowid: int | None


_Statement = tuple[str, Any, bool]  # (sql, parameters, executemany?)


@dataclass
class Batch:
    """Statements to run in order in one call to SQLite's thread (see :class:`BatchingConnection`)."""

    statements: list[_Statement]

    def run(self, conn: sqlite3.Connection) -> list[_Result]:
        """Runs on SQLite's thread. The first error stops the batch and is raised."""
        results: list[_Result] = []
        for sql, params, many in self.statements:
            cur = conn.executemany(sql, params) if many else sqlite3.Connection.execute(conn, sql, params)
            try:
                results.append(_Result(cur.fetchall(), cur.rowcount, cur.lastrowid))
            finally:
                cur.close()
        return results


class _Ran(list[_Result]):
    """A batch's outcome in the shape aiosqlite reads an ``execute`` result in."""

    def fetchall(self) -> list[_Result]:
        return list(self)


class BatchingConnection(sqlite3.Connection):
    """The sqlite3 connection aiosqlite drives, through sqlite3's documented ``factory`` hook.

    Why: aiosqlite proxies each call to its own thread and back, and under load such a round
    trip costs more than the statement it carries (a survey turn is several statements; one
    round trip each doubled the CPU of a turn). aiosqlite's ``execute_fetchall(sql)`` is a
    proxy for this connection's ``execute(sql).fetchall()``; given a :class:`Batch` instead of
    a string, ``execute`` runs every statement of it, so a whole batch is one round trip. A
    change in how aiosqlite proxies ``execute`` would fail every transaction at once, loudly
    (sqlite3 refuses a non-string statement), never silently.
    """

    def execute(self, sql: Any, parameters: Any = (), /) -> Any:
        if isinstance(sql, Batch):
            return _Ran(sql.run(self))
        return super().execute(sql, parameters)


CLAIM_SQL = (
    "INSERT INTO processed_events (event_id, processed_at, subject) VALUES (?, ?, ?) "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)


def _alert_range(escalation_id: int) -> tuple[str, str]:
    """Bounds of the ref keys of one alert's copies (``alert:<id>:...``), for the ref index."""
    return f"alert:{escalation_id}:", f"alert:{escalation_id};"


def subject_of(platform: str, user_id: str) -> str:
    """Whose event a handled event id was (``processed_events.subject``), for erasure."""
    return f"{platform}:{user_id}"


def _carries(value: Any, messages: set[tuple[str, str]], texts: Sequence[str]) -> bool:
    """Whether a stored update (decoded JSON) quotes one of these messages (chat id, message
    id), as a staff press or reply on an alert does, or contains one of these texts."""
    if isinstance(value, dict):
        chat = value.get("chat")
        if isinstance(chat, dict) and (str(chat.get("id")), str(value.get("message_id"))) in messages:
            return True
        return any(_carries(v, messages, texts) for v in value.values())
    if isinstance(value, list):
        return any(_carries(v, messages, texts) for v in value)
    if isinstance(value, str):
        return any(t in value for t in texts)
    return False


def _respondent_upsert(seen: PersonSeen, now: float) -> tuple[str, tuple[Any, ...]]:
    return (
        """
        INSERT INTO respondents (platform, user_id, chat_id, display_name, handle, language, timezone,
                                 created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (platform, user_id) DO UPDATE SET
            chat_id = COALESCE(excluded.chat_id, chat_id),
            display_name = CASE WHEN excluded.display_name != '' THEN excluded.display_name ELSE display_name END,
            handle = CASE WHEN excluded.handle != '' THEN excluded.handle ELSE handle END,
            language = COALESCE(excluded.language, language),
            timezone = COALESCE(excluded.timezone, timezone),
            unreachable = CASE WHEN excluded.chat_id IS NOT NULL THEN 0 ELSE unreachable END,
            updated_at = excluded.updated_at
        RETURNING *
        """,
        (*_person_fields(seen), now, now),
    )


def _person_fields(seen: PersonSeen) -> tuple[Any, ...]:
    return (
        seen.platform,
        seen.user_id,
        seen.chat_id,
        seen.display_name[:200],
        seen.handle[:200],
        seen.language,
        seen.timezone,
    )


class Tx:
    """Operations inside one transaction (or one unit of work of a group, see
    :meth:`Store.run`).

    Statements whose outcome nobody reads (session updates, outbox rows) are *held* and run,
    in order, before the next statement whose outcome is read, or at COMMIT: an error in a held
    statement surfaces there and rolls back the unit of work as a whole. Code outside this
    class that wants the raw connection (reports, imports) calls :meth:`connection`, which runs
    what is held first; ``conn`` refuses while anything is held, so nothing can ever run out of
    order or outside the transaction.

    Everything goes through aiosqlite's public API, one call per statement.
    """

    def __init__(self, conn: aiosqlite.Connection, *, begin: bool = False) -> None:
        self._raw = conn
        self._held: list[_Statement] = [("BEGIN IMMEDIATE", (), False)] if begin else []

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._held:
            raise RuntimeError("statements are held: use `await tx.connection()` instead of tx.conn")
        return self._raw

    async def connection(self) -> aiosqlite.Connection:
        """The raw connection, for statements written elsewhere, once everything held ran."""
        await self.flush()
        return self._raw

    def _hold(self, sql: str, params: Any = (), *, many: bool = False) -> None:
        self._held.append((sql, params, many))

    async def _run(self, *statements: _Statement) -> list[_Result]:
        """What is held, then ``statements``, in one call to SQLite's thread; the outcome of
        each of ``statements``."""
        batch = Batch([*self._held, *statements])
        self._held = []
        results = cast(list[_Result], await self._raw.execute_fetchall(cast(str, batch)))
        return results[len(batch.statements) - len(statements) :]

    async def _exec(self, sql: str, params: Any = (), *, many: bool = False) -> _Result:
        """Run what is held, then this statement; its outcome."""
        return (await self._run((sql, params, many)))[0]

    async def flush(self) -> None:
        if self._held:
            await self._run()

    async def commit(self) -> None:
        await self._exec("COMMIT")

    async def rollback(self) -> None:
        self._held = []
        await _rollback_quietly(self._raw)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return (await self._exec(sql, params)).rows

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def claim_event(self, event_id: str, now: float, subject: str | None = None) -> bool:
        """Record the event as handled; False when it already was (a redelivery).
        ``subject`` (:func:`subject_of`) is whose event it is, so erasure finds exactly theirs."""
        return bool(await self._all(CLAIM_SQL, (event_id, now, subject)))

    async def begin_turn(
        self, event_id: str | None, now: float, seen: PersonSeen
    ) -> tuple[bool, Respondent, Session | None]:
        """A customer's turn starts with three steps that depend on nothing the engine
        decides: claim the event id, upsert the person, load their open session. One hop for
        all three (with BEGIN) instead of three. When the claim fails (a redelivery) the
        caller rolls back, so the upsert leaves no trace. ``event_id`` None: already claimed."""
        statements: list[_Statement] = [
            (*_respondent_upsert(seen, now), False),
            (
                "SELECT * FROM sessions WHERE respondent_id = (SELECT id FROM respondents WHERE platform = ? AND "
                "user_id = ?) AND stage IN ('score', 'comment') ORDER BY id DESC LIMIT 1",
                (seen.platform, seen.user_id),
                False,
            ),
        ]
        if event_id is not None:
            statements.insert(0, (CLAIM_SQL, (event_id, now, subject_of(seen.platform, seen.user_id)), False))
        *claimed, person, session = [result.rows for result in await self._run(*statements)]
        first_time = bool(claimed[0]) if claimed else True
        return first_time, Respondent.from_row(person[0]), _session(session[0]) if session else None

    async def erase_person(self, respondent_id: int) -> list[tuple[int, str, str, str]]:
        """Erase a person inside this transaction: identity, sessions, invitations, the text
        of their comments, every message exchanged with them, every alert about them, their
        handled event ids (exactly theirs, by subject) and every inbox row that carries their
        words (their own updates, and staff presses or replies that quote an alert about
        them). Scores stay, with no link to anyone, so past aggregates still add up.

        Returns the posted alert copies to redact on the staff platforms, as
        ``(alert id, platform, chat id, ref key)``."""
        person = await self._one("SELECT * FROM respondents WHERE id = ?", (respondent_id,))
        if person is None:
            return []
        platform, user_id, chat_id = str(person["platform"]), str(person["user_id"]), person["chat_id"]
        alert_ids = [
            int(r[0]) for r in await self._all("SELECT id FROM escalations WHERE respondent_id = ?", (respondent_id,))
        ]
        comments = [
            str(r[0])
            for r in await self._all(
                "SELECT comment FROM responses WHERE respondent_id = ? AND comment IS NOT NULL AND comment != ''",
                (respondent_id,),
            )
        ]
        posted: list[tuple[int, str, str, str]] = []
        quoted: set[tuple[str, str, str]] = set()  # (platform, chat id, message id) of alerts and relays
        for eid in alert_ids:
            like = f"alert:{eid}:%"
            for row in await self._all(
                "SELECT platform, chat_id, message_id, ref_key FROM outbox WHERE message_id IS NOT NULL AND "
                "(ref_key LIKE ? OR json_extract(payload, '$.reply_to') LIKE ? "
                "OR json_extract(payload, '$.edit_of') LIKE ?)",
                (like, like, like),
            ):
                quoted.add((str(row[0]), str(row[1]), str(row[2])))
                ref = row[3]
                if ref is not None and str(ref).startswith(f"alert:{eid}:"):
                    posted.append((eid, str(row[0]), str(row[1]), str(ref)))
            # Sent alerts keep only what is needed to edit them into a redaction notice.
            self._hold(
                "UPDATE outbox SET payload = json_object('to', json_array(platform, chat_id, NULL), "
                "'text', '(erased)') WHERE ref_key LIKE ? AND status = 'sent'",
                (like,),
            )
            self._hold(
                "DELETE FROM outbox WHERE (ref_key LIKE ? AND status != 'sent') "
                "OR json_extract(payload, '$.reply_to') LIKE ? OR json_extract(payload, '$.edit_of') LIKE ?",
                (like, like, like),
            )
        for key, sender, payload in await self._all(
            "SELECT update_key, chat_id, payload FROM inbox WHERE platform = ?", (platform,)
        ):
            own = sender is not None and str(sender) in (user_id, str(chat_id))
            messages = {(c, m) for p, c, m in quoted if p == platform}
            try:
                decoded = json.loads(payload)
            except ValueError:
                decoded = payload
            if own or _carries(decoded, messages, comments):
                self._hold("DELETE FROM inbox WHERE platform = ? AND update_key = ?", (platform, key))
        self._hold("DELETE FROM outbox WHERE platform = ? AND chat_id = ?", (platform, chat_id))
        self._hold(
            "UPDATE escalations SET respondent_id = NULL, resolution_note = NULL WHERE respondent_id = ?",
            (respondent_id,),
        )
        self._hold(
            "UPDATE responses SET comment = NULL, context = '{}', respondent_id = NULL, session_id = NULL, "
            "flags = '' WHERE respondent_id = ?",
            (respondent_id,),
        )
        # Exactly their own event ids: by subject, and for ids claimed before subjects were
        # recorded, the Telegram message ids of their chat (the only ids that name a person).
        self._hold(
            "DELETE FROM processed_events WHERE subject = ? OR (subject IS NULL AND substr(event_id, 1, ?) = ?)",
            (subject_of(platform, user_id), len(f"{platform}:msg:{chat_id}:"), f"{platform}:msg:{chat_id}:"),
        )
        self._hold("DELETE FROM respondents WHERE id = ?", (respondent_id,))
        await self.flush()
        return sorted(set(posted))

    async def respondent(self, platform: str, user_id: str) -> Respondent | None:
        row = await self._one("SELECT * FROM respondents WHERE platform = ? AND user_id = ?", (platform, user_id))
        return None if row is None else Respondent.from_row(row)

    async def open_session(self, respondent_id: int) -> Session | None:
        row = await self._one(
            "SELECT * FROM sessions WHERE respondent_id = ? AND stage IN ('score', 'comment') ORDER BY id DESC LIMIT 1",
            (respondent_id,),
        )
        return None if row is None else _session(row)

    async def expired_session(self, respondent_id: int) -> Session | None:
        """The person's latest session when it ended by expiring (a late answer may belong to it)."""
        row = await self._one(
            "SELECT * FROM sessions WHERE respondent_id = ? ORDER BY id DESC LIMIT 1", (respondent_id,)
        )
        return None if row is None or row["stage"] != "expired" else _session(row)

    async def session_by_nonce(self, nonce: str) -> tuple[Session, int] | None:
        row = await self._one("SELECT * FROM sessions WHERE nonce = ?", (nonce,))
        return None if row is None else (_session(row), int(row["respondent_id"]))

    async def expired_sessions(self, now: float, limit: int = 500) -> list[tuple[Session, int]]:
        rows = await self._all(
            "SELECT * FROM sessions WHERE stage IN ('score', 'comment') AND expires_at <= ? LIMIT ?", (now, limit)
        )
        return [(_session(r), int(r["respondent_id"])) for r in rows]

    async def respondent_platform(self, respondent_id: int) -> str:
        row = await self._one("SELECT platform FROM respondents WHERE id = ?", (respondent_id,))
        return str(row[0]) if row else ""

    async def save_session(self, session: Session, respondent_id: int, now: float) -> Session:
        if session.id is None:
            inserted = await self._exec(
                """
                INSERT INTO sessions (respondent_id, survey_id, stage, language, nonce, score, attempts, context,
                                      escalated, started_at, updated_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    respondent_id,
                    session.survey_id,
                    session.stage.value,
                    session.language,
                    session.nonce,
                    session.score,
                    session.attempts,
                    json.dumps(session.context),
                    int(session.escalated),
                    session.started_at,
                    now,
                    session.expires_at,
                ),
            )
            assert inserted.lastrowid is not None
            return Session(**{**session.__dict__, "id": inserted.lastrowid})
        self._hold(
            "UPDATE sessions SET stage = ?, score = ?, attempts = ?, escalated = ?, updated_at = ? WHERE id = ?",
            (session.stage.value, session.score, session.attempts, int(session.escalated), now, session.id),
        )
        return session

    async def save_response(
        self, session: Session, respondent_id: int, update: ResponseUpdate, channel: str, now: float
    ) -> None:
        """One response row per session: created with the score, completed by the comment."""
        self._hold(*self._response_upsert(session, respondent_id, update, channel, now))

    async def response_id(self, session_id: int) -> int:
        """The id of the session's response row (after :meth:`save_response`)."""
        row = await self._one("SELECT id FROM responses WHERE session_id = ?", (session_id,))
        assert row is not None, "save_response first"
        return int(row[0])

    @staticmethod
    def _response_upsert(
        session: Session, respondent_id: int, update: ResponseUpdate, channel: str, now: float
    ) -> tuple[str, tuple[Any, ...]]:
        return (
            """
            INSERT INTO responses (session_id, respondent_id, survey_id, kind, status, score, category, comment,
                comment_truncated, comment_status, sentiment, sentiment_label, flags, language, channel, context,
                created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET
                status = excluded.status, score = excluded.score, category = excluded.category,
                comment = excluded.comment, comment_truncated = excluded.comment_truncated,
                comment_status = excluded.comment_status, sentiment = excluded.sentiment,
                sentiment_label = excluded.sentiment_label, flags = excluded.flags, updated_at = excluded.updated_at
            """,
            (
                session.id,
                respondent_id,
                update.survey_id,
                update.kind.value,
                update.status,
                update.score,
                update.category,
                update.comment,
                int(update.comment_truncated),
                update.comment_status,
                update.sentiment,
                update.sentiment_label,
                ",".join(update.flags),
                update.language,
                channel,
                json.dumps(session.context),
                now,
                now,
            ),
        )

    async def enqueue(self, messages: Sequence[OutMessage], now: float, delay: float = 0.0) -> None:
        if not messages:
            return
        self._hold(
            "INSERT INTO outbox (platform, chat_id, lane, payload, ref_key, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    m.to.platform,
                    m.to.chat_id,
                    m.lane,
                    json.dumps(m.to_json(), ensure_ascii=False),
                    m.ref_key,
                    now + delay,
                    now,
                )
                for m in messages
            ],
            many=True,
        )

    # -- invitations -----------------------------------------------------------------

    async def ensure_respondent(self, platform: str, user_id: str, chat_id: str, now: float) -> Respondent:
        """A person we are about to invite: created if new, otherwise left exactly as it
        is (an invitation must never clear an opt-out or an unreachable mark)."""
        self._hold(
            "INSERT OR IGNORE INTO respondents (platform, user_id, chat_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (platform, user_id, chat_id, now, now),
        )
        found = await self.respondent(platform, user_id)
        assert found is not None
        return found

    async def set_platform_facts(self, respondent_id: int, language: str | None, timezone: str | None) -> None:
        """What the platform says about a person we have not heard from (an invitation looks
        them up first): their language and time zone, when it reports them."""
        self._hold(
            "UPDATE respondents SET language = COALESCE(?, language), timezone = COALESCE(?, timezone) WHERE id = ?",
            (language, timezone, respondent_id),
        )

    async def set_timezone(self, respondent_id: int, timezone: str) -> None:
        self._hold("UPDATE respondents SET timezone = ? WHERE id = ?", (timezone, respondent_id))

    async def set_person_key(self, respondent_id: int, person_key: str) -> None:
        self._hold("UPDATE respondents SET person_key = ? WHERE id = ?", (person_key, respondent_id))

    async def invitation_by_key(self, key: str) -> dict[str, Any] | None:
        row = await self._one("SELECT * FROM invitations WHERE idempotency_key = ?", (key,))
        return None if row is None else dict(row)

    async def last_invited(self, respondent_id: int, survey_id: str) -> tuple[float | None, float | None]:
        """(last invitation to anything, last to this survey), across every identity that
        shares the person's key, so someone on both Telegram and Slack counts once."""
        row = await self._one(
            """
            SELECT MAX(i.sent_at), MAX(CASE WHEN i.survey_id = ? THEN i.sent_at END)
            FROM invitations i
            WHERE i.status = 'sent' AND i.respondent_id IN (
                SELECT id FROM respondents WHERE id = ?
                UNION
                SELECT o.id FROM respondents o JOIN respondents me ON me.id = ?
                WHERE me.person_key IS NOT NULL AND o.person_key = me.person_key
            )
            """,
            (survey_id, respondent_id, respondent_id),
        )
        return (None, None) if row is None else (row[0], row[1])

    async def insert_invitation(
        self,
        respondent_id: int,
        survey_id: str,
        status: str,
        reason: str | None,
        key: str | None,
        campaign_id: str | None,
        context: dict[str, str],
        lane: str,
        not_before: float,
        now: float,
        request_hash: str | None = None,
    ) -> int | None:
        cur = await self._exec(
            "INSERT OR IGNORE INTO invitations (respondent_id, survey_id, status, reason, idempotency_key, "
            "campaign_id, context, lane, not_before, created_at, request_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                respondent_id,
                survey_id,
                status,
                reason,
                key,
                campaign_id,
                json.dumps(context),
                lane,
                not_before,
                now,
                request_hash,
            ),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def due_invitations(self, now: float, limit: int) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT * FROM invitations WHERE status = 'scheduled' AND not_before <= ? ORDER BY not_before, id LIMIT ?",
            (now, limit),
        )
        return [dict(r) for r in rows]

    async def invitation(self, invitation_id: int) -> dict[str, Any] | None:
        row = await self._one("SELECT * FROM invitations WHERE id = ?", (invitation_id,))
        return None if row is None else dict(row)

    async def mark_invitation(
        self,
        invitation_id: int,
        status: str,
        *,
        reason: str | None = None,
        session_id: int | None = None,
        sent_at: float | None = None,
    ) -> None:
        self._hold(
            "UPDATE invitations SET status = ?, reason = COALESCE(?, reason), session_id = COALESCE(?, session_id), "
            "sent_at = COALESCE(?, sent_at) WHERE id = ?",
            (status, reason, session_id, sent_at, invitation_id),
        )

    async def reminders_due(self, sent_before: float, limit: int) -> list[dict[str, Any]]:
        """Invitations whose survey is still waiting for its first answer."""
        rows = await self._all(
            """
            SELECT i.id, i.survey_id, s.nonce, s.language, p.platform, p.chat_id, p.timezone
            FROM invitations i
            JOIN sessions s ON s.id = i.session_id
            JOIN respondents p ON p.id = i.respondent_id
            WHERE i.status = 'sent' AND i.reminded_at IS NULL AND i.sent_at <= ? AND s.stage = 'score'
              AND p.opted_out = 0 AND p.unreachable = 0
            ORDER BY i.sent_at LIMIT ?
            """,
            (sent_before, limit),
        )
        return [dict(r) for r in rows]

    async def mark_reminded(self, invitation_id: int, now: float) -> None:
        self._hold("UPDATE invitations SET reminded_at = ? WHERE id = ?", (now, invitation_id))

    async def audience(
        self, platform: str | None, after_id: int, limit: int, created_before: float | None = None
    ) -> list[Respondent]:
        """Everyone reachable who has not opted out, in id order (so a campaign can page
        through millions of people and resume from the last id it handled)."""
        sql = "SELECT * FROM respondents WHERE id > ? AND opted_out = 0 AND unreachable = 0 AND chat_id IS NOT NULL"
        params: list[Any] = [after_id]
        if platform:
            sql += " AND platform = ?"
            params.append(platform)
        if created_before is not None:  # a run caught up later: only who was known when it was due
            sql += " AND created_at <= ?"
            params.append(created_before)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        rows = await self._all(sql, params)
        return [Respondent.from_row(r) for r in rows]

    # -- escalations -----------------------------------------------------------------

    async def create_escalation(
        self, response_id: int, respondent_id: int, survey_id: str, rules: Sequence[str], now: float
    ) -> int | None:
        """The alert for a response, once: None if that response already has one."""
        cur = await self._exec(
            "INSERT OR IGNORE INTO escalations (response_id, respondent_id, survey_id, rules, opened_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (response_id, respondent_id, survey_id, ",".join(rules), now),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def escalation_for_response(self, response_id: int) -> Escalation | None:
        return await self._one_escalation("response_id = ?", (response_id,))

    async def escalation(self, escalation_id: int) -> Escalation | None:
        return await self._one_escalation("id = ?", (escalation_id,))

    async def escalation_replying(self, staff_key: str) -> Escalation | None:
        """The alert this staff member pressed Reply on and has not answered yet."""
        return await self._one_escalation("reply_pending_by = ? AND state != 'resolved' ORDER BY id DESC", (staff_key,))

    async def escalation_relaying(self, respondent_id: int) -> Escalation | None:
        return await self._one_escalation(
            "respondent_id = ? AND relay_open = 1 AND state != 'resolved' ORDER BY id DESC", (respondent_id,)
        )

    async def escalation_awaiting_recovery(self, respondent_id: int) -> Escalation | None:
        return await self._one_escalation(
            "respondent_id = ? AND recovery_asked_at IS NOT NULL AND recovered IS NULL ORDER BY id DESC",
            (respondent_id,),
        )

    async def escalation_by_message(self, platform: str, chat_id: str, message_id: str) -> Escalation | None:
        """Which alert a staff reply refers to (a Telegram reply, a Slack thread)."""
        row = await self._one(
            "SELECT ref_key FROM outbox WHERE platform = ? AND chat_id = ? AND message_id = ? "
            "AND ref_key LIKE 'alert:%' LIMIT 1",
            (platform, chat_id, message_id),
        )
        if row is None:
            return None
        return await self.escalation(int(str(row[0]).split(":")[1]))

    async def _one_escalation(self, where: str, params: tuple[Any, ...]) -> Escalation | None:
        row = await self._one(f"SELECT * FROM escalations WHERE {where} LIMIT 1", params)
        return None if row is None else Escalation.from_row(row)

    async def update_escalation(self, escalation_id: int, **fields: Any) -> None:
        allowed = {
            "state",
            "claimed_by",
            "claimed_by_name",
            "resolved_by",
            "resolved_by_name",
            "resolution_note",
            "recovered",
            "claimed_at",
            "first_reply_at",
            "resolved_at",
            "reminded_at",
            "reminders",
            "reply_pending_by",
            "relay_open",
            "recovery_asked_at",
            "rules",
        }
        unknown = set(fields) - allowed
        if unknown or not fields:
            # A real check, not an assert (``python -O`` strips those): the names become SQL.
            raise ValueError(f"update_escalation: not a column that may be updated: {sorted(unknown) or 'none given'}")
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self._hold(f"UPDATE escalations SET {assignments} WHERE id = ?", (*fields.values(), escalation_id))

    async def alert_facts(self, escalation_id: int) -> dict[str, Any] | None:
        """Everything an alert shows, in one query plus one for the customer's history."""
        row = await self._one(
            """
            SELECT e.*, r.kind, r.score, r.category, r.comment, r.comment_status, r.sentiment, r.sentiment_label,
                   r.context, r.language AS r_language, r.created_at AS response_at,
                   p.display_name, p.handle, p.platform, p.user_id, p.chat_id, p.language AS p_language
            FROM escalations e
            JOIN responses r ON r.id = e.response_id
            LEFT JOIN respondents p ON p.id = e.respondent_id
            WHERE e.id = ?
            """,
            (escalation_id,),
        )
        if row is None:
            return None
        facts = {k: row[k] for k in row.keys()}
        history = await self._all(
            "SELECT kind, score FROM responses WHERE respondent_id = ? AND created_at < ? AND score IS NOT NULL "
            "ORDER BY created_at DESC LIMIT 20",
            (row["respondent_id"], row["response_at"]),
        )
        facts["history"] = [(str(r[0]), int(r[1])) for r in history]
        return facts

    async def alert_copies(self, escalation_id: int) -> dict[tuple[str, str], str]:
        """Every chat an alert was queued to, with the state of its copy there ('sent',
        'pending' or 'dead'; a live copy wins over a dead one). Copies are the outbox rows
        whose ref key is ``alert:<id>:<platform>:<chat>`` (a range on the ref index)."""
        low, high = _alert_range(escalation_id)
        rows = await self._all(
            "SELECT platform, chat_id, status FROM outbox WHERE ref_key >= ? AND ref_key < ?", (low, high)
        )
        copies: dict[tuple[str, str], str] = {}
        for platform, chat_id, status in rows:
            key = (str(platform), str(chat_id))
            if copies.get(key) in (None, "dead"):
                copies[key] = str(status)
        return copies

    async def dead_alerts(self, platform: str, chat_id: str, since: float) -> list[int]:
        """Alerts opened since ``since``, not resolved, whose copy for this chat could not be
        delivered (the bot was removed, the channel archived)."""
        rows = await self._all(
            "SELECT DISTINCT e.id FROM outbox o JOIN escalations e "
            "ON o.ref_key = 'alert:' || e.id || ':' || o.platform || ':' || o.chat_id "
            "WHERE o.ref_key >= 'alert:' AND o.ref_key < 'alert;' AND o.status = 'dead' "
            "AND o.platform = ? AND o.chat_id = ? AND e.opened_at >= ? AND e.state != 'resolved' ORDER BY e.id",
            (platform, chat_id, since),
        )
        return [int(r[0]) for r in rows]

    async def escalations_to_remind(
        self, now: float, *, first: float, repeat: float, unresolved: float, limit: int
    ) -> list[Escalation]:
        """Alerts due a reminder on the ladder: unclaimed ones ``first`` seconds after opening,
        then every ``repeat``; claimed ones ``unresolved`` seconds after the claim (never
        counting reminders from before it), then as often again; at most ``limit`` reminders
        per state (the claim starts the count again). Erased customers' alerts are never due."""
        rows = await self._all(
            """
            SELECT * FROM escalations
            WHERE respondent_id IS NOT NULL AND reminders < ? AND (
                  (state = 'open' AND reminders = 0 AND opened_at <= ?)
               OR (state = 'open' AND reminders > 0 AND reminded_at <= ?)
               OR (state = 'claimed' AND MAX(COALESCE(claimed_at, opened_at), COALESCE(reminded_at, 0)) <= ?))
            ORDER BY id
            """,
            (limit, now - first, now - repeat, now - unresolved),
        )
        return [Escalation.from_row(r) for r in rows]

    async def unresolved_escalations(self, opened_before: float) -> list[Escalation]:
        """Every alert still open or claimed, opened before the given moment (for the summary)."""
        rows = await self._all(
            "SELECT * FROM escalations WHERE state != 'resolved' AND respondent_id IS NOT NULL AND opened_at <= ? "
            "ORDER BY id",
            (opened_before,),
        )
        return [Escalation.from_row(r) for r in rows]

    async def close_orphaned_escalations(self, now: float, note: str) -> int:
        """Close the alerts whose customer was erased (``/forget``, ``forget``, retention): nobody
        can be helped any more, so they are resolved with ``note`` and never reminded about."""
        cur = await self._exec(
            "UPDATE escalations SET state = 'resolved', resolved_at = ?, resolved_by = 'feedbackbot', "
            "resolved_by_name = 'feedbackbot', resolution_note = ?, reply_pending_by = NULL, relay_open = 0 "
            "WHERE respondent_id IS NULL AND state != 'resolved'",
            (now, note),
        )
        return int(cur.rowcount)

    async def record_summary(self, key: str, day: str, now: float) -> bool:
        """Claim the summary ``key`` for ``day`` (once; recorded beside the digests' runs)."""
        cur = await self._exec(
            "INSERT OR IGNORE INTO digest_runs (digest_id, period_start, period_end, status, created_at) "
            "VALUES (?, ?, ?, 'posted', ?)",
            (key, day, day, now),
        )
        return int(cur.rowcount) == 1

    async def respondent_by_id(self, respondent_id: int) -> Respondent | None:
        row = await self._one("SELECT * FROM respondents WHERE id = ?", (respondent_id,))
        return None if row is None else Respondent.from_row(row)

    async def set_opt_out(self, respondent_id: int, opted_out: bool, now: float) -> None:
        self._hold(
            "UPDATE respondents SET opted_out = ?, updated_at = ? WHERE id = ?", (int(opted_out), now, respondent_id)
        )


def _platforms_clause(platforms: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if platforms is None:
        return "", ()
    return f" AND platform IN ({', '.join('?' for _ in platforms) or 'NULL'})", tuple(platforms)


def _mark_sent_sql(rows: Sequence[tuple[int, str | None, float]]) -> tuple[str, list[Any]]:
    """One UPDATE for any number of sends. A CTE rather than UPDATE ... FROM, which needs
    SQLite 3.33 (older distributions still ship 3.31)."""
    done = "status = 'sent', attempts = attempts + 1, error = NULL"
    if len(rows) == 1:
        row_id, message_id, sent_at = rows[0]
        return (
            f"UPDATE outbox SET {done}, message_id = ?, sent_at = ? WHERE id = ? AND status = 'sending'",
            [message_id, sent_at, row_id],
        )
    values = ", ".join("(?, ?, ?)" for _ in rows)
    sql = (
        f"WITH m(id, message_id, sent_at) AS (VALUES {values}) "
        f"UPDATE outbox SET {done}, "
        "message_id = (SELECT m.message_id FROM m WHERE m.id = outbox.id), "
        "sent_at = (SELECT m.sent_at FROM m WHERE m.id = outbox.id) "
        "WHERE id IN (SELECT id FROM m) AND status = 'sending'"
    )
    return sql, [value for row in rows for value in row]


def _session(row: aiosqlite.Row) -> Session:
    return Session(
        id=int(row["id"]),
        survey_id=row["survey_id"],
        stage=Stage(row["stage"]),
        language=row["language"],
        nonce=row["nonce"],
        score=row["score"],
        attempts=int(row["attempts"]),
        context=json.loads(row["context"] or "{}"),
        escalated=bool(row["escalated"]),
        started_at=float(row["started_at"]),
        expires_at=float(row["expires_at"]),
    )
