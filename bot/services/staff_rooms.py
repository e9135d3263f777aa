"""What the bot says in a group it was added to, while the operator sets it up.

Finding a Telegram group's id used to need a helper bot or the getUpdates page, and with
privacy mode on (the default) a plain group message never reaches a bot, so the usual
recipe found nothing. The bot itself sees the ``my_chat_member`` update when it is added,
and commands addressed to it (``/start@yourbot``): it answers with the exact id to copy
(a basic group's has no -100 prefix, a supergroup's has)."""

from __future__ import annotations

from surveys.model import Destination, Inbound, OutMessage

STAFF_COMMANDS_HINT = "/claim N, /reply N, /resolve N [note], /digest"


def setup_note(inbound: Inbound) -> OutMessage:
    here = Destination(inbound.platform, inbound.chat_id)
    if inbound.room_setup == "ready":
        body = (
            "Hello! Feedback alerts will be posted here, and everyone in this group counts as "
            f"support staff. Staff commands: {STAFF_COMMANDS_HINT}."
        )
    else:
        chat_id = inbound.chat_id
        body = (
            f"Hello! This group's chat id is {chat_id}. To get feedback alerts here, set "
            f"staff_chat_id = {chat_id} under [{inbound.platform}] in config.toml and restart feedbackbot."
        )
    return OutMessage(here, body, audience="staff")
