"""Logging that is safe to ship: one line per record, and secrets scrubbed.

Tokens can leak through third-party libraries (an HTTP client logging a URL that contains
the Telegram token, for example), so the filter replaces every configured secret value
wherever it appears, on every handler, whatever the logger."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable

from bot.config import SECRET_VARS
from storage.backends import DATABASE_URL_VAR, password

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (Loki, CloudWatch, journald)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        # A traceback is formatted after the filters ran, and its message may carry a secret
        # (PTB's InvalidToken quotes the token): format it here, then scrub it. Formatters
        # use ``exc_text`` when it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "[REDACTED]")
        if record.stack_info:
            for secret in self.secrets:
                record.stack_info = record.stack_info.replace(secret, "[REDACTED]")
        return True


_PLAIN = logging.Formatter()


class BotLogHandler(logging.StreamHandler):
    """The handler :func:`setup` installs (and replaces when called again)."""


def setup(level: str = "INFO", stream: object = None, extra_secrets: Iterable[str] = (), fmt: str = "text") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, BotLogHandler):
            root.removeHandler(handler)
    handler = BotLogHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    secrets = [*(os.environ.get(v, "") for v in SECRET_VARS), *extra_secrets]
    secrets.append(password(os.environ.get(DATABASE_URL_VAR, "")))  # also when quoted without the URL
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    # The HTTP clients log every request URL at INFO, and Telegram's URLs contain the token.
    # aiosqlite logs every statement with its parameters at DEBUG: personal data.
    quiet = (
        "httpx",
        "httpcore",
        "aiohttp.access",
        "apscheduler.executors.default",
        "slack_bolt",
        "slack_sdk",
        "aiosqlite",
    )
    for noisy in quiet:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
