"""PostgreSQL connection URLs: checked before anything connects, and never shown whole.

A URL may carry a password (``postgresql://bot:s3cret@db/feedback``). Every message that
names the database goes through :func:`redact`, so the password reaches no log line, no error
and no ``check-config`` output.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")
ENV_VAR = "FEEDBACKBOT_DATABASE_URL"


def problem(url: str) -> str | None:
    """Why ``url`` is not a PostgreSQL URL asyncpg can use, or None when it is one."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in SCHEMES:
        return "expected a URL like postgresql://user@host:5432/database"
    if not parts.hostname and "host=" not in parts.query:
        return "names no host (postgresql://user@host:5432/database)"
    if not parts.path.strip("/"):
        return "names no database (postgresql://user@host:5432/database)"
    return None


def password(url: str) -> str:
    """The password in ``url`` ("" when there is none): a secret for the log filter."""
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (safe for logs and error messages)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        return urlunsplit(_without_password(parts))
    except ValueError:
        return "(an unparsable database URL)"


def _without_password(parts: SplitResult) -> SplitResult:
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = f"{user}:***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc)
