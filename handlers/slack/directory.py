"""The facts only Slack's Web API knows (a person's locale, time zone and name, who is staff,
the id of the app's DM with someone), cached, because every one of them would otherwise cost a
round trip per turn."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.base import RetryLater, TransientError
from handlers.slack.errors import error_code, translate_error
from surveys.model import Inbound

log = logging.getLogger(__name__)


DM_ATTEMPTS = 3


# ---------------------------------------------------------------------- small caches

K = TypeVar("K")
V = TypeVar("V")


class TtlLru(Generic[K, V]):
    """A bounded LRU whose entries also expire: a long-running bot sees many people once,
    and a person's name or locale may change, so neither growth nor staleness is forever."""

    def __init__(self, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self.clock = clock
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self.clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        self._data[key] = (self.clock() + (self.ttl if ttl is None else ttl), value)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


# ---------------------------------------------------------------------- Web API facts


@dataclass(frozen=True)
class Profile:
    display_name: str = ""
    handle: str = ""
    language: str | None = None
    timezone: str | None = None  # Slack's ``tz``, an IANA name; None when unknown or not one we know


def known_zone(name: object) -> str | None:
    """``name`` when it is an IANA time zone this machine knows, else None (never trust a
    platform's string to be loadable: quiet hours would fail on it)."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return name


class SlackDirectory:
    """Who someone is (name, locale), whether they are staff, and where their DM is.

    Everything is cached: users.info and conversations.open per person (LRU with a TTL),
    the staff channel's member list for a few minutes. A failed lookup degrades (no name,
    default language, not staff) rather than losing the turn, and the failure is cached
    briefly so a Slack hiccup does not turn into a storm of retries.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        staff_channel: str = "",
        staff_user_ids: Sequence[str] = (),
        profile_ttl: float = 3600.0,
        staff_ttl: float = 300.0,
        failure_ttl: float = 60.0,
        maxsize: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.staff_channel = staff_channel
        self.staff_user_ids = frozenset(staff_user_ids)
        self.staff_ttl = staff_ttl
        self.failure_ttl = failure_ttl
        self.clock = clock
        self._profiles: TtlLru[str, Profile] = TtlLru(maxsize, profile_ttl, clock)
        self._dms: TtlLru[str, str] = TtlLru(maxsize, 24 * 3600.0, clock)
        self._staff: frozenset[str] = frozenset()
        self._staff_expires = 0.0
        self._staff_lock = asyncio.Lock()

    async def profile(self, user_id: str) -> Profile:
        cached = self._profiles.get(user_id)
        if cached is not None:
            return cached
        try:
            resp = await self.client.users_info(user=user_id, include_locale=True)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("users.info failed (%s); continuing without name and locale", error_code(exc))
            self._profiles.put(user_id, Profile(), ttl=self.failure_ttl)
            return Profile()
        user = resp.get("user") or {}
        profile = user.get("profile") or {}
        found = Profile(
            display_name=str(user.get("real_name") or profile.get("real_name") or user.get("name") or ""),
            handle=str(user.get("name") or ""),
            language=str(user["locale"]) if user.get("locale") else None,
            timezone=known_zone(user.get("tz")),
        )
        self._profiles.put(user_id, found)
        return found

    async def dm_channel(self, user_id: str) -> str:
        """The app's DM with ``user_id`` (raises the SDK's error when Slack refuses it)."""
        cached = self._dms.get(user_id)
        if cached is not None:
            return cached
        for attempt in range(DM_ATTEMPTS):
            try:
                resp = await self.client.conversations_open(users=user_id)
                break
            except Exception as exc:
                # The command was already acknowledged, so without the DM it is lost: worth
                # waiting out a rate limit or a blip, but not an error that will not change.
                problem = translate_error(exc)
                if attempt + 1 == DM_ATTEMPTS or not isinstance(problem, RetryLater | TransientError):
                    raise
                delay = min(problem.retry_after, 30.0) if isinstance(problem, RetryLater) else 1.0 + attempt
                await asyncio.sleep(delay)
        channel = str((resp.get("channel") or {})["id"])
        self._dms.put(user_id, channel)
        return channel

    async def dm_channel_first_contact(self, user_id: str) -> str:
        """``dm_channel``, and on first contact the profile lookup in parallel with it: a
        newcomer's first turn needs both, and two Slack round-trips side by side instead of
        one after the other halve the wait before their first answer."""
        if self._dms.get(user_id) is not None or self._profiles.get(user_id) is not None:
            return await self.dm_channel(user_id)
        dm, _ = await asyncio.gather(self.dm_channel(user_id), self.profile(user_id))
        return dm

    def remember_dm(self, user_id: str, channel: str) -> None:
        """DM events tell us the channel for free; remembering it saves a conversations.open."""
        if channel.startswith("D") and self._dms.get(user_id) is None:
            self._dms.put(user_id, channel)

    async def is_staff(self, user_id: str) -> bool:
        if user_id in self.staff_user_ids:
            return True
        if not self.staff_channel:
            return False
        return user_id in await self._staff_members()

    async def _staff_members(self) -> frozenset[str]:
        if self.clock() < self._staff_expires:
            return self._staff
        async with self._staff_lock:
            if self.clock() < self._staff_expires:  # another task refreshed it while we waited
                return self._staff
            try:
                members: list[str] = []
                cursor = ""
                while True:
                    resp = await self.client.conversations_members(
                        channel=self.staff_channel, limit=1000, cursor=cursor or None
                    )
                    members.extend(str(m) for m in resp.get("members") or [])
                    cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
                    if not cursor:
                        break
            except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
                log.warning(
                    "could not list the staff channel's members (%s): is the app invited to it? "
                    "Only slack.staff_user_ids count as staff until it works",
                    error_code(exc),
                )
                self._staff_expires = self.clock() + self.failure_ttl
                return self._staff
            self._staff = frozenset(members)
            self._staff_expires = self.clock() + self.staff_ttl
            return self._staff

    async def enrich(self, inbound: Inbound) -> Inbound:
        """Add what the payload does not carry: name, handle, locale and the staff flag."""
        profile = await self.profile(inbound.user_id)
        staff = await self.is_staff(inbound.user_id)
        return replace(
            inbound,
            display_name=profile.display_name,
            handle=profile.handle,
            language=profile.language,
            timezone=profile.timezone,
            is_staff=staff,
        )
