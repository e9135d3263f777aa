"""Root causes and corrective actions, the pure part (issue 19): what staff type, which
reminder is due, and the Pareto with its shares, change, recovery rate and time to resolve."""

from __future__ import annotations

from datetime import date

import pytest

from surveys.causes import (
    DEFAULT_CAUSES,
    ActionDraft,
    Cause,
    CauseReport,
    ResolvedAlert,
    by_route,
    cause_text,
    find_cause,
    pareto,
    pareto_table,
    parse_action,
    parse_cause_value,
    reminder_due,
    route_lines,
    route_table,
    split_cause,
)


def test_split_cause_takes_the_cause_word_anywhere() -> None:
    assert split_cause("cause:billing refunded the order") == ("billing", "refunded the order")
    assert split_cause("refunded cause:billing the order") == ("billing", "refunded the order")
    assert split_cause("refunded the order") == (None, "refunded the order")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("billing", "billing"),
        ("1", "billing"),
        ("6", "other"),
        ("late", "late_delivery"),
        ("Late delivery", "late_delivery"),
        ("Abrechnungsfehler", "billing"),  # a German name
        ("produktmangel", "product_defect"),
        ("7", None),
        ("weather", None),
        ("", None),
    ],
)
def test_find_cause(typed: str, expected: str | None) -> None:
    found = find_cause(typed, DEFAULT_CAUSES)
    assert (found.id if found else None) == expected


def test_custom_cause_names_per_language() -> None:
    cause = Cause("packaging", {"all": "Damaged packaging", "de": "Beschädigte Verpackung"})
    assert cause.name("de") == "Beschädigte Verpackung" and cause.name("fr") == "Damaged packaging"
    assert Cause("billing").name("fr") == "Erreur de facturation"
    assert find_cause("beschädigte verpackung", (cause,)) == cause


def test_parse_action() -> None:
    assert parse_action("12,14 fix the invoice template owner:@maria due:2026-12-15") == ActionDraft(
        (12, 14), "fix the invoice template", "@maria", date(2026, 12, 15)
    )
    assert parse_action("#3 call the courier") == ActionDraft((3,), "call the courier", "", None)
    # A Slack mention (as Slack escapes it, and as the adapter writes a resolved @name).
    assert parse_action("3 call the courier owner:<@U0LEE|lee>") == ActionDraft(
        (3,), "call the courier", "@lee", None, "U0LEE"
    )
    assert parse_action("3 call owner:<@W0LEE>").owner == "@W0LEE"  # type: ignore[union-attr]
    assert parse_action("fix it") == "action_usage"
    assert parse_action("12 owner:@maria") == "action_usage"
    assert parse_action("12 fix due:15.12.2026") == "action_bad_due"


def test_cause_button_values() -> None:
    assert parse_cause_value("k:12:billing") == (12, "billing")
    assert parse_cause_value("e:12:resolve") is None
    assert parse_cause_value("k:x:billing") is None


def test_reminders_on_the_due_date_then_weekly_when_overdue() -> None:
    due = date(2026, 12, 15)
    assert reminder_due(due, date(2026, 12, 14), None) is None
    assert reminder_due(due, due, None) == "due"
    assert reminder_due(due, due, due) is None  # once a day
    assert reminder_due(due, date(2026, 12, 16), due) == "overdue"
    assert reminder_due(due, date(2026, 12, 17), date(2026, 12, 16)) is None
    assert reminder_due(due, date(2026, 12, 23), date(2026, 12, 16)) == "overdue"
    assert reminder_due(None, due, None) is None


def alert(cause: str | None, hours: float, recovered: bool | None = None) -> ResolvedAlert:
    return ResolvedAlert(cause, 0.0, hours * 3600, recovered)


def test_pareto_counts_shares_cumulative_and_change() -> None:
    current = [
        *[alert("billing", 2, True)] * 5,
        alert("billing", 4, False),
        *[alert("late_delivery", 10)] * 3,
        alert("other", 1),
        *[alert("other", 1)] * 3,  # "other" is last even when it outnumbers a real cause
        alert(None, 1),
    ]
    previous = [alert("billing", 1)] * 2 + [alert("missing_docs", 1)]
    rows = pareto(current, previous, order=[c.id for c in DEFAULT_CAUSES])
    assert [r.cause for r in rows] == ["billing", "late_delivery", "other", "", "missing_docs"]
    billing = rows[0]
    assert billing.count == 6 and billing.share == pytest.approx(6 / 14) and billing.previous == 2
    assert billing.recovery_rate == pytest.approx(5 / 6) and billing.recovery_answers == 6
    assert billing.median_resolve_seconds == 2 * 3600
    assert rows[1].cumulative == pytest.approx(9 / 14)
    assert rows[3].cumulative == pytest.approx(1.0)
    gone = rows[4]
    assert gone.count == 0 and gone.previous == 1
    table = pareto_table(rows, {"billing": "Billing error", "late_delivery": "Late delivery"})
    assert table[1].split()[:3] == ["Billing", "error", "6"]
    assert "+4" in table[1] and "(no cause given)" in table[4]


def test_pareto_of_nothing() -> None:
    assert pareto([]) == [] and pareto_table([], {}) == []


def routed(route: str, cause: str | None, hours_to_resolve: float, recovered: bool | None = None) -> ResolvedAlert:
    return ResolvedAlert(cause, 0.0, hours_to_resolve * 3600, recovered, route)


def test_figures_per_route() -> None:
    current = [
        routed("billing", "billing", 2, True),
        routed("billing", "billing", 4, False),
        routed("billing", "late_delivery", 6),
        routed("app, billing", "product_defect", 1, True),  # every match: counts in both routes
        routed("default", None, 10),
    ]
    previous = [routed("billing", "billing", 1), routed("logistics", "late_delivery", 1)]
    rows = {r.route: r for r in by_route(current, previous)}
    assert [r.route for r in by_route(current, previous)] == ["billing", "app", "default", "logistics"]
    billing = rows["billing"]
    assert (billing.count, billing.previous, billing.top_cause) == (4, 1, "billing")
    assert billing.recovery_rate == pytest.approx(2 / 3) and billing.recovery_answers == 3
    assert billing.median_resolve_seconds == 3 * 3600
    assert rows["app"].count == 1 and rows["app"].recovery_rate == 1.0
    assert rows["default"].top_cause == "" and rows["default"].recovery_rate is None
    assert rows["logistics"].count == 0 and rows["logistics"].previous == 1 and rows["logistics"].top_cause is None
    report = CauseReport("2026-W48", (), {"billing": "Billing error"}, (), date(2026, 12, 1), tuple(by_route(current)))
    table = route_table(report)
    assert table[0].split() == ["Route", "n", "vs", "prev", "recovered", "resolve", "top", "cause"]
    assert table[1].split()[:4] == ["billing", "4", "+4", "67%"] and table[1].endswith("Billing error")
    assert route_lines(report)[0] == (
        "billing: 4 · +4 vs previous · recovered 67% of 3 · median to resolve 3.0 h · top cause Billing error"
    )
    # Only the default route: nothing to compare, nothing shown.
    alone = CauseReport("2026-W48", (), {}, (), date(2026, 12, 1), tuple(by_route([routed("default", None, 1)])))
    assert route_table(alone) == [] and route_lines(alone) == []


def test_the_resolved_count_reads_as_english() -> None:
    """Titles say "1 alert resolved", never "1 alerts resolved"."""
    one = CauseReport("2026-W48", tuple(pareto([alert("billing", 1)])), {}, (), date(2026, 12, 1))
    three = CauseReport("2026-W48", tuple(pareto([alert("billing", 1)] * 3)), {}, (), date(2026, 12, 1))
    assert one.resolved_text == "1 alert resolved" and three.resolved_text == "3 alerts resolved"
    assert cause_text(one).splitlines()[0].endswith("· 1 alert resolved")
