"""One FIFO lock per key (a conversation, a Slack person), forgotten when nobody holds or awaits
it, so a bot that meets a million people does not keep a million locks.

The service orders the events of one conversation with it, and the Slack component the tasks of one
person; both need the same thing, so there is one implementation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class KeyedLocks(Generic[K]):
    def __init__(self) -> None:
        # key -> (its lock, how many hold it or wait for it)
        self._locks: dict[K, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        """Hold ``key``'s lock: callers with the same key run one at a time, in arrival order."""
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """Keys held or awaited right now (what the table holds)."""
        return len(self._locks)
