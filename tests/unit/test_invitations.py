from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from surveys.invitations import DAY, PersonFacts, Policy, after_quiet_hours, refusal

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC).timestamp()
POLICY = Policy(fatigue_days=30, recontact_days={"nps": 90})


def facts(**kw: object) -> PersonFacts:
    base: dict[str, object] = {
        "opted_out": False,
        "unreachable": False,
        "last_invited_any": None,
        "last_invited_survey": None,
    }
    base.update(kw)
    return PersonFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("person", "survey", "status"),
    [
        (facts(), "nps", None),
        (facts(opted_out=True), "nps", "opted_out"),
        (facts(unreachable=True), "nps", "unreachable"),
        (facts(last_invited_any=NOW - 10 * DAY), "csat", "throttled"),
        (facts(last_invited_any=NOW - 31 * DAY), "csat", None),
        (facts(last_invited_any=NOW - 31 * DAY, last_invited_survey=NOW - 31 * DAY), "nps", "throttled"),
        (facts(last_invited_any=NOW - 91 * DAY, last_invited_survey=NOW - 91 * DAY), "nps", None),
    ],
)
def test_refusal(person: PersonFacts, survey: str, status: str | None) -> None:
    result = refusal(NOW, person, survey, POLICY)
    assert (result[0] if result else None) == status


def at(hour: int, minute: int = 0, day: int = 10) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (at(12), "UTC", at(12)),  # daytime: now
        (at(22), "UTC", at(9, day=11)),  # evening: tomorrow morning
        (at(3), "UTC", at(9)),  # night: this morning
        (at(9), "UTC", at(9)),
        (at(20, 59), "UTC", at(20, 59)),
        (at(12), "Asia/Tokyo", at(0, day=11)),  # 21:00 in Tokyo -> 09:00 Tokyo = 00:00 UTC
        (at(12), None, at(12)),  # unknown zone: the default
    ],
)
def test_quiet_hours(moment: float, tz: str | None, expected: float) -> None:
    assert after_quiet_hours(moment, tz, POLICY) == expected


def test_quiet_hours_off_when_start_equals_end() -> None:
    assert after_quiet_hours(at(23), "UTC", Policy(quiet_start=time(0), quiet_end=time(0))) == at(23)
