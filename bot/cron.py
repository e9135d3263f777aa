"""Crontab expressions: a 5-field crontab as an APScheduler trigger, and the latest time it fired.

Three users, one rule: the configuration validates ``cron`` keys with it, the services decide which
period is due from the latest fire time (digests, agent reports), and the scheduler runs the jobs.
It imports nothing of ours, so all three can depend on it without depending on each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_MAX_FIRES_SCANNED = 20_000


def crontab_trigger(expr: str, timezone: str) -> CronTrigger:
    """A ``CronTrigger`` from a 5-field crontab ``"m h dom mon dow"`` in ``timezone``.

    Day-of-week must use names (``mon``, ``mon-fri``, ``sat,sun``): APScheduler 3 counts 0 as
    Monday while cron counts 0 as Sunday, so a number would silently fire a day late. Raises
    ValueError with a message fit for an operator.
    """
    fields = expr.split()
    if len(fields) != len(CRON_FIELDS):
        raise ValueError(
            f"expected 5 fields 'minute hour day-of-month month day-of-week' such as '0 9 * * mon', got {expr!r}"
        )
    values = dict(zip(CRON_FIELDS, fields, strict=True))
    dow = values["day_of_week"]
    if any(ch.isdigit() for ch in dow):
        raise ValueError(
            f"day of week {dow!r}: use day names such as 'mon', 'mon-fri' or 'sat,sun', not numbers "
            "(APScheduler 3 counts 0 as Monday while cron counts 0 as Sunday, so '1' would fire on Tuesday)"
        )
    if values["day"] != "*" and dow != "*":
        raise ValueError(
            f"restrict either the day of month ({values['day']!r}) or the day of week ({dow!r}), not both "
            "(cron fires when either matches, APScheduler only when both do)"
        )
    try:
        return CronTrigger(timezone=ZoneInfo(timezone), **values)
    except (ValueError, KeyError) as exc:
        raise ValueError(f"invalid crontab {expr!r}: {exc}") from None


def last_fire(trigger: CronTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest fire time of ``trigger`` in ``[now - lookback, now]``, None if there is none.

    APScheduler only steps forward, so this scans forward from ``now - window`` for growing
    windows (an hour, a day, a week, the whole lookback): the latest fire in a short window is
    the latest overall, which keeps a minutely crontab with a long grace time cheap."""
    for window in (timedelta(hours=1), timedelta(days=1), timedelta(days=8), lookback):
        window = min(window, lookback)
        cursor = now - window
        found: datetime | None = None
        for _ in range(_MAX_FIRES_SCANNED):
            fire = trigger.get_next_fire_time(None, cursor)
            if fire is None or fire > now:
                break
            found = fire
            cursor = fire + timedelta(seconds=1)
        if found is not None or window >= lookback:
            return found
    return None
