"""The HTTP API other systems use to send surveys (a helpdesk after a ticket is solved).

Every error is JSON naming what was wrong, so an integrator can fix their request from
the response alone. The bearer token is compared in constant time."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.services.invitations import IdempotencyConflict, InviteError, Inviter, InviteRequest
from bot.services.recipients import RecipientError

log = logging.getLogger(__name__)

MAX_CONTEXT_KEYS = 20
MAX_CONTEXT_VALUE = 200


def error(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message, **extra}}
    if field:
        body["error"]["field"] = field
    return web.json_response(body, status=status)


class SendApi:
    def __init__(self, inviter: Inviter, token: str) -> None:
        self.inviter = inviter
        self.token = token.encode()

    def install(self, app: web.Application) -> None:
        app.router.add_post("/v1/surveys/{survey_id}/send", self.send)

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), self.token)

    async def send(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return error(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer <token>)")
        survey_id = request.match_info["survey_id"]
        if survey_id not in self.inviter.surveys:
            return error(404, "unknown_survey", f"no survey {survey_id!r}; known: {', '.join(self.inviter.surveys)}")
        try:
            body = await request.json(loads=json.loads)
        except (ValueError, RecursionError):
            # ValueError: not JSON, not UTF-8 (UnicodeDecodeError), or an integer of more than
            # 4300 digits; RecursionError: nesting deeper than Python's stack.
            return error(400, "invalid_json", "the body must be a JSON object")
        parsed = parse_body(survey_id, body, request.headers.get("Idempotency-Key"))
        if isinstance(parsed, web.Response):
            return parsed
        try:
            result = await self.inviter.invite(parsed)
        except IdempotencyConflict as exc:
            return error(409, "idempotency_conflict", str(exc), "idempotency_key", invitation_id=exc.invitation_id)
        except RecipientError as exc:
            return error(422, "invalid_field", str(exc), exc.field)
        except InviteError as exc:
            return error(422, "invalid_request", str(exc))
        status = 200 if result.duplicate else 202
        return web.json_response({"invitation": result.to_json()}, status=status)


def parse_body(survey_id: str, body: Any, header_key: str | None) -> InviteRequest | web.Response:
    if not isinstance(body, dict):
        return error(400, "invalid_json", "the body must be a JSON object")
    unknown = set(body) - {"recipient", "delay_seconds", "context", "idempotency_key", "person_id"}
    if unknown:
        return error(422, "unknown_field", f"unknown field {sorted(unknown)[0]!r}", sorted(unknown)[0])
    recipient = body.get("recipient")
    if not isinstance(recipient, dict):
        return error(422, "invalid_field", "recipient must be an object {platform, id}", "recipient")
    # Platform and id are checked (and made canonical) by the inviter, like every send path.
    platform, user = recipient.get("platform"), recipient.get("id")
    if not isinstance(platform, str):
        return error(422, "invalid_field", "recipient.platform must be 'telegram' or 'slack'", "recipient.platform")
    if not isinstance(user, int | str):
        return error(422, "invalid_field", "recipient.id must be a user id (a string or a number)", "recipient.id")
    delay = body.get("delay_seconds", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 90 * 86400:
        return error(422, "invalid_field", "delay_seconds must be a number from 0 to 7776000", "delay_seconds")
    context = body.get("context", {})
    if not isinstance(context, dict) or len(context) > MAX_CONTEXT_KEYS:
        return error(422, "invalid_field", f"context must be an object with at most {MAX_CONTEXT_KEYS} keys", "context")
    clean: dict[str, str] = {}
    for key, value in context.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return error(422, "invalid_field", f"context.{key} must be a string or number", f"context.{key}")
        if len(key) > 64 or len(str(value)) > MAX_CONTEXT_VALUE:
            return error(422, "invalid_field", f"context.{key} is too long", f"context.{key}")
        clean[key] = str(value)
    key = body.get("idempotency_key", header_key)
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
        return error(422, "invalid_field", "idempotency_key must be a string of 1 to 200 characters", "idempotency_key")
    person = body.get("person_id")
    if person is not None and (not isinstance(person, str) or not 1 <= len(person) <= 200):
        return error(422, "invalid_field", "person_id must be a string", "person_id")
    return InviteRequest(
        survey_id=survey_id,
        platform=platform,
        user_id=str(user),
        context=clean,
        delay=float(delay),
        # Scoped to its survey: the same key sent to another survey is another request.
        idempotency_key=f"api:{survey_id}:{key}" if key else None,
        person_key=person,
    )
