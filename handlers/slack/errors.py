"""slack_sdk's errors (and the network's) as the four :mod:`handlers.base` errors the delivery
loop understands."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError

from handlers.base import DeliveryError, PermanentError, RetryLater, TransientError, Unreachable

UNREACHABLE_ERRORS = frozenset(
    {"user_disabled", "account_inactive", "cannot_dm_bot", "user_not_found", "user_not_visible", "is_archived"}
)
TRANSIENT_ERRORS = frozenset(
    {
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
        # A revoked or rotated token is an operator problem that a restart with the right token
        # fixes; until then rows wait (with backoff) instead of being dropped.
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
    }
)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        try:
            return str(exc.response.get("error") or exc.response.status_code)
        except Exception:
            return "slack_api_error"
    return type(exc).__name__


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def translate_error(exc: BaseException) -> DeliveryError | None:
    """The SDK's exceptions as the delivery loop's vocabulary (None: not a Slack/network
    error, let it propagate as the bug it is)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        code = error_code(exc)
        if status == 429 or code == "ratelimited":
            return RetryLater(_retry_after(exc), f"slack rate limit ({code})")
        if code in UNREACHABLE_ERRORS:
            return Unreachable(code)
        if status >= 500 or code in TRANSIENT_ERRORS:
            return TransientError(f"slack {status} {code}")
        return PermanentError(code)
    if isinstance(exc, SlackRequestError):
        # The upload step of files_upload_v2 reports an HTTP failure this way.
        text = str(exc)
        if text.startswith("Failed to upload"):
            return TransientError(text.split("(", 1)[0].strip())
        return PermanentError(text[:200])
    if isinstance(exc, aiohttp.ClientError | TimeoutError | ConnectionError):
        return TransientError(type(exc).__name__)
    if isinstance(exc, SlackClientError):
        return TransientError(type(exc).__name__)
    return None
