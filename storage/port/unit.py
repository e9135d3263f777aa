"""The unit of work: what a service does inside one transaction.

A service gets one from ``Store.run`` (a turn, committed with others in a group on SQLite,
under the conversation's lock on PostgreSQL) or ``Store.transaction()`` (staff and
maintenance work). Everything in it commits together or not at all. The methods are the
operations the services call; the SQL behind them is the backends' (``storage/sql/``, shared
by both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from storage.port.connection import Connection
from storage.port.reports import Reports
from storage.records import Escalation, PersonSeen, Respondent
from surveys.engine import ResponseUpdate, Session
from surveys.model import OutMessage


class UnitOfWork(Protocol):
    """Operations inside one transaction."""

    async def connection(self) -> Connection:
        """The transaction's connection, for the shared query modules (imports, quality,
        routes, sentiment), once every statement held so far has run."""

    async def reports(self) -> Reports:
        """The report queries inside this transaction: what they record (a digest's run, a
        trend alert) commits with the messages that announce it."""

    # -- turns ---------------------------------------------------------------------------

    async def claim_event(self, event_id: str, now: float, subject: str | None = None) -> bool:
        """Record the event as handled; False when it already was (a redelivery).
        ``subject`` (:func:`subject_of`) is whose event it is, so erasure finds exactly theirs."""

    async def begin_turn(
        self, event_id: str | None, now: float, seen: PersonSeen
    ) -> tuple[bool, Respondent, Session | None]:
        """Claim ``event_id`` (None: claimed already), upsert the person as the platform sees
        them, and read their open session: (first time?, person, session). A backend does the
        three in as few round trips as it can. On a redelivery (False) the caller rolls back,
        so the upsert leaves no trace."""

    async def open_session(self, respondent_id: int) -> Session | None: ...

    async def expired_session(self, respondent_id: int) -> Session | None:
        """The person's latest session when it ended by expiring (a late answer may belong to it)."""

    async def session_by_nonce(self, nonce: str) -> tuple[Session, int] | None: ...

    async def expired_sessions(self, now: float, limit: int = 500) -> list[tuple[Session, int]]: ...

    async def respondent_platform(self, respondent_id: int) -> str: ...

    async def save_session(self, session: Session, respondent_id: int, now: float) -> Session: ...

    async def save_response(
        self, session: Session, respondent_id: int, update: ResponseUpdate, channel: str, now: float
    ) -> None:
        """One response row per session: created with the score, completed by the comment."""

    async def response_id(self, session_id: int) -> int:
        """The id of the session's response row (after :meth:`save_response`)."""

    async def enqueue(self, messages: Sequence[OutMessage], now: float, delay: float = 0.0) -> None: ...

    # -- people --------------------------------------------------------------------------

    async def respondent(self, platform: str, user_id: str) -> Respondent | None: ...

    async def ensure_respondent(self, platform: str, user_id: str, chat_id: str, now: float) -> Respondent:
        """A person we are about to invite: created if new, otherwise left exactly as it
        is (an invitation must never clear an opt-out or an unreachable mark)."""

    async def set_platform_facts(self, respondent_id: int, language: str | None, timezone: str | None) -> None:
        """What the platform says about a person we have not heard from (an invitation looks
        them up first): their language and time zone, when it reports them."""

    async def set_timezone(self, respondent_id: int, timezone: str) -> None: ...

    async def set_person_key(self, respondent_id: int, person_key: str) -> None: ...

    async def respondent_by_id(self, respondent_id: int) -> Respondent | None: ...

    async def set_opt_out(self, respondent_id: int, opted_out: bool, now: float) -> None: ...

    async def audience(
        self, platform: str | None, after_id: int, limit: int, created_before: float | None = None
    ) -> list[Respondent]:
        """Everyone reachable who has not opted out, in id order (so a campaign can page
        through millions of people and resume from the last id it handled)."""

    # -- invitations ---------------------------------------------------------------------

    async def invitation_by_key(self, key: str) -> dict[str, Any] | None: ...

    async def last_invited(self, respondent_id: int, survey_id: str) -> tuple[float | None, float | None]:
        """(last invitation to anything, last to this survey), across every identity that
        shares the person's key, so someone on both Telegram and Slack counts once."""

    async def insert_invitation(
        self,
        respondent_id: int,
        survey_id: str,
        status: str,
        reason: str | None,
        key: str | None,
        campaign_id: str | None,
        context: dict[str, str],
        lane: str,
        not_before: float,
        now: float,
        request_hash: str | None = None,
    ) -> int | None: ...

    async def due_invitations(self, now: float, limit: int) -> list[dict[str, Any]]: ...

    async def invitation(self, invitation_id: int) -> dict[str, Any] | None: ...

    async def mark_invitation(
        self,
        invitation_id: int,
        status: str,
        *,
        reason: str | None = None,
        session_id: int | None = None,
        sent_at: float | None = None,
    ) -> None: ...

    async def reminders_due(self, sent_before: float, limit: int) -> list[dict[str, Any]]:
        """Invitations whose survey is still waiting for its first answer."""

    async def mark_reminded(self, invitation_id: int, now: float) -> None: ...

    # -- escalations ---------------------------------------------------------------------

    async def create_escalation(
        self, response_id: int, respondent_id: int, survey_id: str, rules: Sequence[str], now: float
    ) -> int | None:
        """The alert for a response, once: None if that response already has one."""

    async def escalation_for_response(self, response_id: int) -> Escalation | None: ...

    async def escalation(self, escalation_id: int) -> Escalation | None: ...

    async def escalation_replying(self, staff_key: str) -> Escalation | None:
        """The alert this staff member pressed Reply on and has not answered yet."""

    async def escalation_relaying(self, respondent_id: int) -> Escalation | None: ...

    async def escalation_awaiting_recovery(self, respondent_id: int) -> Escalation | None: ...

    async def escalation_by_message(self, platform: str, chat_id: str, message_id: str) -> Escalation | None:
        """Which alert a staff reply refers to (a Telegram reply, a Slack thread)."""

    async def update_escalation(self, escalation_id: int, **fields: Any) -> None: ...

    async def alert_facts(self, escalation_id: int) -> dict[str, Any] | None:
        """Everything an alert shows, in one query plus one for the customer's history."""

    async def alert_copies(self, escalation_id: int) -> dict[tuple[str, str], str]:
        """Every chat an alert was queued to, with the state of its copy there ('sent',
        'pending' or 'dead'; a live copy wins over a dead one). Copies are the outbox rows
        whose ref key is ``alert:<id>:<platform>:<chat>`` (a range on the ref index)."""

    async def dead_alerts(self, platform: str, chat_id: str, since: float) -> list[int]:
        """Alerts opened since ``since``, not resolved, whose copy for this chat could not be
        delivered (the bot was removed, the channel archived)."""

    async def escalations_to_remind(
        self, now: float, *, first: float, repeat: float, unresolved: float, limit: int
    ) -> list[Escalation]:
        """The alerts due a reminder now: unclaimed after ``first`` seconds and then every
        ``repeat``, claimed after ``unresolved`` seconds since the claim and then as often
        again, at most ``limit`` per state; never an erased customer's."""

    async def unresolved_escalations(self, opened_before: float) -> list[Escalation]:
        """Every alert still open or claimed, opened before the given moment (for the summary)."""

    async def close_orphaned_escalations(self, now: float, note: str) -> int:
        """Close the alerts whose customer was erased (``/forget``, ``forget``, retention): nobody
        can be helped any more, so they are resolved with ``note`` and never reminded about."""

    async def record_summary(self, key: str, day: str, now: float) -> bool:
        """Claim the summary ``key`` for ``day`` (once; recorded beside the digests' runs)."""

    # -- erasure -------------------------------------------------------------------------

    async def erase_person(self, respondent_id: int) -> list[tuple[int, str, str, str]]:
        """Erase everything that identifies the person or carries their words (README
        "Privacy and data"), keeping only unlinked scores; the alert copies already posted,
        ``(alert id, platform, chat id, ref key)``, for the caller to redact on staff platforms."""
