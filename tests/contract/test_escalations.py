"""Staff alerts (escalations) through their whole life, on every backend: opened once per
response, claimed, reminded on the ladder, found by the message a reply refers to, resolved."""

from __future__ import annotations

from typing import Any

import pytest

from tests import reads
from tests.contract.support import NOW, answer, enqueue, msg

MIN = 60.0


async def open_alert(store: Any, user: str, *, now: float = NOW, survey: str = "nps") -> tuple[int, int, int]:
    """(escalation id, response id, respondent id) of a detractor's alert."""
    respondent_id, _, response_id = await answer(store, user, 2, comment="Broken", survey=survey, now=now)

    async def work(tx: Any) -> int:
        found = await tx.create_escalation(response_id, respondent_id, survey, ["detractor", "keyword"], now)
        assert found is not None
        return int(found)

    return await store.run(work), response_id, respondent_id


async def test_an_alert_is_opened_once_per_response(store: Any) -> None:
    alert_id, response_id, respondent_id = await open_alert(store, "1")

    async def again(tx: Any) -> Any:
        return await tx.create_escalation(response_id, respondent_id, "nps", ["detractor"], NOW + 5)

    assert await store.run(again) is None
    async with store.transaction() as tx:
        found = await tx.escalation_for_response(response_id)
        assert found == await tx.escalation(alert_id)
    assert (found.state, found.rules, found.respondent_id, found.opened_at) == (
        "open",
        ("detractor", "keyword"),
        respondent_id,
        NOW,
    )
    assert len(await reads.escalations(store)) == 1


async def test_a_claim_then_a_resolution_are_recorded_and_end_the_reminders(store: Any) -> None:
    alert_id, _, _ = await open_alert(store, "1")
    async with store.transaction() as tx:
        await tx.update_escalation(
            alert_id, state="claimed", claimed_by="slack:U9", claimed_by_name="Eve", claimed_at=NOW + MIN
        )
    async with store.transaction() as tx:
        claimed = await tx.escalation(alert_id)
        assert (claimed.state, claimed.claimed_by, claimed.claimed_by_name, claimed.claimed_at) == (
            "claimed",
            "slack:U9",
            "Eve",
            NOW + MIN,
        )
        assert [e.id for e in await tx.unresolved_escalations(NOW + MIN)] == [alert_id]
        await tx.update_escalation(
            alert_id,
            state="resolved",
            resolved_by="slack:U9",
            resolved_by_name="Eve",
            resolved_at=NOW + 2 * MIN,
            resolution_note="refunded",
            recovered=1,
        )
    async with store.transaction() as tx:
        done = await tx.escalation(alert_id)
        assert (done.state, done.resolution_note, done.recovered) == ("resolved", "refunded", True)
        assert await tx.unresolved_escalations(NOW + 3 * MIN) == []
        assert await tx.escalations_to_remind(NOW + 10**6, first=MIN, repeat=MIN, unresolved=MIN, limit=5) == []


async def test_reminders_follow_the_ladder(store: Any) -> None:
    alert_id, _, _ = await open_alert(store, "1")

    async def due(now: float) -> list[int]:
        async with store.transaction() as tx:
            found = await tx.escalations_to_remind(now, first=10 * MIN, repeat=30 * MIN, unresolved=60 * MIN, limit=2)
        return [e.id for e in found]

    assert await due(NOW + 9 * MIN) == []
    assert await due(NOW + 10 * MIN) == [alert_id]
    async with store.transaction() as tx:
        await tx.update_escalation(alert_id, reminded_at=NOW + 10 * MIN, reminders=1)
    assert await due(NOW + 39 * MIN) == []
    assert await due(NOW + 40 * MIN) == [alert_id]
    async with store.transaction() as tx:  # claimed: a new ladder from the claim
        await tx.update_escalation(alert_id, state="claimed", claimed_at=NOW + 41 * MIN, reminders=0)
    assert await due(NOW + 100 * MIN) == []
    assert await due(NOW + 101 * MIN) == [alert_id]
    async with store.transaction() as tx:
        await tx.update_escalation(alert_id, reminded_at=NOW + 101 * MIN, reminders=2)
    assert await due(NOW + 10**6) == []  # the limit is reached


async def test_only_known_columns_of_an_alert_may_be_updated(store: Any) -> None:
    alert_id, _, _ = await open_alert(store, "1")
    with pytest.raises(ValueError, match="not a column"):
        async with store.transaction() as tx:
            await tx.update_escalation(alert_id, **{"state = 'resolved' --": "x"})
    with pytest.raises(ValueError):
        async with store.transaction() as tx:
            await tx.update_escalation(alert_id)
    async with store.transaction() as tx:
        assert (await tx.escalation(alert_id)).state == "open"


async def test_staff_reply_and_relay_state_find_their_alert(store: Any) -> None:
    first, _, customer = await open_alert(store, "1")
    async with store.transaction() as tx:
        await tx.update_escalation(first, reply_pending_by="telegram:99", relay_open=1, recovery_asked_at=NOW)
    async with store.transaction() as tx:
        assert (await tx.escalation_replying("telegram:99")).id == first
        assert await tx.escalation_replying("telegram:98") is None
        assert (await tx.escalation_relaying(customer)).id == first
        assert (await tx.escalation_awaiting_recovery(customer)).id == first
        await tx.update_escalation(first, recovered=0)
    async with store.transaction() as tx:
        assert await tx.escalation_awaiting_recovery(customer) is None


async def test_an_alerts_posted_copies_are_found_by_their_message_and_their_state(store: Any) -> None:
    alert_id, _, _ = await open_alert(store, "1")
    copies = [
        msg("-100", "ALERT", ref=f"alert:{alert_id}:telegram:-100"),
        msg("C1", "ALERT", platform="slack", ref=f"alert:{alert_id}:slack:C1"),
        msg("C2", "ALERT", platform="slack", ref=f"alert:{alert_id}:slack:C2"),
    ]
    await enqueue(store, *copies)
    tg, slack1, _slack2 = await store.claim_pending()
    await store.mark_sent(tg.id, "555", NOW)
    await store.mark_dead(slack1, "channel_not_found", unreachable=False)
    async with store.transaction() as tx:
        assert (await tx.escalation_by_message("telegram", "-100", "555")).id == alert_id
        assert await tx.escalation_by_message("telegram", "-100", "556") is None
        assert await tx.alert_copies(alert_id) == {
            ("telegram", "-100"): "sent",
            ("slack", "C1"): "dead",
            ("slack", "C2"): "sending",
        }
        assert await tx.dead_alerts("slack", "C1", NOW - 1) == [alert_id]
        assert await tx.dead_alerts("slack", "C1", NOW + 1) == []  # opened before `since`
        assert await tx.dead_alerts("slack", "C2", NOW - 1) == []
    # One copy reached someone: not undelivered.
    assert await store.undelivered_alerts(NOW - 1) == 0


async def test_an_alert_that_reached_nobody_is_counted_as_undelivered(store: Any) -> None:
    alert_id, _, _ = await open_alert(store, "1")
    await enqueue(store, msg("C1", "ALERT", platform="slack", ref=f"alert:{alert_id}:slack:C1"))
    [row] = await store.claim_pending()
    await store.mark_dead(row, "channel_not_found", unreachable=False)
    assert await store.undelivered_alerts(NOW - 1) == 1
    assert await store.undelivered_alerts(NOW + 1) == 0


async def test_what_an_alert_shows_comes_with_the_customers_history(store: Any) -> None:
    await answer(store, "1", 8, survey="csat", now=NOW - 86400)
    alert_id, response_id, _respondent_id = await open_alert(store, "1")
    async with store.transaction() as tx:
        facts = await tx.alert_facts(alert_id)
        assert await tx.alert_facts(alert_id + 100) is None
    assert facts is not None
    assert (facts["id"], facts["response_id"], facts["score"], facts["comment"]) == (alert_id, response_id, 2, "Broken")
    assert (facts["platform"], facts["user_id"], facts["display_name"]) == ("telegram", "1", "Ann")
    assert facts["history"] == [("nps", 8)]


async def test_a_summary_is_claimed_once_per_day(store: Any) -> None:
    async def claim(tx: Any) -> bool:
        return bool(await tx.record_summary("summary:staff", "2026-01-01", NOW))

    assert await store.run(claim) is True
    assert await store.run(claim) is False
