"""Staff alerts: what an escalation looks like and how its state may change.

Pure: the service gathers the facts into an ``AlertView`` and gets back the message to post
(or to edit in place), so every platform shows the same content in its own markup and
the alert always reflects the current state: open, claimed by whom, resolved by whom.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from surveys.model import Block, Choice, Destination, OutMessage

ACTION_PREFIX = "e"
RECOVERY_PREFIX = "r"
ACTIONS = ("claim", "reply", "resolve")

RULE_LABELS = {
    "detractor_score": "detractor score",
    "unsatisfied_score": "unsatisfied score",
    "difficult_score": "difficult effort score",
    "negative_comment": "negative comment",
    "hidden_detractor": "good score, negative words (hidden detractor)",
}


@dataclass(frozen=True)
class AlertView:
    escalation_id: int
    survey_id: str
    kind: str
    score: int | None
    category: str | None
    comment: str | None
    comment_status: str
    sentiment: float | None
    sentiment_label: str
    rules: tuple[str, ...]
    customer_name: str
    customer_handle: str
    platform: str
    language: str
    history: tuple[tuple[str, int], ...]  # earlier (kind, score), newest first
    history_count: int
    context: dict[str, str]
    opened_at: float
    state: str  # open | claimed | resolved
    claimed_by: str = ""
    resolved_by: str = ""
    resolved_at: float | None = None
    note: str = ""
    cause: str = ""  # the root cause's name, once staff named it (issue 19)
    recovered: bool | None = None
    timezone: str = "UTC"
    anonymous: bool = False
    product: str = ""
    # Context keys that identify the customer (hidden in anonymous mode); None means all.
    identifying_context: frozenset[str] | None = None
    extra: dict[str, str] = field(default_factory=dict)


def with_route(message: OutMessage, route: str, label: str, team: str = "", team_label: str = "") -> OutMessage:
    """The alert with the route that sent it (and the group that route mentions on the
    destination's platform), placed before "Received" so it reads with the context."""
    if not route and not team:
        return message
    blocks = list(message.blocks)
    at = next((i for i, b in enumerate(blocks) if b.label == "Received"), len(blocks))
    added = [Block("field", clip(route, CONTEXT_LIMIT), label)] if route else []
    if team:
        added.append(Block("team", team, team_label))
    blocks[at:at] = added
    lines = [f"{label}: {clip(route, CONTEXT_LIMIT)}"] if route else []
    if team:
        lines.append(f"{team_label}: {team}")
    return replace(message, blocks=tuple(blocks), text="\n".join([message.text, *lines]))


def action_value(escalation_id: int, action: str) -> str:
    return f"{ACTION_PREFIX}:{escalation_id}:{action}"


def parse_action(data: str) -> tuple[int, str] | None:
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != ACTION_PREFIX or not parts[1].isdigit() or parts[2] not in ACTIONS:
        return None
    return int(parts[1]), parts[2]


def recovery_value(escalation_id: int, answer: bool) -> str:
    return f"{RECOVERY_PREFIX}:{escalation_id}:{'yes' if answer else 'no'}"


def parse_recovery(data: str) -> tuple[int, bool] | None:
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != RECOVERY_PREFIX or not parts[1].isdigit() or parts[2] not in ("yes", "no"):
        return None
    return int(parts[1]), parts[2] == "yes"


def alert_ref(escalation_id: int, dest: Destination) -> str:
    return f"alert:{escalation_id}:{dest.platform}:{dest.chat_id}"


def when(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _scale_top(kind: str) -> int:
    return {"nps": 10, "csat": 5, "ces": 7}.get(kind, 10)


# Longest text each field of an alert shows, in UTF-16 code units (what Telegram counts; never
# fewer than characters, so Slack's character limits hold too). Together they keep a whole
# alert, header to buttons, under Telegram's 4,096 and within one Slack message, so an alert
# is never split and every edit (comment, claim, resolve) rewrites the one message staff act
# on. The full comment is always in the database and in exports.
COMMENT_LIMIT = 1800
NAME_LIMIT = 80
NOTE_LIMIT = 300
CONTEXT_KEY_LIMIT = 40
CONTEXT_VALUE_LIMIT = 100
CONTEXT_LIMIT = 500
ELLIPSIS = "\u2026"


def units(text: str) -> int:
    """Length in UTF-16 code units: characters outside the Basic Multilingual Plane count two."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, at a character boundary, with an ellipsis
    when something was cut. Cutting happens on the plain text, before any platform escapes it,
    so an escape sequence (``&amp;``) can never be cut in half."""
    if units(text) <= limit:
        return text
    budget = max(limit - 1, 0)
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            return text[:index].rstrip() + ELLIPSIS
    return text


def _context_text(context: dict[str, str]) -> str:
    parts: list[str] = []
    used = 0
    items = sorted(context.items())
    for shown, (key, value) in enumerate(items):
        part = f"{clip(str(key), CONTEXT_KEY_LIMIT)}={clip(str(value), CONTEXT_VALUE_LIMIT)}"
        more = len(items) - shown
        if used + units(part) + 2 > CONTEXT_LIMIT - 12:
            parts.append(f"(+{more} more)")
            break
        parts.append(part)
        used += units(part) + 2
    return ", ".join(parts)


def visible_context(view: AlertView) -> dict[str, str]:
    """The context an alert may show: in anonymous mode, keys configured as identifying (all of
    them unless ``[privacy] identifying_context`` names some) are left out."""
    if not view.anonymous:
        return view.context
    if view.identifying_context is None:
        return {}
    return {k: v for k, v in view.context.items() if k.lower() not in view.identifying_context}


def title(view: AlertView) -> str:
    """``Feedback alert #12 · Acme NPS``: the product and the kind of survey; the survey id
    only when it says more than the kind does."""
    kind = view.kind.upper()
    subject = f"{clip(view.product, NAME_LIMIT)} {kind}" if view.product else kind
    if view.survey_id.lower() != view.kind.lower():
        subject += f" (survey {clip(view.survey_id, NAME_LIMIT)})"
    return f"Feedback alert #{view.escalation_id} · {subject}"


def history_text(view: AlertView) -> str:
    """``2 earlier: NPS 5/10 · CSAT 5/5``: each earlier score with its own scale, newest first."""
    if not view.history_count:
        return "first response"
    shown = " · ".join(f"{kind.upper()} {score}/{_scale_top(kind)}" for kind, score in view.history[:5])
    return f"{view.history_count} earlier: {shown}"


def state_line(view: AlertView) -> str:
    if view.state == "resolved":
        line = f"✅ Resolved by {clip(view.resolved_by, NAME_LIMIT)}"
        if view.resolved_at is not None:
            line += f" at {when(view.resolved_at, view.timezone)}"
        if view.cause:
            line += f" · cause: {view.cause}"
        if view.note:
            line += f" · {clip(view.note, NOTE_LIMIT)}"
        if view.recovered is not None:
            line += " · customer says: " + ("solved" if view.recovered else "NOT solved")
        return line
    if view.state == "claimed":
        return f"🙋 Claimed by {clip(view.claimed_by, NAME_LIMIT)}"
    return "🔴 Open: nobody has claimed it yet"


COMMENT_STATES = {
    "pending": "(waiting for a comment)",
    "skipped": "(skipped)",
    "expired": "(no comment)",
    "cancelled": "(survey cancelled before a comment)",
}


def render(view: AlertView, dest: Destination) -> OutMessage:
    """The alert for one staff destination, with ``ref_key`` so later updates edit it."""
    score = "skipped" if view.score is None else f"{view.score}/{_scale_top(view.kind)}"
    if view.category:
        score += f" ({view.category})"
    if view.comment:
        comment = clip(view.comment, COMMENT_LIMIT)
    else:
        comment = COMMENT_STATES.get(view.comment_status, "(none)")
    sentiment = view.sentiment_label
    if view.sentiment is not None:
        sentiment = f"{view.sentiment:+.2f} {view.sentiment_label}"
    if view.anonymous:
        customer = f"anonymous · {view.platform} · {view.language}"
    else:
        who = clip(view.customer_name, NAME_LIMIT) or "unknown"
        if view.customer_handle:
            who += f" (@{clip(view.customer_handle.lstrip('@'), NAME_LIMIT)})"
        customer = f"{who} · {view.platform} · {view.language}"
    blocks = [
        Block("heading", title(view)),
        Block("field", score, "Score"),
        Block("quote", comment, "Comment"),
        Block("field", sentiment, "Sentiment"),
        Block("field", ", ".join(RULE_LABELS.get(r, r.replace("_", " ")) for r in view.rules), "Why"),
        Block("field", customer, "Customer"),
    ]
    if not view.anonymous:  # a person's history is a fingerprint of who they are
        blocks.append(Block("field", history_text(view), "History"))
    context = visible_context(view)
    if context:
        blocks.append(Block("field", _context_text(context), "Context"))
    blocks.append(Block("field", when(view.opened_at, view.timezone), "Received"))
    blocks.append(Block("context", state_line(view)))
    choices: tuple[tuple[Choice, ...], ...] = ()
    if view.state != "resolved":
        eid = view.escalation_id
        choices = (
            (
                Choice("Claim", action_value(eid, "claim"), f"/claim {eid}"),
                Choice("Reply", action_value(eid, "reply"), f"/reply {eid}"),
                Choice("Resolve", action_value(eid, "resolve"), f"/resolve {eid}"),
            ),
        )
    plain = "\n".join(f"{b.label}: {b.text}" if b.label else b.text for b in blocks if b.kind != "divider")
    return OutMessage(
        dest,
        plain,
        choices=choices,
        blocks=tuple(blocks),
        ref_key=alert_ref(view.escalation_id, dest),
        audience="staff",
    )
