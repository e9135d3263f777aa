"""Sentiment scoring behind a one-method interface, so the engine can be tested with a
table of fixed scores and VADER stays an implementation detail.

VADER is English only: for any other language we return ``None`` ("not scored") rather
than a confident-looking number computed from words VADER does not know."""

from __future__ import annotations

from typing import Protocol

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# How clearly the words must disagree with the score before we call it a contradiction.
CONTRADICTION_AT = 0.5


class SentimentScorer(Protocol):
    def __call__(self, text: str, language: str) -> float | None: ...


class VaderScorer:
    """VADER compound score in [-1, 1] for English text. The lexicon ships inside the
    package, so this needs no network."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def __call__(self, text: str, language: str) -> float | None:
        if language != "en" or not text.strip():
            return None
        return float(self._analyzer.polarity_scores(text)["compound"])


def label(compound: float | None) -> str:
    if compound is None:
        return "unscored"
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def contradiction_flags(mood: str, compound: float | None) -> tuple[str, ...]:
    """``hidden_detractor``: a good score with clearly negative words (the classic
    "10 - but your support is useless"); ``hidden_promoter``: the reverse."""
    if compound is None:
        return ()
    if mood == "positive" and compound <= -CONTRADICTION_AT:
        return ("hidden_detractor",)
    if mood == "negative" and compound >= CONTRADICTION_AT:
        return ("hidden_promoter",)
    return ()
