"""The storage query modules the services call with a unit of work's connection (imports,
sentiment scores, alert routes, root causes and corrective actions), on every backend."""

from __future__ import annotations

from datetime import date
from typing import Any

from storage import quality, routes, sentiment
from storage.imports import ImportedResponse, existing_import_keys, insert_imported
from surveys.engine import ResponseUpdate
from surveys.kinds import Kind
from tests.contract.support import NOW, answer


def imported(key: str, score: int = 9) -> ImportedResponse:
    return ImportedResponse(
        key, "nps", "nps", score, "", "great", False, None, "pending", "", "en", "import", "{}", NOW
    )


async def test_an_imported_row_is_written_once_per_key(store: Any) -> None:
    async with store.transaction() as tx:
        conn = await tx.connection()
        assert await insert_imported(conn, [imported("k1"), imported("k2")], NOW) == 2
    async with store.transaction() as tx:
        conn = await tx.connection()
        assert await existing_import_keys(conn, ["k1", "k3"]) == {"k1"}
        assert await insert_imported(conn, [imported("k1", 0), imported("k3")], NOW) == 1
    scores = sorted([r.values["score"] async for r in store.responses()])
    assert scores == [9, 9, 9]  # k1 kept its first score


async def pending_comment(store: Any, user: str, text: str) -> int:
    """An answer whose comment waits for the scoring worker."""
    respondent_id, _, response_id = await answer(store, user, 4, comment=None)

    async def comment(tx: Any) -> None:
        session, _ = await tx.session_by_nonce(f"n-{user}-nps-{NOW}")
        update = ResponseUpdate(
            "nps",
            Kind.NPS,
            "en",
            "answered",
            4,
            comment=text,
            comment_status="given",
            sentiment_label=sentiment.PENDING,
        )
        await tx.save_response(session, respondent_id, update, "telegram", NOW + 1)

    await store.run(comment)
    return response_id


async def test_pending_comments_are_scored_once(store: Any) -> None:
    first = await pending_comment(store, "1", "slow and rude")
    second = await pending_comment(store, "2", "fine")
    async with store.transaction() as tx:
        conn = await tx.connection()
        assert await sentiment.count_pending(conn) == 2
        pending = await sentiment.pending_comments(conn, 10)
        assert [(c.id, c.comment) for c in pending] == [(first, "slow and rude"), (second, "fine")]
        write = sentiment.ScoreWrite(first, -0.7, "negative", "en", "rules", ("angry",))
        assert await sentiment.record_scores(conn, [write], NOW + 2, only_pending=True) == [first]
    async with store.transaction() as tx:
        conn = await tx.connection()
        late = sentiment.ScoreWrite(first, 0.9, "positive", "en", "model", ())
        assert await sentiment.record_scores(conn, [late], NOW + 3, only_pending=True) == []  # already scored
        assert [c.id for c in await sentiment.pending_comments(conn, 10)] == [second]
        assert await sentiment.count_pending(conn) == 1
    rows = {r.values["id"]: r.values async for r in store.responses()}
    assert (rows[first]["sentiment"], rows[first]["sentiment_label"], rows[first]["flags"]) == (
        -0.7,
        "negative",
        ["angry"],
    )


async def alert(store: Any, user: str, now: float = NOW) -> int:
    respondent_id, _, response_id = await answer(store, user, 1, now=now)

    async def work(tx: Any) -> int:
        return int(await tx.create_escalation(response_id, respondent_id, "nps", ["detractor"], now))

    return int(await store.run(work))


async def test_an_alert_is_held_until_its_route_is_recorded(store: Any) -> None:
    held, other = await alert(store, "1"), await alert(store, "2", NOW + 50)
    async with store.transaction() as tx:
        conn = await tx.connection()
        assert await routes.held_alerts(conn, NOW + 100) == [held, other]
        assert await routes.held_alerts(conn, NOW + 10) == [held]
        assert await routes.route_destinations(conn, held) == []
        await routes.set_route(
            conn, held, ["billing"], [("billing", [("words", "invoice")])], ["slack:C1", "telegram:-5"], NOW + 60
        )
    async with store.transaction() as tx:
        conn = await tx.connection()
        assert await routes.held_alerts(conn, NOW + 100) == [other]
        assert await routes.route_destinations(conn, held) == ["slack:C1", "telegram:-5"]
        found = await tx.escalation(held)
    assert found is not None and found.state == "open"


async def test_causes_and_corrective_actions_linked_to_alerts(store: Any) -> None:
    one, two = await alert(store, "1"), await alert(store, "2")
    async with store.transaction() as tx:
        conn = await tx.connection()
        await quality.set_cause(conn, one, "Late delivery")
        assert await quality.cause_of(conn, one) == "Late delivery"
        assert await quality.cause_of(conn, two) is None
        assert await quality.existing_alerts(conn, [one, two, two + 100]) == {one, two}
        first = await quality.create_action(
            conn,
            title="New courier",
            owner="Eve",
            due=date(2026, 1, 10),
            platform="slack",
            chat_id="C1",
            created_by_name="Bob",
            alert_ids=[one, two],
            now=NOW,
            owner_id="U9",
        )
        later = await quality.create_action(
            conn,
            title="Audit",
            owner="",
            due=None,
            platform="telegram",
            chat_id="-5",
            created_by_name="Bob",
            alert_ids=[two],
            now=NOW,
        )
    assert later > first
    async with store.transaction() as tx:
        conn = await tx.connection()
        found = await quality.action(conn, first)
        assert found is not None
        assert (found.title, found.owner, found.owner_id, found.due, found.alert_ids) == (
            "New courier",
            "Eve",
            "U9",
            date(2026, 1, 10),
            (one, two),
        )
        assert [a.id for a in await quality.open_actions(conn)] == [first, later]
        assert [a.id for a in await quality.actions_due_by(conn, date(2026, 1, 9))] == []
        assert [a.id for a in await quality.actions_due_by(conn, date(2026, 1, 10))] == [first]
        await quality.mark_reminded(conn, first, date(2026, 1, 10))
        assert await quality.close_action(conn, first, "Eve", NOW + 60)
        assert not await quality.close_action(conn, first, "Eve", NOW + 90)  # once
    async with store.transaction() as tx:
        conn = await tx.connection()
        assert [a.id for a in await quality.open_actions(conn)] == [later]
        assert await quality.actions_of_alert(conn, two) == [(first, True), (later, False)]
        closed = await quality.action(conn, first)
        assert closed is not None and (closed.done_at, closed.reminded_on) == (NOW + 60, date(2026, 1, 10))
