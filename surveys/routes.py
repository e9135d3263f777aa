"""Routing rules: which department's chats an alert goes to, and why.

Pure: the configuration's ``[[routes]]`` become :class:`Route` values; the facts of one alert
(survey, score category, context, language, platform, comment) become :class:`RouteFacts`;
:func:`decide` says which routes take it, with the reason each matched, so the alert, the
``routes test`` command and the export all tell the same story. Nothing here reads a clock,
a database or a platform.

A route matches when every condition it sets holds (an empty route matches everything);
within one condition any listed value will do. Comment words are matched as the digest's
themes count words: case, accents and word forms are ignored (Snowball stems in the comment's
language, so "refund" matches "refunds" and "refunded"), and a phrase matches its words in a
row. Negation does not hide a word: "not refunded" is still about a refund.

The comment usually arrives a little after the score that opened the alert. While it is
pending, a route that needs comment words cannot be decided yet: :func:`decide` then says the
alert is *held* (first-match mode: such a route stands before the first sure match; every-match
mode: such a route exists). The desk posts it once the comment arrives, the customer leaves
the survey, or the configured wait is over, whichever comes first (words then count as absent).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from surveys.texts import text
from surveys.themes import stem

FIRST = "first"
EVERY = "every"
MODES = (FIRST, EVERY)
DEFAULT_ROUTE = "default"

#: Score categories a route may name (classify() of each kind, plus "skipped").
CATEGORIES: tuple[str, ...] = (
    "detractor",
    "passive",
    "promoter",
    "unsatisfied",
    "neutral",
    "satisfied",
    "difficult",
    "easy",
    "skipped",
)
#: Platforms a customer answers on.
CUSTOMER_PLATFORMS: tuple[str, ...] = ("telegram", "slack", "console")

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


class Truth(Enum):
    """A condition's outcome: a pending comment leaves comment words UNKNOWN."""

    NO = 0
    YES = 1
    UNKNOWN = 2


@dataclass(frozen=True)
class Route:
    """One ``[[routes]]`` table: its conditions, its destinations (``platform:chat``) and
    the group to mention per platform (a Slack user group or member id, a Telegram
    @username)."""

    name: str
    destinations: tuple[str, ...]
    surveys: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    context: Mapping[str, frozenset[str]] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    platforms: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    mention: Mapping[str, str] = field(default_factory=dict)

    @property
    def needs_comment(self) -> bool:
        return bool(self.words)


@dataclass(frozen=True)
class RouteFacts:
    """What is known about an alert when it is routed."""

    survey: str
    category: str | None  # None: the score was skipped
    context: Mapping[str, str] = field(default_factory=dict)
    language: str = ""
    platform: str = ""
    comment: str = ""
    comment_pending: bool = False  # the customer may still write a comment


@dataclass(frozen=True)
class Reason:
    """Why a condition held: ``what`` is survey, category, context, language, platform or
    words; ``value`` what matched (``product=app``, ``invoice``)."""

    what: str
    value: str

    def __str__(self) -> str:
        return f"{self.what} {self.value}"


@dataclass(frozen=True)
class Check:
    """One route tried against one alert: did it match, and on what (or what failed)."""

    route: Route
    truth: Truth
    reasons: tuple[Reason, ...] = ()  # the conditions that held
    failed: Reason | None = None  # the first condition that did not


@dataclass(frozen=True)
class Decision:
    """Where an alert goes. ``held``: not decided until the comment arrives. ``matched``:
    the routes that take it, in configuration order (the default route alone when none
    did); ``checks``: every route tried, for ``routes test``."""

    held: bool
    matched: tuple[Check, ...]
    checks: tuple[Check, ...]
    mode: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.route.name for c in self.matched)

    def destinations(self) -> list[str]:
        """Every destination of the matched routes, once each, in order."""
        return list(dict.fromkeys(d for c in self.matched for d in c.route.destinations))

    def routes_to(self, destination: str) -> tuple[Check, ...]:
        """The matched routes that sent the alert to ``destination``."""
        return tuple(c for c in self.matched if destination in c.route.destinations)


def fold(text: str) -> str:
    """Lowercase without accents, for comparing words typed in configuration and comments."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("\u2019", "'")


@functools.lru_cache(maxsize=256)
def _stems(text: str, language: str) -> tuple[str, ...]:
    """The comment's words as stems of its language, folded (accents off after stemming, so
    the stemmer still sees them). Remembered: every route with words asks about the same
    comment, and every alert about the same configured words."""
    lowered = unicodedata.normalize("NFC", text).replace("\u2019", "'").lower()
    return tuple(fold(stem(token, language)) for token in _TOKEN.findall(lowered))


@functools.lru_cache(maxsize=256)
def _stem_set(stems: tuple[str, ...]) -> frozenset[str]:
    return frozenset(stems)


def word_in(word: str, comment_stems: tuple[str, ...], language: str) -> bool:
    """Whether ``word`` (a word or a phrase) stands in the comment, by stems in a row."""
    wanted = _stems(word, language)
    if not wanted or wanted[0] not in _stem_set(comment_stems):
        return False
    n = len(wanted)
    return any(
        tuple(comment_stems[i : i + n]) == wanted
        for i, first in enumerate(comment_stems[: len(comment_stems) - n + 1])
        if first == wanted[0]
    )


def check(route: Route, facts: RouteFacts) -> Check:
    """One route against one alert: YES with the reasons, NO with the first failed
    condition, or UNKNOWN when only the comment's words are left to decide."""
    reasons: list[Reason] = []
    if route.surveys:
        if facts.survey not in route.surveys:
            return Check(route, Truth.NO, tuple(reasons), Reason("survey", facts.survey))
        reasons.append(Reason("survey", facts.survey))
    if route.categories:
        category = facts.category or "skipped"
        if category not in route.categories:
            return Check(route, Truth.NO, tuple(reasons), Reason("category", category))
        reasons.append(Reason("category", category))
    for key, values in sorted(route.context.items()):
        value = _context_value(facts.context, key)
        if value is None or fold(value) not in values:
            shown = f"{key}={value}" if value is not None else f"{key} (not given)"
            return Check(route, Truth.NO, tuple(reasons), Reason("context", shown))
        reasons.append(Reason("context", f"{key}={value}"))
    if route.languages:
        language = (facts.language or "").split("-")[0].lower()
        if language not in route.languages:
            return Check(route, Truth.NO, tuple(reasons), Reason("language", language or "unknown"))
        reasons.append(Reason("language", language))
    if route.platforms:
        if facts.platform not in route.platforms:
            return Check(route, Truth.NO, tuple(reasons), Reason("platform", facts.platform or "unknown"))
        reasons.append(Reason("platform", facts.platform))
    if route.words:
        if not facts.comment.strip():
            if facts.comment_pending:
                return Check(route, Truth.UNKNOWN, tuple(reasons))
            return Check(route, Truth.NO, tuple(reasons), Reason("words", "(no comment)"))
        language = (facts.language or "en").split("-")[0].lower()
        stems = _stems(facts.comment, language)
        found = next((w for w in route.words if word_in(w, stems, language)), None)
        if found is None:
            return Check(route, Truth.NO, tuple(reasons), Reason("words", "none of " + ", ".join(route.words)))
        reasons.append(Reason("words", found))
    return Check(route, Truth.YES, tuple(reasons))


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    if key in context:
        return str(context[key])
    wanted = key.lower()
    return next((str(v) for k, v in context.items() if k.lower() == wanted), None)


def decide(
    routes: Sequence[Route], mode: str, facts: RouteFacts, default: Sequence[str], *, final: bool = False
) -> Decision:
    """Which routes take the alert. ``default``: the default route's destinations (the
    survey's own, else the staff chats), used when no route matches. ``final``: decide now
    even with the comment pending (the wait is over): words then count as absent."""
    if final and facts.comment_pending:
        facts = RouteFacts(facts.survey, facts.category, facts.context, facts.language, facts.platform, facts.comment)
    checks = tuple(check(r, facts) for r in routes)
    matched: list[Check] = []
    held = False
    for c in checks:
        if c.truth is Truth.UNKNOWN:
            held = True
            if mode == FIRST:
                break
        elif c.truth is Truth.YES:
            matched.append(c)
            if mode == FIRST:
                break
    if held:
        return Decision(True, (), checks, mode)
    if not matched:
        matched.append(Check(Route(DEFAULT_ROUTE, tuple(default)), Truth.YES))
    return Decision(False, tuple(matched), checks, mode)


def facts_reasons(decision: Decision) -> list[tuple[str, list[tuple[str, str]]]]:
    """The matched routes with their reasons as plain pairs: what is stored with the alert
    (``escalations.route_why``) and shown on it. A context reason keeps only its key: the
    value stays in the response's context alone, so erasure and anonymous mode, which act
    there, hold for the route line too."""
    return [
        (c.route.name, [(r.what, r.value.split("=", 1)[0] if r.what == "context" else r.value) for r in c.reasons])
        for c in decision.matched
    ]


def explain(decision: Decision, facts: RouteFacts) -> list[str]:
    """``feedbackbot routes test``: every route tried, in order, and where the alert goes."""
    lines = [f"Mode: {decision.mode} match"]
    stopped = False
    for i, c in enumerate(decision.checks, 1):
        head = f"{i}. {c.route.name}: "
        if stopped:
            lines.append(head + "not tried (first match already found)")
            continue
        if c.truth is Truth.YES:
            why = ", ".join(str(r) for r in c.reasons) or "no conditions (matches everything)"
            lines.append(head + f"MATCH on {why}")
            stopped = decision.mode == FIRST
        elif c.truth is Truth.UNKNOWN:
            lines.append(head + "waits for the comment (it matches on words)")
            stopped = decision.mode == FIRST
        else:
            assert c.failed is not None
            lines.append(head + f"no ({c.failed.what}: {c.failed.value})")
    if decision.held:
        lines.append("Held until the comment arrives (or the wait is over).")
        return lines
    if decision.matched and decision.matched[0].route.name == DEFAULT_ROUTE:
        lines.append("No route matched: the default route takes it.")
    for c in decision.matched:
        lines.append(f"-> {c.route.name}: {', '.join(c.route.destinations) or '(nowhere)'}")
        for platform, group in sorted(c.route.mention.items()):
            lines.append(f"   mentions {group} on {platform}")
    return lines


def parse_context(pairs: Iterable[str]) -> dict[str, str]:
    """``product=app`` pairs as typed on the command line."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def describe(
    why: Sequence[tuple[str, Sequence[tuple[str, str]]]], language: str, context: Mapping[str, str] | None = None
) -> str:
    """The route line of an alert in staff's language: ``billing (score detractor, comment
    mentions “invoice”)``; the default route says that no route matched. A context reason
    shows ``key=value`` when ``context`` (what the alert may show) has the key, else the key."""

    def value_of(what: str, value: str) -> str:
        if what != "context":
            return value
        shown = _context_value(context or {}, value)
        return value if shown is None else f"{value}={shown}"

    parts = []
    for name, reasons in why:
        if name == DEFAULT_ROUTE:
            parts.append(text(language, "route_default"))
            continue
        shown = [
            text(language, f"route_why_{what}", value=value_of(what, value))
            for what, value in reasons
            if what in REASONS
        ]
        parts.append(f"{name} ({', '.join(shown) or text(language, 'route_everything')})")
    return "; ".join(parts)


REASONS = frozenset({"survey", "category", "context", "language", "platform", "words"})
