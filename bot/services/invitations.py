"""Sending surveys to people who did not ask: API triggers, the CLI, campaigns.

An invitation is recorded first (with its idempotency key), checked against the rules that
protect customers (opt-out, unreachable, fatigue, recontact, quiet hours), and only then
turned into a session plus an outbox message, in the same transaction. So an API retry or
a campaign resumed after a crash can never invite anyone twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.services.recipients import PLATFORMS, RecipientError, canonical
from storage.port import Store, UnitOfWork
from surveys import engine
from surveys.invitations import PersonFacts, Policy, after_quiet_hours, refusal
from surveys.kinds import SurveyDefinition
from surveys.locales import normalise_language
from surveys.model import Destination, OutMessage
from surveys.sentiment import SentimentScorer
from surveys.texts import text

__all__ = ["PLATFORMS", "IdempotencyConflict", "InviteError", "InviteRequest", "Inviter"]

log = logging.getLogger(__name__)

# What a platform says about a person before they ever wrote to the bot: (language, time zone),
# either None when unknown. Slack answers from users.info; Telegram has no such call.
ProfileLookup = Callable[[str], Awaitable[tuple[str | None, str | None]]]


class InviteError(ValueError):
    """A request that cannot be an invitation at all (unknown survey, bad recipient)."""


class IdempotencyConflict(InviteError):
    """The idempotency key was first used for a different request (another person, survey,
    context or delay): answering "duplicate" would tell the caller a person was invited who
    never was."""

    def __init__(self, invitation_id: int) -> None:
        super().__init__(
            f"this idempotency key was first used for invitation #{invitation_id} with a different request; "
            "use a new key for a new request"
        )
        self.invitation_id = invitation_id


@dataclass(frozen=True)
class InviteRequest:
    survey_id: str
    platform: str
    user_id: str
    context: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    idempotency_key: str | None = None
    person_key: str | None = None
    campaign_id: str | None = None
    lane: str = "interactive"


@dataclass(frozen=True)
class InviteResult:
    invitation_id: int
    status: str  # scheduled | sent | throttled | opted_out | unreachable | busy
    reason: str | None
    send_at: float
    duplicate: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "invitation_id": self.invitation_id,
            "status": self.status,
            "reason": self.reason,
            "send_at": self.send_at,
            "duplicate": self.duplicate,
        }


@dataclass
class Inviter:
    store: Store
    surveys: dict[str, SurveyDefinition]
    policy: Policy
    sentiment: SentimentScorer | None
    default_language: str = "en"
    reminder_after: float | None = 24 * 3600
    clock: Callable[[], float] = time.time
    new_nonce: Callable[[], str] = field(default=lambda: __import__("secrets").token_hex(6))
    on_commit: Callable[[], None] = field(default=lambda: None)
    # Per platform, set by its wiring: how to learn a person's language and time zone.
    profiles: dict[str, ProfileLookup] = field(default_factory=dict)

    async def platform_facts(self, platform: str, user_id: str) -> tuple[str | None, str | None]:
        """The person's language and time zone as their platform reports them, so an
        invitation to someone who never wrote to the bot is still in their language and
        waits out quiet hours in their zone. A failed lookup is (None, None): the configured
        defaults apply, and the invitation is not lost."""
        lookup = self.profiles.get(platform)
        if lookup is None:
            return None, None
        try:
            return await lookup(user_id)
        except Exception as exc:  # a lookup is a courtesy: never the reason an invitation fails
            log.info("profile lookup on %s failed (%s); using the defaults", platform, type(exc).__name__)
            return None, None

    # The platforms this bot delivers to (bot.config.served_platforms); others are refused.
    platforms: frozenset[str] = frozenset(PLATFORMS)

    def validate(self, request: InviteRequest) -> InviteRequest:
        """The request with its recipient in canonical form; InviteError (RecipientError for
        the recipient, naming ``recipient.platform`` or ``recipient.id``) when it cannot be
        an invitation. Every send path comes through here (bot.recipients)."""
        if request.survey_id not in self.surveys:
            raise InviteError(f"unknown survey {request.survey_id!r} (known: {', '.join(self.surveys)})")
        try:
            platform, user = canonical(request.platform, request.user_id, self.platforms)
        except RecipientError as exc:
            raise InviteRecipientError(exc.field, exc.problem) from None
        if not 0 <= request.delay <= 90 * 86400:
            raise InviteError("delay must be between 0 and 90 days (in seconds)")
        return replace(request, platform=platform, user_id=user)

    async def invite(self, request: InviteRequest) -> InviteResult:
        request = self.validate(request)
        seen = await self.platform_facts(request.platform, request.user_id)
        now = self.clock()
        async with self.store.transaction() as tx:
            result = await self.invite_in(tx, request, now, seen)
        if result.status == "sent":
            self.on_commit()
        return result

    async def invite_in(
        self,
        tx: UnitOfWork,
        request: InviteRequest,
        now: float,
        seen: tuple[str | None, str | None] = (None, None),
    ) -> InviteResult:
        """Record (and maybe send) one invitation in the caller's transaction. The request
        must have passed :meth:`validate`. A key used before answers with the first
        invitation when the request is the same, IdempotencyConflict when it is not.
        ``seen``: the person's (language, time zone) from :meth:`platform_facts`."""
        fingerprint = request_hash(request)
        if request.idempotency_key:
            existing = await tx.invitation_by_key(request.idempotency_key)
            if existing is not None:
                return _duplicate(existing, fingerprint)
        person = await tx.ensure_respondent(request.platform, request.user_id, request.user_id, now)
        language, zone = seen
        if language or zone:
            await tx.set_platform_facts(person.id, language, zone)
            person = replace(person, language=language or person.language, timezone=zone or person.timezone)
        if request.person_key:
            await tx.set_person_key(person.id, request.person_key)
        last_any, last_survey = await tx.last_invited(person.id, request.survey_id)
        facts = PersonFacts(person.opted_out, person.unreachable, last_any, last_survey, person.timezone)
        refused = refusal(now, facts, request.survey_id, self.policy)
        send_at = after_quiet_hours(now + request.delay, person.timezone, self.policy)
        status, reason = refused if refused else ("scheduled", None)
        new_id = await tx.insert_invitation(
            person.id,
            request.survey_id,
            status,
            reason,
            request.idempotency_key,
            request.campaign_id,
            request.context,
            request.lane,
            send_at,
            now,
            fingerprint,
        )
        if new_id is None:  # the same key raced in
            existing = await tx.invitation_by_key(request.idempotency_key or "")
            assert existing is not None
            return _duplicate(existing, fingerprint)
        if status == "scheduled" and send_at <= now:
            status, reason = await self._dispatch(tx, new_id, now)
        return InviteResult(new_id, status, reason, send_at)

    async def dispatch_due(self, limit: int = 500) -> int:
        """Send every scheduled invitation whose time has come (delays, quiet hours,
        campaigns). Each batch is one transaction; a crash resumes with what is left."""
        now = self.clock()
        async with self.store.transaction() as tx:
            due = await tx.due_invitations(now, limit)
            sent = 0
            for row in due:
                status, _ = await self._dispatch(tx, row["id"], now)
                sent += status == "sent"
        if sent:
            self.on_commit()
        return len(due)

    async def _dispatch(self, tx: UnitOfWork, invitation_id: int, now: float) -> tuple[str, str | None]:
        row = await tx.invitation(invitation_id)
        assert row is not None
        person = await tx.respondent_by_id(row["respondent_id"])
        survey = self.surveys.get(row["survey_id"])
        if person is None or survey is None or not person.chat_id:
            await tx.mark_invitation(invitation_id, "failed", reason="recipient or survey no longer exists")
            return "failed", "recipient or survey no longer exists"
        last_any, last_survey = await tx.last_invited(person.id, survey.id)
        facts = PersonFacts(person.opted_out, person.unreachable, last_any, last_survey, person.timezone)
        refused = refusal(now, facts, survey.id, self.policy)
        if refused:
            await tx.mark_invitation(invitation_id, refused[0], reason=refused[1])
            return refused
        if await tx.open_session(person.id) is not None:
            reason = "the person is in the middle of another survey"
            await tx.mark_invitation(invitation_id, "busy", reason=reason)
            return "busy", reason
        language = normalise_language(person.language, self.default_language)
        ctx = engine.StepContext(
            now=now,
            surveys=self.surveys,
            default_survey=survey.id,
            language=language,
            new_nonce=self.new_nonce(),
            sentiment=self.sentiment,
        )
        context = json.loads(row["context"] or "{}")
        started = engine.start_session(survey, Destination(person.platform, person.chat_id), ctx, context, row["lane"])
        assert started.session is not None
        session = await tx.save_session(started.session, person.id, now)
        await tx.enqueue(started.messages, now)
        await tx.mark_invitation(invitation_id, "sent", session_id=session.id, sent_at=now)
        return "sent", None

    async def remind_due(self, limit: int = 500) -> int:
        """One reminder to people who have not answered; the session's expiry ends it. A
        reminder that falls in quiet hours (in the person's zone) waits for the morning, like
        an invitation: it is simply not sent yet, and the next run after quiet hours sends it."""
        if self.reminder_after is None:
            return 0
        now = self.clock()
        sent = 0
        async with self.store.transaction() as tx:
            # Read past the ones waiting out the night, so they never hold back the others.
            due = await tx.reminders_due(now - self.reminder_after, limit * 10)
            for row in due:
                if sent >= limit:
                    break
                if after_quiet_hours(now, row.get("timezone"), self.policy) > now:
                    continue
                survey = self.surveys.get(row["survey_id"])
                dest = Destination(row["platform"], row["chat_id"])
                body = text(row["language"], "reminder", survey)
                message = OutMessage(dest, body, reply_to=engine.question_ref(row["nonce"]), lane="bulk")
                await tx.enqueue([message], now)
                await tx.mark_reminded(row["id"], now)
                sent += 1
        if sent:
            self.on_commit()
        return sent


class InviteRecipientError(InviteError, RecipientError):
    """A recipient no platform of this bot could deliver to (see bot.recipients)."""


def request_hash(request: InviteRequest) -> str:
    """What an idempotency key is bound to: everything that makes the invitation."""
    facts = [
        request.survey_id,
        request.platform,
        request.user_id,
        sorted(request.context.items()),
        float(request.delay),
        request.person_key,
        request.campaign_id,
    ]
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _duplicate(existing: dict[str, Any], fingerprint: str) -> InviteResult:
    if existing.get("request_hash") not in (None, fingerprint):
        raise IdempotencyConflict(int(existing["id"]))
    return InviteResult(existing["id"], existing["status"], existing["reason"], existing["not_before"], duplicate=True)
