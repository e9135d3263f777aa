"""Slack payloads in: Events API messages, button presses, slash commands and Home tab actions
become platform-neutral :class:`Inbound` turns.

The conversions are pure functions of the payload, so they can be tested with a dict; what
only the Web API knows lives in :mod:`handlers.slack.directory`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.console import split_command
from handlers.slack import PLATFORM
from handlers.slack.commands import HOME_ACTIONS, STAFF_SUBCOMMANDS, parse_feedback_command
from surveys.model import Inbound

# Message subtypes that still carry a person's own words; every other subtype is an edit,
# a deletion, a join, a bot post or some other system message that must not become a turn.
TEXT_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def _map(value: Any) -> Mapping[str, Any]:
    """Payload fields are trusted for nothing, not even their type: a malformed or forged
    payload becomes "not ours", never an exception."""
    return value if isinstance(value, Mapping) else {}


def _scalar(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None


def _first(value: Any) -> Mapping[str, Any]:
    return _map(value[0]) if isinstance(value, list) and value else {}


def _base_inbound(event_id: str, user_id: str, chat_id: str, **kw: Any) -> Inbound:
    return Inbound(event_id=event_id, platform=PLATFORM, user_id=user_id, chat_id=chat_id, **kw)


def inbound_from_message(body: Mapping[str, Any], *, bot_user_id: str | None, staff_channel: str) -> Inbound | None:
    """An Events API ``message`` envelope as a turn, or None when it is not one of ours.

    The id is the envelope's ``event_id``: Slack keeps it across retries (``X-Slack-Retry-Num``)
    and replays, and the service claims each id exactly once, so a redelivery changes nothing.
    DMs with the app are customer turns; in the staff channel only thread replies count (a
    staff member answering under an alert); everything else in channels is chatter.
    """
    event = _map(body.get("event"))
    if event.get("type") != "message":
        return None
    subtype = event.get("subtype")
    if subtype is not None and (not isinstance(subtype, str) or subtype not in TEXT_SUBTYPES):
        return None
    user = _scalar(event.get("user"))
    if not user or event.get("bot_id") or event.get("bot_profile") or user == bot_user_id:
        return None
    channel = _scalar(event.get("channel")) or ""
    envelope_id = _scalar(body.get("event_id"))
    if not channel or not envelope_id:
        return None
    raw_text = event.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    ts = _scalar(event.get("ts")) or ""
    thread_ts = _scalar(event.get("thread_ts"))
    reply_to = str(thread_ts) if thread_ts and thread_ts != ts else None
    event_id = f"slack:{envelope_id}"
    if event.get("channel_type") == "im":
        if subtype == "file_share" and not text.strip():
            return None
        command = split_command(text)
        if command is not None:
            # Slack only delivers "/..." text typed with a leading space; treat it as the
            # command the person meant, like every other channel does.
            return _base_inbound(
                event_id, str(user), channel, command=command[0], args=command[1], message_id=ts or None
            )
        return _base_inbound(
            event_id, str(user), channel, text=text, message_id=ts or None, reply_to_message_id=reply_to
        )
    if staff_channel and channel == staff_channel and reply_to is not None:
        return _base_inbound(
            event_id,
            str(user),
            channel,
            text=text,
            message_id=ts or None,
            reply_to_message_id=reply_to,
            is_private=False,
        )
    return None


def inbound_from_action(body: Mapping[str, Any]) -> Inbound | None:
    """A button press on one of our messages as a turn (the value is the engine's own
    button data, so a forged or stale value is judged by the engine, not here)."""
    container = _map(body.get("container"))
    action = _first(body.get("actions"))
    user = _scalar(_map(body.get("user")).get("id"))
    if not action or not user or container.get("type") != "message":
        return None
    channel = _scalar(container.get("channel_id")) or _scalar(_map(body.get("channel")).get("id"))
    message_ts = _scalar(container.get("message_ts"))
    value = _scalar(action.get("value"))
    if not channel or not message_ts or value is None:
        return None
    action_ts = _scalar(action.get("action_ts")) or _scalar(body.get("trigger_id")) or ""
    return _base_inbound(
        f"slack:action:{channel}:{message_ts}:{action_ts}:{user}",
        str(user),
        str(channel),
        button=str(value),
        message_id=str(message_ts),
        is_private=str(channel).startswith("D"),
    )


def inbound_from_command(command: Mapping[str, Any], dm_channel: str, staff_channel: str = "") -> Inbound:
    """A slash command as a turn in the person's DM with the app, wherever it was typed:
    surveys are private, and the answer buttons must land where only they can press them.
    The one exception is ``/feedback digest`` typed in the staff channel: staff asked for
    the numbers there, so they are posted there (the service checks the person is staff)."""
    name, args = parse_feedback_command(str(command.get("text") or ""))
    channel = _scalar(command.get("channel_id")) or ""
    in_staff_channel = name in STAFF_SUBCOMMANDS and bool(staff_channel) and channel == staff_channel
    return _base_inbound(
        f"slack:cmd:{command.get('trigger_id')}",
        str(command.get("user_id")),
        channel if in_staff_channel else dm_channel,
        command=name,
        args=args,
        is_private=not in_staff_channel,
        answers_privately=True,  # through the command's response_url, seen by this person alone
    )


def inbound_from_home_action(body: Mapping[str, Any], dm_channel: str) -> Inbound | None:
    """A Home tab button as the command it stands for, answered in the DM."""
    action = _first(body.get("actions"))
    user = _scalar(_map(body.get("user")).get("id"))
    if not action or not user:
        return None
    found = HOME_ACTIONS.get(str(action.get("action_id")))
    if found is None:
        return None
    stamp = _scalar(action.get("action_ts")) or _scalar(body.get("trigger_id")) or ""
    return _base_inbound(f"slack:action:home:{user}:{stamp}", str(user), dm_channel, command=found[0], args=found[1])
