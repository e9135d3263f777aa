"""The report queries digests use, on every backend: their counts match what was written,
for windows of whole UTC days and for windows that cut days, by score, by segment, for alerts
and invitations; digest runs and trend alerts are recorded once."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.engine import Session, Stage
from tests import reads
from tests.contract.support import DAY, NOW, answer, msg

HOUR = 3600.0
SCORES = range(11)


async def some_answers(store: Any) -> None:
    """Scores over three UTC days, two platforms and two plans (one hour after midnight,
    and one hour before the next)."""
    written = [
        ("a", 9, "pro", "telegram", NOW + HOUR),
        ("b", 9, "pro", "slack", NOW + 23 * HOUR),
        ("c", 3, "free", "telegram", NOW + DAY + HOUR),
        ("d", 10, "free", "telegram", NOW + DAY + 23 * HOUR),
        ("e", 0, "pro", "slack", NOW + 2 * DAY + HOUR),
    ]
    for user, score, plan, platform, at in written:
        await answer(store, user, score, context={"plan": plan}, platform=platform, now=at)
    await answer(store, "skip", None, now=NOW + HOUR)  # declined the score: not an answer
    await answer(store, "other", 5, survey="csat", now=NOW + HOUR)


async def test_score_counts_match_what_was_written_for_whole_days_and_cut_days(store: Any) -> None:
    await some_answers(store)
    windows = [
        (NOW, NOW + 3 * DAY),  # three whole days
        (NOW + 2 * HOUR, NOW + DAY + 2 * HOUR),  # cuts two days
        (NOW + 22 * HOUR, NOW + 22.5 * HOUR),  # inside one day, empty
        (NOW - 5.5 * HOUR, NOW + 2 * DAY - 5.5 * HOUR),  # a +5:30 time zone's two days
    ]
    async with store.reports() as reports:
        counts = await reports.score_counts("nps", list(SCORES), windows)
    assert counts == [{9: 2, 3: 1, 10: 1, 0: 1}, {9: 1, 3: 1}, {}, {9: 2, 3: 1}]


async def test_segments_by_context_key_and_platform_match_what_was_written(store: Any) -> None:
    await some_answers(store)
    windows = [(NOW, NOW + 3 * DAY), (NOW + 12 * HOUR, NOW + DAY + 12 * HOUR)]
    async with store.reports() as reports:
        found = await reports.segments("nps", ["plan", "platform"], windows, list(SCORES))
        by_plan = await reports.segment_counts("nps", "plan", windows[:1])
    assert found["plan"] == [{"pro": {9: 2, 0: 1}, "free": {3: 1, 10: 1}}, {"pro": {9: 1}, "free": {3: 1}}]
    assert found["platform"] == [
        {"telegram": {9: 1, 3: 1, 10: 1}, "slack": {9: 1, 0: 1}},
        {"slack": {9: 1}, "telegram": {3: 1}},
    ]
    assert by_plan == found["plan"][:1]


async def test_counts_follow_a_changed_score_and_an_erasure(store: Any) -> None:
    respondent_id, _, _ = await answer(store, "a", 2, context={"plan": "pro"}, now=NOW + HOUR)
    await answer(store, "a2", 8, context={"plan": "pro"}, now=NOW + HOUR)
    async with store.transaction() as tx:
        await tx.erase_person(respondent_id)
    async with store.reports() as reports:
        assert await reports.score_counts("nps", list(SCORES), [(NOW, NOW + DAY)]) == [{2: 1, 8: 1}]
        plan = await reports.segment_counts("nps", "plan", [(NOW, NOW + DAY)])
    assert plan == [{"pro": {8: 1}}]  # the erased answer keeps its score, not its context


async def test_alert_facts_count_what_was_opened_claimed_resolved_and_recovered(store: Any) -> None:
    ids = []
    for n, user in enumerate(("a", "b", "c")):
        respondent_id, _, response_id = await answer(store, user, 1, now=NOW + n * HOUR)

        async def work(tx: Any, respondent_id: int = respondent_id, response_id: int = response_id, n: int = n) -> int:
            return int(await tx.create_escalation(response_id, respondent_id, "nps", ["detractor"], NOW + n * HOUR))

        ids.append(await store.run(work))
    async with store.transaction() as tx:
        await tx.update_escalation(ids[0], state="claimed", claimed_at=NOW + 600)
        await tx.update_escalation(
            ids[1], state="resolved", claimed_at=NOW + HOUR + 60, resolved_at=NOW + 2 * HOUR, recovered=1
        )
    async with store.reports() as reports:
        facts = await reports.escalation_facts("nps", NOW, NOW + DAY)
        none = await reports.escalation_facts("csat", NOW, NOW + DAY)
    assert (facts.opened, facts.claimed, facts.resolved, facts.recovered, facts.not_recovered) == (3, 2, 1, 1, 0)
    assert sorted(facts.claim_seconds) == [60.0, 600.0] and facts.resolve_seconds == (HOUR,)
    assert none.opened == 0


async def test_invited_and_self_started_surveys_are_counted_apart(store: Any) -> None:
    await answer(store, "self", 7, now=NOW + HOUR)  # started by /feedback

    async def invited(tx: Any) -> None:
        for user, answered in (("i1", True), ("i2", False)):
            who = await tx.ensure_respondent("telegram", user, user, NOW)
            session = await tx.save_session(
                Session(
                    "nps",
                    Stage.DONE if answered else Stage.SCORE,
                    "en",
                    f"inv-{user}",
                    NOW,
                    NOW + DAY,
                    score=8 if answered else None,
                ),
                who.id,
                NOW,
            )
            invitation = await tx.insert_invitation(who.id, "nps", "scheduled", None, None, None, {}, "bulk", NOW, NOW)
            await tx.mark_invitation(invitation, "sent", session_id=session.id, sent_at=NOW + 60)

    await store.run(invited)
    async with store.reports() as reports:
        rates = await reports.invitation_counts("nps", NOW, NOW + DAY)
        started = await reports.self_started("nps", NOW, NOW + DAY)
    assert [(r.channel, r.invited, r.responded) for r in rates] == [("telegram", 2, 1)]
    assert started == (1, 1)


async def test_a_digest_run_and_a_trend_alert_are_recorded_once_per_period(store: Any) -> None:
    async with store.reports() as reports:
        assert await reports.digest_run("weekly", "2026-W01") is None
        assert await reports.record_run("weekly", "2026-W01", "2026-W02", "posted", NOW)
        assert not await reports.record_run("weekly", "2026-W01", "2026-W02", "posted", NOW + 1)
        assert await reports.record_run("weekly", "2026-W02", "2026-W03", "empty", NOW + 7 * DAY)
        assert await reports.digest_run("weekly", "2026-W01") == "posted"
        assert await reports.runs("weekly") == [
            ("2026-W02", "2026-W03", "empty", NOW + 7 * DAY),
            ("2026-W01", "2026-W02", "posted", NOW),
        ]
        assert not await reports.trend_alerted("nps", "2026-W01")
        assert await reports.record_trend_alert("nps", "2026-W01", "2025-W52", 0.01, -12.5, NOW)
        assert not await reports.record_trend_alert("nps", "2026-W01", "2025-W52", 0.01, -12.5, NOW)
    async with store.reports() as reports:  # and it was committed
        assert await reports.trend_alerted("nps", "2026-W01")
        assert await reports.digest_run("weekly", "2026-W02") == "empty"


async def test_a_committed_event_is_seen_as_processed(store: Any) -> None:
    async def work(tx: Any) -> None:
        await tx.claim_event("slack:Ev9", NOW)

    await store.run(work)
    async with store.reports() as reports:
        assert await reports.event_processed("slack:Ev9")
        assert not await reports.event_processed("slack:Ev10")


async def test_a_digest_is_recorded_with_what_it_posts_or_not_at_all(store: Any) -> None:
    """A scheduled digest records its run in the unit of work that queues its messages
    (``tx.reports()``): if that unit fails, neither the record nor the messages stay, so the
    next attempt posts it; once committed, a second attempt finds the record."""

    class Failed(RuntimeError):
        pass

    def post(fail: bool) -> Any:
        async def work(tx: Any) -> bool:
            reports = await tx.reports()
            if not await reports.record_run("weekly", "2026-W01", "2026-W02", "posted", NOW):
                return False
            assert await reports.digest_run("weekly", "2026-W01") == "posted"  # seen inside the unit
            await tx.enqueue([msg("managers", "weekly digest", platform="console")], NOW)
            if fail:
                raise Failed
            return True

        return work

    with pytest.raises(Failed):
        await store.run(post(fail=True))
    async with store.reports() as reports:
        assert await reports.digest_run("weekly", "2026-W01") is None
    assert await reads.outbox(store) == []
    assert await store.run(post(fail=False)) is True
    assert await store.run(post(fail=False)) is False  # already posted
    assert [r["chat_id"] for r in await reads.outbox(store)] == ["managers"]
