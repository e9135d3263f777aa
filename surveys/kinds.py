"""The three survey kinds and how their scores are classified.

The category boundaries are the published conventions (Bain's NPS, the usual top-two-box
CSAT, Gartner's 7-point CES), kept in one place because the engine, escalation rules,
metrics and exports all have to agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from surveys.sentiment import NEGATIVE_COMMENT_AT


class Kind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


@dataclass(frozen=True)
class Scale:
    low: int
    high: int

    def __contains__(self, score: object) -> bool:
        return isinstance(score, int) and self.low <= score <= self.high


SCALES: dict[Kind, Scale] = {
    Kind.NPS: Scale(0, 10),
    Kind.CSAT: Scale(1, 5),
    Kind.CES: Scale(1, 7),
}

# Scores that escalate by default: NPS detractors, the bottom two CSAT boxes, difficult CES.
DEFAULT_ESCALATION_SCORES: dict[Kind, frozenset[int]] = {
    Kind.NPS: frozenset(range(0, 7)),
    Kind.CSAT: frozenset({1, 2}),
    Kind.CES: frozenset({1, 2, 3}),
}


def classify(kind: Kind, score: int) -> str:
    """Category of a score: NPS promoter/passive/detractor, CSAT satisfied/neutral/
    unsatisfied, CES easy/neutral/difficult."""
    if score not in SCALES[kind]:
        raise ValueError(f"score {score} outside {kind} scale")
    if kind is Kind.NPS:
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if kind is Kind.CSAT:
        return "satisfied" if score >= 4 else "neutral" if score == 3 else "unsatisfied"
    return "easy" if score >= 5 else "neutral" if score == 4 else "difficult"


def mood(kind: Kind, score: int) -> str:
    """positive / neutral / negative: picks the follow-up wording and the contradiction
    checks, so the three kinds share one vocabulary."""
    category = classify(kind, score)
    if category in {"promoter", "satisfied", "easy"}:
        return "positive"
    if category in {"detractor", "unsatisfied", "difficult"}:
        return "negative"
    return "neutral"


@dataclass(frozen=True)
class EscalationRules:
    """When a response is escalated to staff. ``scores`` None means the kind's default."""

    enabled: bool = True
    scores: frozenset[int] | None = None
    sentiment_threshold: float | None = NEGATIVE_COMMENT_AT
    contradiction: bool = True


@dataclass(frozen=True)
class SurveyDefinition:
    """One survey as configured: which kind, whose name goes into the wording, and any
    text overrides per language (``texts[lang][key]``).

    ``product`` is a name, used as it is in every language (and in staff messages);
    ``products`` words it per language where a name alone would not do ("Acme support").
    ``task`` completes the CES sentence in ``language`` only, ``tasks`` per language: a task
    is a phrase, so a language without one of its own gets the catalog's neutral wording
    (``default_task``) rather than another language's words spliced into its sentence."""

    id: str
    kind: Kind
    product: str
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    task: str = ""  # CES: what the customer did ("get your issue solved"), in ``language``
    expiry_hours: float = 72.0
    max_comment_chars: int = 2000
    # An answer up to this many hours after the survey expired is kept and the survey goes
    # on; 0 keeps none (the customer is told it expired and offered a new one).
    late_answer_hours: float = 24.0
    escalation: EscalationRules = EscalationRules()
    alert_destinations: tuple[str, ...] = ()
    products: dict[str, str] = field(default_factory=dict)  # per language
    tasks: dict[str, str] = field(default_factory=dict)  # per language
    language: str = "en"  # the language ``task`` is written in

    @property
    def scale(self) -> Scale:
        return SCALES[self.kind]

    def product_in(self, language: str) -> str:
        return self.products.get(language) or self.product

    def task_in(self, language: str) -> str | None:
        """The CES task in ``language``, or None when none was given in that language."""
        if language in self.tasks:
            return self.tasks[language]
        return self.task if self.task and language == self.language else None

    def escalation_scores(self) -> frozenset[int]:
        if self.escalation.scores is not None:
            return self.escalation.scores
        return DEFAULT_ESCALATION_SCORES[self.kind]
