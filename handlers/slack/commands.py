"""Slack's command vocabulary: the action ids the listeners route on, ``/feedback``'s sub-commands
(Slack reserves a leading "/" for registered slash commands, so one command carries them all),
and the toasts Slack does not need."""

from __future__ import annotations

import re

from surveys.locales import MESSAGES

# Every survey/alert button carries this action_id prefix plus its index in the message:
# Slack rejects a message whose action_ids repeat, and one regex listener then routes all.
BUTTON_ACTION_PREFIX = "fb_"
BUTTON_ACTION_PATTERN = r"^fb_\d+$"
HOME_ACTIONS = {"home_feedback": ("feedback", ""), "home_stop": ("stop", ""), "home_start": ("start", "")}
HOME_ACTION_PATTERN = r"^home_(feedback|stop|start)$"

# `/feedback <word>`: these words are sub-commands, anything else is a survey id. Slack
# reserves every message starting with "/" for slash commands, so /stop, /skip... typed in
# the DM never reach us; one registered command with sub-commands replaces them.
# Sub-commands that act in the staff channel when typed there (the service checks the person is staff).
STAFF_SUBCOMMANDS = frozenset({"digest", "resolve", "cause", "action", "actions", "done"})
FEEDBACK_SUBCOMMANDS = frozenset({"stop", "start", "help", "cancel", "skip", "mydata", "forget"}) | STAFF_SUBCOMMANDS


# "Got it!" and "You already answered this question." in every language. On Slack the
# pressed message itself is edited to show the answer, so these would only add a lingering
# "only visible to you" line (and a Web API call) per press; refusals (stale, finished,
# someone else's) are still posted.
ACKNOWLEDGEMENT_TOASTS = frozenset(
    m[key] for m in MESSAGES.values() for key in ("toast_recorded", "toast_already_answered") if key in m
)


def is_acknowledgement(toast: str) -> bool:
    return toast in ACKNOWLEDGEMENT_TOASTS


def parse_feedback_command(text: str) -> tuple[str, str]:
    """``/feedback`` -> ("feedback", ""); ``/feedback csat`` -> ("feedback", "csat");
    ``/feedback stop`` -> ("stop", "")."""
    words = text.split()
    if not words:
        return "feedback", ""
    head = words[0].lower()
    if head in FEEDBACK_SUBCOMMANDS:
        return head, " ".join(words[1:])
    return "feedback", " ".join(words)


# Slack reserves a leading "/" for registered slash commands and only /feedback is ours:
# the catalogs' "/skip" becomes "/feedback skip" here (the adapter maps it back).
_COMMAND_WORDS = re.compile(r"(?<![\w/])/(skip|cancel|stop|start|help|mydata|forget|done|actions|action|cause)\b")


def slack_commands(text: str) -> str:
    return _COMMAND_WORDS.sub(r"/feedback \1", text)
