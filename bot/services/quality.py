"""Root causes at resolution and corrective actions (issue 19).

When staff resolve an alert without naming a cause, the configured causes are offered in
that chat (Telegram inline keyboard, Slack buttons, numbered choices in the terminal); a
cause may also be typed: ``/resolve 12 cause:billing refunded the order`` or
``/cause 12 billing``. ``/action 12,14 <what> owner:@maria due:2026-12-15`` opens a
corrective action linked to alerts, ``/actions`` lists the open ones, ``/done 4`` closes
one; the owner is reminded in the chat the action was created in on the due date and when
overdue. Everything runs inside the event's (or the reminder job's) transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from storage import quality as sql
from storage.port import Reports, UnitOfWork
from surveys import alerts, causes
from surveys.causes import Cause, CauseReport
from surveys.digest import Period, previous
from surveys.locales import normalise_language
from surveys.model import Block, Choice, Destination, HandleResult, Inbound, OutMessage
from surveys.texts import text

#: Edits an alert in place after something it shows changed (``EscalationDesk.refresh``).
Refresh = Callable[[UnitOfWork, int, float], Awaitable[None]]

#: Staff commands this module answers (besides ``resolve``'s ``cause:``).
COMMANDS = frozenset({"cause", "action", "actions", "done"})


def today_in(now: float, timezone: str) -> datetime:
    return datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(timezone))


class QualityDesk:
    def __init__(
        self, refresh: Refresh, cause_list: Sequence[Cause], *, timezone: str = "UTC", default_language: str = "en"
    ) -> None:
        # The escalation desk that owns this one hands in its ``refresh``: a picked cause or a
        # linked action shows on the alert.
        self.refresh = refresh
        self.causes = tuple(cause_list)
        self.timezone = timezone
        self.default_language = default_language

    def _lang(self, inbound: Inbound | None) -> str:
        return normalise_language(inbound.language if inbound else None, self.default_language)

    def name(self, cause_id: str | None, language: str | None = None) -> str:
        if not cause_id:
            return ""
        lang = language or self.default_language
        found = next((c for c in self.causes if c.id == cause_id), None)
        return (found or Cause(cause_id)).name(lang)

    def _choices_list(self, lang: str) -> str:
        return ", ".join(f"{i}. {c.name(lang)} ({c.id})" for i, c in enumerate(self.causes, 1))

    # -- causes --------------------------------------------------------------------------------

    def find(self, token: str) -> Cause | None:
        return causes.find_cause(token, self.causes)

    def unknown(self, token: str, inbound: Inbound) -> HandleResult:
        lang = self._lang(inbound)
        return HandleResult(toast=text(lang, "cause_unknown", cause=token, causes=self._choices_list(lang)))

    async def offer(self, tx: UnitOfWork, escalation_id: int, inbound: Inbound, now: float) -> None:
        """The picker, in the chat where the alert was resolved (threaded under the alert)."""
        if not self.causes:
            return
        lang = self._lang(inbound)
        here = Destination(inbound.platform, inbound.chat_id)
        rows = tuple(
            (Choice(c.name(lang), causes.cause_value(escalation_id, c.id), f"/cause {escalation_id} {i}"),)
            for i, c in enumerate(self.causes, 1)
        )
        await tx.enqueue(
            [
                OutMessage(
                    here,
                    text(lang, "cause_prompt", id=escalation_id),
                    choices=rows,
                    ref_key=_picker_ref(escalation_id, here),
                    reply_to=alerts.alert_ref(escalation_id, here),
                    audience="staff",
                )
            ],
            now,
        )

    async def record(self, tx: UnitOfWork, escalation_id: int, cause: Cause, now: float) -> None:
        await sql.set_cause(await tx.connection(), escalation_id, cause.id)

    async def on_button(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult:
        lang = self._lang(inbound)
        parsed = causes.parse_cause_value(inbound.button or "")
        if parsed is None:
            return HandleResult(toast=text(lang, "toast_stale"))
        if not inbound.is_staff:
            return HandleResult(toast="Sorry, only support staff can act on feedback alerts.")
        cause = next((c for c in self.causes if c.id == parsed[1]), None)
        if cause is None or await tx.escalation(parsed[0]) is None:
            return HandleResult(toast=text(lang, "toast_stale"))
        await self._set(tx, parsed[0], cause, inbound, now, edit_picker=True)
        return HandleResult(toast=text(lang, "cause_recorded", id=parsed[0], cause=cause.name(lang)))

    async def _set(
        self, tx: UnitOfWork, escalation_id: int, cause: Cause, inbound: Inbound, now: float, *, edit_picker: bool
    ) -> None:
        await self.record(tx, escalation_id, cause, now)
        if edit_picker:
            lang = self._lang(inbound)
            here = Destination(inbound.platform, inbound.chat_id)
            done = text(lang, "cause_recorded", id=escalation_id, cause=cause.name(lang))
            await tx.enqueue(
                [
                    OutMessage(
                        here, f"{done} ({_who(inbound)})", edit_of=_picker_ref(escalation_id, here), audience="staff"
                    )
                ],
                now,
            )
        await self.refresh(tx, escalation_id, now)

    # -- commands -------------------------------------------------------------------------------

    async def command(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult:
        lang = self._lang(inbound)
        if not inbound.is_staff:
            return HandleResult(toast="Sorry, only support staff can act on feedback alerts.")
        conn = await tx.connection()
        if inbound.command == "cause":
            number, _, token = inbound.args.strip().partition(" ")
            escalation = await tx.escalation(int(number)) if number.isdigit() else None
            if escalation is None or not token.strip():
                return HandleResult(toast=text(lang, "cause_usage", causes=self._choices_list(lang)))
            cause = self.find(token)
            if cause is None:
                return self.unknown(token.strip(), inbound)
            await self._set(tx, escalation.id, cause, inbound, now, edit_picker=False)
            return HandleResult(toast=text(lang, "cause_recorded", id=escalation.id, cause=cause.name(lang)))
        today = today_in(now, self.timezone).date()
        if inbound.command == "action":
            draft = causes.parse_action(inbound.args)
            if isinstance(draft, str):
                return HandleResult(toast=text(lang, draft))
            if inbound.platform == "slack" and draft.owner and not draft.owner_id:
                # The Slack adapter turns an owner it finds into a member mention; a name it
                # could not find would never be notified, so it is refused here.
                return HandleResult(toast=text(lang, "action_owner_unknown", owner=draft.owner))
            found = await sql.existing_alerts(conn, draft.alert_ids)
            missing = [i for i in draft.alert_ids if i not in found]
            if missing:
                return HandleResult(toast=text(lang, "action_no_alert", id=missing[0]))
            action_id = await sql.create_action(
                conn,
                title=draft.title,
                owner=draft.owner,
                due=draft.due,
                platform=inbound.platform,
                chat_id=inbound.chat_id,
                created_by_name=_who(inbound),
                alert_ids=draft.alert_ids,
                now=now,
                owner_id=draft.owner_id,
            )
            line = causes.action_line(
                causes.OpenAction(action_id, draft.title, draft.owner, draft.due, draft.alert_ids),
                today,
                text(lang, "action_overdue_tag"),
            )
            for alert_id in draft.alert_ids:
                await self.refresh(tx, alert_id, now)
            return HandleResult(toast=text(lang, "action_created", line=line))
        if inbound.command == "actions":
            open_ = await sql.open_actions(conn)
            if not open_:
                return HandleResult(toast=text(lang, "actions_none"))
            overdue = text(lang, "action_overdue_tag")
            lines = [text(lang, "actions_heading", count=len(open_))]
            lines += ["• " + causes.action_line(a.as_open(), today, overdue) for a in open_]
            return HandleResult(toast="\n".join(lines))
        # done
        number = inbound.args.strip().lstrip("#")
        found_action = await sql.action(conn, int(number)) if number.isdigit() else None
        if found_action is None:
            return HandleResult(toast=text(lang, "action_not_found", id=number or "?"))
        if found_action.done_at is not None:
            return HandleResult(toast=text(lang, "action_already_done", id=found_action.id))
        await sql.close_action(conn, found_action.id, _who(inbound), now)
        for alert_id in found_action.alert_ids:
            await self.refresh(tx, alert_id, now)
        return HandleResult(toast=text(lang, "action_done", id=found_action.id, title=found_action.title))

    # -- reminders ------------------------------------------------------------------------------

    async def remind(self, tx: UnitOfWork, now: float) -> int:
        """The owner of each open action due today or overdue, at most once a day (see
        :func:`surveys.causes.reminder_due`), in the chat the action was created in."""
        today = today_in(now, self.timezone).date()
        conn = await tx.connection()
        sent = 0
        lang = self.default_language
        for row in await sql.actions_due_by(conn, today):
            kind = causes.reminder_due(row.due, today, row.reminded_on)
            if kind is None or row.due is None:
                continue
            owner = row.owner or text(lang, "action_no_owner")
            alert_list = ", ".join(f"#{i}" for i in row.alert_ids) or "–"
            key = "action_remind_due" if kind == "due" else "action_remind_overdue"
            body = text(lang, key, owner=owner, id=row.id, title=row.title, alerts=alert_list, due=row.due.isoformat())
            blocks: tuple[Block, ...] = ()
            if row.owner_id:
                # A mention notifies the owner (Slack shows plain "@maria" as text only).
                blocks = (Block("team", row.owner_id), Block("text", body))
            here = Destination(row.platform, row.chat_id)
            await tx.enqueue([OutMessage(here, body, blocks=blocks, audience="staff")], now)
            await sql.mark_reminded(conn, row.id, today)
            sent += 1
        return sent


def _picker_ref(escalation_id: int, dest: Destination) -> str:
    return f"causes:{escalation_id}:{dest.platform}:{dest.chat_id}"


def _who(inbound: Inbound) -> str:
    if inbound.display_name:
        return inbound.display_name
    return f"@{inbound.handle}" if inbound.handle else inbound.user_id


async def cause_report(
    reports: Reports,
    period: Period,
    surveys: Sequence[str],
    cause_list: Sequence[Cause],
    *,
    language: str,
    timezone: str,
    now: float,
) -> CauseReport:
    """The Pareto of the causes of alerts resolved in ``period`` (against the period
    before it) and the open corrective actions, read on ``conn``."""
    current, earlier, open_actions = await _cause_counts(reports, period, surveys)
    return await _cause_report(
        reports, period, surveys, cause_list, current, earlier, open_actions, language, timezone, now
    )


async def digest_cause_report(
    reports: Reports,
    period: Period,
    surveys: Sequence[str],
    cause_list: Sequence[Cause],
    *,
    language: str,
    timezone: str,
    now: float,
) -> CauseReport | None:
    """:func:`cause_report` for a digest, which shows it only when it says something: None,
    before the medians are read, when no alert of the period or the one before was resolved
    with a cause and no action is open (a team that does not name causes)."""
    current, earlier, open_actions = await _cause_counts(reports, period, surveys)
    if not open_actions and not any(t.cause for t in (*current, *earlier)):
        return None
    return await _cause_report(
        reports, period, surveys, cause_list, current, earlier, open_actions, language, timezone, now
    )


async def _cause_counts(
    reports: Reports, period: Period, surveys: Sequence[str]
) -> tuple[list[causes.Tally], list[causes.Tally], list[sql.ActionRow]]:
    before = previous(period)
    current, earlier = await reports.resolved_tallies(
        (period.start_ts, period.end_ts), (before.start_ts, before.end_ts), surveys
    )
    return current, earlier, await sql.open_actions(reports.conn)


async def _cause_report(
    reports: Reports,
    period: Period,
    surveys: Sequence[str],
    cause_list: Sequence[Cause],
    current: list[causes.Tally],
    earlier: list[causes.Tally],
    open_actions: list[sql.ActionRow],
    language: str,
    timezone: str,
    now: float,
) -> CauseReport:
    by_cause, by_route = (
        await reports.resolve_medians((period.start_ts, period.end_ts), surveys) if current else ({}, {})
    )
    names = {c.id: c.name(language) for c in cause_list}
    for tally in (*current, *earlier):
        if tally.cause and tally.cause not in names:  # a cause removed from the configuration since
            names[tally.cause] = Cause(tally.cause).name(language)
    now_resolved = causes.Resolved(tuple(current), by_cause, by_route)
    before_resolved = causes.Resolved(tuple(earlier))
    return CauseReport(
        period_label=period.label,
        rows=tuple(causes.pareto_of(now_resolved, before_resolved, order=[c.id for c in cause_list])),
        routes=tuple(causes.by_route_of(now_resolved, before_resolved)),
        names=names,
        actions=tuple(a.as_open() for a in open_actions),
        today=today_in(now, timezone).date(),
    )
