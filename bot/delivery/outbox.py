"""The delivery loop: sends outbox rows through the channels, after they were committed.

Why a loop over a table instead of sending from the handler: a message is written before
it is sent, so a crash, a platform outage or a 429 storm never loses one; on restart the
loop simply finds what is still pending. One message per chat is in flight at a time,
which keeps each conversation in order; different chats are sent concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import logging
import math
import random
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from handlers.base import Channel, DeliveryError, PermanentError, RetryLater, TransientError, Unreachable
from storage.port import Store
from storage.records import OutboxRow
from surveys.model import OutMessage

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BACKOFF = 60.0
REREAD = 1.0  # seconds between looks for rows other processes wrote
Key = tuple[str, str]  # (platform, chat id): one queue per destination

# Sends per sliding second per platform. Telegram allows a bot 30 messages in any second
# (and about one per second per chat, which one-in-flight per chat plus its 429s keep).
# Slack has no bot-wide message rate, only about one per second per channel (with bursts),
# which a 429 for that channel enforces: a global limit there capped survey turns at 14/s
# in the benchmark, so Slack is not paced here. Interactive rows and campaign rows share
# the limit; interactive rows always take the next free slot first.
LIMITS: dict[str, int] = {"telegram": 30}
WINDOW = 1.0  # seconds over which a platform counts sends


class SendWindow:
    """At most ``limit`` sends in any ``window`` seconds *as the platform counts them*.

    The platform counts a send when the request arrives, which we never see: it is after we
    start the call and before its answer comes back. So a send occupies a slot from the
    moment it is started until ``window`` seconds after its answer, the latest time it can
    still be in the platform's window. Whatever the network or our event loop does in
    between (a slow request, a stall that delivers requests in a bunch, answers out of
    order), no window the platform can see holds more than ``limit``: this is exact where
    a token bucket has to run a few percent below the limit to absorb jitter, and it costs
    only the round trip (30 sends per 1 s + round trip, about 29.7/s on a 10 ms API).

    Sends are also spread out at ``limit / window`` on average (a schedule that lets a
    late wake-up catch up by one send, so timer lateness does not add up). The window alone
    would let a whole second's worth go at once and then idle, and repeat that every second:
    an interactive reply arriving in the idle part would wait most of a second. Spread out,
    the next free slot is never more than about one spacing away.

    It also remembers which chats were sent to within the window, to tell a 429 about one
    chat from one about the whole bot, and can be paused when the platform says so. The
    clock is monotonic seconds and passed in, so tests need no sleeping.
    """

    def __init__(self, limit: int, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.spacing = window / limit
        self._next_start = -math.inf  # when the next send is due on the even schedule
        self._inflight = 0
        self._answered: deque[tuple[float, Key]] = deque()  # (answer time, chat), oldest first
        self._paused_until = 0.0

    def delay(self) -> float:
        """Seconds until a send may start: 0 now, ``math.inf`` when every slot is held by a
        send still waiting for its answer (``release`` frees one a window later)."""
        now = self.clock()
        if now < self._paused_until:
            return self._paused_until - now
        self._expire(now)
        spaced = max(0.0, self._next_start - self.spacing - now)  # one send of slack
        excess = self._inflight + len(self._answered) - self.limit
        if excess < 0:
            return spaced
        if excess < len(self._answered):
            return max(spaced, self._answered[excess][0] + self.window - now)
        return math.inf

    def acquire(self) -> float:
        """Count a send starting now if a slot is free (returns 0), else return ``delay()``."""
        wait = self.delay()
        if wait == 0:
            self._inflight += 1
            self._next_start = max(self._next_start, self.clock()) + self.spacing
        return wait

    def release(self, key: Key) -> None:
        """The answer (or the error) for a send came back: its slot frees a window from now."""
        self._inflight -= 1
        self._answered.append((self.clock(), key))

    def pause(self, seconds: float) -> None:
        """The platform asked the whole bot to wait: no send starts before then."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def recently_sent(self, key: Key) -> bool:
        """Whether a send to this chat was answered within the window (so a 429 for it can
        be the per-chat limit)."""
        self._expire(self.clock())
        return any(chat == key for _, chat in self._answered)

    def _expire(self, now: float) -> None:
        # Same boundary as a sliding window: an entry exactly one window old no longer counts.
        while self._answered and self._answered[0][0] <= now - self.window:
            self._answered.popleft()


class Delivery:
    """Knows every pending row in memory, one queue per chat, so choosing what to send next
    costs no query: the table is read once at start, then only for rows newer than the last
    one seen (after each commit, and every second for rows another process wrote, such as
    ``feedbackbot send``). Writes (sent, retry, dead) still go to the table first."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], float] = time.time,
        concurrency: int = 64,
        per_platform: Mapping[str, int] | None = None,
        give_up_after: float = 24 * 3600,
        on_dead: Callable[[OutboxRow, str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        # Told of every row that can never be delivered, after it is marked so (alerts whose
        # staff chat is gone are rerouted: services.escalations.UndeliveredAlerts).
        self.on_dead = on_dead
        self.channels = dict(channels)
        self.clock = clock
        self.concurrency = concurrency
        self.give_up_after = give_up_after
        # Parallel sends per platform matter when the API answers slowly (50 ms of latency:
        # 16 in flight gave 157 survey turns/s, 48 gave 352). Telegram used to be held to 16
        # because httpx's pool slowed down past that; its aiohttp transport does not.
        self.per_platform = dict(per_platform or {"telegram": 64, "slack": 64, "console": 4})
        self.pacers = {platform: SendWindow(limit) for platform, limit in LIMITS.items()}
        self._wake = asyncio.Event()
        self._fresh = True  # rows may have been committed since the last look
        self._reread_at = 0.0  # monotonic time of the next look for other processes' rows
        self._inflight: dict[Key, asyncio.Task[None]] = {}
        self._queues: dict[Key, deque[OutboxRow]] = {}
        # Per platform, so a platform waiting for its pacer is skipped in one step, however
        # many of its chats are due (a single heap was walked whole on every wake-up).
        self._ready: dict[str, list[tuple[int, int, Key]]] = {}  # (bulk?, row id, chat): heads due now
        self._waiting: list[tuple[float, int, Key]] = []  # (due time, row id, chat): heads due later
        self._released = False  # claims of an earlier run given back (once, at the first load)
        # The platforms this instance sends for. None: all of them (the only instance there is).
        # With several instances, each platform is one shard with one sender, chosen by a lease
        # (``own`` when it is taken, ``disown`` the moment it is lost).
        self.owned: set[str] | None = None
        self._unreleased: set[str] = set()  # owned platforms whose earlier claims are not given back yet
        self._load_lock = asyncio.Lock()
        self._paced_until = 0.0
        # Bounded by count, not by customers: a message is edited or replied to within seconds
        # of the previous send or edit (the close of a question, a double tap, an alert update);
        # anything older is looked up in the table, or simply edited again.
        self._sent_refs: OrderedDict[str, tuple[str, str]] = OrderedDict()  # ref -> (chat, platform id)
        self._last_edits: OrderedDict[str, int] = OrderedDict()  # ref -> hash of what it shows now
        self._stopping = False

    def own(self, platform: str) -> None:
        """This instance became the sender of ``platform``: what a sender before it claimed
        and did not finish is queued again at the next load, then its rows are claimed."""
        if self.owned is None:
            self.owned = set()
        self.owned.add(platform)
        self._unreleased.add(platform)
        pacer = self.pacers.get(platform)
        if pacer is not None:
            # The previous sender's last sends may still be in the platform's window: start
            # one window later, so no second the platform counts ever holds more than its
            # limit across the handover (about a second added to a failover).
            pacer.pause(pacer.window)
        self.wake()

    def disown(self, platform: str) -> None:
        """Leadership of ``platform`` is lost: nothing more is started for it, at once. Sends
        already in flight finish and record their outcome (the store only records a send of a
        row still claimed); the rows still queued here are forgotten, and the new sender gives
        them back and sends them."""
        if self.owned is None:
            self.owned = set()
        self.owned.discard(platform)
        self._unreleased.discard(platform)
        for key in [key for key in self._queues if key[0] == platform]:
            if key not in self._inflight:
                del self._queues[key]
            else:  # its send finishes; nothing after it starts (the queue is cut to the head)
                queue = self._queues[key]
                while len(queue) > 1:
                    queue.pop()
        self._ready.pop(platform, None)
        self._waiting = [entry for entry in self._waiting if entry[2][0] != platform]
        heapq.heapify(self._waiting)

    def sends_for(self, platform: str) -> bool:
        return self.owned is None or platform in self.owned

    def concurrency_for(self, platform: str) -> int:
        """How many sends to ``platform`` may be in flight at once: what a channel sizes its
        connection pool by, so no send waits for a connection the loop allowed it."""
        return min(self.concurrency, self.per_platform.get(platform, self.concurrency))

    def wake(self) -> None:
        """Rows were committed: look at the table on the next turn."""
        self._fresh = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            # Start what is due before touching the store: a load waits for the store's lock,
            # which a campaign batch may hold, and a free send slot must not idle meanwhile.
            await self.tick()
            if self._fresh or time.monotonic() >= self._reread_at:
                self._fresh = False
                self._reread_at = time.monotonic() + REREAD
                try:
                    await self.load()
                except Exception as exc:
                    # A busy database (another process holding the write lock past the busy
                    # timeout) must not end the loop: the next reread tries again. Faults that
                    # retrying cannot fix stop the bot through Store.on_fault.
                    log.warning("could not read the outbox (%s); trying again shortly", exc)
                    if self.store.fault is not None:
                        return
                await self.tick()
            try:
                await asyncio.wait_for(self._wake.wait(), self._sleep_for())
            except TimeoutError:
                pass

    def _sleep_for(self) -> float:
        timeout = max(0.005, self._reread_at - time.monotonic())
        if self._waiting:
            timeout = min(timeout, max(0.02, self._waiting[0][0] - self.clock()))
        if self._paced_until:
            timeout = min(timeout, max(0.005, self._paced_until - time.monotonic()))
        return timeout

    async def load(self) -> int:
        """Claim the rows committed since the last look (one at a time: the loop and ``drain``
        may both ask). The first load of a run first gives back what an earlier run claimed
        and never finished."""
        async with self._load_lock:
            if self._stopping:
                return 0  # what is claimed now would stay claimed after stop() gave the rest back
            owned = None if self.owned is None else sorted(self.owned)
            if owned is None and not self._released:
                released = await self.store.release_claims()
                self._released = True
                if released:
                    log.info("%d messages claimed by an earlier run are queued again", released)
            for platform in sorted(self._unreleased):
                released = await self.store.release_claims(platforms=[platform])
                self._unreleased.discard(platform)
                self._released = True
                if released:
                    log.info("%d %s messages claimed by an earlier sender are queued again", released, platform)
            if owned == []:
                return 0  # another instance sends for every platform
            claimed = await self.store.claim_pending(platforms=owned)
            if self.owned is not None:  # lost meanwhile: the new sender gives these back
                claimed = [row for row in claimed if row.platform in self.owned]
            fresh = [row for row in claimed if not self._holds(row)]
            for row in fresh:
                self._add(row)
        return len(fresh)

    def _holds(self, row: OutboxRow) -> bool:
        queue = self._queues.get((row.platform, row.chat_id))
        return queue is not None and any(held.id == row.id for held in queue)

    def _add(self, row: OutboxRow) -> None:
        key = (row.platform, row.chat_id)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(row)
        if len(queue) == 1 and key not in self._inflight:
            self._schedule_head(key)

    def _schedule_head(self, key: Key) -> None:
        queue = self._queues.get(key)
        if not queue or not self.sends_for(key[0]):
            self._queues.pop(key, None)
            return
        head = queue[0]
        if head.next_attempt_at > self.clock():
            heapq.heappush(self._waiting, (head.next_attempt_at, head.id, key))
        else:
            self._push_ready(key, head)

    def _push_ready(self, key: Key, head: OutboxRow) -> None:
        heapq.heappush(self._ready.setdefault(key[0], []), (int(head.lane == "bulk"), head.id, key))

    async def tick(self) -> int:
        """Start sending what is due, interactive rows first, within the concurrency and
        pacing limits; returns how many sends started."""
        now = self.clock()
        while self._waiting and self._waiting[0][0] <= now:
            _, row_id, key = heapq.heappop(self._waiting)
            if self._is_head(key, row_id) and self._queues[key][0].next_attempt_at <= now:
                self._push_ready(key, self._queues[key][0])
        self._paced_until = 0.0
        started = 0
        for platform, ready in self._ready.items():
            started += self._start_due(platform, ready, now)
        return started

    def _start_due(self, platform: str, ready: list[tuple[int, int, Key]], now: float) -> int:
        """Start this platform's due heads in order until its concurrency or pacer says
        stop: the first head that must wait means every later one waits too."""
        if not self.sends_for(platform):  # the platform's sender is another instance now
            ready.clear()
            return 0
        limit = self.per_platform.get(platform, self.concurrency)
        running = sum(1 for p, _ in self._inflight if p == platform)
        pacer = self.pacers.get(platform)
        started = 0
        while ready and running < limit and len(self._inflight) < self.concurrency:
            _, row_id, key = ready[0]
            if not self._is_head(key, row_id) or key in self._inflight or self._queues[key][0].next_attempt_at > now:
                heapq.heappop(ready)  # stale: sent, in flight, or rescheduled (it waits in _waiting)
                continue
            wait = pacer.acquire() if pacer else 0.0
            if wait:
                if wait != math.inf:  # otherwise an answer coming back wakes the loop
                    until = time.monotonic() + wait
                    self._paced_until = min(self._paced_until or until, until)
                break
            heapq.heappop(ready)
            self._start(key, self._queues[key][0], pacer)
            running += 1
            started += 1
        return started

    def _start(self, key: Key, row: OutboxRow, pacer: SendWindow | None) -> None:
        task = asyncio.create_task(self._deliver(row, pacer))
        self._inflight[key] = task
        task.add_done_callback(functools.partial(self._done, key))

    def _is_head(self, key: Key, row_id: int) -> bool:
        queue = self._queues.get(key)
        return queue is not None and len(queue) > 0 and queue[0].id == row_id

    def _done(self, key: Key, task: asyncio.Task[None]) -> None:
        self._inflight.pop(key, None)
        failed = task.cancelled() or task.exception() is not None
        if failed and self._queues.get(key):
            # Recording the outcome failed (the database, most likely): try again shortly.
            log.error("delivery of a message to %s:%s failed to record; retrying", key[0], _mask(key[1]))
            head = self._queues[key][0]
            heapq.heappush(self._waiting, (self.clock() + 5, head.id, key))
        else:
            self._schedule_head(key)
        self._wake.set()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing due is left (the console and tests use this between turns,
        with the loop running)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.load()
            if not self._inflight and not self._due_now():
                return
            self._wake.set()
            await asyncio.sleep(0.005)
        raise TimeoutError("outbox did not drain")

    async def flush(self, grace: float) -> int:
        """At shutdown, with intake already stopped: send what is committed and due, for up to
        ``grace`` seconds; returns how many messages are still queued (they stay in the outbox
        and go out at the next start). Rows waiting for a retry time are not waited for."""
        with contextlib.suppress(TimeoutError):
            if grace > 0:
                await self.drain(timeout=grace)
        return sum(len(queue) for queue in self._queues.values())

    def _due_now(self) -> bool:
        now = self.clock()
        return any(self._ready.values()) or bool(self._waiting and self._waiting[0][0] <= now)

    async def stop(self, timeout: float = 5.0) -> None:
        """Let in-flight sends finish (so nothing is left half-recorded), then stop, giving
        back the rows this run claimed and did not send: at rest, what is still to send is
        ``pending`` (after a crash, the next start gives them back instead)."""
        self._stopping = True
        self._wake.set()
        tasks = list(self._inflight.values())
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        if self._released and self.owned != set():  # this run claimed rows
            try:
                await self.store.release_claims(platforms=None if self.owned is None else sorted(self.owned))
            except Exception as exc:  # a closed or damaged store: the next start gives them back
                log.warning("could not give back unsent messages at stop (%s); the next start will", exc)

    async def _message_id_for(self, ref_key: str) -> tuple[str, str] | None:
        found = self._sent_refs.get(ref_key)
        return found if found is not None else await self.store.message_id_for(ref_key)

    async def _deliver(self, row: OutboxRow, pacer: SendWindow | None = None) -> None:
        """Send one row and record the outcome, first in the table, then in memory. ``pacer``
        is the one that counted this send, to be told when its answer is back."""
        key = (row.platform, row.chat_id)
        queue = self._queues[key]
        channel = self.channels.get(row.platform)
        if channel is None:
            if pacer is not None:
                pacer.release(key)  # nothing was sent: the slot must not stay taken
            await self.store.mark_dead(row, f"channel {row.platform!r} is not enabled", unreachable=False)
            log.error("outbox row %s is for %s, which is not enabled; dropped", row.id, row.platform)
            queue.popleft()
            await self._dead(row, f"{row.platform} is not enabled")
            return
        message = row.message
        try:
            message_id = await self._call(channel, row, pacer)
        except RetryLater as exc:
            await self._reschedule(row, self.clock() + exc.retry_after, str(exc))
        except Unreachable as exc:
            log.info("recipient %s:%s unreachable: %s", row.platform, _mask(row.chat_id), exc)
            await self.store.mark_dead(row, str(exc), unreachable=True)
            queue.clear()  # the store dropped everything else queued for them too
            await self._dead(row, str(exc))
        except PermanentError as exc:
            # An edit whose message is unknown (never delivered, or its row past retention, e.g.
            # a tap on a months-old keyboard) is moot, not a fault an operator must look at.
            (log.info if isinstance(exc, _NothingToEdit) else log.warning)(
                "outbox row %s failed permanently: %s", row.id, exc
            )
            await self.store.mark_dead(row, str(exc), unreachable=False)
            queue.popleft()
            await self._dead(row, str(exc))
        except (TimeoutError, TransientError, DeliveryError, OSError) as exc:
            await self._retry(row, exc)
        except Exception as exc:  # an adapter bug must not kill the loop or lose the row
            log.exception("unexpected error sending outbox row %s", row.id)
            await self._retry(row, exc)
        else:
            await self.store.mark_sent(row.id, message_id, self.clock())
            queue.popleft()
            if message.ref_key and message_id is not None:
                _remember(self._sent_refs, message.ref_key, (row.chat_id, message_id))
            if message.attachment and message.attachment_temporary:
                _remove(message.attachment)

    async def _call(self, channel: Channel, row: OutboxRow, pacer: SendWindow | None) -> str | None:
        """The platform call, holding its pacing slot until the answer is back (the pacer
        counts the slot for a window after that)."""
        key = (row.platform, row.chat_id)
        try:
            return await self._send_or_edit(channel, row.message)
        except RetryLater as exc:
            if pacer is not None and _bot_wide(pacer, key):
                log.warning("%s rate limit for the whole bot: pausing sends for %.1fs", row.platform, exc.retry_after)
                pacer.pause(exc.retry_after)
            else:
                log.warning("%s rate limit on one chat: holding it for %.1fs", row.platform, exc.retry_after)
            raise
        finally:
            if pacer is not None:
                pacer.release(key)
                self._wake.set()

    async def _send_or_edit(self, channel: Channel, message: OutMessage) -> str | None:
        """Edits and replies name their target by ref_key; resolve it to the platform's id."""
        if message.edit_of is not None:
            target = await self._message_id_for(message.edit_of)
            if target is None:
                raise _NothingToEdit(f"the message to edit ({message.edit_of}) was never sent or is gone")
            shows = hash(message)  # a 64-bit hash, not the message: the cache stays a few hundred KB
            if self._last_edits.get(message.edit_of) == shows:
                # It already shows exactly this (a double tap repeats the first tap's edit):
                # the call would only spend the chat's rate budget.
                return target[1]
            await channel.edit(message, target[0], target[1])
            _remember(self._last_edits, message.edit_of, shows)
            return target[1]
        reply_to = None
        if message.reply_to is not None:
            found = await self._message_id_for(message.reply_to)
            reply_to = found[1] if found else None
        return await channel.send(message, reply_to)

    async def _dead(self, row: OutboxRow, error: str) -> None:
        if self.on_dead is None:
            return
        try:
            await self.on_dead(row, error)
        except Exception:  # the loop must go on; the row is already recorded as dead
            log.exception("handling undeliverable outbox row %s failed", row.id)
        self.wake()  # what it queued instead (an alert rerouted) goes out now

    async def _reschedule(self, row: OutboxRow, next_at: float, error: str) -> None:
        await self.store.reschedule(row.id, next_at, error)
        queue = self._queues[(row.platform, row.chat_id)]
        queue[0] = replace(row, attempts=row.attempts + 1, next_attempt_at=next_at)

    async def _retry(self, row: OutboxRow, exc: BaseException) -> None:
        now = self.clock()
        if now - row.created_at > self.give_up_after:
            await self.store.mark_dead(row, f"gave up after {row.attempts + 1} attempts: {exc}", unreachable=False)
            log.error("outbox row %s dropped after %d attempts", row.id, row.attempts + 1)
            self._queues[(row.platform, row.chat_id)].popleft()
            await self._dead(row, f"gave up after {row.attempts + 1} attempts")
            return
        delay = min(MAX_BACKOFF, 0.5 * 2 ** min(row.attempts, 10)) * random.uniform(0.8, 1.2)
        log.warning("sending outbox row %s failed (%s); retrying in %.1fs", row.id, type(exc).__name__, delay)
        await self._reschedule(row, now + delay, f"{type(exc).__name__}: {exc}")


REMEMBERED = 2048  # entries in each of the delivery loop's two caches (about 300 KB each at most)


def _remember(cache: OrderedDict[str, T], key: str, value: T) -> None:
    """Most recent last; the oldest goes once the cache is full."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > REMEMBERED:
        cache.popitem(last=False)


class _NothingToEdit(PermanentError):
    """An edit of a message the outbox has no platform id for."""


def _bot_wide(pacer: SendWindow, key: Key) -> bool:
    """Whether a 429 is about the bot's overall rate rather than this chat. Telegram's
    answer does not say which; a private chat we sent nothing to within the window cannot
    have hit its own per-chat limit, so it must be the overall one, and every send would
    be refused until retry_after. Group chats (negative ids) also have a per-minute limit
    the window does not see, so theirs stay per chat."""
    return not key[1].startswith("-") and not pacer.recently_sent(key)


def _remove(path: str) -> None:
    """Personal-data exports live on disk only until they are delivered."""
    file = Path(path)
    file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        file.parent.rmdir()


def _mask(chat_id: str) -> str:
    """Chat ids are personal data: logs show enough to correlate, not to identify."""
    return chat_id[:2] + "…" + chat_id[-2:] if len(chat_id) > 4 else "…"
