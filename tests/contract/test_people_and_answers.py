"""People, sessions and responses: what a turn writes is what the next turn reads, on every
backend."""

from __future__ import annotations

from typing import Any

from storage.records import PersonSeen
from surveys.engine import ResponseUpdate, Session, Stage
from surveys.kinds import Kind
from tests import reads
from tests.contract.support import DAY, NOW, answer, person, seen


async def test_a_person_is_stored_once_and_updated_by_what_the_platform_says(store: Any) -> None:
    first = await person(store, "1", name="Ann")
    again = await person(store, "1", name="Ann Smith")

    async def from_a_group(tx: Any) -> Any:  # a message in a group: no private chat, no name
        return (await tx.begin_turn(None, NOW, PersonSeen("telegram", "1", None, "", "", None)))[1]

    grouped = await store.run(from_a_group)
    assert first.id == again.id == grouped.id
    assert (grouped.chat_id, grouped.display_name, grouped.language) == ("1", "Ann Smith", "en")
    assert len(await reads.respondents(store)) == 1


async def test_the_same_user_id_on_two_platforms_is_two_people(store: Any) -> None:
    tg = await person(store, "42")
    slack = await person(store, "42", platform="slack")
    assert tg.id != slack.id
    async with store.transaction() as tx:
        assert (await tx.respondent("slack", "42")).id == slack.id
        assert await tx.respondent_platform(tg.id) == "telegram"
        assert await tx.respondent("slack", "43") is None


async def test_a_session_is_saved_found_by_nonce_and_closed(store: Any) -> None:
    who = await person(store, "1")

    async def start(tx: Any) -> Session:
        return await tx.save_session(
            Session("nps", Stage.SCORE, "de", "nonce-1", NOW, NOW + 600, context={"plan": "pro"}), who.id, NOW
        )

    saved = await store.run(start)
    assert saved.id is not None

    async def turn(tx: Any) -> tuple[Any, Any, Any]:
        _, _, open_now = await tx.begin_turn("telegram:msg:1:2", NOW + 1, seen("1"))
        return open_now, await tx.open_session(who.id), await tx.session_by_nonce("nonce-1")

    open_now, direct, (by_nonce, owner) = await store.run(turn)
    assert open_now == direct == by_nonce == saved
    assert owner == who.id and saved.context == {"plan": "pro"} and saved.language == "de"

    async def finish(tx: Any) -> None:
        await tx.save_session(Session(**{**saved.__dict__, "stage": Stage.DONE, "score": 8}), who.id, NOW + 2)

    await store.run(finish)
    async with store.transaction() as tx:
        assert await tx.open_session(who.id) is None
        closed, _ = await tx.session_by_nonce("nonce-1")
        assert (closed.stage, closed.score) == (Stage.DONE, 8)
        assert await tx.session_by_nonce("no-such-nonce") is None


async def test_expired_sessions_are_listed_until_closed_and_the_latest_one_is_found(store: Any) -> None:
    await answer(store, "1", None, stage=Stage.SCORE, now=NOW, expires_in=60)
    await answer(store, "2", None, stage=Stage.COMMENT, now=NOW, expires_in=600)
    await answer(store, "3", 9, stage=Stage.DONE, now=NOW, expires_in=60)
    async with store.transaction() as tx:
        due = await tx.expired_sessions(NOW + 120)
        assert [s.nonce for s, _ in due] == [f"n-1-nps-{NOW}"]
        session, respondent_id = due[0]
        await tx.save_session(Session(**{**session.__dict__, "stage": Stage.EXPIRED}), respondent_id, NOW + 120)
    async with store.transaction() as tx:
        assert await tx.expired_sessions(NOW + 120) == []
        late = await tx.expired_session(respondent_id)
        assert late is not None and late.stage == Stage.EXPIRED
        other = await tx.respondent("telegram", "3")
        assert await tx.expired_session(other.id) is None  # their latest session ended answered


async def test_one_response_row_per_session_created_with_the_score_completed_by_the_comment(store: Any) -> None:
    respondent_id, session_id, response_id = await answer(store, "1", 3, context={"agent": "bo"})

    async def comment(tx: Any) -> int:
        session, _ = await tx.session_by_nonce(f"n-1-nps-{NOW}")
        update = ResponseUpdate(
            "nps",
            Kind.NPS,
            "en",
            "answered",
            3,
            "detractor",
            "Slow delivery",
            False,
            "given",
            -0.6,
            "negative",
            ("angry",),
        )
        await tx.save_response(session, respondent_id, update, "telegram", NOW + 30)
        return int(await tx.response_id(session_id))

    assert await store.run(comment) == response_id
    [row] = [r.values async for r in store.responses()]
    assert (row["id"], row["score"], row["category"], row["comment"], row["comment_status"]) == (
        response_id,
        3,
        "detractor",
        "Slow delivery",
        "given",
    )
    assert (row["sentiment_label"], row["flags"], row["context"]) == ("negative", ["angry"], {"agent": "bo"})
    assert (row["platform"], row["user_id"], row["display_name"]) == ("telegram", "1", "Ann")
    assert row["created_at"] == NOW  # the row keeps the time of the score


async def test_responses_are_read_by_window_and_survey_oldest_first(store: Any) -> None:
    await answer(store, "1", 9, now=NOW + 2 * DAY)
    await answer(store, "2", 7, now=NOW)
    await answer(store, "3", 5, survey="csat", now=NOW + DAY)
    await answer(store, "4", 1, now=NOW + 5 * DAY)
    every = [r.values["user_id"] async for r in store.responses()]
    assert every == ["2", "3", "1", "4"]
    window = [r.values["user_id"] async for r in store.responses(since=NOW, until=NOW + 5 * DAY, survey_id="nps")]
    assert window == ["2", "1"]


async def test_an_invitation_never_clears_an_opt_out_and_platform_facts_fill_only_gaps(store: Any) -> None:
    who = await person(store, "1")

    async def opt_out(tx: Any) -> None:
        await tx.set_opt_out(who.id, True, NOW)
        await tx.set_timezone(who.id, "Europe/Berlin")

    await store.run(opt_out)

    async def invite(tx: Any) -> Any:
        found = await tx.ensure_respondent("telegram", "1", "1", NOW + 1)
        await tx.set_platform_facts(found.id, None, None)  # the platform said nothing: keep what we know
        fresh = await tx.ensure_respondent("telegram", "2", "2", NOW + 1)
        await tx.set_platform_facts(fresh.id, "pt", "America/Sao_Paulo")
        await tx.set_person_key(fresh.id, "customer-77")
        return found

    found = await store.run(invite)
    assert found.id == who.id and found.opted_out
    async with store.transaction() as tx:
        one, two = await tx.respondent_by_id(who.id), await tx.respondent("telegram", "2")
    assert (one.opted_out, one.timezone, one.language) == (True, "Europe/Berlin", "en")
    assert (two.language, two.timezone, two.person_key, two.opted_out) == (
        "pt",
        "America/Sao_Paulo",
        "customer-77",
        False,
    )
