"""Erasure is exact and whole: it touches only its person, leaves nothing of their words
anywhere in the file (the inbox included) and commits as one transaction."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from bot import cli
from bot.bootstrap.runtime import Runtime
from storage.sqlite import Tx
from surveys.model import Destination, Inbound
from tests import reads
from tests.fakes.channel import RecordingChannel
from tests.integration.test_shell_cli import write_config
from tests.postgres import RUNTIMES_ON_POSTGRES

COMMENT = "Xylophone-unique complaint about the parcel"


def sqlite_only(why: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(RUNTIMES_ON_POSTGRES, reason=f"SQLite only: {why}")
STAFF_CHAT = "-1009"


def tg(user: int, n: int, text: str | None = None, command: str | None = None) -> Inbound:
    """A Telegram private-chat message, with the event id the adapter gives it."""
    return Inbound(
        f"telegram:msg:{user}:{n}", "telegram", str(user), str(user), text=text, command=command, display_name="P"
    )


def tg_press(user: int, query_id: str, button: str) -> Inbound:
    return Inbound(f"telegram:cb:{query_id}", "telegram", str(user), str(user), button=button)


async def events(runtime: Runtime) -> set[str]:
    return set(await reads.event_ids(runtime.store))


async def test_forgetting_user_7_leaves_users_70_and_7001_untouched(runtime: Runtime) -> None:
    service = runtime.service
    for user in (7, 70, 7001):
        await service.handle(tg(user, 1, command="feedback"))
        await service.handle(tg(user, 2, text="9"))
    # Callback ids are opaque; this one belongs to user 70 and merely contains ":7".
    await service.handle(tg_press(70, "7123", "f:nope:1"))
    await service.handle(tg_press(7, "555", "f:nope:1"))
    before = await events(runtime)
    assert runtime.service.privacy is not None

    assert await runtime.service.privacy.forget("telegram", "7", runtime.service.clock()) is not None

    after = await events(runtime)
    assert before - after == {"telegram:msg:7:1", "telegram:msg:7:2", "telegram:cb:555"}
    # User 70's events are still known as handled: a redelivery does nothing twice.
    assert (await service.handle(tg(70, 2, text="9"))).duplicate
    assert (await service.handle(tg_press(70, "7123", "f:nope:1"))).duplicate
    async with runtime.store.transaction() as tx:
        assert await tx.respondent("telegram", "7") is None
        for user in ("70", "7001"):
            assert await tx.respondent("telegram", user) is not None
    assert await reads.count(runtime.store, "responses") == 3  # nobody's answer doubled, the erased score kept




@sqlite_only("reads the bytes of the SQLite file")
async def test_forget_removes_staff_inbox_rows_that_carry_the_alert_and_leaves_no_byte(
    tmp_path: Path, config: object, clock: object
) -> None:
    from dataclasses import replace

    from bot.config import Config

    assert isinstance(config, Config)
    cfg = replace(config, telegram=replace(config.telegram, enabled=True, staff_chat_id=STAFF_CHAT))
    cfg = replace(cfg, surveys={sid: replace(s, alert_destinations=()) for sid, s in cfg.surveys.items()})
    runtime = await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))  # type: ignore[arg-type]
    try:
        capture = RecordingChannel("telegram", first_id=101)
        runtime.add_channel(capture)
        runtime.start_delivery()
        service = runtime.service
        await service.handle(tg(7, 1, command="feedback"))
        await service.handle(tg(7, 2, text="1"))
        await service.handle(tg(7, 3, text=COMMENT))
        await runtime.delivery.drain()
        alert_message_id, first = next((i, m) for i, m in capture.by_id().items() if m.to.chat_id == STAFF_CHAT)
        alert = [m for m in capture.history if m.to.chat_id == STAFF_CHAT and COMMENT in m.text]
        assert alert and first.ref_key, "the alert with the comment reached the staff chat"
        staff_press = {  # a staff member pressing Claim: Telegram sends the whole alert back
            "update_id": 1,
            "callback_query": {
                "id": "q1",
                "from": {"id": 99, "first_name": "Bob"},
                "data": "e:1:claim",
                "message": {"message_id": int(alert_message_id), "chat": {"id": int(STAFF_CHAT)},
                            "text": alert[-1].text},
            },
        }
        staff_reply = {  # a staff reply quoting the alert (its text, comment included)
            "update_id": 2,
            "message": {"message_id": 500, "from": {"id": 98}, "chat": {"id": int(STAFF_CHAT)}, "text": "on it",
                        "reply_to_message": {"message_id": 999, "chat": {"id": int(STAFF_CHAT)},
                                             "text": f"... {COMMENT} ..."}},
        }
        own = {"update_id": 3, "message": {"message_id": 3, "from": {"id": 7}, "chat": {"id": 7}, "text": COMMENT}}
        other = {"update_id": 4, "message": {"message_id": 9, "from": {"id": 70}, "chat": {"id": 70}, "text": "hi"}}
        rows = [(str(u["update_id"]), chat, json.dumps(u, ensure_ascii=False))
                for u, chat in ((staff_press, "99"), (staff_reply, "98"), (own, "7"), (other, "70"))]
        await runtime.store.inbox_add("telegram", rows, clock())  # type: ignore[operator]

        assert runtime.service.privacy is not None
        here = Destination("telegram", "7")
        await runtime.service.privacy.forget("telegram", "7", clock(), notify=here)  # type: ignore[operator]
        await runtime.delivery.drain()

        assert await reads.inbox_keys(runtime.store) == [("telegram", "4")]  # only the unrelated update stays
        files = sorted(p.name for p in tmp_path.glob("bot.db*"))
        assert files == ["bot.db", "bot.db-shm", "bot.db-wal"]
        raw = b"".join((tmp_path / name).read_bytes() for name in files)
        assert COMMENT.encode() not in raw
        assert any("erased at the customer's request" in m.text for m in capture.history)
    finally:
        await runtime.close()


@sqlite_only("injects an SQLite error into the SQLite unit of work")
async def test_forget_is_one_transaction(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """If anything in the erasure fails, nothing is erased: never half a person."""
    service = runtime.service
    await service.handle(tg(7, 1, command="feedback"))
    await service.handle(tg(7, 2, text="1"))
    await service.handle(tg(7, 3, text=COMMENT))

    async def broken(self: Tx, messages: object, now: float, delay: float = 0.0) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Tx, "enqueue", broken)
    assert runtime.service.privacy is not None
    with pytest.raises(sqlite3.OperationalError):
        here = Destination("telegram", "7")
        await runtime.service.privacy.forget("telegram", "7", runtime.service.clock(), notify=here)
    monkeypatch.undo()
    async with runtime.store.transaction() as tx:
        assert await tx.respondent("telegram", "7") is not None
    assert [r["comment"] for r in await reads.responses(runtime.store)] == [COMMENT]


@sqlite_only("runs the command on the configured SQLite file")
def test_cli_forget_uses_the_same_erasure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path)
    db = tmp_path / "bot.db"
    assert cli.main(["forget", "--config", str(cfg), "--platform", "telegram", "--user", "7"]) == 0
    assert "nothing stored about telegram:7" in capsys.readouterr().out

    async def two_people_and_old_event_ids() -> None:
        # Event ids claimed before subjects were recorded name nobody: erasure finds the
        # person's own by their chat's Telegram message ids.
        async def work(tx: Tx) -> None:
            for user in ("7", "70"):
                await tx.ensure_respondent("telegram", user, user, 1.0)
            for event_id in ("telegram:msg:7:1", "telegram:msg:70:1", "telegram:msg:7001:7"):
                await tx.claim_event(event_id, 1.0)

        async with reads.opened(str(db)) as store:
            await store.run(work)

    async def left() -> tuple[list[str], set[str]]:
        async with reads.opened(str(db)) as store:
            return [r["user_id"] for r in await reads.respondents(store)], set(await reads.event_ids(store))

    asyncio.run(two_people_and_old_event_ids())
    assert cli.main(["forget", "--config", str(cfg), "--platform", "telegram", "--user", "7"]) == 0
    assert "erased telegram:7" in capsys.readouterr().out
    assert asyncio.run(left()) == (["70"], {"telegram:msg:70:1", "telegram:msg:7001:7"})
