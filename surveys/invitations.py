"""Rules that protect customers from being pestered: opt-out, unreachable, fatigue across
all surveys, a recontact interval per survey, and quiet hours in the person's time zone.

Pure functions of facts and a clock value, so every rule is a table-driven unit test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 86400.0


@dataclass(frozen=True)
class Policy:
    fatigue_days: float = 30.0
    recontact_days: dict[str, float] = field(default_factory=dict)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    timezone: str = "UTC"


@dataclass(frozen=True)
class PersonFacts:
    opted_out: bool
    unreachable: bool
    last_invited_any: float | None  # across every survey and every linked identity
    last_invited_survey: float | None  # this survey, every linked identity
    timezone: str | None = None


def refusal(now: float, person: PersonFacts, survey_id: str, policy: Policy) -> tuple[str, str] | None:
    """(status, reason) when this invitation must not be sent, else None."""
    if person.opted_out:
        return "opted_out", "the person opted out of invitations"
    if person.unreachable:
        return "unreachable", "the person blocked the bot or left the platform"
    if person.last_invited_any is not None and now - person.last_invited_any < policy.fatigue_days * DAY:
        days = (now - person.last_invited_any) / DAY
        return "throttled", f"invited {days:.1f} days ago; at most one invitation every {policy.fatigue_days:g} days"
    recontact = policy.recontact_days.get(survey_id)
    if recontact and person.last_invited_survey is not None and now - person.last_invited_survey < recontact * DAY:
        return "throttled", f"already invited to {survey_id} within {recontact:g} days"
    return None


def after_quiet_hours(moment: float, timezone: str | None, policy: Policy) -> float:
    """The first moment at or after ``moment`` outside quiet hours in the person's zone
    (their own when known, else the configured default)."""
    zone = ZoneInfo(timezone or policy.timezone)
    local = datetime.fromtimestamp(moment, UTC).astimezone(zone)
    start, end = policy.quiet_start, policy.quiet_end
    now_t = local.time()
    if start == end:
        return moment
    quiet = (now_t >= start or now_t < end) if start > end else (start <= now_t < end)
    if not quiet:
        return moment
    wake_day = local.date() if now_t < end else local.date() + timedelta(days=1)
    wake = datetime.combine(wake_day, end, tzinfo=zone)
    return max(moment, wake.timestamp())
