"""Slack out: :class:`SlackChannel`, the ``handlers.base.Channel`` over the Web API (message
ids are Slack ``ts``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from handlers.base import PermanentError, TransientError
from handlers.slack import PLATFORM
from handlers.slack.errors import error_code, translate_error
from handlers.slack.render import escape, fallback_text, render
from surveys.model import OutMessage

log = logging.getLogger(__name__)


class SlackChannel:
    """Implements ``handlers.base.Channel`` over the Web API; message ids are Slack ``ts``."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, dm_channel: Callable[[str], Awaitable[str]] | None = None) -> None:
        self.client = client
        self.dm_channel = dm_channel

    async def _channel(self, chat_id: str) -> str:
        """Invitations address people by user id (U…); chat.update needs the DM's channel
        id, so both sending and editing resolve it (cached by the directory)."""
        if self.dm_channel is not None and chat_id[:1] in ("U", "W"):
            try:
                return await self.dm_channel(chat_id)
            except Exception as exc:
                raise _translated(exc) from exc
        return chat_id

    def _check_open(self) -> None:
        # At shutdown the delivery loop may still hold a row after Slack stopped: leave the
        # row pending for the next start instead of logging a "session is closed" traceback.
        session = self.client.session
        if session is not None and session.closed:
            raise TransientError("the Slack client is closed (shutting down)")

    async def send(self, message: OutMessage, reply_to: str | None) -> str | None:
        self._check_open()
        thread_ts = reply_to or message.to.thread_ref
        try:
            if message.attachment:
                return await self._upload(message, thread_ts)
            text, blocks = render(message)
            resp = await self.client.chat_postMessage(
                channel=await self._channel(message.to.chat_id),
                text=text,
                blocks=blocks or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            raise _translated(exc) from exc
        return str(resp["ts"])

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        self._check_open()
        text, blocks = render(message)
        try:
            channel = await self._channel(chat_id)
            await self.client.chat_update(channel=channel, ts=message_id, text=text, blocks=blocks)
        except Exception as exc:
            raise _translated(exc) from exc

    async def _upload(self, message: OutMessage, thread_ts: str | None) -> str | None:
        path = _attachment_path(message)
        resp = await self.client.files_upload_v2(
            channel=message.to.chat_id,
            file=path,
            filename=os.path.basename(path),
            initial_comment=fallback_text(message) or None,
            thread_ts=thread_ts,
        )
        # The share's ts (when Slack reports it) is what a later reply would thread under.
        file_info = resp.get("file") or {}
        shares = file_info.get("shares") or {}
        for scope in ("public", "private"):
            for ts_list in (shares.get(scope) or {}).values():
                if ts_list and ts_list[0].get("ts"):
                    return str(ts_list[0]["ts"])
        return None

    async def post_ephemeral(self, chat_id: str, user_id: str, text: str) -> None:
        """A note only the presser sees: Slack's counterpart of a Telegram callback toast.
        It is transient feedback, so it bypasses the outbox and a failure is only logged."""
        try:
            await self.client.chat_postEphemeral(channel=chat_id, user=user_id, text=escape(text))
        except Exception as exc:
            log.info("could not post an ephemeral note (%s)", error_code(exc))


def _attachment_path(message: OutMessage) -> str:
    """A missing file is a permanent failure; the SDK would report it as a generic error."""
    path = message.attachment or ""
    if not os.path.isfile(path):
        raise PermanentError(f"attachment {os.path.basename(path)!r} does not exist")
    return path


def _translated(exc: BaseException) -> BaseException:
    translated = translate_error(exc)
    return translated if translated is not None else exc
