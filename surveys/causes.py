"""Root causes and corrective actions: the quality manager's side of closing the loop.

Pure: parsing what staff type (``/resolve 12 cause:billing ...``, ``/action 12,14 ... owner:@maria
due:2026-12-15``), naming causes in six languages, deciding when an action's owner is
reminded, and the Pareto of causes with recovery rate and time to resolve per cause. The
service reads and writes; nothing here touches a clock, a database or a platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from surveys.locales import MESSAGES
from surveys.metrics import median

#: Built-in causes, named in every catalog (``cause_<id>``). "other" sorts last in a Pareto.
BUILTIN_CAUSES: tuple[str, ...] = (
    "billing",
    "late_delivery",
    "product_defect",
    "missing_docs",
    "staff_behaviour",
    "other",
)
CAUSE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
CAUSE_PREFIX = "k"  # button data: k:<alert>:<cause id>
OVERDUE_EVERY_DAYS = 7  # an overdue action's owner is reminded on the first overdue day, then weekly


@dataclass(frozen=True)
class Cause:
    """A configured cause: its id (stored with the alert) and its names per language
    (``all`` for every language without its own)."""

    id: str
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, language: str) -> str:
        if language in self.names:
            return self.names[language]
        if "all" in self.names:
            return self.names["all"]
        builtin = MESSAGES.get(language, MESSAGES["en"]).get(f"cause_{self.id}")
        if builtin:
            return builtin
        return self.names.get("en") or self.id.replace("_", " ")


DEFAULT_CAUSES: tuple[Cause, ...] = tuple(Cause(c) for c in BUILTIN_CAUSES)


def cause_value(escalation_id: int, cause_id: str) -> str:
    return f"{CAUSE_PREFIX}:{escalation_id}:{cause_id}"


def parse_cause_value(data: str) -> tuple[int, str] | None:
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != CAUSE_PREFIX or not parts[1].isdigit() or not parts[2]:
        return None
    return int(parts[1]), parts[2]


def find_cause(token: str, causes: Sequence[Cause]) -> Cause | None:
    """A cause as typed: its id, its number in the list (1-based, as the terminal shows
    them), its name in any language, or an unambiguous start of an id or name."""
    wanted = token.strip().lower().replace(" ", "_")
    if not wanted:
        return None
    if wanted.isdigit():
        index = int(wanted) - 1
        return causes[index] if 0 <= index < len(causes) else None
    for cause in causes:
        if cause.id == wanted:
            return cause
    names = {c.id: {c.name(lang).lower().replace(" ", "_") for lang in MESSAGES} for c in causes}
    for cause in causes:
        if wanted in names[cause.id]:
            return cause
    starts = [c for c in causes if c.id.startswith(wanted) or any(n.startswith(wanted) for n in names[c.id])]
    return starts[0] if len(starts) == 1 else None


def split_cause(note: str) -> tuple[str | None, str]:
    """``cause:billing refunded the order`` -> ("billing", "refunded the order"). The
    ``cause:`` word may stand anywhere in the note; without it the cause is None."""
    words = note.split()
    for i, word in enumerate(words):
        if word.lower().startswith("cause:"):
            rest = words[:i] + words[i + 1 :]
            return word[len("cause:") :], " ".join(rest)
    return None, note.strip()


@dataclass(frozen=True)
class ActionDraft:
    alert_ids: tuple[int, ...]
    title: str
    owner: str  # as shown: "@maria"
    due: date | None
    owner_id: str = ""  # the owner's member id when the platform gave one (Slack: <@U0123|maria>)


# A Slack member mention as Slack escapes it (and as the adapter writes a resolved owner).
SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")


def owner_of(token: str) -> tuple[str, str]:
    """(shown name, member id) of an ``owner:`` value: ``<@U0123|maria>`` -> ("@maria",
    "U0123"); anything else is a name as typed, with no id."""
    found = SLACK_MENTION.match(token)
    if found is None:
        return token, ""
    name = (found.group(2) or "").strip().lstrip("@")
    return f"@{name or found.group(1)}", found.group(1)


def parse_action(args: str) -> ActionDraft | str:
    """``12,14 fix the invoice template owner:@maria due:2026-12-15`` -> a draft, or the
    problem as a catalog key (``action_usage``, ``action_bad_due``) for the usage answer."""
    head, _, rest = args.strip().partition(" ")
    ids = [p for p in head.replace(";", ",").split(",") if p]
    if not ids or not all(p.lstrip("#").isdigit() for p in ids):
        return "action_usage"
    owner = ""
    due: date | None = None
    words = []
    for word in rest.split():
        lower = word.lower()
        if lower.startswith("owner:") and len(word) > len("owner:"):
            owner = word[len("owner:") :]
        elif lower.startswith("due:"):
            try:
                due = date.fromisoformat(word[len("due:") :])
            except ValueError:
                return "action_bad_due"
        else:
            words.append(word)
    title = " ".join(words).strip()
    if not title:
        return "action_usage"
    alert_ids = tuple(dict.fromkeys(int(p.lstrip("#")) for p in ids))
    shown, owner_id = owner_of(owner)
    return ActionDraft(alert_ids, title[:300], shown[:80], due, owner_id)


def reminder_due(due: date | None, today: date, reminded_on: date | None) -> str | None:
    """Which reminder an open action's owner gets today, if any: "due" on the due date,
    "overdue" on the first day after it and then every :data:`OVERDUE_EVERY_DAYS` days.
    At most one a day, whatever the scheduler's rhythm."""
    if due is None or today < due or reminded_on == today:
        return None
    if today == due:
        return "due"
    if reminded_on is None or reminded_on <= due or (today - reminded_on) >= timedelta(days=OVERDUE_EVERY_DAYS):
        return "overdue"
    return None


# -- reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedAlert:
    """One resolved alert as the cause report sees it."""

    cause: str | None  # None: resolved without a cause
    opened_at: float
    resolved_at: float
    recovered: bool | None  # the customer's answer to "was it solved?"
    route: str = ""  # which department / destination had it


@dataclass(frozen=True)
class ParetoRow:
    cause: str  # id; "" for alerts resolved without a cause
    count: int
    share: float  # of all resolved alerts in the period
    cumulative: float
    previous: int  # the same cause in the previous period
    recovery_rate: float | None  # yes / (yes + no) among those who answered
    recovery_answers: int
    median_resolve_seconds: float | None


UNSPECIFIED = ""


@dataclass(frozen=True)
class Tally:
    """The resolved alerts of one period that share a cause and a route string: how many, and
    how many customers answered "solved" (``yes``) or "not solved" (``no``). A period's
    figures are built from its tallies and its medians, so the database can group the
    alerts itself instead of handing over one row per alert."""

    cause: str  # UNSPECIFIED for none
    route: str  # as stored ("app, billing" in every-match mode); "default" for none
    count: int
    yes: int = 0
    no: int = 0


@dataclass(frozen=True)
class Resolved:
    """One period's resolved alerts, aggregated: the tallies, and the median time to resolve
    per cause and per route name (see :func:`route_names`)."""

    tallies: tuple[Tally, ...] = ()
    cause_medians: Mapping[str, float] = field(default_factory=dict)
    route_medians: Mapping[str, float] = field(default_factory=dict)


def tally(alerts: Iterable[ResolvedAlert]) -> Resolved:
    """Alert by alert, what the database computes for :func:`pareto_of` and :func:`by_route_of`."""
    counts: dict[tuple[str, str], list[int]] = {}
    by_cause: dict[str, list[float]] = {}
    by_route: dict[str, list[float]] = {}
    for alert in alerts:
        cause, route = alert.cause or UNSPECIFIED, alert.route or "default"
        entry = counts.setdefault((cause, route), [0, 0, 0])
        entry[0] += 1
        entry[1] += alert.recovered is True
        entry[2] += alert.recovered is False
        seconds = alert.resolved_at - alert.opened_at
        by_cause.setdefault(cause, []).append(seconds)
        for name in route_names(route):
            by_route.setdefault(name, []).append(seconds)
    return Resolved(
        tuple(Tally(c, r, *n) for (c, r), n in counts.items()),
        {c: float(median(v) or 0.0) for c, v in by_cause.items()},
        {r: float(median(v) or 0.0) for r, v in by_route.items()},
    )


def pareto(
    current: Iterable[ResolvedAlert], previous: Iterable[ResolvedAlert] = (), order: Sequence[str] = ()
) -> list[ParetoRow]:
    """:func:`pareto_of` the alerts themselves."""
    return pareto_of(tally(current), tally(previous), order)


def pareto_of(current: Resolved, previous: Resolved = Resolved(), order: Sequence[str] = ()) -> list[ParetoRow]:
    """Causes from the most to the least frequent, with each one's share and the cumulative
    share (the Pareto). "other" and alerts without a cause come last whatever their count:
    they say nothing to fix. Ties keep the configured order (``order``)."""
    groups: dict[str, list[int]] = {}  # cause -> [count, yes, no]
    for t in current.tallies:
        entry = groups.setdefault(t.cause or UNSPECIFIED, [0, 0, 0])
        entry[0] += t.count
        entry[1] += t.yes
        entry[2] += t.no
    before: dict[str, int] = {}
    for t in previous.tallies:
        before[t.cause or UNSPECIFIED] = before.get(t.cause or UNSPECIFIED, 0) + t.count
    total = sum(g[0] for g in groups.values())
    rank = {c: i for i, c in enumerate(order)}

    def ordering(cause: str) -> tuple[int, int, int, str]:
        tail = 2 if cause == UNSPECIFIED else 1 if cause == "other" else 0
        return (tail, -groups[cause][0], rank.get(cause, len(rank)), cause)

    rows = []
    running = 0
    for cause in sorted(groups, key=ordering):
        count, yes, no = groups[cause]
        running += count
        rows.append(
            ParetoRow(
                cause=cause,
                count=count,
                share=count / total,
                cumulative=running / total,
                previous=before.get(cause, 0),
                recovery_rate=(yes / (yes + no)) if yes + no else None,
                recovery_answers=yes + no,
                median_resolve_seconds=current.cause_medians.get(cause),
            )
        )
    # Causes seen only in the previous period: a zero this time is news too.
    for cause in sorted(set(before) - set(groups), key=lambda c: (rank.get(c, len(rank)), c)):
        rows.append(ParetoRow(cause, 0, 0.0, running / total if total else 0.0, before[cause], None, 0, None))
    return rows


@dataclass(frozen=True)
class RouteRow:
    """One route's alerts resolved in the period: how many, how that changed, how often the
    customer said the problem was solved, how long resolving took, and its top cause."""

    route: str
    count: int
    previous: int
    recovery_rate: float | None
    recovery_answers: int
    median_resolve_seconds: float | None
    top_cause: str | None  # the most frequent cause id ("" for none given); None without alerts


def route_names(route: str) -> list[str]:
    """The routes of one alert (every-match mode records several, joined with ", ")."""
    return [r for r in (part.strip() for part in route.split(",")) if r] or ["default"]


def by_route(current: Iterable[ResolvedAlert], previous: Iterable[ResolvedAlert] = ()) -> list[RouteRow]:
    """:func:`by_route_of` the alerts themselves."""
    return by_route_of(tally(current), tally(previous))


def by_route_of(current: Resolved, previous: Resolved = Resolved()) -> list[RouteRow]:
    """Figures per route, most alerts first: an alert sent by several routes counts in each."""
    groups: dict[str, list[int]] = {}  # route name -> [count, yes, no]
    causes_of: dict[str, dict[str, int]] = {}
    for t in current.tallies:
        for name in route_names(t.route):
            entry = groups.setdefault(name, [0, 0, 0])
            entry[0] += t.count
            entry[1] += t.yes
            entry[2] += t.no
            counts = causes_of.setdefault(name, {})
            counts[t.cause or UNSPECIFIED] = counts.get(t.cause or UNSPECIFIED, 0) + t.count
    before: dict[str, int] = {}
    for t in previous.tallies:
        for name in route_names(t.route):
            before[name] = before.get(name, 0) + t.count
    rows = []
    for name in sorted(groups, key=lambda n: (-groups[n][0], n)):
        count, yes, no = groups[name]
        counts = causes_of[name]
        top = min(counts, key=lambda c: (-counts[c], c == UNSPECIFIED, c))
        rows.append(
            RouteRow(
                route=name,
                count=count,
                previous=before.get(name, 0),
                recovery_rate=(yes / (yes + no)) if yes + no else None,
                recovery_answers=yes + no,
                median_resolve_seconds=current.route_medians.get(name),
                top_cause=top,
            )
        )
    for name in sorted(set(before) - set(groups)):
        rows.append(RouteRow(name, 0, before[name], None, 0, None, None))
    return rows


def hours(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def change(now: int, before: int) -> str:
    if now == before:
        return "="
    return f"{now - before:+d}"


def pareto_table(rows: Sequence[ParetoRow], name_of: Mapping[str, str]) -> list[str]:
    """The Pareto as fixed-width lines (code block on chat platforms, plain in the terminal)."""
    if not rows:
        return []
    names = [name_of.get(r.cause, r.cause) if r.cause else "(no cause given)" for r in rows]
    width = max(12, *(len(n) for n in names))
    lines = [f"{'Cause':<{width}}  {'n':>4} {'share':>6} {'cum.':>6} {'vs prev':>7} {'recovered':>9} {'resolve':>8}"]
    for row, name in zip(rows, names, strict=True):
        recovered = "–" if row.recovery_rate is None else f"{row.recovery_rate:.0%} of {row.recovery_answers}"
        lines.append(
            f"{name:<{width}}  {row.count:>4} {row.share:>6.0%} {row.cumulative:>6.0%} "
            f"{change(row.count, row.previous):>7} {recovered:>9} {hours(row.median_resolve_seconds):>8}"
        )
    return lines


@dataclass(frozen=True)
class OpenAction:
    id: int
    title: str
    owner: str
    due: date | None
    alert_ids: tuple[int, ...]

    def overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today


def action_line(action: OpenAction, today: date, overdue_word: str = "OVERDUE") -> str:
    parts = [f"#{action.id} {action.title}"]
    if action.owner:
        parts.append(action.owner)
    if action.due is not None:
        due = f"due {action.due.isoformat()}"
        if action.overdue(today):
            due += f" {overdue_word}"
        parts.append(due)
    if action.alert_ids:
        parts.append("alerts " + ", ".join(f"#{i}" for i in action.alert_ids))
    return " · ".join(parts)


@dataclass(frozen=True)
class CauseReport:
    """The quality manager's part of a digest: the Pareto of root causes of the alerts
    resolved in the period (with the previous period's counts) and the corrective actions
    still open."""

    period_label: str
    rows: tuple[ParetoRow, ...]
    names: Mapping[str, str]  # cause id -> name in the report's language
    actions: tuple[OpenAction, ...]
    today: date
    routes: tuple[RouteRow, ...] = ()  # per route, once routing rules sent some alert elsewhere

    @property
    def routed(self) -> bool:
        """Whether the per-route figures say anything: some route other than the default."""
        return any(r.route != "default" for r in self.routes)

    @property
    def empty(self) -> bool:
        return not self.rows and not self.actions

    @property
    def resolved(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def resolved_text(self) -> str:
        """"1 alert resolved", "4 alerts resolved": the count as a manager reads it in titles."""
        n = self.resolved
        return f"{n} alert resolved" if n == 1 else f"{n} alerts resolved"

    def name(self, cause: str) -> str:
        return self.names.get(cause, cause.replace("_", " ")) if cause else "(no cause given)"

    @property
    def overdue(self) -> tuple[OpenAction, ...]:
        return tuple(a for a in self.actions if a.overdue(self.today))


MAX_LISTED_ACTIONS = 10


def cause_lines(report: CauseReport) -> list[str]:
    """One line per cause, readable in any chat (no fixed-width table needed)."""
    lines = []
    for i, row in enumerate(report.rows, 1):
        if row.count == 0:
            lines.append(f"{report.name(row.cause)}: 0 (was {row.previous})")
            continue
        parts = [
            f"{i}. {report.name(row.cause)}: {row.count} ({row.share:.0%}, cumulative {row.cumulative:.0%})",
            f"{change(row.count, row.previous)} vs previous",
        ]
        if row.recovery_rate is not None:
            parts.append(f"recovered {row.recovery_rate:.0%} of {row.recovery_answers}")
        parts.append(f"median to resolve {hours(row.median_resolve_seconds)}")
        lines.append(" · ".join(parts))
    return lines


def route_table(report: CauseReport) -> list[str]:
    """Recovery rate and median time to resolve per route, fixed-width."""
    if not report.routed:
        return []
    width = max(12, *(len(r.route) for r in report.routes))
    lines = [f"{'Route':<{width}}  {'n':>4} {'vs prev':>7} {'recovered':>9} {'resolve':>8}  top cause"]
    for r in report.routes:
        recovered = "–" if r.recovery_rate is None else f"{r.recovery_rate:.0%} of {r.recovery_answers}"
        top = "–" if r.top_cause is None else report.name(r.top_cause)
        lines.append(
            f"{r.route:<{width}}  {r.count:>4} {change(r.count, r.previous):>7} {recovered:>9} "
            f"{hours(r.median_resolve_seconds):>8}  {top}"
        )
    return lines


def route_lines(report: CauseReport) -> list[str]:
    """One line per route, readable in any chat."""
    if not report.routed:
        return []
    lines = []
    for r in report.routes:
        if r.count == 0:
            lines.append(f"{r.route}: 0 (was {r.previous})")
            continue
        parts = [f"{r.route}: {r.count}", f"{change(r.count, r.previous)} vs previous"]
        if r.recovery_rate is not None:
            parts.append(f"recovered {r.recovery_rate:.0%} of {r.recovery_answers}")
        parts.append(f"median to resolve {hours(r.median_resolve_seconds)}")
        if r.top_cause is not None:
            parts.append(f"top cause {report.name(r.top_cause)}")
        lines.append(" · ".join(parts))
    return lines


def action_lines(report: CauseReport) -> list[str]:
    shown = [action_line(a, report.today) for a in report.actions[:MAX_LISTED_ACTIONS]]
    if len(report.actions) > MAX_LISTED_ACTIONS:
        shown.append(f"… and {len(report.actions) - MAX_LISTED_ACTIONS} more (/actions)")
    return shown


def actions_summary(report: CauseReport) -> str:
    return f"Open corrective actions: {len(report.actions)} ({len(report.overdue)} overdue)"


def cause_text(report: CauseReport) -> str:
    """The report as plain text with the fixed-width table (``feedbackbot digest --causes``)."""
    out = [f"ROOT CAUSES · {report.period_label} · {report.resolved_text}"]
    table = pareto_table(report.rows, report.names)
    out += table or ["No alert was resolved in this period."]
    routes = route_table(report)
    if routes:
        out += ["", "BY ROUTE", *routes]
    out += ["", actions_summary(report)]
    out += [f"  {line}" for line in action_lines(report)]
    return "\n".join(out) + "\n"


def cause_json(report: CauseReport) -> dict[str, object]:
    return {
        "period": report.period_label,
        "resolved": report.resolved,
        "causes": [
            {
                "cause": r.cause or None,
                "name": report.name(r.cause),
                "count": r.count,
                "share": r.share,
                "cumulative_share": r.cumulative,
                "previous_count": r.previous,
                "change": r.count - r.previous,
                "recovery_rate": r.recovery_rate,
                "recovery_answers": r.recovery_answers,
                "median_seconds_to_resolve": r.median_resolve_seconds,
            }
            for r in report.rows
        ],
        "routes": [
            {
                "route": r.route,
                "count": r.count,
                "previous_count": r.previous,
                "change": r.count - r.previous,
                "recovery_rate": r.recovery_rate,
                "recovery_answers": r.recovery_answers,
                "median_seconds_to_resolve": r.median_resolve_seconds,
                "top_cause": r.top_cause or None,
            }
            for r in report.routes
        ],
        "open_actions": [
            {
                "id": a.id,
                "title": a.title,
                "owner": a.owner,
                "due": a.due.isoformat() if a.due else None,
                "overdue": a.overdue(report.today),
                "alerts": list(a.alert_ids),
            }
            for a in report.actions
        ],
    }
