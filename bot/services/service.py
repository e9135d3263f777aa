"""The service: one inbound event, one transaction.

Every adapter hands its events here. Inside a single storage transaction the service
claims the event id (a redelivered event stops right there), loads the person and their
open session, lets the pure engine decide, and writes the outcome together with every
message to send. Only after the commit does the delivery loop get woken to send them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.services import staff_rooms
from bot.services.digests import DigestService
from bot.services.escalations import SHOWN_ON_ALERT, EscalationDesk
from bot.services.locks import KeyedLocks
from bot.services.privacy import PrivacyDesk
from bot.services.privacy import parse_button as privacy_button
from bot.services.quality import COMMANDS as QUALITY_COMMANDS
from storage.port import Store, UnitOfWork
from storage.records import PersonSeen, Respondent, subject_of
from surveys import alerts, causes, engine
from surveys.kinds import SurveyDefinition
from surveys.locales import normalise_language
from surveys.model import Destination, HandleResult, Inbound, OutMessage
from surveys.sentiment import SentimentScorer
from surveys.texts import text

log = logging.getLogger(__name__)


@dataclass
class ServiceSettings:
    surveys: dict[str, SurveyDefinition]
    default_survey: str
    default_language: str = "en"


@dataclass
class Service:
    store: Store
    settings: ServiceSettings
    sentiment: SentimentScorer | None
    desk: EscalationDesk
    privacy: PrivacyDesk | None = None
    clock: Callable[[], float] = time.time
    new_nonce: Callable[[], str] = field(default=lambda: secrets.token_hex(6))
    on_commit: Callable[[], None] = field(default=lambda: None)
    # One lock per conversation with an event being handled or waiting, and no more: the
    # entry goes when its last user leaves, so the table never grows with the customers.
    _locks: KeyedLocks[tuple[str, str]] = field(default_factory=KeyedLocks)
    # Answers ``/digest [survey]`` from a staff chat.
    digests: DigestService | None = None

    def chat_turn(self, platform: str, chat_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Events of one conversation are handled in arrival order; others run freely. (The lock's
        own context manager, not one wrapped around it: a wrapper cost 1-2 us a turn.)"""
        return self._locks.hold((platform, chat_id))

    @property
    def conversations_in_progress(self) -> int:
        """Conversations with an event being handled or waiting (what the lock table holds)."""
        return len(self._locks)

    async def handle(self, inbound: Inbound) -> HandleResult:
        async with self.chat_turn(inbound.platform, inbound.chat_id):
            now = self.clock()
            try:
                result = await self._in_transaction(inbound, now)
            except _Redelivered:
                log.debug("event %s already handled", inbound.event_id)
                return HandleResult(duplicate=True)
            except Exception:
                if self.store.fault is None:
                    raise
                # The database is damaged or the disk full: ``run`` is stopping and has said
                # so in one line; a traceback per event would bury it.
                log.debug("event %s not handled: %s", inbound.event_id, self.store.fault)
                return HandleResult()
        if "mydata" in result.extra or "forget" in result.extra:
            await self._privacy_after_commit(inbound, result)
        self.on_commit()
        return result

    async def _in_transaction(self, inbound: Inbound, now: float) -> HandleResult:
        """The event as one unit of work, committed together with the others queued beside it
        (see :meth:`storage.port.Store.run`)."""
        return await self.store.run(functools.partial(self._event, inbound=inbound, now=now))

    async def _event(self, tx: UnitOfWork, *, inbound: Inbound, now: float) -> HandleResult:
        if _is_customer_turn(inbound):
            claimed, respondent, session = await tx.begin_turn(inbound.event_id, now, _seen(inbound))
            if not claimed:
                raise _Redelivered  # rolls back the upsert that came with the claim
            result = await self._survey_turn(tx, inbound, now, (respondent, session))
        else:
            if not await tx.claim_event(inbound.event_id, now, subject_of(inbound.platform, inbound.user_id)):
                raise _Redelivered
            result = await self._route(tx, inbound, now)
        private = inbound.answers_privately
        if result.toast and inbound.button is None and not private and not result.extra.get(SHOWN_ON_ALERT):
            # Typed commands have no button to attach a toast to: answer in the chat.
            audience = "customer" if inbound.is_private else "staff"
            here = Destination(inbound.platform, inbound.chat_id)
            await tx.enqueue([OutMessage(here, result.toast, audience=audience)], now)
            result = HandleResult(extra=result.extra)
        elif inbound.button is None and result.extra.get(SHOWN_ON_ALERT):
            result = HandleResult(extra=result.extra)
        return result

    async def _privacy_after_commit(self, inbound: Inbound, result: HandleResult) -> None:
        """/mydata reads and /forget rewrites the whole file (VACUUM): both run after the
        event's own transaction, never inside it."""
        assert self.privacy is not None
        now = self.clock()
        if "mydata" in result.extra:
            messages = await self.privacy.mydata(result.extra["mydata"], inbound, now)
            async with self.store.transaction() as tx:
                await tx.enqueue(messages, now)
        if "forget" in result.extra:
            language = normalise_language(inbound.language, self.settings.default_language)
            here = Destination(inbound.platform, inbound.chat_id)
            await self.privacy.forget(inbound.platform, inbound.user_id, now, notify=here, language=language)

    async def _route(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult:
        """Staff actions and staff chats first; everything else is a customer's turn."""
        button = inbound.button or ""
        if button.startswith(f"{alerts.ACTION_PREFIX}:"):
            return await self.desk.on_staff_button(tx, inbound, now)
        if button.startswith(f"{causes.CAUSE_PREFIX}:") and self.desk.quality is not None:
            return await self.desk.quality.on_button(tx, inbound, now)
        if inbound.room_setup is not None:
            await tx.enqueue([staff_rooms.setup_note(inbound)], now)
            return HandleResult()
        if not inbound.is_private:
            staff_command = await self._staff_command(tx, inbound, now)
            if staff_command is not None:
                return staff_command
            relayed = await self.desk.on_staff_text(tx, inbound, now)
            if relayed is not None:
                return relayed
            if inbound.command is None:
                return HandleResult()  # group chatter is not ours to answer
        return await self._survey_turn(tx, inbound, now)

    async def _staff_command(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult | None:
        """``/claim 12``, ``/reply 12``, ``/resolve 12 refunded``: the typed equivalents
        of the alert buttons, for channels and people without buttons."""
        if inbound.command == "digest":
            if not inbound.is_staff:
                return HandleResult(toast="Sorry, only support staff can ask for a digest.")
            if self.digests is None:
                return HandleResult(toast="Digests are not available here.")
            return await self.digests.on_demand(tx, inbound, now)
        if inbound.command in QUALITY_COMMANDS and self.desk.quality is not None:
            return await self.desk.quality.command(tx, inbound, now)
        if inbound.command not in alerts.ACTIONS:
            return None
        if not inbound.is_staff:
            return HandleResult(toast="Sorry, only support staff can act on feedback alerts.")
        number, _, note = inbound.args.partition(" ")
        escalation = await tx.escalation(int(number)) if number.isdigit() else None
        if escalation is None and number.isdigit():
            return HandleResult(toast=f"There is no alert #{int(number)}. The number is in the alert's title.")
        if escalation is None:
            note_hint = " [note]" if inbound.command == "resolve" else ""
            return HandleResult(toast=f"Usage: /{inbound.command} <alert number>{note_hint}")
        cause = None
        if inbound.command == "resolve" and self.desk.quality is not None:
            token, note = causes.split_cause(note)
            if token is not None:
                cause = self.desk.quality.find(token)
                if cause is None:
                    return self.desk.quality.unknown(token, inbound)
        return await self.desk.act(tx, escalation, inbound.command, inbound, now, note=note.strip()[:500], cause=cause)

    async def _survey_turn(
        self,
        tx: UnitOfWork,
        inbound: Inbound,
        now: float,
        known: tuple[Respondent, engine.Session | None] | None = None,
    ) -> HandleResult:
        """``known``: the person and their open session, when :meth:`UnitOfWork.begin_turn` read them
        with the claim."""
        if known is None:
            _, respondent, session = await tx.begin_turn(None, now, _seen(inbound))
        else:
            respondent, session = known
        language = normalise_language(respondent.language, self.settings.default_language)
        if inbound.button is not None and inbound.button.startswith(f"{alerts.RECOVERY_PREFIX}:"):
            return await self.desk.on_recovery_button(tx, respondent.id, inbound, now)
        privacy = await self._privacy_turn(tx, respondent.id, inbound, language, now)
        if privacy is not None:
            return privacy
        if session is None and inbound.text is not None and inbound.is_private:
            if await self.desk.on_customer_text(tx, respondent.id, inbound, now):
                return HandleResult()
        button_session: engine.Session | None = None
        owned = True
        if inbound.button is not None:
            parsed = engine.parse_button(inbound.button)
            if parsed is not None:
                found = await tx.session_by_nonce(parsed[0])
                if found is not None:
                    button_session, owner = found
                    owned = owner == respondent.id
        late_session: engine.Session | None = None
        if session is None and inbound.text is not None and inbound.is_private:
            late_session = await tx.expired_session(respondent.id)  # a late answer to it?
        ctx = self._context(
            now,
            language=language,
            name=inbound.display_name,
            opted_out=respondent.opted_out,
            button_session=button_session,
            button_owned=owned,
            late_session=late_session,
        )
        t = engine.step(session, inbound, ctx)
        if t.replaced is not None:
            replaced = await tx.save_session(t.replaced, respondent.id, now)
            if t.replaced_response is not None:
                await self._write_response(
                    tx, replaced, respondent.id, t.replaced_response, t.replaced_escalation, inbound.platform, now
                )
        saved = t.session
        if t.session is not None and (t.session != session or t.session.id is None):
            saved = await tx.save_session(t.session, respondent.id, now)
        if t.response is not None and saved is not None:
            await self._write_response(tx, saved, respondent.id, t.response, t.escalation, inbound.platform, now)
        if t.opt_out is not None:
            await tx.set_opt_out(respondent.id, t.opt_out, now)
        await tx.enqueue(t.messages, now)
        return HandleResult(toast=t.toast)

    async def _write_response(
        self,
        tx: UnitOfWork,
        session: engine.Session,
        respondent_id: int,
        update: engine.ResponseUpdate,
        escalation: engine.Escalation | None,
        channel: str,
        now: float,
    ) -> None:
        """The session's response row, and its alert opened or refreshed when the engine says so."""
        await tx.save_response(session, respondent_id, update, channel, now)
        if escalation is not None and session.id is not None:
            response_id = await tx.response_id(session.id)
            await self.desk.on_response(tx, escalation, response_id, respondent_id, session.survey_id, now)

    async def _privacy_turn(
        self, tx: UnitOfWork, respondent_id: int, inbound: Inbound, language: str, now: float
    ) -> HandleResult | None:
        if self.privacy is None or not inbound.is_private:
            return None
        answer = None
        if inbound.button is not None:
            answer = privacy_button(inbound.button)
            if answer is None and inbound.button.startswith("p:"):
                return HandleResult(toast=text(language, "toast_stale"))
        elif inbound.command == "forget":
            answer = inbound.args.strip().lower() or "ask"
        elif inbound.command == "mydata":
            return HandleResult(extra={"mydata": respondent_id})
        if answer is None:
            return None
        here = Destination(inbound.platform, inbound.chat_id)
        if answer == "yes":
            return HandleResult(toast=text(language, "toast_recorded"), extra={"forget": respondent_id})
        if answer == "no":
            await tx.enqueue([OutMessage(here, text(language, "forget_kept"))], now)
            return HandleResult(toast=text(language, "toast_recorded"))
        await tx.enqueue([self.privacy.confirm_forget(inbound)], now)
        return HandleResult()

    async def expire_due(self) -> int:
        """Close sessions past their expiry even if the person never writes again, so
        reports count them as expired rather than forever in progress."""
        now = self.clock()
        count = 0
        async with self.store.transaction() as tx:
            for session, respondent_id in await tx.expired_sessions(now):
                t = engine.expire(session, self._context(now))
                if t.session is not None:
                    await tx.save_session(t.session, respondent_id, now)
                if t.response is not None:
                    channel = await tx.respondent_platform(respondent_id)
                    await self._write_response(tx, session, respondent_id, t.response, t.escalation, channel, now)
                count += 1
        if count:
            self.on_commit()  # alerts that stopped waiting for a comment are edited now
        return count

    async def remind_escalations(self) -> int:
        async with self.store.transaction() as tx:
            count = await self.desk.remind(tx, self.clock())
            if self.desk.quality is not None:
                count += await self.desk.quality.remind(tx, self.clock())
        if count:
            self.on_commit()
        return count

    def _context(self, now: float, **facts: Any) -> engine.StepContext:
        """The engine's view of the world: configuration, clock, a fresh nonce, and what is
        known about the person (language defaults to the configured one)."""
        facts.setdefault("language", self.settings.default_language)
        return engine.StepContext(
            now=now,
            surveys=self.settings.surveys,
            default_survey=self.settings.default_survey,
            new_nonce=self.new_nonce(),
            sentiment=self.sentiment,
            **facts,
        )


class _Redelivered(Exception):
    """The event was handled before: raised inside the transaction so it rolls back."""


def _is_customer_turn(inbound: Inbound) -> bool:
    """Private messages and buttons that are not staff actions: what :meth:`Service._route`
    hands straight to the survey turn (so it can start with :meth:`UnitOfWork.begin_turn`)."""
    button = inbound.button or ""
    return inbound.is_private and not button.startswith((f"{alerts.ACTION_PREFIX}:", f"{causes.CAUSE_PREFIX}:"))


def _seen(inbound: Inbound) -> PersonSeen:
    return PersonSeen(
        inbound.platform,
        inbound.user_id,
        inbound.chat_id if inbound.is_private else None,
        inbound.display_name,
        inbound.handle,
        inbound.language,
        inbound.timezone,
    )
