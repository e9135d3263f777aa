"""An answer after expiry (issue 20, item 7): kept when the survey allows it (the survey picks
up where it stopped), otherwise answered with the catalog's ``expired`` message and a button
that starts a new survey in one tap. Never the generic "send /feedback"."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from tests.conftest import ROOT, Clock
from tests.integration.test_escalations import customer, outbox

EXPIRED_EN = "That survey has expired"


async def _runtime(tmp_path: Path, clock: Clock, **survey: object) -> Runtime:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["surveys"][0].update(survey)  # the nps survey
    return await Runtime.open(config_mod.parse(data, {}), clock=clock, db_path=str(tmp_path / "bot.db"))


async def _responses(runtime: Runtime) -> list[dict[str, object]]:
    return [r.values async for r in runtime.store.responses()]


async def test_late_score_is_kept_and_the_survey_goes_on(runtime: Runtime, clock: Clock) -> None:
    await runtime.service.handle(customer(command="feedback"))
    clock.advance(73 * 3600)
    assert await runtime.service.expire_due() == 1
    await runtime.service.handle(customer("3"))
    [response] = await _responses(runtime)
    assert response["status"] == "answered" and response["score"] == 3
    last = (await outbox(runtime, "cust"))[-1]
    assert "What went wrong" in str(last["text"]) or "sorry" in str(last["text"]).lower()
    await runtime.service.handle(customer("The parcel never came"))
    [response] = await _responses(runtime)
    assert response["comment"] == "The parcel never came" and response["comment_status"] == "given"


async def test_late_comment_is_kept_and_updates_the_alert(runtime: Runtime, clock: Clock) -> None:
    await runtime.service.handle(customer(command="feedback"))
    await runtime.service.handle(customer("2"))
    clock.advance(73 * 3600)
    await runtime.service.expire_due()
    assert "(no comment)" in str((await outbox(runtime, "staff"))[-1]["text"])
    await runtime.service.handle(customer("Sorry for the delay: the courier was rude"))
    [response] = await _responses(runtime)
    assert response["comment"] == "Sorry for the delay: the courier was rude"
    assert "courier was rude" in str((await outbox(runtime, "staff"))[-1]["text"])


async def test_survey_that_keeps_no_late_answers_says_expired_and_offers_a_new_one(
    tmp_path: Path, clock: Clock
) -> None:
    runtime = await _runtime(tmp_path, clock, late_answer_hours=0)
    try:
        await runtime.service.handle(customer(command="feedback"))
        clock.advance(73 * 3600)
        await runtime.service.expire_due()
        await runtime.service.handle(customer("3"))
        [response] = await _responses(runtime)
        assert response["score"] is None and response["status"] == "expired"
        answer = (await outbox(runtime, "cust"))[-1]
        assert EXPIRED_EN in str(answer["text"])
        [[button]] = answer["choices"]
        assert button[0] == "Start a new survey"
        await runtime.service.handle(customer(button=str(button[1])))
        assert "How likely" in str((await outbox(runtime, "cust"))[-1]["text"])
    finally:
        await runtime.close()


async def test_too_late_or_not_an_answer_gets_the_expired_message(runtime: Runtime, clock: Clock) -> None:
    await runtime.service.handle(customer(command="feedback"))
    clock.advance(73 * 3600)
    await runtime.service.expire_due()
    await runtime.service.handle(customer("hello?"))  # no score: nothing kept
    assert EXPIRED_EN in str((await outbox(runtime, "cust"))[-1]["text"])
    clock.advance(25 * 3600)  # past the default 24 hours for late answers
    await runtime.service.handle(customer("3"))
    assert EXPIRED_EN in str((await outbox(runtime, "cust"))[-1]["text"])
    [response] = await _responses(runtime)
    assert response["score"] is None
