"""Configuration: a TOML file for settings, environment variables for secrets.

Every problem is reported as one ``ConfigError`` naming the key and what was expected,
because an operator reading "surveys[1].kind: expected one of nps, csat, ces, got 'NPS2'"
fixes it in seconds, while a traceback sends them to the issue tracker.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cron import crontab_trigger
from storage.backends import DATABASE_URL_VAR
from storage.backends import password as url_password
from storage.backends import problem as url_problem
from storage.backends import redact as redact_url
from surveys.causes import BUILTIN_CAUSES, CAUSE_ID, DEFAULT_CAUSES, Cause
from surveys.kinds import EscalationRules, Kind, SurveyDefinition
from surveys.locales import SUPPORTED
from surveys.model import Destination
from surveys.routes import CATEGORIES, CUSTOMER_PLATFORMS, DEFAULT_ROUTE, MODES, Route, fold
from surveys.sentiment import NEGATIVE_COMMENT_AT
from surveys.texts import template_problem

SECRET_VARS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "FEEDBACKBOT_API_TOKEN",
    "FEEDBACKBOT_DATABASE_URL",  # may carry the PostgreSQL password
)


class ConfigError(Exception):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class BotSettings:
    default_language: str = "en"
    default_survey: str = ""
    timezone: str = "UTC"
    log_level: str = "INFO"
    log_format: str = "text"
    shutdown_grace_seconds: float = 5.0  # on SIGTERM, how long committed replies may take to go out


@dataclass(frozen=True)
class StorageSettings:
    path: str = "feedbackbot.db"
    durability: str = "full"
    # PostgreSQL instead of the SQLite file when set ([storage] url or FEEDBACKBOT_DATABASE_URL).
    url: str = field(default="", repr=False)

    @property
    def backend(self) -> str:
        return "postgresql" if self.url else "sqlite"

    @property
    def where(self) -> str:
        """The database for messages: the SQLite path, or the URL without its password."""
        return redact_url(self.url) if self.url else self.path


@dataclass(frozen=True)
class HttpSettings:
    enabled: bool = False
    listen: str = "127.0.0.1:8080"
    # The send API (POST /v1/surveys/{id}/send) is its own switch: a server running only for
    # Telegram webhooks or Slack's HTTP mode needs no FEEDBACKBOT_API_TOKEN.
    send_api: bool = False


@dataclass(frozen=True)
class TelegramSettings:
    enabled: bool = False
    mode: str = "polling"
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str = ""
    staff_chat_id: str = ""
    staff_user_ids: tuple[str, ...] = ()
    concurrency: int = 16
    bot_username: str = ""
    token: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class SlackSettings:
    enabled: bool = False
    mode: str = "socket"
    api_base_url: str = "https://slack.com/api/"
    listen: str = ""
    staff_channel: str = ""
    staff_user_ids: tuple[str, ...] = ()
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class ConsoleSettings:
    user: str = "console-user"
    name: str = "Console User"
    language: str = "en"
    # The person at the terminal is also staff of the console staff room: /claim, /reply,
    # /resolve and /digest work there, so one keyboard runs the whole loop.
    staff: bool = True


@dataclass(frozen=True)
class EscalationConfig:
    remind_unclaimed_minutes: float = 30
    remind_unresolved_hours: float = 24
    oncall: str = ""
    ask_recovery: bool = True
    # The reminder ladder: after the first reminder, one every ``remind_repeat_minutes`` (an
    # unclaimed alert) or ``remind_unresolved_hours`` (a claimed one), ``remind_max`` in all;
    # then only the daily summary of what is still open, at ``summary_time`` ([bot] timezone).
    remind_repeat_minutes: float = 60
    remind_max: int = 3
    summary_time: str = "09:00"
    # Root causes offered when an alert is resolved (issue 19); () turns the picker off.
    causes: tuple[Cause, ...] = DEFAULT_CAUSES


@dataclass(frozen=True)
class PrivacyConfig:
    retention_days: float = 0  # 0 keeps everything
    anonymous: bool = False
    # Context keys that identify a customer, hidden in anonymous mode; None: every context key.
    identifying_context: tuple[str, ...] | None = None

    def identifying(self, key: str) -> bool:
        """Whether anonymous mode hides context ``key`` (platform, language and survey are
        not context: they are never identifying)."""
        if not self.anonymous or key in BUILT_IN_SEGMENTS:
            return False
        return self.identifying_context is None or key.lower() in self.identifying_context

    def visible_context(self, context: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in context.items() if not self.identifying(k)}


BUILT_IN_SEGMENTS = frozenset({"platform", "language", "survey"})


@dataclass(frozen=True)
class InvitationConfig:
    fatigue_days: float = 30
    quiet_hours: str = "21:00-09:00"
    reminder_hours: float = 24


@dataclass(frozen=True)
class CampaignConfig:
    id: str
    survey: str
    audience: str
    cron: str
    timezone: str


@dataclass(frozen=True)
class DigestConfig:
    """One scheduled digest ([[digests]]): when (a crontab in its own time zone), which
    period it reports ("week", "month" or "days:N"), which surveys, and where it goes."""

    id: str
    cron: str
    timezone: str = "UTC"
    period: str = "week"
    surveys: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    grace_hours: float = 24.0
    chart: bool = True
    segments: tuple[str, ...] = ()  # context keys (or platform, language, survey) to break scores down by
    segment_min_n: int = 10  # smaller segments are folded into "other"


@dataclass(frozen=True)
class TrendAlertConfig:
    """[trend_alerts]: tell managers at once when a score falls significantly (bot/services/trends.py)."""

    enabled: bool = False
    period: str = "week"
    level: float = 0.01  # p below this is a drop
    min_n: int = 30  # responses needed on each side
    trailing: int = 4  # periods pooled for the second comparison
    check_minutes: float = 15
    surveys: tuple[str, ...] = ()  # default: all
    segments: tuple[str, ...] = ()  # default: the segments of the digests
    destinations: tuple[str, ...] = ()  # default: the digests' destinations, else the staff chats


@dataclass(frozen=True)
class AgentIds:
    """[agents] <name> = { telegram = ..., slack = "..." }: where an agent is mentioned and
    reached (their Telegram user id, their Slack member id)."""

    telegram: str = ""
    slack: str = ""


@dataclass(frozen=True)
class AgentReportConfig:
    """[agent_reports]: which context key names the agent, and the optional weekly direct
    message to each agent with their own results."""

    key: str = "agent"
    enabled: bool = False  # the weekly direct message
    cron: str = "0 9 * * mon"
    timezone: str = ""  # default: [bot] timezone
    surveys: tuple[str, ...] = ()  # default: all
    comments: int = 5  # the agent's own comments quoted, newest first


@dataclass(frozen=True)
class RoutingConfig:
    """[routing] and [[routes]] (issue 19): which department's chats an alert goes to.
    ``routes`` empty: every alert takes the default route (the survey's
    ``escalation.destinations``, else the staff chats), as before routes existed."""

    match: str = "first"  # "first": the first matching route only; "every": all that match
    routes: tuple[Route, ...] = ()
    default: tuple[str, ...] = ()  # the default route's destinations; () = per survey, as before
    default_mention: dict[str, str] = field(default_factory=dict)
    wait_for_comment_minutes: float = 10  # how long an alert may wait for a comment a route needs


@dataclass(frozen=True)
class Config:
    bot: BotSettings
    storage: StorageSettings
    http: HttpSettings
    telegram: TelegramSettings
    slack: SlackSettings
    console: ConsoleSettings
    surveys: dict[str, SurveyDefinition]
    escalation: EscalationConfig = EscalationConfig()
    invitations: InvitationConfig = InvitationConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    campaigns: tuple[CampaignConfig, ...] = ()
    recontact_days: dict[str, float] = field(default_factory=dict)
    api_token: str = field(default="", repr=False)
    source: str = ""
    digests: tuple[DigestConfig, ...] = ()
    trend_alerts: TrendAlertConfig = TrendAlertConfig()
    agents: dict[str, AgentIds] = field(default_factory=dict)
    agent_reports: AgentReportConfig = AgentReportConfig()
    routing: RoutingConfig = RoutingConfig()


# -- validation helpers --------------------------------------------------------------

Check = Callable[[str, Any], Any]


def _typed(expected: type | tuple[type, ...], name: str) -> Check:
    def check(key: str, value: Any) -> Any:
        wrong_bool = isinstance(value, bool) and expected is not bool
        if wrong_bool or not isinstance(value, expected):
            raise ConfigError(key, f"expected {name}, got {value!r}")
        return value

    return check


STR = _typed(str, "a string")
BOOL = _typed(bool, "true or false")
INT = _typed(int, "a whole number")
NUMBER = _typed((int, float), "a number")


def _one_of(*options: str) -> Check:
    def check(key: str, value: Any) -> Any:
        if value not in options:
            raise ConfigError(key, f"expected one of {', '.join(repr(o) for o in options)}, got {value!r}")
        return value

    return check


def _positive(check: Check) -> Check:
    def inner(key: str, value: Any) -> Any:
        value = check(key, value)
        if value <= 0:
            raise ConfigError(key, f"expected a positive number, got {value!r}")
        return value

    return inner


def _list_of(check: Check) -> Check:
    def inner(key: str, value: Any) -> Any:
        if not isinstance(value, list):
            raise ConfigError(key, f"expected a list, got {value!r}")
        return tuple(check(f"{key}[{i}]", v) for i, v in enumerate(value))

    return inner


def _ids(key: str, value: Any) -> tuple[str, ...]:
    """Chat and user ids: TOML users write them as numbers or strings; we keep strings."""
    if not isinstance(value, list):
        raise ConfigError(key, f"expected a list of ids, got {value!r}")
    out = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ConfigError(f"{key}[{i}]", f"expected an id (number or string), got {v!r}")
        out.append(str(v))
    return tuple(out)


def _causes(key: str, value: Any) -> tuple[Cause, ...]:
    """``causes = ["billing", {id = "packaging", name = "Damaged packaging", de = "..."}]``:
    a built-in id (named in every language) or a table with an id, a name and optional
    names per language."""
    if not isinstance(value, list):
        raise ConfigError(key, f"expected a list of cause ids or tables, got {value!r}")
    out: list[Cause] = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if isinstance(item, str):
            if item not in BUILTIN_CAUSES:
                raise ConfigError(
                    where,
                    f"{item!r} is not a built-in cause ({', '.join(BUILTIN_CAUSES)}); "
                    'give your own as {{ id = "...", name = "..." }}',
                )
            cause = Cause(item)
        elif isinstance(item, dict):
            unknown = set(item) - {"id", "name", *SUPPORTED}
            if unknown:
                known = f"id, name, {', '.join(SUPPORTED)}"
                raise ConfigError(f"{where}.{sorted(unknown)[0]}", f"unknown key (known: {known})")
            cid = item.get("id")
            if not isinstance(cid, str) or not CAUSE_ID.match(cid):
                raise ConfigError(f"{where}.id", "expected an id of lowercase letters, digits, _ or - (at most 32)")
            names = {k: v for k, v in item.items() if k != "id"}
            for k, v in names.items():
                if not isinstance(v, str) or not v.strip():
                    raise ConfigError(f"{where}.{k}", f"expected a name, got {v!r}")
            if "name" not in names and cid not in BUILTIN_CAUSES:
                raise ConfigError(f"{where}.name", "is required for a cause that is not built in")
            by_lang = {("all" if k == "name" else k): v.strip() for k, v in names.items()}
            cause = Cause(cid, by_lang)
        else:
            raise ConfigError(where, f"expected a cause id or a table, got {item!r}")
        if any(c.id == cause.id for c in out):
            raise ConfigError(where, f"duplicate cause {cause.id!r}")
        out.append(cause)
    return tuple(out)


def _id(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(key, f"expected an id (number or string), got {value!r}")
    return str(value)


def _timezone(key: str, value: Any) -> str:
    STR(key, value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(key, f"expected an IANA time zone such as 'Europe/Berlin', got {value!r}") from None
    return str(value)


def _address(key: str, value: Any) -> str:
    STR(key, value)
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(key, f"expected 'host:port' such as '127.0.0.1:8080', got {value!r}")
    return str(value)


def _url(key: str, value: Any) -> str:
    STR(key, value)
    if not value.startswith(("http://", "https://")):
        raise ConfigError(key, f"expected an http:// or https:// URL, got {value!r}")
    return str(value)


def _language(key: str, value: Any) -> str:
    if value not in SUPPORTED:
        raise ConfigError(key, f"expected one of {', '.join(SUPPORTED)}, got {value!r}")
    return str(value)


def _parsed_by(parse: Callable[[str], object]) -> Check:
    """A string that ``parse`` accepts; its ValueError message becomes the config error."""

    def check(key: str, value: Any) -> str:
        STR(key, value)
        try:
            parse(value)
        except ValueError as exc:
            raise ConfigError(key, str(exc)) from None
        return " ".join(str(value).split())

    return check


_destination = _parsed_by(Destination.parse)


def _crontab(expr: str) -> object:
    """Five crontab fields with day names (see bot.cron.crontab_trigger for why)."""
    return crontab_trigger(expr, "UTC")


def _period(spec: str) -> object:
    from surveys.digest import PeriodSpec

    return PeriodSpec.parse(spec)


_cron = _parsed_by(_crontab)
_digest_period = _parsed_by(_period)


def _section(data: Any, name: str, spec: Mapping[str, Check]) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(name, f"expected a table [{name}], got {data!r}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in spec:
            known = ", ".join(sorted(spec))
            raise ConfigError(f"{name}.{key}", f"unknown key (known keys: {known})")
        out[key] = spec[key](f"{name}.{key}", value)
    return out


# -- the schema ----------------------------------------------------------------------

BOT_SPEC: dict[str, Check] = {
    "default_language": _language,
    "default_survey": STR,
    "timezone": _timezone,
    "log_level": _one_of("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": _one_of("text", "json"),
    "shutdown_grace_seconds": NUMBER,
}


def _database_url(key: str, value: Any) -> str:
    STR(key, value)
    wrong = url_problem(value)
    if wrong:
        raise ConfigError(key, f"{wrong}, got {redact_url(value)!r}")
    if key != DATABASE_URL_VAR and url_password(value):
        raise ConfigError(
            key, f"holds a password: put the whole URL in the environment variable {DATABASE_URL_VAR} instead"
        )
    return str(value)


STORAGE_SPEC: dict[str, Check] = {"path": STR, "durability": _one_of("full", "normal"), "url": _database_url}
HTTP_SPEC: dict[str, Check] = {"enabled": BOOL, "listen": _address, "send_api": BOOL}
TELEGRAM_SPEC: dict[str, Check] = {
    "enabled": BOOL,
    "mode": _one_of("polling", "webhook"),
    "api_base_url": _url,
    "webhook_url": _url,
    "staff_chat_id": _id,
    "staff_user_ids": _ids,
    "concurrency": _positive(INT),
    "bot_username": STR,
}
SLACK_SPEC: dict[str, Check] = {
    "enabled": BOOL,
    "mode": _one_of("socket", "http"),
    "api_base_url": _url,
    "listen": _address,
    "staff_channel": STR,
    "staff_user_ids": _ids,
}
CONSOLE_SPEC: dict[str, Check] = {"user": STR, "name": STR, "language": _language, "staff": BOOL}


def _quiet_hours(key: str, value: Any) -> str:
    STR(key, value)
    try:
        start, end = value.split("-")
        for part in (start, end):
            hours, minutes = part.strip().split(":")
            if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
                raise ValueError
    except ValueError:
        problem = f"expected 'HH:MM-HH:MM' such as '21:00-09:00' (equal times turn it off), got {value!r}"
        raise ConfigError(key, problem) from None
    return str(value)


def _audience(key: str, value: Any) -> str:
    STR(key, value)
    if value not in ("all", "telegram", "slack") and not value.startswith("file:"):
        raise ConfigError(key, f"expected 'all', 'telegram', 'slack' or 'file:<path>', got {value!r}")
    return str(value)


def _identifying(key: str, value: Any) -> tuple[str, ...] | None:
    if value == "all":
        return None
    if not isinstance(value, list) or not all(isinstance(k, str) and k.strip() for k in value):
        expected = 'expected "all" or a list of context keys such as ["email", "phone"]'
        raise ConfigError(key, f"{expected}, got {value!r}")
    return tuple(k.strip().lower() for k in value)


PRIVACY_SPEC: dict[str, Check] = {"retention_days": NUMBER, "anonymous": BOOL, "identifying_context": _identifying}
INVITATIONS_SPEC: dict[str, Check] = {
    "fatigue_days": NUMBER,
    "quiet_hours": _quiet_hours,
    "reminder_hours": NUMBER,
}
CAMPAIGN_SPEC: dict[str, Check] = {
    "id": STR,
    "survey": STR,
    "audience": _audience,
    "cron": _cron,
    "timezone": _timezone,
}


def _time_of_day(key: str, value: Any) -> str:
    STR(key, value)
    try:
        hours, minutes = value.split(":")
        if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            raise ValueError
    except ValueError:
        raise ConfigError(key, f"expected a time of day 'HH:MM' such as '09:00', got {value!r}") from None
    return str(value)


def _not_negative(check: Check) -> Check:
    def inner(key: str, value: Any) -> Any:
        value = check(key, value)
        if value < 0:
            raise ConfigError(key, f"expected 0 or more, got {value!r}")
        return value

    return inner


GLOBAL_ESCALATION_SPEC: dict[str, Check] = {
    "remind_unclaimed_minutes": _positive(NUMBER),
    "remind_unresolved_hours": _positive(NUMBER),
    "oncall": STR,
    "ask_recovery": BOOL,
    "remind_repeat_minutes": _positive(NUMBER),
    "remind_max": _not_negative(INT),
    "summary_time": _time_of_day,
    "causes": _causes,
}
ESCALATION_SPEC: dict[str, Check] = {
    "enabled": BOOL,
    "scores": _list_of(INT),
    "sentiment_threshold": NUMBER,
    "contradiction": BOOL,
    "destinations": _list_of(_destination),
}
SURVEY_SPEC: dict[str, Check] = {
    "id": STR,
    "kind": _one_of(*(k.value for k in Kind)),
    "product": lambda key, value: value,  # a name, or a table per language: checked in _per_language
    "task": lambda key, value: value,
    "expiry_hours": _positive(NUMBER),
    "max_comment_chars": _positive(INT),
    "late_answer_hours": _not_negative(NUMBER),
    "recontact_days": NUMBER,
    "texts": lambda key, value: value,  # checked in _survey
    "escalation": lambda key, value: value,
}


def _per_language(key: str, value: Any, *, allow_all: bool) -> tuple[str, dict[str, str]]:
    """``product`` / ``task``: one string, or a table of wordings per language
    (``{ en = "Acme support", de = "Acme-Support" }``, plus ``all`` for a product).
    Returns (the plain string or the ``all`` entry, the per-language entries)."""
    if isinstance(value, str):
        return value, {}
    if not isinstance(value, dict):
        example = '{ en = "...", de = "..." }'
        raise ConfigError(key, f"expected a string or a table of languages such as {example}, got {value!r}")
    allowed = (*SUPPORTED, "all") if allow_all else SUPPORTED
    wordings: dict[str, str] = {}
    for lang, wording in value.items():
        if lang not in allowed:
            raise ConfigError(f"{key}.{lang}", f"expected a language ({', '.join(allowed)}), got {lang!r}")
        STR(f"{key}.{lang}", wording)
        if not wording.strip():
            raise ConfigError(f"{key}.{lang}", "is empty")
        wordings[lang] = wording
    plain = wordings.pop("all", "")
    return plain, wordings


def _survey(index: int, data: Any, default_language: str = "en") -> SurveyDefinition:
    where = f"surveys[{index}]"
    fields = _section(data, where, SURVEY_SPEC)
    for required in ("id", "kind", "product"):
        if required not in fields:
            raise ConfigError(f"{where}.{required}", "is required")
    sid = fields["id"]
    if not sid or not all(c.isalnum() or c in "_" for c in sid) or len(sid) > 32:
        raise ConfigError(f"{where}.id", f"expected letters, digits or '_' (at most 32, no '-'), got {sid!r}")
    kind = Kind(fields["kind"])
    product, products = _per_language(f"{where}.product", fields["product"], allow_all=True)
    if not product:
        missing = [lang for lang in SUPPORTED if lang not in products]
        if missing:
            raise ConfigError(
                f"{where}.product",
                f'no wording for {", ".join(missing)}; add them, or all = "<name>" for every other language',
            )
        product = products.get(default_language) or products["en"]
    task, tasks = _per_language(f"{where}.task", fields.get("task", ""), allow_all=False)
    texts = fields.get("texts", {})
    if not isinstance(texts, dict):
        raise ConfigError(f"{where}.texts", "expected a table of languages, e.g. [surveys.texts.en]")
    from surveys.locales import MESSAGES

    clean_texts: dict[str, dict[str, str]] = {}
    for lang, entries in texts.items():
        if lang not in (*SUPPORTED, "all"):
            raise ConfigError(f"{where}.texts.{lang}", f"expected a language ({', '.join(SUPPORTED)}) or 'all'")
        if not isinstance(entries, dict):
            raise ConfigError(f"{where}.texts.{lang}", "expected a table of message keys")
        for key, value in entries.items():
            if key not in MESSAGES["en"]:
                raise ConfigError(f"{where}.texts.{lang}.{key}", "unknown message key (see surveys/locales/en.py)")
            STR(f"{where}.texts.{lang}.{key}", value)
            problem = template_problem(value)
            if problem:
                raise ConfigError(f"{where}.texts.{lang}.{key}", problem)
        clean_texts[lang] = dict(entries)
    esc = _section(fields.get("escalation"), f"{where}.escalation", ESCALATION_SPEC)
    scale_ok = {Kind.NPS: range(0, 11), Kind.CSAT: range(1, 6), Kind.CES: range(1, 8)}[kind]
    for i, score in enumerate(esc.get("scores", ())):
        if score not in scale_ok:
            raise ConfigError(f"{where}.escalation.scores[{i}]", f"{score} is not on the {kind.value} scale")
    threshold = esc.get("sentiment_threshold", NEGATIVE_COMMENT_AT)
    if not -1 <= threshold <= 1:
        raise ConfigError(f"{where}.escalation.sentiment_threshold", "expected a number between -1 and 1")
    return SurveyDefinition(
        id=sid,
        kind=kind,
        product=product,
        products=products,
        texts=clean_texts,
        task=task,
        tasks=tasks,
        language=default_language,
        expiry_hours=float(fields.get("expiry_hours", 72)),
        max_comment_chars=int(fields.get("max_comment_chars", 2000)),
        late_answer_hours=float(fields.get("late_answer_hours", 24)),
        escalation=EscalationRules(
            enabled=esc.get("enabled", True),
            scores=frozenset(esc["scores"]) if "scores" in esc else None,
            sentiment_threshold=float(threshold),
            contradiction=esc.get("contradiction", True),
        ),
        alert_destinations=tuple(esc.get("destinations", ())),
    )


def _segment_key(key: str, value: Any) -> str:
    """A context key as given to the send API (at most 64 characters), or platform, language, survey."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ConfigError(key, f"expected a context key (1 to 64 characters) such as 'agent', got {value!r}")
    return value.strip()


DIGEST_SPEC: dict[str, Check] = {
    "id": STR,
    "cron": _cron,
    "timezone": _timezone,
    "period": _digest_period,
    "surveys": _list_of(STR),
    "destinations": _list_of(_destination),
    "grace_hours": _positive(NUMBER),
    "chart": BOOL,
    "segments": _list_of(_segment_key),
    "segment_min_n": _positive(INT),
}


def _digests(
    raw: Any, surveys: Mapping[str, SurveyDefinition], timezone: str, enabled: set[str], fallback: tuple[str, ...]
) -> tuple[DigestConfig, ...]:
    """[[digests]]: ids unique, surveys defined (default: all), destinations on an enabled
    platform (default: the staff chats, like alerts)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("digests", "expected an array of tables: [[digests]]")
    found: dict[str, DigestConfig] = {}
    for index, item in enumerate(raw):
        where = f"digests[{index}]"
        fields = _section(item, where, DIGEST_SPEC)
        for required in ("id", "cron"):
            if required not in fields:
                raise ConfigError(f"{where}.{required}", "is required")
        did = fields["id"]
        if not did or not all(c.isalnum() or c == "_" for c in did) or len(did) > 32:
            raise ConfigError(f"{where}.id", f"expected letters, digits or '_' (at most 32, no '-'), got {did!r}")
        if did in found:
            raise ConfigError(f"{where}.id", f"duplicate digest id {did!r}")
        chosen = fields.get("surveys", ())
        for i, sid in enumerate(chosen):
            if sid not in surveys:
                raise ConfigError(f"{where}.surveys[{i}]", f"no survey with id {sid!r} (have: {', '.join(surveys)})")
        destinations = fields.get("destinations", ())
        for i, dest in enumerate(destinations):
            _check_served(f"{where}.destinations[{i}]", dest, enabled)
        if not destinations and not fallback:
            raise ConfigError(
                f"{where}.destinations",
                "no staff chat is set to post it to: set telegram.staff_chat_id or "
                "slack.staff_channel, or list destinations",
            )
        found[did] = DigestConfig(
            id=did,
            cron=fields["cron"],
            timezone=fields.get("timezone", timezone),
            period=fields.get("period", "week"),
            surveys=tuple(dict.fromkeys(chosen)) or tuple(surveys),
            destinations=tuple(dict.fromkeys(destinations)) or fallback,
            grace_hours=float(fields.get("grace_hours", 24)),
            chart=fields.get("chart", True),
            segments=tuple(dict.fromkeys(fields.get("segments", ()))),
            segment_min_n=fields.get("segment_min_n", 10),
        )
    return tuple(found.values())


def _mention(key: str, value: Any, served: set[str]) -> dict[str, str]:
    """``mention = { slack = "S0123ABCD", telegram = "@billing_team" }``: who is notified
    with the alert on each platform (a Slack user group or member id, a Telegram @username)."""
    if not isinstance(value, dict):
        example = '{ slack = "S0123ABCD", telegram = "@billing_team" }'
        raise ConfigError(key, f"expected a table per platform such as {example}, got {value!r}")
    out: dict[str, str] = {}
    for platform, raw in value.items():
        where = f"{key}.{platform}"
        if platform not in ("telegram", "slack"):
            raise ConfigError(where, "unknown key (known keys: slack, telegram)")
        if platform not in served:
            raise ConfigError(where, f"{platform} is not enabled, so nobody there would see the mention")
        STR(where, raw)
        text = raw.strip()
        if platform == "slack":
            inner = text.removeprefix("<!subteam^").removeprefix("<@").removesuffix(">").split("|")[0]
            if not (inner.isalnum() and inner[:1] in "SUW" and inner.isupper()):
                raise ConfigError(
                    where, f"expected a Slack user group id such as S0123ABCD (or a member id U0123ABCD), got {raw!r}"
                )
            text = inner
        else:
            name = text.removeprefix("@")
            if not (5 <= len(name) <= 32 and all(c.isalnum() or c == "_" for c in name) and name.isascii()):
                raise ConfigError(where, f"expected a Telegram @username (5 to 32 letters, digits or _), got {raw!r}")
            text = "@" + name
        out[platform] = text
    return out


def _strings(key: str, value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(values):
        where = f"{key}[{i}]" if isinstance(value, list) else key
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(where, f"expected a non-empty string, got {item!r}")
        out.append(" ".join(item.split()))
    if not out:
        raise ConfigError(key, "is empty; leave the key out to match any value")
    return tuple(out)


ROUTING_SPEC: dict[str, Check] = {
    "match": _one_of(*MODES),
    "default": _list_of(_destination),
    "default_mention": lambda key, value: value,  # checked in _routing
    "wait_for_comment_minutes": _not_negative(NUMBER),
}
ROUTE_SPEC: dict[str, Check] = {
    "name": STR,
    "destinations": _list_of(_destination),
    "mention": lambda key, value: value,
    "surveys": _strings,
    "categories": _strings,
    "context": lambda key, value: value,
    "languages": _strings,
    "platforms": _strings,
    "words": _strings,
}


def _routing(
    raw_routing: Any, raw_routes: Any, surveys: Mapping[str, SurveyDefinition], served: set[str]
) -> RoutingConfig:
    """[routing] and [[routes]]: every key checked, every destination one ``run`` serves
    (the same rule as alert destinations), and the match mode explicit once routes exist."""
    fields = _section(raw_routing, "routing", ROUTING_SPEC)
    for i, dest in enumerate(fields.get("default", ())):
        _check_served(f"routing.default[{i}]", dest, served)
    default_mention = _mention("routing.default_mention", fields.get("default_mention", {}), served)
    if raw_routes is None:
        raw_routes = []
    if not isinstance(raw_routes, list):
        raise ConfigError("routes", "expected an array of tables: [[routes]]")
    if raw_routes and "match" not in fields:
        raise ConfigError(
            "routing.match",
            'is required with [[routes]]: "first" (an alert takes the first route that matches) or '
            '"every" (it goes to every route that matches)',
        )
    routes: list[Route] = []
    for index, item in enumerate(raw_routes):
        where = f"routes[{index}]"
        route = _section(item, where, ROUTE_SPEC)
        for required in ("name", "destinations"):
            if required not in route:
                raise ConfigError(f"{where}.{required}", "is required")
        name = route["name"].strip()
        if not name or len(name) > 40 or "," in name:
            raise ConfigError(f"{where}.name", f"expected a name of 1 to 40 characters without commas, got {name!r}")
        if name.lower() == DEFAULT_ROUTE or any(r.name.lower() == name.lower() for r in routes):
            taken = "is the default route's name" if name.lower() == DEFAULT_ROUTE else "is used by an earlier route"
            raise ConfigError(f"{where}.name", f"{name!r} {taken}")
        if not route["destinations"]:
            raise ConfigError(f"{where}.destinations", "list at least one destination")
        for i, dest in enumerate(route["destinations"]):
            _check_served(f"{where}.destinations[{i}]", dest, served)
        for i, sid in enumerate(route.get("surveys", ())):
            if sid not in surveys:
                raise ConfigError(f"{where}.surveys[{i}]", f"no survey with id {sid!r} (have: {', '.join(surveys)})")
        for i, category in enumerate(route.get("categories", ())):
            if category not in CATEGORIES:
                known = ", ".join(CATEGORIES)
                raise ConfigError(f"{where}.categories[{i}]", f"expected one of {known}, got {category!r}")
        for i, lang in enumerate(route.get("languages", ())):
            if lang not in SUPPORTED:
                raise ConfigError(f"{where}.languages[{i}]", f"expected one of {', '.join(SUPPORTED)}, got {lang!r}")
        for i, platform in enumerate(route.get("platforms", ())):
            if platform not in CUSTOMER_PLATFORMS:
                known = ", ".join(CUSTOMER_PLATFORMS)
                raise ConfigError(f"{where}.platforms[{i}]", f"expected one of {known}, got {platform!r}")
        context = route.get("context", {})
        if not isinstance(context, dict):
            example = '{ product = "app", plan = ["pro", "team"] }'
            raise ConfigError(f"{where}.context", f"expected a table such as {example}, got {context!r}")
        matched_context = {
            _segment_key(f"{where}.context", key): frozenset(
                fold(v) for v in _strings(f"{where}.context.{key}", values)
            )
            for key, values in context.items()
        }
        routes.append(
            Route(
                name=name,
                destinations=tuple(dict.fromkeys(route["destinations"])),
                surveys=frozenset(route.get("surveys", ())),
                categories=frozenset(route.get("categories", ())),
                context=matched_context,
                languages=frozenset(route.get("languages", ())),
                platforms=frozenset(route.get("platforms", ())),
                words=tuple(route.get("words", ())),
                mention=_mention(f"{where}.mention", route.get("mention", {}), served),
            )
        )
        platforms = {d.split(":", 1)[0] for d in routes[-1].destinations}
        for platform in routes[-1].mention:
            if platform not in platforms:
                raise ConfigError(
                    f"{where}.mention.{platform}",
                    f"this route sends nothing to {platform}: add a {platform}: destination",
                )
    return RoutingConfig(
        match=fields.get("match", "first"),
        routes=tuple(routes),
        default=tuple(dict.fromkeys(fields.get("default", ()))),
        default_mention=default_mention,
        wait_for_comment_minutes=float(fields.get("wait_for_comment_minutes", 10)),
    )


def _level(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 0.5:
        raise ConfigError(key, f"expected a p-value level between 0 and 0.5 such as 0.01, got {value!r}")
    return float(value)


TREND_SPEC: dict[str, Check] = {
    "enabled": BOOL,
    "period": _one_of("week", "month"),
    "level": _level,
    "min_n": _positive(INT),
    "trailing": _positive(INT),
    "check_minutes": _positive(NUMBER),
    "surveys": _list_of(STR),
    "segments": _list_of(_segment_key),
    "destinations": _list_of(_destination),
}


def _trend_alerts(raw: Any, surveys: Mapping[str, SurveyDefinition], enabled: set[str]) -> TrendAlertConfig:
    fields = _section(raw, "trend_alerts", TREND_SPEC)
    for i, sid in enumerate(fields.get("surveys", ())):
        if sid not in surveys:
            raise ConfigError(f"trend_alerts.surveys[{i}]", f"no survey with id {sid!r} (have: {', '.join(surveys)})")
    for i, dest in enumerate(fields.get("destinations", ())):
        if dest.split(":", 1)[0] not in enabled:
            raise ConfigError(f"trend_alerts.destinations[{i}]", f"{dest!r} is on a platform that is not enabled")
    if fields.get("trailing", 4) > 52:
        raise ConfigError("trend_alerts.trailing", "at most 52 periods")
    return TrendAlertConfig(**fields)


def _agents(raw: Any, enabled: set[str]) -> dict[str, AgentIds]:
    """[agents]: agent name (as used in context) -> ids; every id on an enabled platform."""
    if not isinstance(raw, dict):
        raise ConfigError("agents", 'expected a table: [agents] ann = { telegram = 123456789, slack = "U0123ABCD" }')
    out: dict[str, AgentIds] = {}
    for name, ids in raw.items():
        where = f"agents.{name}"
        if not name.strip() or len(name) > 64:
            raise ConfigError(where, "an agent name is 1 to 64 characters, as sent in the context")
        if not isinstance(ids, dict) or not ids:
            raise ConfigError(where, 'expected { telegram = <user id>, slack = "<member id>" }')
        found: dict[str, str] = {}
        for platform, value in ids.items():
            if platform not in ("telegram", "slack"):
                raise ConfigError(f"{where}.{platform}", "unknown key (known keys: slack, telegram)")
            if platform not in enabled:
                raise ConfigError(f"{where}.{platform}", f"{platform} is not enabled")
            text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
            ok = text.lstrip("-").isdigit() if platform == "telegram" else text.isalnum() and text[:1] in "UW"
            if not ok:
                what = "a numeric Telegram user id" if platform == "telegram" else "a Slack member id such as U0123ABCD"
                raise ConfigError(f"{where}.{platform}", f"expected {what}, got {value!r}")
            found[platform] = text
        out[name] = AgentIds(**found)
    return out


AGENT_REPORT_SPEC: dict[str, Check] = {
    "key": _segment_key,
    "enabled": BOOL,
    "cron": _cron,
    "timezone": _timezone,
    "surveys": _list_of(STR),
    "comments": _positive(INT),
}


TOP_LEVEL = (
    "bot",
    "storage",
    "http",
    "telegram",
    "slack",
    "console",
    "escalation",
    "invitations",
    "campaigns",
    "privacy",
    "surveys",
    "digests",
    "trend_alerts",
    "agents",
    "agent_reports",
    "routing",
    "routes",
)


def parse(data: Mapping[str, Any], env: Mapping[str, str], source: str = "", *, offline: bool = False) -> Config:
    """``offline``: for commands that never talk to a platform (export, import, forget, a
    digest printed, ``check-config --offline``). Secrets are read when present but not
    required, so whoever answers an erasure request needs no bot token."""
    for key in data:
        if key not in TOP_LEVEL:
            raise ConfigError(key, f"unknown section (known: {', '.join(TOP_LEVEL)})")
    bot = BotSettings(**_section(data.get("bot"), "bot", BOT_SPEC))
    if not 0 <= bot.shutdown_grace_seconds <= 600:
        raise ConfigError(
            "bot.shutdown_grace_seconds",
            "expected a number of seconds from 0 to 600 (keep it below your service manager's stop timeout: "
            "systemd allows 90, Kubernetes 30)",
        )
    storage = _storage(data.get("storage"), env)
    http = HttpSettings(**_section(data.get("http"), "http", HTTP_SPEC))
    telegram = TelegramSettings(**_section(data.get("telegram"), "telegram", TELEGRAM_SPEC))
    slack = SlackSettings(**_section(data.get("slack"), "slack", SLACK_SPEC))
    console = ConsoleSettings(**_section(data.get("console"), "console", CONSOLE_SPEC))
    escalation = EscalationConfig(**_section(data.get("escalation"), "escalation", GLOBAL_ESCALATION_SPEC))
    invitations = InvitationConfig(**_section(data.get("invitations"), "invitations", INVITATIONS_SPEC))
    privacy = PrivacyConfig(**_section(data.get("privacy"), "privacy", PRIVACY_SPEC))
    if privacy.retention_days < 0:
        raise ConfigError("privacy.retention_days", "expected 0 (keep everything) or a positive number of days")

    raw_surveys = data.get("surveys", [])
    if not isinstance(raw_surveys, list):
        raise ConfigError("surveys", "expected an array of tables: [[surveys]]")
    surveys: dict[str, SurveyDefinition] = {}
    for i, item in enumerate(raw_surveys):
        survey = _survey(i, item, bot.default_language)
        if survey.id in surveys:
            raise ConfigError(f"surveys[{i}].id", f"duplicate survey id {survey.id!r}")
        surveys[survey.id] = survey
    if not surveys:
        raise ConfigError("surveys", "define at least one survey with [[surveys]]")
    default_survey = bot.default_survey or next(iter(surveys))
    if default_survey not in surveys:
        raise ConfigError("bot.default_survey", f"no survey with id {default_survey!r} (have: {', '.join(surveys)})")
    bot = _replace(bot, default_survey=default_survey)

    raw_campaigns = data.get("campaigns", [])
    if not isinstance(raw_campaigns, list):
        raise ConfigError("campaigns", "expected an array of tables: [[campaigns]]")
    campaigns = []
    for i, item in enumerate(raw_campaigns):
        where = f"campaigns[{i}]"
        fields = _section(item, where, CAMPAIGN_SPEC)
        for required in ("id", "survey", "audience", "cron"):
            if required not in fields:
                raise ConfigError(f"{where}.{required}", "is required")
        if fields["survey"] not in surveys:
            raise ConfigError(f"{where}.survey", f"no survey with id {fields['survey']!r}")
        campaigns.append(
            CampaignConfig(
                timezone=fields.get("timezone", bot.timezone), **{k: v for k, v in fields.items() if k != "timezone"}
            )
        )
    recontact = {
        s.id: float(data_s["recontact_days"])
        for s, data_s in zip(surveys.values(), raw_surveys, strict=True)
        if isinstance(data_s, dict) and "recontact_days" in data_s
    }

    def secret_of(name: str, because: str) -> str:
        return env.get(name, "").strip() if offline else _secret(env, name, because)

    if telegram.enabled:
        token = secret_of("TELEGRAM_BOT_TOKEN", "telegram.enabled")
        secret = ""
        if telegram.mode == "webhook":
            if not telegram.webhook_url:
                raise ConfigError("telegram.webhook_url", "is required when telegram.mode = 'webhook'")
            secret = secret_of("TELEGRAM_WEBHOOK_SECRET", "telegram.mode = 'webhook'")
        telegram = _replace(telegram, token=token, webhook_secret=secret)
    if slack.enabled:
        slack = _replace(
            slack,
            bot_token=secret_of("SLACK_BOT_TOKEN", "slack.enabled"),
            signing_secret=secret_of("SLACK_SIGNING_SECRET", "slack.enabled") if slack.mode == "http" else "",
            app_token=secret_of("SLACK_APP_TOKEN", "slack.mode = 'socket'") if slack.mode == "socket" else "",
        )
    api_token = env.get("FEEDBACKBOT_API_TOKEN", "")
    if http.send_api and not api_token and not offline:
        raise ConfigError("http.send_api", "the send API needs the environment variable FEEDBACKBOT_API_TOKEN")
    enabled = served_platforms(telegram.enabled, slack.enabled)
    fallback = _staff_chats(telegram, slack)
    for index, survey in enumerate(surveys.values()):
        where = f"surveys[{index}].escalation.destinations"
        for i, dest in enumerate(survey.alert_destinations):
            _check_served(f"{where}[{i}]", dest, enabled)
        if survey.escalation.enabled and not survey.alert_destinations and not fallback:
            key = "telegram.staff_chat_id" if telegram.enabled else "slack.staff_channel"
            raise ConfigError(
                key,
                f"alerts of survey {survey.id!r} go to the staff chat of every enabled platform, and none is set: "
                f"set telegram.staff_chat_id or slack.staff_channel (or {where})",
            )

    config = Config(
        bot,
        storage,
        http,
        telegram,
        slack,
        console,
        surveys,
        escalation=escalation,
        invitations=invitations,
        privacy=privacy,
        campaigns=tuple(campaigns),
        recontact_days=recontact,
        api_token=api_token,
        source=source,
    )
    digests = _digests(data.get("digests"), surveys, bot.timezone, enabled, staff_destinations(config))
    for i, digest in enumerate(digests or ()):
        for j, key in enumerate(digest.segments):
            if privacy.identifying(key):
                raise ConfigError(
                    f"digests[{i}].segments[{j}]",
                    f"{key!r} identifies customers and [privacy] anonymous = true hides it; "
                    "segment by another key or list the identifying ones in [privacy] identifying_context",
                )
    if digests:
        config = _replace(config, digests=digests)
    if "trend_alerts" in data:
        config = _replace(config, trend_alerts=_trend_alerts(data["trend_alerts"], surveys, enabled))
        for j, key in enumerate(config.trend_alerts.segments):
            if privacy.identifying(key):
                raise ConfigError(
                    f"trend_alerts.segments[{j}]",
                    f"{key!r} identifies customers and [privacy] anonymous = true hides it; segment by another key",
                )
    if "agents" in data:
        config = _replace(config, agents=_agents(data["agents"], enabled))
    if "routes" in data or "routing" in data:
        config = _replace(config, routing=_routing(data.get("routing"), data.get("routes"), surveys, enabled))
    if "agent_reports" in data:
        fields = _section(data["agent_reports"], "agent_reports", AGENT_REPORT_SPEC)
        for i, sid in enumerate(fields.get("surveys", ())):
            if sid not in surveys:
                raise ConfigError(f"agent_reports.surveys[{i}]", f"no survey with id {sid!r}")
        if fields.get("enabled") and not config.agents:
            raise ConfigError("agent_reports.enabled", "needs an [agents] table naming each agent's ids")
        config = _replace(config, agent_reports=AgentReportConfig(**{"timezone": bot.timezone, **fields}))
    return config


def console_staff_room(config: Config) -> str:
    """The terminal's staff room: the first ``console:<name>`` alerts go to, else ``staff``.
    Staff commands typed in the terminal act there, and their answers are printed there."""
    for survey in config.surveys.values():
        for dest in survey.alert_destinations:
            platform, _, room = dest.partition(":")
            if platform == "console":
                return room
    for dest in staff_destinations(config):
        platform, _, room = dest.partition(":")
        if platform == "console":
            return room
    return "staff"


def served_platforms(telegram: bool, slack: bool) -> set[str]:
    """The platforms ``feedbackbot run`` delivers to: every enabled chat platform, or the
    terminal when none is enabled (``run`` starts the terminal only then)."""
    chat = {p for p, on in (("telegram", telegram), ("slack", slack)) if on}
    return chat or {"console"}


def _check_served(key: str, dest: str, served: set[str]) -> None:
    """An alert or digest destination must be one ``run`` delivers to: "OK" means it reaches
    a person, so a destination that would be dropped is refused here, naming its key."""
    platform = dest.split(":", 1)[0]
    if platform in served:
        return
    if platform == "console":
        chats = ", ".join(sorted(served))
        raise ConfigError(
            key,
            f"{dest!r} is the terminal, which `feedbackbot run` serves only when no chat platform is enabled "
            f"(enabled: {chats}); remove it (alerts then go to the staff chat of every enabled platform) "
            f"or name a {' or '.join(f'{p}:' for p in sorted(served))} destination",
        )
    raise ConfigError(key, f"{dest!r} is on {platform}, which is not enabled")


def _staff_chats(telegram: TelegramSettings, slack: SlackSettings) -> tuple[str, ...]:
    if not telegram.enabled and not slack.enabled:
        return ("console:staff",)
    found = []
    if telegram.enabled and telegram.staff_chat_id:
        found.append(f"telegram:{telegram.staff_chat_id}")
    if slack.enabled and slack.staff_channel:
        found.append(f"slack:{slack.staff_channel}")
    return tuple(found)


def staff_destinations(config: Config) -> tuple[str, ...]:
    """Where alerts go when a survey names no destinations: the staff chat of every
    enabled platform, else (no chat platform enabled) the terminal."""
    return _staff_chats(config.telegram, config.slack)


def _storage(data: Any, env: Mapping[str, str]) -> StorageSettings:
    """SQLite (``path``) or PostgreSQL (``url``, or the environment variable, which wins over
    the file's ``url`` so the password can stay out of the file). Never both: which database
    the bot writes to must not depend on a precedence rule nobody remembers."""
    fields = _section(data, "storage", STORAGE_SPEC)
    if "path" in fields and "url" in fields:
        raise ConfigError(
            "storage.url", "set either storage.path (an SQLite file) or storage.url (PostgreSQL), not both"
        )
    from_env = env.get(DATABASE_URL_VAR, "").strip()
    if from_env:
        if "path" in fields:
            raise ConfigError(
                "storage.path",
                f"the environment variable {DATABASE_URL_VAR} selects PostgreSQL, and storage.path an SQLite file: "
                "remove one of them",
            )
        fields["url"] = _database_url(DATABASE_URL_VAR, from_env)
    return StorageSettings(**fields)


def default_route(config: Config, survey_id: str) -> tuple[str, ...]:
    """The default route's destinations for a survey's alerts: ``[routing] default``, else the
    survey's ``escalation.destinations``, else the staff chats (what alerts did before routes)."""
    if config.routing.default:
        return config.routing.default
    survey = config.surveys.get(survey_id)
    if survey is not None and survey.alert_destinations:
        return survey.alert_destinations
    return staff_destinations(config)


def _secret(env: Mapping[str, str], name: str, because: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(name, f"environment variable is required because {because} (secrets never go in the file)")
    return value


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


def default_path() -> Path:
    """``./config.toml`` when present, else the shipped example (so a fresh clone runs)."""
    local = Path("config.toml")
    if local.exists():
        return local
    return Path(__file__).resolve().parent.parent / "config.example.toml"


def load(path: str | Path | None = None, env: Mapping[str, str] | None = None, *, offline: bool = False) -> Config:
    path = Path(path) if path else default_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read the configuration file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), "the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"TOML syntax error: {exc}") from None
    return parse(data, os.environ if env is None else env, source=str(path), offline=offline)
