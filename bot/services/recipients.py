"""Who a survey can be sent to: the one validation every recipient source goes through
(the send API, ``feedbackbot send --to`` and ``--to-file``, campaign audiences).

"Sent" must mean it can reach a person, so a recipient no platform of this bot could deliver
to is refused up front, naming the field. Identities are canonical: a person has exactly one
spelling of their id, so opt-out and fatigue, which are keyed by it, cannot be bypassed by
another spelling ("04242", or the same digits in another script, for Telegram user 4242).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

PLATFORMS = ("telegram", "slack", "console")

# Telegram user ids are positive integers (a private chat's id is the user's id); at most
# 52 bits, so 16 digits. ASCII digits only, no sign, no leading zero: one spelling per person.
_TELEGRAM = re.compile(r"[1-9][0-9]{0,15}", re.ASCII)
# Slack user ids: U… (or W… on Enterprise Grid), upper-case letters and digits.
_SLACK = re.compile(r"[UW][A-Z0-9]{1,20}", re.ASCII)
_CONSOLE = re.compile(r"[A-Za-z0-9_.@-]{1,64}", re.ASCII)


class RecipientError(ValueError):
    """A recipient that cannot be invited; ``field`` is ``recipient.platform`` or ``recipient.id``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class RecipientFileError(ValueError):
    """A recipient list with bad lines; ``errors`` are ``(line number, message)``, every one."""

    def __init__(self, path: str, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{path}: {len(errors)} bad line(s); nobody was invited")
        self.path = path
        self.errors = errors


def canonical(platform: object, user: object, served: Collection[str]) -> tuple[str, str]:
    """The recipient as stored (platform, user id), or RecipientError naming the field.
    ``served``: the platforms this bot delivers to (bot.config.served_platforms)."""
    if not isinstance(platform, str) or platform not in PLATFORMS:
        raise RecipientError(
            "recipient.platform", f"{platform!r} is not a platform (expected one of {', '.join(sorted(served))})"
        )
    if platform not in served:
        if platform == "console":
            problem = "console is the terminal, which receives surveys only when no chat platform is enabled"
        else:
            problem = f"{platform} is not enabled in this bot's configuration, so nothing could deliver it"
        raise RecipientError("recipient.platform", problem)
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if platform == "telegram":
        if not isinstance(user, str) or not _TELEGRAM.fullmatch(user):
            raise RecipientError(
                "recipient.id",
                "a Telegram recipient is the person's user id: a positive whole number in ASCII digits, "
                f"without sign or leading zeros, such as 123456789 (got {user!r})",
            )
    elif platform == "slack":
        if not isinstance(user, str) or not _SLACK.fullmatch(user):
            hint = (
                " (a DM channel id: give the person's user id, which their answers are matched to)"
                if isinstance(user, str) and user.startswith("D")
                else ""
            )
            raise RecipientError(
                "recipient.id", f"a Slack recipient is a user id such as U0123ABCD (got {user!r}){hint}"
            )
    elif not isinstance(user, str) or not _CONSOLE.fullmatch(user):
        raise RecipientError("recipient.id", f"a terminal user is letters, digits, _ . @ or - (got {user!r})")
    return platform, str(user)


def parse_spec(spec: str, served: Collection[str]) -> tuple[str, str]:
    """``platform:id`` (a ``--to`` value or a line of a list), checked by :func:`canonical`."""
    platform, sep, user = spec.partition(":")
    if not sep:
        raise RecipientError("recipient", f"expected 'platform:id' such as telegram:123456789, got {spec!r}")
    return canonical(platform.strip(), user.strip(), served)


def read_list(path: str | Path, served: Collection[str]) -> list[tuple[str, str]]:
    """A recipient list: ``platform:id`` per line; blank lines are skipped and ``#`` starts a
    comment (a whole line, or after the id). Every line is checked; any bad line raises
    RecipientFileError with all of them, so nothing is half sent. Duplicates count once."""
    text = Path(path).read_text(encoding="utf-8")
    recipients: dict[tuple[str, str], None] = {}
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            recipients[parse_spec(line, served)] = None
        except RecipientError as exc:
            errors.append((number, str(exc)))
    if errors:
        raise RecipientFileError(str(path), errors)
    return list(recipients)
