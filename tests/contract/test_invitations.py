"""Invitations on every backend: created once per idempotency key, due in order, marked,
reminded, and the fatigue facts read across a person's identities; campaigns page through
the audience."""

from __future__ import annotations

import asyncio
from typing import Any

from surveys.engine import Session, Stage
from tests import reads
from tests.contract.support import NOW, enqueue, msg, person


async def invite(
    store: Any,
    user: str,
    *,
    key: str | None = None,
    not_before: float = NOW,
    survey: str = "nps",
    platform: str = "telegram",
) -> int | None:
    async def work(tx: Any) -> int | None:
        who = await tx.ensure_respondent(platform, user, user, NOW)
        found = await tx.insert_invitation(
            who.id, survey, "scheduled", None, key, "spring", {"order": "A-1"}, "bulk", not_before, NOW
        )
        return None if found is None else int(found)

    return await store.run(work)


async def test_an_invitation_is_created_once_per_idempotency_key(store: Any) -> None:
    first = await invite(store, "1", key="api:abc")
    assert first is not None
    assert await invite(store, "1", key="api:abc") is None
    assert await invite(store, "1") is not None and await invite(store, "1") is not None  # no key: no limit
    async with store.transaction() as tx:
        found = await tx.invitation_by_key("api:abc")
        assert found is not None and found["id"] == first and found["campaign_id"] == "spring"
        assert (await tx.invitation(first))["status"] == "scheduled"
        assert await tx.invitation_by_key("api:nope") is None
    assert len(await reads.invitations(store)) == 3


async def test_due_invitations_come_in_time_order_and_leave_once_marked(store: Any) -> None:
    late = await invite(store, "1", not_before=NOW + 300)
    early = await invite(store, "2", not_before=NOW + 100)
    await invite(store, "3", not_before=NOW + 10_000)
    async with store.transaction() as tx:
        assert [i["id"] for i in await tx.due_invitations(NOW + 500, 10)] == [early, late]
        assert [i["id"] for i in await tx.due_invitations(NOW + 500, 1)] == [early]
        await tx.mark_invitation(early, "sent", sent_at=NOW + 500)
        await tx.mark_invitation(late, "throttled", reason="fatigue")
    async with store.transaction() as tx:
        assert await tx.due_invitations(NOW + 500, 10) == []
        marked = await tx.invitation(late)
        assert (marked["status"], marked["reason"], marked["sent_at"]) == ("throttled", "fatigue", None)
        assert (await tx.invitation(early))["sent_at"] == NOW + 500


async def test_a_sent_invitation_waiting_for_its_first_answer_is_reminded_once(store: Any) -> None:
    invitation = await invite(store, "1")
    assert invitation is not None

    async def send(tx: Any) -> int:
        who = await tx.respondent("telegram", "1")
        session = await tx.save_session(Session("nps", Stage.SCORE, "en", "inv-1", NOW, NOW + 86400), who.id, NOW)
        await tx.mark_invitation(invitation, "sent", session_id=session.id, sent_at=NOW)
        return int(session.id)

    session_id = await store.run(send)
    async with store.transaction() as tx:
        assert await tx.reminders_due(NOW - 1, 10) == []
        [due] = await tx.reminders_due(NOW + 3600, 10)
        assert (due["id"], due["nonce"], due["platform"], due["chat_id"]) == (invitation, "inv-1", "telegram", "1")
        await tx.mark_reminded(invitation, NOW + 3600)
    async with store.transaction() as tx:
        assert await tx.reminders_due(NOW + 7200, 10) == []
        assert (await tx.invitation(invitation))["session_id"] == session_id


async def test_nobody_who_opted_out_or_cannot_be_reached_is_reminded(store: Any) -> None:
    for user in ("1", "2", "3"):
        invitation = await invite(store, user)

        async def send(tx: Any, user: str = user, invitation: Any = invitation) -> None:
            who = await tx.respondent("telegram", user)
            session = await tx.save_session(
                Session("nps", Stage.SCORE, "en", f"i-{user}", NOW, NOW + 9999), who.id, NOW
            )
            await tx.mark_invitation(invitation, "sent", session_id=session.id, sent_at=NOW)
            if user == "1":
                await tx.set_opt_out(who.id, True, NOW)

        await store.run(send)
    await enqueue(store, msg("2", "hello"))
    [blocked] = await store.claim_pending()
    await store.mark_dead(blocked, "bot was blocked by the user", unreachable=True)
    async with store.transaction() as tx:
        assert [due["chat_id"] for due in await tx.reminders_due(NOW + 3600, 10)] == ["3"]


async def test_the_last_invitation_counts_across_a_persons_identities(store: Any) -> None:
    for user, platform, survey, sent_at in (("1", "telegram", "nps", NOW), ("U1", "slack", "csat", NOW + 50)):
        invitation = await invite(store, user, platform=platform, survey=survey)

        async def send(tx: Any, invitation: Any = invitation, sent_at: float = sent_at) -> None:
            await tx.mark_invitation(invitation, "sent", sent_at=sent_at)

        await store.run(send)
    async with store.transaction() as tx:
        tg, slack = await tx.respondent("telegram", "1"), await tx.respondent("slack", "U1")
        assert await tx.last_invited(tg.id, "nps") == (NOW, NOW)
        await tx.set_person_key(tg.id, "p-1")
        await tx.set_person_key(slack.id, "p-1")
    async with store.transaction() as tx:
        assert await tx.last_invited(tg.id, "nps") == (NOW + 50, NOW)
        assert await tx.last_invited(slack.id, "nps") == (NOW + 50, NOW)


async def test_the_audience_pages_through_reachable_people_who_did_not_opt_out(store: Any) -> None:
    ids = [(await person(store, str(n))).id for n in range(6)]
    await person(store, "S1", platform="slack")

    async def exclude(tx: Any) -> None:
        await tx.set_opt_out(ids[1], True, NOW)
        await tx.ensure_respondent("telegram", "later", "later", NOW + 500)

    await store.run(exclude)
    await enqueue(store, msg("4", "hello"))
    [blocked] = await store.claim_pending()
    await store.mark_dead(blocked, "bot was blocked by the user", unreachable=True)
    async with store.transaction() as tx:
        page1 = await tx.audience("telegram", 0, 3)
        page2 = await tx.audience("telegram", page1[-1].id, 3)
        everyone = await tx.audience(None, 0, 100, created_before=NOW)
    assert [p.user_id for p in page1 + page2] == ["0", "2", "3", "5", "later"]
    assert sorted(p.user_id for p in everyone) == ["0", "2", "3", "5", "S1"]


async def test_two_schedulers_at_once_never_take_the_same_due_invitation(target: str, store: Any) -> None:
    """During a takeover two instances may both run the scheduler for a moment: each takes the
    due invitations in its own transaction and marks them; none is taken twice (PostgreSQL
    skips rows another transaction holds; SQLite runs one writer at a time)."""
    from storage.backends import open_store

    for n in range(40):
        await invite(store, str(n), not_before=NOW)
    other = await open_store(target)
    taken: list[list[int]] = [[], []]

    async def scheduler(which: int, s: Any) -> None:
        for _ in range(4):
            async with s.transaction() as tx:
                due = await tx.due_invitations(NOW, 10)
                for invitation in due:
                    await tx.mark_invitation(invitation["id"], "sent", sent_at=NOW)
                await tx.flush()
                await asyncio.sleep(0.01)  # the other scheduler's read comes now, if it can
            taken[which] += [i["id"] for i in due]

    try:
        await asyncio.gather(scheduler(0, store), scheduler(1, other))
    finally:
        await other.close()
    every = taken[0] + taken[1]
    assert len(every) == len(set(every)) == 40
    assert {i["status"] for i in await reads.invitations(store)} == {"sent"}
