"""Roles only one instance may play at a time, and who plays them.

Several identical ``feedbackbot run`` instances can share one PostgreSQL database. Most work
runs on all of them (webhooks, Slack events, the send API); three kinds of work must not:

* ``telegram-poller``: Telegram gives ``getUpdates`` to one consumer per token (others get
  409 Conflict). A new poller first replays the inbox, so updates the old one fetched and never
  handled are handled now (the event-id claim drops those it did handle).
* ``sender:<platform>``: one sender per shard runs the delivery loop for that platform, so
  per-chat order and Telegram's 30 messages per second hold bot-wide, not per instance.
* ``scheduler``: APScheduler 3 has no coordination between schedulers; one leader runs it,
  and its catch-up jobs run on takeover (digests and campaigns missed meanwhile). Scheduled
  work claims its rows in the database anyway, so a second leader for a moment does no harm.

Each role is a lease from the storage port (:mod:`storage.leases`). :class:`Leadership` tries
to take every role it does not hold twice a second; it starts a role's work when it gets the
lease and stops it the moment the lease is lost (the connection holding it failed), before
anything else. On SQLite every lease is granted at once, so a single instance runs exactly as
it always did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from storage.leases import Lease, Leases

log = logging.getLogger(__name__)

RETRY = 0.5  # seconds between attempts to take the roles this instance does not hold


class NotReady(Exception):
    """Raised by a role's ``take`` when what it needs is not up yet (Telegram still
    unreachable at start): the lease is given back quietly and asked for again later."""


@dataclass(frozen=True)
class Role:
    """A named piece of work and how to start and stop it. ``intake``: it brings new work in
    (polling, the scheduler), so a shutdown stops it first, before the outbox is drained."""

    name: str
    take: Callable[[], Awaitable[None]]
    drop: Callable[[], Awaitable[None]]
    intake: bool = False


class Leadership:
    """A component of ``feedbackbot run`` (``start``, ``stop_intake``, ``stop``)."""

    background = True  # not a chat platform: ``run`` still opens the terminal when alone

    def __init__(self, leases: Leases, roles: list[Role], *, retry: float = RETRY) -> None:
        self.leases = leases
        self.roles = {role.name: role for role in roles}
        self.retry = retry
        self._held: dict[str, Lease] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._closing: set[str] = set()  # roles no longer taken (intake stopped at shutdown)
        self._round_lock = asyncio.Lock()

    def leading(self) -> list[str]:
        """The roles this instance holds now (``/healthz`` reports them)."""
        return sorted(name for name, lease in self._held.items() if not lease.lost.is_set())

    async def start(self) -> None:
        await self.take_free_roles()
        self._loop = asyncio.create_task(self._keep_trying(), name="leadership")

    async def take_free_roles(self) -> list[str]:
        """Try once for every role not held; returns those taken now."""
        taken = []
        async with self._round_lock:
            for name, role in self.roles.items():
                if name in self._held or name in self._closing:
                    continue
                lease = await self.leases.try_acquire(name)
                if lease is None:
                    continue
                try:
                    await role.take()
                except NotReady as exc:
                    log.debug("the %s role is not ready to start (%s)", name, exc)
                    await lease.release()
                    continue
                except Exception:
                    # Not ready yet (the platform still starting, say): let another instance
                    # have it, and try again in the next round.
                    log.exception("could not start the %s role; giving it up for now", name)
                    await lease.release()
                    continue
                self._held[name] = lease
                self._watchers[name] = asyncio.create_task(self._watch(role, lease), name=f"lease {name}")
                log.info("this instance now holds the %s role", name)
                taken.append(name)
        return taken

    async def _keep_trying(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            try:
                await self.take_free_roles()
            except Exception:  # the loop must survive anything; the next round tries again
                log.exception("taking roles failed")

    async def _watch(self, role: Role, lease: Lease) -> None:
        await lease.lost.wait()
        if self._held.get(role.name) is not lease:
            return  # released on purpose
        del self._held[role.name]
        self._watchers.pop(role.name, None)
        log.warning("this instance lost the %s role; stopping it", role.name)
        await self._drop(role)

    async def _drop(self, role: Role) -> None:
        try:
            await role.drop()
        except Exception:
            log.exception("error while stopping the %s role", role.name)

    async def _give_up(self, names: list[str]) -> None:
        for name in names:
            self._closing.add(name)
        async with self._round_lock:
            for name in names:
                lease = self._held.pop(name, None)
                watcher = self._watchers.pop(name, None)
                if watcher is not None:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
                if lease is None:
                    continue
                await self._drop(self.roles[name])
                try:
                    await lease.release()
                except Exception:
                    log.exception("could not release the %s role", name)

    async def stop_intake(self) -> None:
        """Shutdown, step one: stop the roles that bring work in (polling, the scheduler) and
        let other instances take them; the senders keep going while the outbox drains."""
        await self._give_up([name for name, role in self.roles.items() if role.intake])

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        await self._give_up(list(self.roles))
        await self.leases.close()
