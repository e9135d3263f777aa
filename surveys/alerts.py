"""Staff alerts: what an escalation looks like and how its state may change.

Pure: the service gathers the facts into an ``AlertView`` and gets back the message to post
(or to edit in place), so every platform shows the same content in its own markup and
the alert always reflects the current state: open, claimed by whom, resolved by whom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    history: tuple[int, ...]  # earlier scores, newest first
    history_count: int
    context: dict[str, str]
    opened_at: float
    state: str  # open | claimed | resolved
    claimed_by: str = ""
    resolved_by: str = ""
    resolved_at: float | None = None
    note: str = ""
    recovered: bool | None = None
    timezone: str = "UTC"
    anonymous: bool = False
    extra: dict[str, str] = field(default_factory=dict)


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


def state_line(view: AlertView) -> str:
    if view.state == "resolved":
        line = f"✅ Resolved by {view.resolved_by}"
        if view.resolved_at is not None:
            line += f" at {when(view.resolved_at, view.timezone)}"
        if view.note:
            line += f" · {view.note}"
        if view.recovered is not None:
            line += " · customer says: " + ("solved" if view.recovered else "NOT solved")
        return line
    if view.state == "claimed":
        return f"🙋 Claimed by {view.claimed_by}"
    return "🔴 Open: nobody has claimed it yet"


def render(view: AlertView, dest: Destination) -> OutMessage:
    """The alert for one staff destination, with ``ref_key`` so later updates edit it."""
    score = "skipped" if view.score is None else f"{view.score}/{_scale_top(view.kind)}"
    if view.category:
        score += f" ({view.category})"
    if view.comment:
        comment = view.comment
    else:
        comment = {"pending": "(waiting for a comment)", "skipped": "(skipped)", "expired": "(no comment)"}.get(
            view.comment_status, "(none)"
        )
    sentiment = view.sentiment_label
    if view.sentiment is not None:
        sentiment = f"{view.sentiment:+.2f} {view.sentiment_label}"
    if view.anonymous:
        customer = f"anonymous · {view.platform} · {view.language}"
    else:
        who = view.customer_name or "unknown"
        if view.customer_handle:
            who += f" (@{view.customer_handle.lstrip('@')})"
        customer = f"{who} · {view.platform} · {view.language}"
    if view.history_count:
        history = f"{view.history_count} earlier; last scores " + ", ".join(str(s) for s in view.history[:5])
    else:
        history = "first response"
    blocks = [
        Block("heading", f"Feedback alert #{view.escalation_id} · {view.survey_id} ({view.kind.upper()})"),
        Block("field", score, "Score"),
        Block("quote", comment, "Comment"),
        Block("field", sentiment, "Sentiment"),
        Block("field", ", ".join(RULE_LABELS.get(r, r.replace("_", " ")) for r in view.rules), "Why"),
        Block("field", customer, "Customer"),
        Block("field", history, "History"),
    ]
    if view.context:
        blocks.append(Block("field", ", ".join(f"{k}={v}" for k, v in sorted(view.context.items())), "Context"))
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
