"""A python-telegram-bot persistence that keeps nothing, so the Application's per-user and
per-chat bookkeeping stays bounded.

Why it exists: after every update it handles, ``Application`` notes the update's chat id and
user id in two sets of ids "to be updated in persistence" (python-telegram-bot 22,
``telegram/ext/_application.py``). Only a run of ``update_persistence`` empties them, and that
returns at once when no persistence is configured, so without one both sets gain an entry per
distinct user and chat for as long as the process runs. feedbackbot keeps everything in its own
database and uses neither ``chat_data`` nor ``user_data``.

With this persistence configured (chat and user data "stored", bot and callback data not), the
Application runs ``update_persistence`` every ``update_interval`` seconds, which hands over and
empties both sets. Handing an entry over is the moment to drop it again: PTB materialises an
empty ``chat_data``/``user_data`` dict for every chat and user it hands over, and
``Application.drop_chat_data``/``drop_user_data`` (public API) remove those; the ids they mark
"to be deleted" are emptied by the next run, which calls the no-op ``drop_*`` here. So the
Application holds only the ids of the last interval or two: bounded by traffic, never by the
number of customers. Everything used is public API (``BasePersistence``, ``PersistenceInput``,
``Application.drop_chat_data``/``drop_user_data``).

Upstream: the growth is python-telegram-bot's (``_mark_for_persistence_update`` records ids
even when ``Application.persistence`` is None); this class is the workaround until it skips
that bookkeeping without a persistence.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, BasePersistence, PersistenceInput

INTERVAL = 60.0  # seconds between the Application's hand-overs (its own default)


class ForgetfulPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Stores nothing; drops every user and chat entry the Application hands over."""

    def __init__(self, update_interval: float = INTERVAL) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.handed_over = 0  # user and chat entries received and dropped so far

    def forget_through(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """The Application whose entries are dropped as they are handed over."""
        self.application = application

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> dict[Any, Any]:
        return {}

    async def update_conversation(self, name: str, key: Any, new_state: object | None) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        self.handed_over += 1
        if self.application is not None:
            self.application.drop_user_data(user_id)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        self.handed_over += 1
        if self.application is not None:
            self.application.drop_chat_data(chat_id)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
