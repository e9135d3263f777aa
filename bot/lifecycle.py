"""What runs on the bot's one event loop beside the services: the platforms, the HTTP server and
the scheduler are each a :class:`Component` that ``run`` starts and stops, and a platform it cannot
reach yet says so with :class:`PlatformUnavailable`.

It imports nothing of ours, so the components and the bootstrap that runs them both depend on it
and not on each other."""

from __future__ import annotations

from typing import Protocol


class PlatformUnavailable(Exception):
    """A platform could not be reached at start (network down, DNS, a timeout): ``run``
    says so in one line and tries again with backoff instead of exiting."""


class Component(Protocol):
    """Something with a lifecycle that shares the loop: a platform, the HTTP server, the scheduler.
    One that receives events may also have ``async stop_intake()``: stop receiving and finish
    the events already taken, keeping its connections open for the replies (see ``shut_down``)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
