"""Grouping comments by meaning: the pure maths (surveys.meaning) on vectors made by hand."""

from __future__ import annotations

import numpy as np
import pytest

from surveys.meaning import cluster, group_by_meaning


def unit(*values: float) -> list[float]:
    v = np.array(values, dtype=float)
    return list(v / np.linalg.norm(v))


def test_close_vectors_merge_and_far_ones_stay_apart() -> None:
    vectors = [unit(1, 0.1, 0), unit(1, 0, 0.1), unit(0, 1, 0), unit(0.1, 1, 0), unit(0, 0, 1)]
    assert cluster(vectors, 0.8) == [[0, 1], [2, 3], [4]]
    assert cluster(vectors, 0.999) == [[0], [1], [2], [3], [4]]
    assert cluster(vectors, -1.0) == [[0, 1, 2, 3, 4]]
    assert cluster([], 0.5) == []


def test_average_linkage_does_not_chain() -> None:
    # a~b and b~c are close, a and c are not: single linkage would chain all three; the
    # average similarity of {a, b} to c stays below the threshold.
    a, b, c = unit(1, 0), unit(1, 1), unit(0, 1)
    assert cluster([a, b, c], 0.7) in ([[0, 1], [2]], [[1, 2], [0]])


def test_groups_are_named_by_their_shared_words_and_quote_their_centre() -> None:
    comments = [
        ("The delivery was late", "en"),
        ("Late delivery again", "en"),
        ("Die Lieferung kam zu spät", "de"),
        ("I was charged twice", "en"),
        ("Charged twice for one order", "en"),
        ("Nice app", "en"),
    ]
    vectors = [unit(1, 0, 0.05), unit(1, 0.02, 0), unit(0.95, 0, 0), unit(0, 1, 0), unit(0, 1, 0.03), unit(0, 0, 1)]
    first, second = group_by_meaning(comments, vectors, similarity=0.8)
    assert first.members == (0, 1, 2) and first.count == 3 and first.languages == ("de", "en")
    assert set(first.words[:2]) == {"delivery", "late"}
    assert first.quote in {text for text, _ in comments[:3]}
    assert second.members == (3, 4) and set(second.words[:2]) == {"charged", "twice"}
    # single comments are no group; top limits the count
    assert len(group_by_meaning(comments, vectors, similarity=0.8, top=1)) == 1
    assert group_by_meaning(comments, vectors, similarity=1.01) == []  # nothing is that close


def test_negated_and_stop_words_never_name_a_group() -> None:
    comments = [("Nothing special, the refund is missing", "en"), ("The refund is missing", "en")]
    (group,) = group_by_meaning(comments, [unit(1, 0), unit(1, 0.01)], similarity=0.5)
    assert "special" not in group.words and "the" not in group.words
    assert group.words[:2] in (("missing", "refund"), ("refund", "missing"))


def test_long_quotes_are_cut_and_sizes_must_match() -> None:
    long = "word " * 100
    (group,) = group_by_meaning([(long, "en"), (long, "en")], [unit(1, 0), unit(1, 0)], similarity=0.5)
    assert len(group.quote) <= 160 and group.quote.endswith("…")
    with pytest.raises(ValueError, match="2 comments but 1 vectors"):
        group_by_meaning([("a", "en"), ("b", "en")], [unit(1, 0)])
    assert group_by_meaning([], np.zeros((0, 3))) == []
