"""Opt-out, /mydata, /forget and retention through the real service and SQLite file."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from bot.bootstrap.runtime import Runtime
from surveys.alerts import action_value
from surveys.model import Inbound, OutMessage
from tests import reads
from tests.conftest import Clock
from tests.fakes.channel import RecordingChannel

_ids = itertools.count()
SECRET_COMMENT = "Zanzibar-unique-complaint about the blue widget"
SECRET_NAME = "Quentin Quackenbush"
STAFF_TEXT = "Quentin, we are refunding order 998877"


def customer(text: str | None = None, command: str | None = None, args: str = "", button: str | None = None) -> Inbound:
    return Inbound(
        f"p{next(_ids)}",
        "console",
        "q1",
        "q1",
        display_name=SECRET_NAME,
        handle="quack",
        text=text,
        command=command,
        args=args,
        button=button,
    )


def staff(text: str | None = None, button: str | None = None) -> Inbound:
    return Inbound(
        f"p{next(_ids)}",
        "console",
        "bob",
        "staff",
        display_name="Bob",
        text=text,
        button=button,
        is_private=False,
        is_staff=True,
    )


class Capture(RecordingChannel):
    """Also reads each attachment when it is sent (the export file is gone after /forget)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    async def send(self, message: OutMessage, reply_to: str | None) -> str:
        if message.attachment:
            self.files.append(Path(message.attachment).read_text(encoding="utf-8"))
        return await super().send(message, reply_to)


async def test_mydata_then_forget_leaves_no_trace_in_the_file(runtime: Runtime) -> None:
    capture = Capture()
    runtime.add_channel(capture)
    runtime.start_delivery()
    service = runtime.service
    await service.handle(customer(command="feedback"))
    await service.handle(customer("1"))
    await service.handle(customer(SECRET_COMMENT))
    await service.handle(staff(button=action_value(1, "reply")))
    await service.handle(staff(STAFF_TEXT))
    await service.handle(customer("thanks, waiting for it"))
    await runtime.delivery.drain()

    await service.handle(customer(command="mydata"))
    await runtime.delivery.drain()
    (export,) = capture.files
    data = json.loads(export)
    assert data["profile"][0]["display_name"] == SECRET_NAME
    assert data["responses"][0]["comment"] == SECRET_COMMENT
    assert any(STAFF_TEXT in m["text"] for m in data["messages_to_you"])
    assert not list((Path(runtime.store.path).parent / "exports").glob("*/*.json"))  # deleted once delivered

    await service.handle(customer(command="forget"))
    await runtime.delivery.drain()
    assert "Are you sure" in capture.history[-1].text
    await service.handle(customer(button="p:forget:yes"))
    await runtime.delivery.drain()
    assert "deleted" in capture.history[-2].text or "deleted" in capture.history[-1].text
    assert any("erased at the customer's request" in m.text for m in capture.history[-2:])

    kept = [(r["score"], r["comment"], r["respondent_id"]) for r in await reads.responses(runtime.store)]
    assert kept == [(1, None, None)]  # the score still counts
    await runtime.store.compact()
    raw = b"".join(p.read_bytes() for p in Path(runtime.store.path).parent.glob("bot.db*"))
    for secret in (SECRET_COMMENT, SECRET_NAME, STAFF_TEXT, "quack", "waiting for it"):
        assert secret.encode() not in raw, secret


async def test_forget_no_keeps_everything(runtime: Runtime) -> None:
    await runtime.service.handle(customer(command="feedback"))
    await runtime.service.handle(customer("9"))
    await runtime.service.handle(customer(command="forget", args="no"))
    async with runtime.store.transaction() as tx:
        assert await tx.respondent("console", "q1") is not None


async def test_retention_anonymises_old_comments_but_keeps_scores(runtime: Runtime, clock: Clock) -> None:
    await runtime.service.handle(customer(command="feedback"))
    await runtime.service.handle(customer("8"))
    await runtime.service.handle(customer(SECRET_COMMENT))
    clock.advance(400 * 86400)
    counts = await runtime.store.apply_retention(clock.now - 365 * 86400)
    assert counts["comments"] == 1 and counts["people"] == 1
    assert [(r["score"], r["comment"]) for r in await reads.responses(runtime.store)] == [(8, None)]


async def test_opted_out_people_are_remembered_by_retention(runtime: Runtime, clock: Clock) -> None:
    await runtime.service.handle(customer(command="stop"))
    clock.advance(400 * 86400)
    await runtime.store.apply_retention(clock.now - 365 * 86400)
    async with runtime.store.transaction() as tx:
        person = await tx.respondent("console", "q1")
    assert person is not None and person.opted_out and person.display_name == ""
