"""Negative comments grouped by meaning, across languages: the pure maths.

The digest's word themes count words, so "late delivery", "Lieferung kam zu spät" and
"el pedido llegó tarde" are three themes in three languages. A multilingual sentence
embedding puts those three close together; this module groups comments by the cosine
similarity of their embeddings (given as vectors: computing them is the model's job, in
``bot/``), names each group by its most representative words (stemmed, stop words and
negated words removed, in the comments' own languages) and picks one quote.

Grouping is average-linkage agglomerative clustering with a similarity threshold: two groups
merge while the mean similarity between their members is at least ``similarity``. Average
linkage keeps a group about one thing (single linkage chains "late delivery" to "late
refund" to "refund refused"); a threshold instead of a number of groups lets a week with one
problem show one group. At digest sizes (a few hundred comments) the O(n^3) loop below
takes milliseconds; scipy's ``linkage`` does the same but would add about 100 MB to the
install (the issue allows 150 MB for the whole sentiment model).

The threshold was calibrated on the calibration half of our labelled set
(``tests/data/feedback_sentiment_*.tsv``, see ``surveys/sentiment.py``) by the topic column:
negative comments about one topic should share a group, about different topics not.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from surveys.themes import stem, terms

# Mean cosine similarity at which two groups of comments are about the same thing (USE
# multilingual v3; calibrated, see the module docstring).
SIMILARITY = 0.42
MIN_GROUP = 2  # a group of one comment is not a theme
NAME_WORDS = 3
QUOTE_CHARS = 160


@dataclass(frozen=True)
class MeaningGroup:
    """A group of comments about one thing: ``words`` name it (most representative first),
    ``quote`` is the comment closest to the group's centre, ``members`` index the input."""

    words: tuple[str, ...]
    count: int
    quote: str
    quote_language: str
    languages: tuple[str, ...]
    members: tuple[int, ...]

    @property
    def name(self) -> str:
        return ", ".join(self.words)


def cluster(vectors: npt.ArrayLike, similarity: float = SIMILARITY) -> list[list[int]]:
    """Average-linkage agglomerative clustering on cosine similarity: lists of row indices,
    largest group first (ties by first member). Rows need not be normalised."""
    x = np.asarray(vectors, dtype=np.float64)
    n = len(x)
    if n == 0:
        return []
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms == 0, 1.0, norms)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members: list[list[int]] = [[i] for i in range(n)]
    while alive.sum() > 1:
        flat = int(np.argmax(sim))
        a, b = divmod(flat, n)
        if sim[a, b] < similarity:
            break
        # Lance-Williams update for average linkage: the merged group's mean similarity to
        # every other group is the size-weighted mean of its two parts'.
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        sim[a], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sim[b], sim[:, b] = -np.inf, -np.inf
        sizes[a] += sizes[b]
        alive[b] = False
        members[a].extend(members[b])
        members[b] = []
    groups = [sorted(m) for m, ok in zip(members, alive, strict=True) if ok]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def group_by_meaning(
    comments: Sequence[tuple[str, str]],
    vectors: npt.ArrayLike,
    *,
    similarity: float = SIMILARITY,
    top: int = 5,
    min_group: int = MIN_GROUP,
) -> list[MeaningGroup]:
    """The ``top`` largest groups of at least ``min_group`` comments among ``comments``
    (``(text, language)`` pairs, one vector each), most comments first."""
    x = np.asarray(vectors, dtype=np.float64)
    if len(comments) != len(x):
        raise ValueError(f"{len(comments)} comments but {len(x)} vectors")
    if not comments:
        return []
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit = x / np.where(norms == 0, 1.0, norms)
    words = [_words(text, language) for text, language in comments]
    document_frequency: Counter[str] = Counter(key for found in words for key in found)
    out: list[MeaningGroup] = []
    for group in cluster(unit, similarity):
        if len(group) < min_group or len(out) >= top:
            break
        centre = unit[group].mean(axis=0)
        closest = max(group, key=lambda i: (float(unit[i] @ centre), -i))
        text, language = comments[closest]
        out.append(
            MeaningGroup(
                words=_name(group, words, document_frequency, len(comments)),
                count=len(group),
                quote=_quote(text),
                quote_language=language,
                languages=tuple(sorted({comments[i][1] for i in group})),
                members=tuple(group),
            )
        )
    return out


def _words(text: str, language: str) -> dict[str, str]:
    """A comment's meaningful single words by stem -> the form it used (negated words and
    stop words are already gone: :func:`surveys.themes.terms`)."""
    found: dict[str, str] = {}
    for term in terms(text, language):
        if " " in term:
            continue
        key = stem(term, language)
        if key not in found or term < found[key]:
            found[key] = term
    return found


def _name(
    group: Sequence[int], words: Sequence[dict[str, str]], document_frequency: Counter[str], total: int
) -> tuple[str, ...]:
    """The words that best tell this group from the others: how many of its comments use a
    stem, weighted by how rare the stem is among all the comments (tf-idf over comments).
    Each stem is shown in its most frequent form; ties alphabetical."""
    in_group: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for i in group:
        for key, form in words[i].items():
            in_group[key] += 1
            forms.setdefault(key, Counter())[form] += 1
    ranked = sorted(
        in_group,
        key=lambda key: (-in_group[key] * math.log((1 + total) / (1 + document_frequency[key])), _shown(forms[key])),
    )
    return tuple(_shown(forms[key]) for key in ranked[:NAME_WORDS])


def _shown(forms: Counter[str]) -> str:
    return min(forms.items(), key=lambda item: (-item[1], item[0]))[0]


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    return text[: QUOTE_CHARS - 1].rstrip() + "…"
