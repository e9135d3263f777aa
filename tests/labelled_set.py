"""The team's own labelled comments and their fixed split into a calibration half and a
held-out half. Two sets:

* **feedback** (tests/data/feedback_sentiment_*.tsv): customer feedback in six languages
  (support, billing, delivery, bugs, praise, mixed): the floors per language and the alert
  thresholds;
* **review style** (tests/data/review_style_en.tsv): English comments about a product the way
  reviews describe one ("the battery barely lasts half a day", "I really wanted to love this
  camera"), written by the team so the reading of product descriptions can be calibrated and
  held out without touching any published review set.

The split: within each (language, label) pair, rows are numbered in file order from 0;
even numbers are the **calibration** half, odd numbers the **held-out** half. Every language
and label is split evenly, and adding rows at the end of a file never moves an existing row
to the other half. Thresholds, prototype sentences and combination weights are chosen on the
calibration half only; the held-out half is what the tests and ``bench.sentiment_speed``
report as "held out".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = ("feedback_sentiment_en.tsv", "feedback_sentiment_intl.tsv")
REVIEW_FILES = ("review_style_en.tsv",)


@dataclass(frozen=True)
class Labelled:
    language: str
    label: str  # positive, negative, neutral
    topic: str
    text: str
    calibration: bool  # in the calibration half (else held out)


def rows(files: tuple[str, ...] = FILES) -> list[Labelled]:
    """The feedback set (or the rows of ``files``), each marked with its half."""
    out: list[Labelled] = []
    seen: dict[tuple[str, str], int] = {}
    for name in files:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            language, label, topic, text = line.split("\t")
            number = seen.get((language, label), 0)
            seen[(language, label)] = number + 1
            out.append(Labelled(language, label, topic, text, calibration=number % 2 == 0))
    return out


def calibration() -> list[Labelled]:
    return [r for r in rows() if r.calibration]


def held_out() -> list[Labelled]:
    return [r for r in rows() if not r.calibration]


def reviews() -> list[Labelled]:
    """The review-style set, split the same way."""
    return rows(REVIEW_FILES)
