"""The per-week counts (migration 0020) on every backend: kept equal to the sums of the
per-day counts by the database's own triggers while answers arrive and are erased, and read
for whole weeks by the digest's score and segment counts."""

from __future__ import annotations

from typing import Any

from storage.reports import reading
from tests.contract.support import DAY, NOW, answer

MONDAY = NOW + 4 * DAY  # 2026-01-05, the first Monday after NOW (a Thursday)
SCORES = range(11)


async def rows(store: Any, sql: str) -> list[tuple[Any, ...]]:
    async with store.reading() as conn:
        found = await conn.execute_fetchall(sql)
    return sorted(tuple(int(x) if isinstance(x, int) else x for x in row) for row in found)


async def weeks_are_sums_of_days(store: Any) -> None:
    for weeks, days, columns in (
        ("segment_weeks", "segment_days", "survey_id, key, value, score"),
        ("response_weeks", "response_days", "survey_id, score, channel, language"),
    ):
        kept = await rows(store, f"SELECT {columns}, week, n FROM {weeks}")
        summed = await rows(
            store, f"SELECT {columns}, (day + 3) / 7, SUM(n) FROM {days} GROUP BY {columns}, (day + 3) / 7"
        )
        assert kept == summed, weeks
        assert all(n > 0 for *_, n in kept), weeks


async def test_week_counts_are_the_sums_of_the_day_counts_through_answers_and_erasure(store: Any) -> None:
    people = {}
    for i in range(4):  # four promoters on Monday, two on Wednesday: counts above one
        people[f"m{i}"] = await answer(store, f"m{i}", 9, context={"plan": "pro"}, now=MONDAY + 3600 * (i + 1))
    for i in range(2):
        people[f"w{i}"] = await answer(store, f"w{i}", 9, context={"plan": "pro"}, now=MONDAY + 2 * DAY + i)
    await answer(store, "x", 3, context={"plan": "free"}, now=MONDAY + 6 * DAY + 3600)  # Sunday
    await answer(store, "y", 7, context={"plan": "free"}, now=MONDAY + 7 * DAY + 3600)  # the next week
    await weeks_are_sums_of_days(store)
    week = [(MONDAY, MONDAY + 7 * DAY)]
    async with reading(store) as reports:
        assert await reports.score_counts("nps", list(SCORES), week) == [{9: 6, 3: 1}]
        found = await reports.segments("nps", ["plan", "platform"], week, list(SCORES))
    assert found["plan"] == [{"pro": {9: 6}, "free": {3: 1}}]
    assert found["platform"] == [{"telegram": {9: 6, 3: 1}}]
    for user in ("m0", "m1", "w0"):  # erasure keeps the score, forgets the context
        async with store.transaction() as tx:
            await tx.erase_person(people[user][0])
    await weeks_are_sums_of_days(store)
    async with reading(store) as reports:
        assert await reports.score_counts("nps", list(SCORES), week) == [{9: 6, 3: 1}]
        found = await reports.segments("nps", ["plan"], [*week, (MONDAY, MONDAY + 14 * DAY)], list(SCORES))
    assert found["plan"] == [{"pro": {9: 3}, "free": {3: 1}}, {"pro": {9: 3}, "free": {3: 1, 7: 1}}]
