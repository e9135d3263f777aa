"""A week's comment facts picked by the database (``Reports.comment_facts``: the sentiment mix
grouped in SQL, quote candidates and the theme sample ordered and limited there) against the
same facts picked in Python from the rows as they were written: random comments with and
without a VADER score, in several languages, with repeated texts, equal sentiments and equal
times (ties), on SQLite and, when a server is given, PostgreSQL. The reference reads nothing
back from the database."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.postgres.store import Store as PostgresStore
from storage.reports import CommentFacts, Reports, reading
from storage.sqlite import Store
from surveys.digest import Comment
from tests.postgres import needs_postgres

START, END = 1000.0, 2000.0
NEGATIVE_MAX = 6
TEXTS = ["slow", "Slow ", "rude agent", "great app", "fine", "", "x" * 700]

# (status, score, comment or None, label, sentiment, language, created_at)
row = st.tuples(
    st.sampled_from(["answered", "answered", "answered", "partial"]),
    st.none() | st.integers(0, 10),
    st.none() | st.sampled_from(TEXTS),
    st.sampled_from(["negative", "positive", "neutral", "unscored", "none"]),
    st.none() | st.sampled_from([-0.9, -0.5, 0.0, 0.5, 0.9]) | st.floats(-1, 1, allow_nan=False),
    st.sampled_from(["en", "de", None]),
    st.sampled_from([START, START + 10.0, END - 1, END, START - 1]) | st.floats(START - 50, END + 50, allow_nan=False),
)


def expected(rows: list[tuple[Any, ...]], negatives: int, positives: int, theme_limit: int) -> CommentFacts:
    """The facts, picked alert by alert in Python with the documented order and ties."""
    given_ = [
        (i, *r)
        for i, r in enumerate(rows, start=1)
        if r[0] == "answered" and r[2] is not None and START <= r[6] < END
    ]
    mix = dict(Counter(r[4] for r in given_))
    newest = sorted(given_, key=lambda r: (-r[7], -r[0]))
    worst = sorted((r for r in given_ if r[4] == "negative" and r[5] is not None), key=lambda r: (r[5], -r[7], -r[0]))
    best = sorted((r for r in given_ if r[4] == "positive" and r[5] is not None), key=lambda r: (-r[5], -r[7], -r[0]))
    themes = [r for r in newest if r[4] == "negative" or (r[2] is not None and r[2] <= NEGATIVE_MAX)][:theme_limit]

    def quotes(candidates: list[Any], limit: int) -> list[Comment]:
        picked: list[Comment] = []
        seen: set[str] = set()
        for r in candidates[: limit * 4]:
            text = r[3][:600]
            key = " ".join(text.casefold().split())
            if key and key not in seen:
                seen.add(key)
                picked.append(Comment(text, r[2], float(r[5])))
            if len(picked) == limit:
                break
        return picked

    return CommentFacts(
        sentiment=mix,
        negative=quotes(worst, negatives),
        positive=quotes(best, positives),
        themes=[(r[3][:600], r[6] or "en") for r in themes if r[3]],
    )


INSERT = (
    "INSERT INTO responses (id, survey_id, kind, status, score, comment, comment_status, sentiment_label, sentiment, "
    "language, created_at, updated_at) VALUES (?, 'nps', 'nps', ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def values(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        (i, status, score, comment, "given" if comment is not None else "skipped", label, sentiment, language, at, at)
        for i, (status, score, comment, label, sentiment, language, at) in enumerate(rows, start=1)
    ]


LIMITS = [(3, 2, 200), (1, 1, 3), (0, 2, 0)]


async def on_sqlite(rows: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bot.db"
        store = await Store.open(path, "normal")
        try:
            db = sqlite3.connect(path, isolation_level=None)
            db.executemany(INSERT, values(rows))
            db.close()
            async with reading(store) as reports:
                for negatives, positives, themes in LIMITS:
                    got = await reports.comment_facts(
                        "nps", START, END, negative_max_score=NEGATIVE_MAX, negatives=negatives,
                        positives=positives, theme_limit=themes,
                    )
                    assert got == expected(rows, negatives, positives, themes)
        finally:
            await store.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=60))
def test_comment_facts_picked_by_the_database_equal_the_facts_picked_row_by_row(rows: list[tuple[Any, ...]]) -> None:
    asyncio.run(on_sqlite(rows))


def sample(seed: int, count: int = 300, sentiments: tuple[float, ...] = ()) -> list[tuple[Any, ...]]:
    """Random rows; with ``sentiments``, scored comments take only those values (ties everywhere)."""
    rng = random.Random(seed)
    return [
        (
            rng.choice(["answered", "answered", "partial"]),
            rng.choice([None, *range(11)]),
            rng.choice([None, *TEXTS, f"comment {rng.randrange(50)}"]),
            rng.choice(["negative", "positive", "neutral", "unscored"]),
            rng.choice([None, rng.choice(sentiments) if sentiments else round(rng.uniform(-1, 1), 1)]),
            rng.choice(["en", "de", None]),
            rng.choice([START, START + 100, float(rng.randrange(900, 2100))]),
        )
        for _ in range(count)
    ]


async def test_comment_facts_on_sqlite_with_many_ties() -> None:
    await on_sqlite(sample(3))
    await on_sqlite(sample(4, sentiments=(-0.5, 0.5)))  # the limits cut through equal sentiments


@needs_postgres
async def test_comment_facts_on_postgresql(pg_url: str) -> None:
    store = await PostgresStore.open(pg_url)
    try:
        for rows in (sample(3), sample(4, sentiments=(-0.5, 0.5))):
            conn = await asyncpg.connect(pg_url)
            try:
                await conn.execute("TRUNCATE responses CASCADE")
                await conn.executemany(INSERT.replace("?", "${}").format(*range(1, 11)), values(rows))
            finally:
                await conn.close()
            async with store.reading() as reader:
                for negatives, positives, themes in LIMITS:
                    got = await Reports(reader).comment_facts(
                        "nps", START, END, negative_max_score=NEGATIVE_MAX, negatives=negatives,
                        positives=positives, theme_limit=themes,
                    )
                    assert got == expected(rows, negatives, positives, themes)
    finally:
        await store.close()
