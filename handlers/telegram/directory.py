"""Who is who on Telegram: staff membership (getChatMember, cached), groups that became
supergroups (``ChatMoves``), and chat ids as the Bot API wants them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from telegram import (
    Bot,
)
from telegram.constants import ChatMemberStatus
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    TelegramError,
)

log = logging.getLogger(__name__)



#: getChatMember statuses that make someone staff; ``restricted`` only while still a member.
STAFF_STATUSES = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER, ChatMemberStatus.RESTRICTED}
)


class ChatMoves:
    """Groups Telegram upgraded to supergroups. The upgrade gives the group a new id; the
    configuration, the outbox and every alert still name the old one. Learned from the
    ``migrate_to_chat_id`` service message or from the 400 Telegram answers for the old id:
    sends and edits then go to the new id, and what comes from the new chat is reported under
    the old id, so staff there are still the staff group. Logged once per group, with what to
    change in the configuration."""

    def __init__(self) -> None:
        self._new: dict[str, str] = {}
        self._old: dict[str, str] = {}

    def learn(self, old: str, new: str) -> None:
        if self._new.get(old) == new or old == new:
            return
        self._new[old] = new
        self._old[new] = old
        log.warning(
            "Telegram group %s was upgraded to a supergroup, whose id is %s: messages for it now go "
            "there. Replace %s with %s in the configuration (staff_chat_id or destinations).",
            old,
            new,
            old,
            new,
        )

    def current(self, chat_id: str) -> str:
        return self._new.get(chat_id, chat_id)

    def original(self, chat_id: str) -> str:
        return self._old.get(chat_id, chat_id)


class StaffDirectory:
    """Answers "is this user staff?": a configured user id, or a member of the staff group.

    Membership is looked up with getChatMember and cached for ``ttl`` seconds, because staff
    act in bursts (claim, reply, resolve) and each lookup would otherwise be a round trip to
    Telegram in the middle of handling an update."""

    def __init__(
        self,
        staff_chat_id: str = "",
        staff_user_ids: Iterable[str] = (),
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.staff_chat_id = staff_chat_id
        self.staff_user_ids = frozenset(str(u) for u in staff_user_ids)
        self.moves = ChatMoves()
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[int, tuple[bool, float]] = {}

    def is_staff_chat(self, chat_id: int) -> bool:
        return bool(self.staff_chat_id) and self.moves.original(str(chat_id)) == self.staff_chat_id

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        if str(user_id) in self.staff_user_ids:
            return True
        if not self.staff_chat_id:
            return False
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            try:
                member = await bot.get_chat_member(chat_ref(self.moves.current(self.staff_chat_id)), user_id)
            except ChatMigrated as moved:
                self.moves.learn(self.staff_chat_id, str(moved.new_chat_id))
                member = await bot.get_chat_member(moved.new_chat_id, user_id)
        except (Forbidden, BadRequest) as exc:
            # The bot is not in the staff group, or the user never was: a definite "no".
            log.warning("cannot check staff membership (%s): %s", type(exc).__name__, exc.message)
            found = False
        except TelegramError as exc:
            # A network hiccup is no answer: keep a stale verdict rather than demote staff.
            log.warning("staff membership lookup failed (%s)", type(exc).__name__)
            return cached[0] if cached is not None else False
        else:
            found = member.status in STAFF_STATUSES and (
                member.status != ChatMemberStatus.RESTRICTED or bool(getattr(member, "is_member", True))
            )
        if len(self._cache) > 10_000:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[user_id] = (found, now + self.ttl)
        return found


def chat_ref(chat_id: str) -> int | str:
    """Numeric ids as ints, ``@channelname`` as is."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id
