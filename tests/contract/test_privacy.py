"""Erasure, the personal-data export and retention on every backend: a person's rows go,
everybody else's stay, and the aggregates still add up."""

from __future__ import annotations

import json
from typing import Any

from surveys.engine import Stage
from tests import reads
from tests.contract.support import DAY, NOW, answer, msg, seen


async def customer_with_everything(store: Any, user: str, chat_prefix: str = "") -> dict[str, Any]:
    """A customer who answered with a comment that opened an alert (posted to a staff chat
    and sent), got messages, was invited, and whose updates are in the inbox."""
    respondent_id, _, response_id = await answer(
        store, user, 1, comment=f"terrible, says {user}", context={"plan": "pro"}, now=NOW
    )

    async def work(tx: Any) -> int:
        await tx.claim_event(f"telegram:msg:{user}:1", NOW, f"telegram:{user}")
        alert = await tx.create_escalation(response_id, respondent_id, "nps", ["detractor"], NOW)
        await tx.insert_invitation(respondent_id, "csat", "scheduled", None, None, None, {}, "bulk", NOW + DAY, NOW)
        await tx.enqueue([msg(user, f"thanks {user}"), msg("-100", "ALERT", ref=f"alert:{alert}:telegram:-100")], NOW)
        return int(alert)

    alert = await store.run(work)
    await store.inbox_add("telegram", [(f"u-{user}", user, json.dumps({"text": f"terrible, says {user}"}))], NOW)
    return {"respondent_id": respondent_id, "response_id": response_id, "alert": alert}


async def test_erasure_removes_a_persons_rows_and_keeps_everyone_elses(store: Any) -> None:
    ann = await customer_with_everything(store, "1")
    bob = await customer_with_everything(store, "2")
    alert_copies = [r for r in await store.claim_pending() if r.chat_id == "-100"]
    for row in alert_copies:
        await store.mark_sent(row.id, f"post-{row.message.ref_key}", NOW)
    before = await reads.counts(store, "respondents", "sessions", "responses", "invitations", "escalations")

    async with store.transaction() as tx:
        posted = await tx.erase_person(ann["respondent_id"])
        closed = await tx.close_orphaned_escalations(NOW + 1, "customer erased")
    assert posted == [(ann["alert"], "telegram", "-100", f"alert:{ann['alert']}:telegram:-100")]
    assert closed == 1

    assert [r["user_id"] for r in await reads.respondents(store)] == ["2"]
    after = await reads.counts(store, "respondents", "sessions", "responses", "invitations", "escalations")
    assert after == {**before, "respondents": 1, "sessions": 1, "invitations": 1}
    kept = {r["id"]: r for r in await reads.responses(store)}
    assert (kept[ann["response_id"]]["respondent_id"], kept[ann["response_id"]]["comment"]) == (None, None)
    assert kept[ann["response_id"]]["score"] == 1  # the score stays, linked to nobody
    assert kept[bob["response_id"]]["comment"] == "terrible, says 2"
    assert {r["chat_id"] for r in await reads.outbox(store) if r["chat_id"] != "-100"} == {"2"}
    texts = {r["ref_key"]: json.loads(r["payload"])["text"] for r in await reads.outbox(store, chat_id="-100")}
    assert texts == {f"alert:{ann['alert']}:telegram:-100": "(erased)", f"alert:{bob['alert']}:telegram:-100": "ALERT"}
    assert await reads.event_ids(store) == ["telegram:msg:2:1"]
    assert await reads.inbox_keys(store) == [("telegram", "u-2")]
    states = {r["id"]: (r["state"], r["respondent_id"]) for r in await reads.escalations(store)}
    assert states == {ann["alert"]: ("resolved", None), bob["alert"]: ("open", bob["respondent_id"])}


async def test_erasing_someone_unknown_changes_nothing(store: Any) -> None:
    await customer_with_everything(store, "1")
    before = await reads.counts(store, "respondents", "responses", "outbox", "escalations")
    async with store.transaction() as tx:
        assert await tx.erase_person(9999) == []
    assert await reads.counts(store, "respondents", "responses", "outbox", "escalations") == before


async def test_personal_data_is_everything_about_one_person_and_nothing_after_erasure(store: Any) -> None:
    ann = await customer_with_everything(store, "1")
    await customer_with_everything(store, "2")
    data = await store.personal_data(ann["respondent_id"])
    assert [p["user_id"] for p in data["profile"]] == ["1"]
    assert [r["comment"] for r in data["responses"]] == ["terrible, says 1"]
    assert [i["survey_id"] for i in data["invitations"]] == ["csat"]
    assert [e["state"] for e in data["escalations"]] == ["open"]
    assert [m["text"] for m in data["messages_to_you"]] == ["thanks 1"]
    async with store.transaction() as tx:
        await tx.erase_person(ann["respondent_id"])
    empty = await store.personal_data(ann["respondent_id"])
    assert all(not rows for rows in empty.values())


async def test_compact_after_erasure_keeps_the_store_usable(store: Any) -> None:
    ann = await customer_with_everything(store, "1")
    async with store.transaction() as tx:
        await tx.erase_person(ann["respondent_id"])
    await store.compact()
    assert [r["user_id"] for r in await reads.respondents(store)] == []
    await customer_with_everything(store, "3")
    assert [r["user_id"] for r in await reads.respondents(store)] == ["3"]


async def test_retention_anonymises_what_is_old_and_keeps_what_must_survive(store: Any) -> None:
    old_id, _, old_response = await answer(store, "old", 4, comment="old words", context={"plan": "pro"}, now=NOW)
    await answer(store, "open", None, stage=Stage.SCORE, now=NOW)  # an open session, old but still running
    opted_out = (await answer(store, "gone", 6, now=NOW))[0]
    _, _, new_response = await answer(store, "new", 10, comment="new words", now=NOW + 100 * DAY)

    async def setup(tx: Any) -> None:
        await tx.set_opt_out(opted_out, True, NOW)
        await tx.enqueue([msg("old", "old, sent")], NOW)
        await tx.enqueue([msg("old", "old, still to send")], NOW)

    await store.run(setup)
    sent, _ = await store.claim_pending()
    await store.mark_sent(sent.id, "m1", NOW)
    await store.release_claims()

    counts = await store.apply_retention(NOW + 30 * DAY)
    assert counts["comments"] == 3 and counts["messages"] == 1
    rows = {r["id"]: r for r in await reads.responses(store)}
    assert (rows[old_response]["comment"], rows[old_response]["respondent_id"], rows[old_response]["score"]) == (
        None,
        None,
        4,
    )
    assert rows[new_response]["comment"] == "new words"
    people = {r["user_id"]: r for r in await reads.respondents(store)}
    assert "old" not in people  # nothing of theirs is left to keep them
    assert set(people) == {"open", "gone", "new"}
    assert bool(people["gone"]["opted_out"]) and people["gone"]["display_name"] == ""  # the opt-out is honoured
    assert [s["stage"] for s in await reads.sessions(store)] == ["score", "done"]  # the open one and the new one
    assert [json.loads(r["payload"])["text"] for r in await reads.outbox(store)] == ["old, still to send"]
    assert old_id not in {r["id"] for r in await reads.respondents(store)}


async def test_an_opted_out_person_is_still_opted_out_after_retention(store: Any) -> None:
    who = (await answer(store, "1", 5, now=NOW))[0]

    async def opt_out(tx: Any) -> None:
        await tx.set_opt_out(who, True, NOW)

    await store.run(opt_out)
    await store.apply_retention(NOW + 400 * DAY)

    async def comes_back(tx: Any) -> Any:
        return (await tx.begin_turn(None, NOW + 401 * DAY, seen("1")))[1]

    assert (await store.run(comes_back)).opted_out


async def test_retention_removes_old_staff_notes_and_keeps_the_alerts_figures(store: Any) -> None:
    old_alert = (await customer_with_everything(store, "1"))["alert"]
    async with store.transaction() as tx:
        await tx.update_escalation(
            old_alert, state="resolved", resolved_at=NOW + 60, resolution_note="refund 12.50 to Ann"
        )
    counts = await store.apply_retention(NOW + 30 * DAY)
    assert counts["notes"] == 1
    [kept] = await reads.escalations(store)
    assert (kept["id"], kept["state"], kept["resolution_note"], kept["resolved_at"]) == (
        old_alert,
        "resolved",
        None,
        NOW + 60,
    )
    async with store.reports() as reports:
        facts = await reports.escalation_facts("nps", NOW - 1, NOW + 1)
    assert (facts.opened, facts.resolved) == (1, 1)  # the digest's figures survive
