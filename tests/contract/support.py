"""Small builders for the contract tests: a person, an answered survey, a message."""

from __future__ import annotations

from typing import Any

from storage.port import Store, UnitOfWork
from storage.records import PersonSeen, Respondent
from surveys.engine import ResponseUpdate, Session, Stage
from surveys.kinds import Kind
from surveys.model import Destination, OutMessage

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a UTC midnight
DAY = 86400.0


def seen(user: str, *, platform: str = "telegram", chat: str | None = "", name: str = "Ann") -> PersonSeen:
    """How a platform describes a person; ``chat`` "" means their private chat (= user id)."""
    return PersonSeen(platform, user, user if chat == "" else chat, name, "", "en")


def msg(chat: str, text: str, *, platform: str = "telegram", ref: str | None = None, **kw: Any) -> OutMessage:
    return OutMessage(Destination(platform, chat), text, ref_key=ref, **kw)


async def person(store: Store, user: str, *, now: float = NOW, **kw: Any) -> Respondent:
    async def work(tx: UnitOfWork) -> Respondent:
        _, found, _ = await tx.begin_turn(None, now, seen(user, **kw))
        return found

    result: Respondent = await store.run(work)
    return result


async def answer(
    store: Store,
    user: str,
    score: int | None = 9,
    *,
    comment: str | None = None,
    context: dict[str, str] | None = None,
    survey: str = "nps",
    now: float = NOW,
    stage: Stage = Stage.DONE,
    platform: str = "telegram",
    expires_in: float = 3600.0,
) -> tuple[int, int, int]:
    """One person's survey answered in one unit of work, as a turn stores it:
    (respondent id, session id, response id)."""

    async def work(tx: UnitOfWork) -> tuple[int, int, int]:
        _, who, _ = await tx.begin_turn(None, now, seen(user, platform=platform))
        session = await tx.save_session(
            Session(
                survey_id=survey,
                stage=stage,
                language="en",
                nonce=f"n-{user}-{survey}-{now}",
                started_at=now,
                expires_at=now + expires_in,
                score=score,
                context=dict(context or {}),
            ),
            who.id,
            now,
        )
        update = ResponseUpdate(
            survey_id=survey,
            kind=Kind.NPS,
            language="en",
            status="answered" if score is not None else "skipped",
            score=score,
            comment=comment,
            comment_status="given" if comment else "pending",
        )
        await tx.save_response(session, who.id, update, platform, now)
        assert session.id is not None
        return who.id, session.id, await tx.response_id(session.id)

    result: tuple[int, int, int] = await store.run(work)
    return result


async def enqueue(store: Store, *messages: OutMessage, now: float = NOW, delay: float = 0.0) -> None:
    async def work(tx: UnitOfWork) -> None:
        await tx.enqueue(list(messages), now, delay)

    await store.run(work)
