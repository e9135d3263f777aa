"""Closing the loop: alerts to staff, Claim / Reply / Resolve, the relay between a staff
thread and the customer's chat, reminders and the recovery question.

Everything here runs inside the service's transaction for the event that caused it, so an
alert (or an edit of one) is written to the outbox together with the response that
triggered it: it is delivered once, even across a crash or a staff-platform outage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.quality import QualityDesk
from storage import routes as route_sql
from storage.port import Store, UnitOfWork
from storage.records import Escalation, OutboxRow
from surveys import alerts
from surveys import routes as routing
from surveys.causes import Cause
from surveys.engine import Escalation as EscalationDecision
from surveys.kinds import SurveyDefinition
from surveys.locales import normalise_language
from surveys.model import Block, Choice, Destination, HandleResult, Inbound, OutMessage
from surveys.parsing import clean_comment, parse_yes_no
from surveys.texts import text

log = logging.getLogger(__name__)


MAX_RELAY_CHARS = 3500
# A result whose toast only repeats what the edited alert now shows ("Claimed by", "Resolved
# by"): a button press still gets it as a toast, a typed command gets no extra message.
SHOWN_ON_ALERT = "shown_on_alert"
REROUTE_WINDOW = 7 * 86400  # alerts older than this are not rerouted (nor counted by /healthz)


@dataclass(frozen=True)
class EscalationSettings:
    """Where alerts go and when staff are nudged. Destinations per survey override
    ``default_destinations``."""

    default_destinations: tuple[str, ...] = ("console:staff",)
    per_survey: dict[str, tuple[str, ...]] | None = None
    remind_unclaimed_after: float = 30 * 60
    remind_unresolved_after: float = 24 * 3600
    remind_repeat_after: float = 60 * 60
    remind_max: int = 3
    summary_time: str = "09:00"
    oncall: str = ""
    ask_recovery: bool = True
    timezone: str = "UTC"
    default_language: str = "en"
    products: dict[str, str] | None = None
    anonymous: bool = False
    # The surveys as configured: a staff reply is worded in the customer's language with the
    # survey's own product wording and overrides (``staff_reply``).
    surveys: dict[str, SurveyDefinition] | None = None
    # Agents ([agents]): name -> {platform: user id}; an alert whose context names one under
    # ``agent_key`` mentions them on the platforms where they have an id.
    agents: dict[str, dict[str, str]] | None = None
    agent_key: str = "agent"
    identifying_context: tuple[str, ...] | None = None  # None: every context key
    # Root causes offered at resolution ([escalation] causes); None: no cause picker, no actions.
    causes: tuple[Cause, ...] | None = None
    # Routing rules ([routing], [[routes]]): none means every alert takes the default route.
    routes: tuple[routing.Route, ...] = ()
    route_mode: str = routing.FIRST
    route_default: tuple[str, ...] = ()  # [routing] default; () = per survey, as before routes
    default_mention: dict[str, str] | None = None
    route_wait: float = 600.0  # how long an alert may wait for the comment a route matches on

    def destinations(self, survey_id: str) -> list[Destination]:
        """The default route's destinations for a survey's alerts."""
        specs = self.route_default or (self.per_survey or {}).get(survey_id) or self.default_destinations
        return [Destination.parse(s) for s in specs]

    def staff_destinations(self) -> list[Destination]:
        """Every staff destination of any survey or route: where an alert goes when its own
        cannot take it any more."""
        specs = [
            *self.default_destinations,
            *(d for ds in (self.per_survey or {}).values() for d in ds),
            *self.route_default,
            *(d for r in self.routes for d in r.destinations),
        ]
        return [Destination.parse(s) for s in dict.fromkeys(specs)]

    def decide(self, facts: routing.RouteFacts, *, final: bool = False) -> routing.Decision:
        default = [str(d) for d in self.destinations(facts.survey)]
        return routing.decide(self.routes, self.route_mode, facts, default, final=final or self.route_wait <= 0)


def with_agent_mention(message: OutMessage, context: dict[str, str], settings: EscalationSettings) -> OutMessage:
    """The alert with a mention of the agent its context names, if that agent has an id on
    the destination's platform (placed before "Received", so it reads with the context)."""
    name = context.get(settings.agent_key, "")
    user = (settings.agents or {}).get(name, {}).get(message.to.platform, "")
    if not user:
        return message
    blocks = list(message.blocks)
    at = next((i for i, b in enumerate(blocks) if b.label == "Received"), len(blocks))
    blocks.insert(at, Block("mention", user, name))
    return replace(message, blocks=tuple(blocks), text=f"{message.text}\nAgent: {name}")


class EscalationDesk:
    def __init__(self, settings: EscalationSettings) -> None:
        self.settings = settings
        # Root causes and corrective actions: the cause picker after a resolution and the
        # cause's name on the alert.
        self.quality: QualityDesk | None = None
        if settings.causes is not None:
            self.quality = QualityDesk(
                self.refresh,
                settings.causes,
                timezone=settings.timezone,
                default_language=settings.default_language,
            )

    async def refresh(self, tx: UnitOfWork, escalation_id: int, now: float) -> None:
        """Edit the alert in place after something it shows changed (its cause, say)."""
        await self._post_alert(tx, escalation_id, edit=True, now=now)

    # -- alerts --------------------------------------------------------------------

    async def on_response(
        self,
        tx: UnitOfWork,
        decision: EscalationDecision,
        response_id: int,
        respondent_id: int,
        survey_id: str,
        now: float,
    ) -> None:
        """Open the alert (first rule that fires) or refresh it in place (later facts)."""
        existing = await tx.escalation_for_response(response_id)
        if existing is None:
            if decision.update_only:
                return
            new_id = await tx.create_escalation(response_id, respondent_id, survey_id, decision.rules, now)
            if new_id is None:
                return
            await self._post_alert(tx, new_id, edit=False, now=now)
            return
        if decision.rules:
            rules = tuple(dict.fromkeys((*existing.rules, *decision.rules)))
            await tx.update_escalation(existing.id, rules=",".join(rules))
        await self._post_alert(tx, existing.id, edit=True, now=now)

    async def _alert_chats(self, tx: UnitOfWork, escalation_id: int, survey_id: str) -> list[Destination]:
        """Where an alert lives: the chats holding a copy that was sent or is on its way
        (its route's destinations, or the staff chats it was rerouted to); the destinations
        its route recorded when the outbox no longer knows (rows past retention)."""
        copies = await tx.alert_copies(escalation_id)
        live = [Destination(p, c) for (p, c), status in copies.items() if status != "dead"]
        if live or copies:
            return live
        recorded = await route_sql.route_destinations(await tx.connection(), escalation_id)
        return [Destination.parse(d) for d in recorded] or self.settings.destinations(survey_id)

    def route_facts(self, facts: dict[str, Any]) -> routing.RouteFacts:
        """What routing rules see of an alert: its survey, score category, context, the
        customer's language and platform, and the comment (pending while the survey waits
        for one)."""
        comment = str(facts.get("comment") or "")
        return routing.RouteFacts(
            survey=str(facts["survey_id"]),
            category=facts.get("category"),
            context=json.loads(str(facts.get("context") or "{}")),
            language=str(facts.get("r_language") or facts.get("p_language") or ""),
            platform=str(facts.get("platform") or ""),
            comment=comment,
            comment_pending=not comment and facts.get("comment_status") == "pending",
        )

    async def _route(
        self, tx: UnitOfWork, escalation_id: int, facts: dict[str, Any], now: float, *, final: bool
    ) -> bool:
        """Route an alert not routed yet: record which routes take it and why. False while
        it waits for a comment that a route matches on."""
        decision = self.settings.decide(self.route_facts(facts), final=final)
        if decision.held:
            return False
        why = routing.facts_reasons(decision)
        await route_sql.set_route(
            await tx.connection(), escalation_id, decision.names, why, decision.destinations(), now
        )
        facts.update(route=", ".join(decision.names), route_why=json.dumps(why), routed_at=now)
        facts["route_destinations"] = ", ".join(decision.destinations())
        return True

    def _with_route(self, message: OutMessage, facts: dict[str, Any], view: alerts.AlertView) -> OutMessage:
        """The route line (which route sent the alert here, on what it matched) and the
        group that route mentions on this platform."""
        why = route_sql.route_why(facts.get("route_why"))
        if not why or not self.settings.routes:  # without routing rules every alert takes the one route
            return message
        dest = str(message.to)
        by_name = {r.name: r for r in self.settings.routes}
        here = [(n, rs) for n, rs in why if dest in (by_name[n].destinations if n in by_name else ())]
        if not here:
            here = why  # the default route, a reroute, or routes changed since
        lang = self.settings.default_language
        team = ""
        for name, _ in here:
            mentions = by_name[name].mention if name in by_name else (self.settings.default_mention or {})
            team = team or mentions.get(message.to.platform, "")
        return alerts.with_route(
            message,
            routing.describe(here, lang, alerts.visible_context(view)),
            text(lang, "route_label"),
            team,
            text(lang, "route_team"),
        )

    async def route_held(self, tx: UnitOfWork, now: float) -> int:
        """Alerts that waited ``route_wait`` for a comment a route matches on are routed
        with what is known (words then count as absent) and posted."""
        held = await route_sql.held_alerts(await tx.connection(), now - self.settings.route_wait)
        for escalation_id in held:
            await self._post_alert(tx, escalation_id, edit=False, now=now, final=True)
        return len(held)

    async def _post_alert(
        self, tx: UnitOfWork, escalation_id: int, *, edit: bool, now: float, final: bool = False
    ) -> None:
        """Post a new alert to its route's destinations, or edit every copy of it. An alert
        not routed yet (new, or held for its comment) is routed first: held, nothing is
        posted; routed, it is posted to its destinations."""
        facts = await tx.alert_facts(escalation_id)
        if facts is None:
            return
        if facts.get("routed_at") is None:
            if not await self._route(tx, escalation_id, facts, now, final=final):
                return
            edit = False
        view = self._view(facts)
        messages = []
        if edit:
            targets = await self._alert_chats(tx, escalation_id, str(facts["survey_id"]))
        else:
            recorded = str(facts.get("route_destinations") or "")
            targets = [Destination.parse(d) for d in recorded.split(", ") if d] or self.settings.destinations(
                facts["survey_id"]
            )
        for dest in targets:
            message = with_agent_mention(alerts.render(view, dest), view.context, self.settings)
            message = self._with_route(message, facts, view)
            if edit:
                message = OutMessage(
                    message.to,
                    message.text,
                    message.choices,
                    message.blocks,
                    edit_of=message.ref_key,
                    audience="staff",
                )
            messages.append(message)
        await tx.enqueue(messages, now)

    async def reroute(self, tx: UnitOfWork, platform: str, chat_id: str, error: str, now: float) -> int:
        """Alerts that could not be posted to ``platform:chat_id`` for good (the bot was
        removed from the group, the channel archived) go to the other staff destinations,
        with a note saying where they could not go, so a person still sees them. Only chats
        that hold no copy of the alert yet get one, so running this again adds nothing.
        Returns how many copies were queued."""
        queued = 0
        for escalation_id in await tx.dead_alerts(platform, chat_id, now - REROUTE_WINDOW):
            facts = await tx.alert_facts(escalation_id)
            if facts is None:
                continue
            copies = await tx.alert_copies(escalation_id)
            targets = [d for d in self.settings.staff_destinations() if (d.platform, d.chat_id) not in copies]
            if not targets:
                continue
            failed = [f"{p}:{c}" for (p, c), status in copies.items() if status == "dead"]
            note = (
                f"⚠️ This alert could not be delivered to {', '.join(failed)} ({error[:200]}). "
                "Check that the bot is still a member there."
            )
            view = self._view(facts)
            messages = []
            for dest in targets:
                message = with_agent_mention(alerts.render(view, dest), view.context, self.settings)
                message = self._with_route(message, facts, view)
                messages.append(
                    replace(message, text=f"{note}\n\n{message.text}", blocks=(Block("text", note), *message.blocks))
                )
            await tx.enqueue(messages, now)
            queued += len(messages)
        return queued

    def _view(self, f: dict[str, Any]) -> alerts.AlertView:
        def opt_float(key: str) -> float | None:
            value = f.get(key)
            return None if value is None else float(value)

        history = list(f.get("history") or [])
        return alerts.AlertView(
            escalation_id=int(f["id"]),
            survey_id=str(f["survey_id"]),
            kind=str(f["kind"]),
            score=f["score"],
            category=f["category"],
            comment=f["comment"],
            comment_status=str(f["comment_status"]),
            sentiment=opt_float("sentiment"),
            sentiment_label=str(f["sentiment_label"]),
            rules=tuple(r for r in str(f["rules"] or "").split(",") if r),
            customer_name=str(f.get("display_name") or ""),
            customer_handle=str(f.get("handle") or ""),
            platform=str(f.get("platform") or "?"),
            language=str(f.get("r_language") or f.get("p_language") or "?"),
            history=tuple((str(kind), int(score)) for kind, score in history),
            history_count=len(history),
            context=json.loads(str(f.get("context") or "{}")),
            opened_at=float(f["opened_at"]),
            state=str(f["state"]),
            claimed_by=str(f.get("claimed_by_name") or ""),
            resolved_by=str(f.get("resolved_by_name") or ""),
            resolved_at=opt_float("resolved_at"),
            note=str(f.get("resolution_note") or ""),
            cause=self.quality.name(f.get("cause")) if self.quality else str(f.get("cause") or ""),
            recovered=None if f.get("recovered") is None else bool(f["recovered"]),
            timezone=self.settings.timezone,
            anonymous=self.settings.anonymous,
            product=str((self.settings.products or {}).get(str(f["survey_id"])) or ""),
            identifying_context=(
                None if self.settings.identifying_context is None else frozenset(self.settings.identifying_context)
            ),
        )

    # -- staff actions -------------------------------------------------------------

    async def on_staff_button(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult:
        parsed = alerts.parse_action(inbound.button or "")
        if parsed is None:
            return HandleResult(toast="This button is no longer active.")
        if not inbound.is_staff:
            return HandleResult(toast="Sorry, only support staff can act on feedback alerts.")
        escalation = await tx.escalation(parsed[0])
        if escalation is None:
            return HandleResult(toast="This alert no longer exists.")
        return await self.act(tx, escalation, parsed[1], inbound, now, note="")

    async def act(
        self,
        tx: UnitOfWork,
        escalation: Escalation,
        action: str,
        inbound: Inbound,
        now: float,
        note: str,
        cause: Cause | None = None,
    ) -> HandleResult:
        """``cause``: typed with the resolution (``/resolve 12 cause:billing ...``); without
        one, the configured causes are offered in the chat once it is resolved."""
        who = staff_name(inbound)
        key = staff_key(inbound)
        if escalation.state == "resolved":
            if cause is not None and self.quality is not None:
                # Naming the cause of an alert resolved earlier is what /cause does.
                await self.quality.record(tx, escalation.id, cause, now)
                await self.refresh(tx, escalation.id, now)
                return HandleResult(toast=f"Cause of alert #{escalation.id}: {self.quality.name(cause.id)}.")
            return HandleResult(toast=f"Already resolved by {escalation.resolved_by_name}.")
        if action == "claim":
            if escalation.state == "claimed" and escalation.claimed_by != key:
                return HandleResult(toast=f"Already claimed by {escalation.claimed_by_name}.")
            await tx.update_escalation(
                escalation.id,
                state="claimed",
                claimed_by=key,
                claimed_by_name=who,
                claimed_at=escalation.claimed_at or now,
                reminders=escalation.reminders if escalation.state == "claimed" else 0,  # a new ladder
            )
            await self._post_alert(tx, escalation.id, edit=True, now=now)
            return HandleResult(toast=f"Claimed. It's yours, {who}.", extra={SHOWN_ON_ALERT: True})
        if action == "reply":
            fields: dict[str, object] = {"reply_pending_by": key}
            if escalation.state == "open":
                fields.update(state="claimed", claimed_by=key, claimed_by_name=who, claimed_at=now, reminders=0)
            await tx.update_escalation(escalation.id, **fields)
            if escalation.state == "open":
                await self._post_alert(tx, escalation.id, edit=True, now=now)
            return HandleResult(toast="Your next message here (or a reply to the alert) goes to the customer.")
        # resolve
        await tx.update_escalation(
            escalation.id,
            state="resolved",
            resolved_by=key,
            resolved_by_name=who,
            resolved_at=now,
            resolution_note=note or None,
            reply_pending_by=None,
            relay_open=0,
            claimed_by=escalation.claimed_by or key,
            claimed_by_name=escalation.claimed_by_name or who,
            claimed_at=escalation.claimed_at or now,
        )
        if cause is not None and self.quality is not None:
            await self.quality.record(tx, escalation.id, cause, now)
        if self.settings.ask_recovery:
            await self._ask_recovery(tx, escalation, now)
        await self._post_alert(tx, escalation.id, edit=True, now=now)
        if cause is None and self.quality is not None:
            await self.quality.offer(tx, escalation.id, inbound, now)
        return HandleResult(toast="Resolved.", extra={SHOWN_ON_ALERT: True})

    async def _ask_recovery(self, tx: UnitOfWork, escalation: Escalation, now: float) -> None:
        respondent = await tx.respondent_by_id(escalation.respondent_id) if escalation.respondent_id else None
        if respondent is None or not respondent.chat_id or respondent.unreachable:
            return
        lang = normalise_language(respondent.language, self.settings.default_language)
        choices = (
            (
                Choice(text(lang, "yes"), alerts.recovery_value(escalation.id, True), text(lang, "yes").lower()),
                Choice(text(lang, "no"), alerts.recovery_value(escalation.id, False), text(lang, "no").lower()),
            ),
        )
        await tx.update_escalation(escalation.id, recovery_asked_at=now)
        dest = Destination(respondent.platform, respondent.chat_id)
        await tx.enqueue([OutMessage(dest, text(lang, "recovery_question"), choices=choices)], now)

    async def on_staff_text(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult | None:
        """A message in a staff chat: a reply to an alert, or the next message after
        pressing Reply, is relayed to the customer. Anything else is staff chatter."""
        if not inbound.is_staff or inbound.text is None:
            return None
        escalation = None
        if inbound.reply_to_message_id:
            escalation = await tx.escalation_by_message(inbound.platform, inbound.chat_id, inbound.reply_to_message_id)
        if escalation is None:
            escalation = await tx.escalation_replying(staff_key(inbound))
        if escalation is None or escalation.state == "resolved":
            return None
        respondent = await tx.respondent_by_id(escalation.respondent_id) if escalation.respondent_id else None
        if respondent is None or not respondent.chat_id:
            return HandleResult(toast="The customer can no longer be reached.")
        body, _ = clean_comment(inbound.text, MAX_RELAY_CHARS)
        if not body:
            return None
        lang = normalise_language(respondent.language, self.settings.default_language)
        survey = (self.settings.surveys or {}).get(escalation.survey_id)
        if survey is not None:
            message = text(lang, "staff_reply", survey, text=body)
        else:
            product = (self.settings.products or {}).get(escalation.survey_id, "")
            message = text(lang, "staff_reply", None, product=product, text=body)
        await tx.enqueue([OutMessage(Destination(respondent.platform, respondent.chat_id), message)], now)
        fields: dict[str, object] = {"relay_open": 1, "reply_pending_by": None}
        first_reply = escalation.state == "open" or escalation.claimed_at is None
        await tx.update_escalation(escalation.id, **fields)
        await self._note_first_reply(tx, escalation.id, now)
        if first_reply:
            await tx.update_escalation(
                escalation.id,
                state="claimed",
                claimed_by=staff_key(inbound),
                claimed_by_name=staff_name(inbound),
                claimed_at=now,
                reminders=0,
            )
            await self._post_alert(tx, escalation.id, edit=True, now=now)
        return HandleResult()

    async def _note_first_reply(self, tx: UnitOfWork, escalation_id: int, now: float) -> None:
        await (await tx.connection()).execute(
            "UPDATE escalations SET first_reply_at = COALESCE(first_reply_at, ?) WHERE id = ?", (now, escalation_id)
        )

    # -- the customer's side -------------------------------------------------------

    async def on_customer_text(self, tx: UnitOfWork, respondent_id: int, inbound: Inbound, now: float) -> bool:
        """Outside a survey, a customer's message may answer the recovery question or
        continue a conversation with staff. Returns True when it was consumed."""
        if inbound.text is None:
            return False
        pending = await tx.escalation_awaiting_recovery(respondent_id)
        if pending is not None:
            answer = parse_yes_no(inbound.text, normalise_language(inbound.language, self.settings.default_language))
            if answer is not None:
                await self.record_recovery(tx, pending.id, answer, inbound, now)
                return True
        relaying = await tx.escalation_relaying(respondent_id)
        if relaying is None:
            return False
        body, _ = clean_comment(inbound.text, MAX_RELAY_CHARS)
        if not body:
            return True
        name = "Customer" if self.settings.anonymous else (inbound.display_name or inbound.handle or "Customer")
        messages = [
            OutMessage(dest, f"💬 {name}: {body}", reply_to=alerts.alert_ref(relaying.id, dest), audience="staff")
            for dest in await self._alert_chats(tx, relaying.id, relaying.survey_id)
        ]
        await tx.enqueue(messages, now)
        return True

    async def on_recovery_button(
        self, tx: UnitOfWork, respondent_id: int, inbound: Inbound, now: float
    ) -> HandleResult:
        parsed = alerts.parse_recovery(inbound.button or "")
        lang = normalise_language(inbound.language, self.settings.default_language)
        escalation = await tx.escalation(parsed[0]) if parsed else None
        if parsed is None or escalation is None or escalation.respondent_id != respondent_id:
            return HandleResult(toast=text(lang, "toast_stale"))
        if escalation.recovered is not None:
            return HandleResult(toast=text(lang, "toast_finished"))
        await self.record_recovery(tx, escalation.id, parsed[1], inbound, now)
        return HandleResult(toast=text(lang, "toast_recorded"))

    async def record_recovery(
        self, tx: UnitOfWork, escalation_id: int, solved: bool, inbound: Inbound, now: float
    ) -> None:
        lang = normalise_language(inbound.language, self.settings.default_language)
        await tx.update_escalation(escalation_id, recovered=int(solved))
        key = "recovery_thanks_yes" if solved else "recovery_thanks_no"
        await tx.enqueue([OutMessage(Destination(inbound.platform, inbound.chat_id), text(lang, key))], now)
        await self._post_alert(tx, escalation_id, edit=True, now=now)

    # -- reminders -----------------------------------------------------------------

    async def remind(self, tx: UnitOfWork, now: float) -> int:
        """Nudge staff along a ladder, never forever: an unclaimed alert gets a reminder in its
        thread (pinging ``oncall``) ``remind_unclaimed_after`` after it opened, then one every
        ``remind_repeat_after``; a claimed one reminds its owner ``remind_unresolved_after``
        after the claim, then as often again; ``remind_max`` reminders per state at most. Then
        only the daily summary of what is still open. Alerts of erased customers are closed
        with a note first, so they are never pinged. Returns the number of reminders sent."""
        settings = self.settings
        await tx.close_orphaned_escalations(now, ERASED_NOTE)
        await self.route_held(tx, now)
        due = await tx.escalations_to_remind(
            now,
            first=settings.remind_unclaimed_after,
            repeat=settings.remind_repeat_after,
            unresolved=settings.remind_unresolved_after,
            limit=settings.remind_max,
        )
        # An alert still waiting for its comment has been posted nowhere: nothing to remind.
        held = set(await route_sql.held_alerts(await tx.connection(), now + 1))
        due = [e for e in due if e.id not in held]
        for escalation in due:
            last = escalation.reminders + 1 >= settings.remind_max
            if escalation.state == "open":
                minutes = int((now - escalation.opened_at) // 60)
                ping = f"{settings.oncall} " if settings.oncall else ""
                body = f"⏰ {ping}Alert #{escalation.id} has been waiting {minutes} min with nobody on it."
            else:
                hours = (now - (escalation.claimed_at or escalation.opened_at)) / 3600
                body = (
                    f"⏰ {escalation.claimed_by_name}, alert #{escalation.id} is still open "
                    f"({hours:.0f} h since the claim)."
                )
            if last:
                body += " This is the last reminder; it stays in the daily summary of open alerts."
            messages = [
                OutMessage(dest, body, reply_to=alerts.alert_ref(escalation.id, dest), audience="staff")
                for dest in await self._alert_chats(tx, escalation.id, escalation.survey_id)
            ]
            await tx.enqueue(messages, now)
            await tx.update_escalation(escalation.id, reminded_at=now, reminders=escalation.reminders + 1)
        await self._daily_summary(tx, now)
        return len(due)

    async def _daily_summary(self, tx: UnitOfWork, now: float) -> None:
        """Once a day, at ``summary_time`` in the bot's time zone or at the first check after
        it: every alert still unresolved, per staff destination. Recorded in the same
        transaction, so a restart or a second process never posts it twice."""
        zone = ZoneInfo(self.settings.timezone)
        local = datetime.fromtimestamp(now, UTC).astimezone(zone)
        hours, minutes = (int(p) for p in self.settings.summary_time.split(":"))
        if (local.hour, local.minute) < (hours, minutes):
            return
        waiting = await tx.unresolved_escalations(now - self.settings.remind_unclaimed_after)
        held = set(await route_sql.held_alerts(await tx.connection(), now + 1))
        waiting = [e for e in waiting if e.id not in held]
        if not waiting:
            return
        if not await tx.record_summary(SUMMARY_KEY, local.date().isoformat(), now):
            return
        per_dest: dict[Destination, list[str]] = {}
        for escalation in waiting:
            age = _age(now - escalation.opened_at)
            who = f"claimed by {escalation.claimed_by_name}" if escalation.state == "claimed" else "nobody on it"
            line = f"• #{escalation.id} ({escalation.survey_id}): {who}, opened {age} ago"
            for dest in await self._alert_chats(tx, escalation.id, escalation.survey_id):
                per_dest.setdefault(dest, []).append(line)
        messages = []
        for dest, lines in per_dest.items():
            head = f"📋 {len(lines)} feedback alert{'s' if len(lines) != 1 else ''} still open:"
            shown = lines[:50] + ([f"… and {len(lines) - 50} more"] if len(lines) > 50 else [])
            messages.append(OutMessage(dest, "\n".join([head, *shown]), audience="staff"))
        await tx.enqueue(messages, now)


ERASED_NOTE = "closed: the customer's data was erased"
SUMMARY_KEY = "alerts:daily-summary"


def _age(seconds: float) -> str:
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def staff_key(inbound: Inbound) -> str:
    return f"{inbound.platform}:{inbound.user_id}"


def staff_name(inbound: Inbound) -> str:
    if inbound.display_name:
        return inbound.display_name
    return f"@{inbound.handle}" if inbound.handle else inbound.user_id


class UndeliveredAlerts:
    """The delivery loop's ``on_dead``: an alert that can never be posted where it was meant to go
    (the bot was removed from the group, the channel archived) goes to the other staff
    destinations with a note; when there is none, it is counted by /healthz and logged. The loop
    wakes itself after this, so what it queued goes out at once."""

    def __init__(self, store: Store, desk: EscalationDesk, clock: Callable[[], float]) -> None:
        self.store = store
        self.desk = desk
        self.clock = clock

    async def reroute(self, row: OutboxRow, error: str) -> None:
        ref = row.message.ref_key
        if not ref or not ref.startswith("alert:") or row.message.edit_of is not None:
            return
        async with self.store.transaction() as tx:
            queued = await self.desk.reroute(tx, row.platform, row.chat_id, error, self.clock())
        if queued:
            log.warning("an alert could not be posted to %s; sent to %d other staff chat(s)", row.platform, queued)
        else:
            log.error(
                "an alert could not be posted to %s (%s) and there is no other staff destination: nobody has seen it",
                row.platform,
                error,
            )
