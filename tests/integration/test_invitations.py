"""Sending surveys: the HTTP API, fatigue, quiet hours, reminders, opt-out, campaigns
resumed after an interruption. The clock is the test's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap.runtime import Runtime
from bot.config import Config
from bot.services.campaigns import Campaign, run_campaign
from bot.services.invitations import InviteRequest
from bot.web.api import SendApi
from bot.web.http import HttpServer
from surveys.model import Inbound
from tests import reads
from tests.conftest import Clock

TOKEN = "api-secret-token-123"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def config(config: Config) -> Config:
    """Telegram and Slack enabled: surveys are only sent where the bot delivers."""
    return replace(
        config,
        telegram=replace(config.telegram, enabled=True, staff_chat_id="-100"),
        slack=replace(config.slack, enabled=True, staff_channel="C1"),
    )


@pytest.fixture
async def api(runtime: Runtime, clock: Clock) -> AsyncIterator[str]:
    clock.now = NOON
    server = HttpServer(["127.0.0.1:0"])
    SendApi(runtime.inviter, TOKEN).install(server.app)
    await server.start()
    yield f"http://127.0.0.1:{server.ports[0]}"
    await server.stop()


async def post(url: str, body: object, token: str | None = TOKEN, raw: bytes | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        data = raw if raw is not None else json.dumps(body).encode()
        async with http.post(url, data=data, headers={**headers, "Content-Type": "application/json"}) as resp:
            return resp.status, await resp.json()


async def outbox_for(runtime: Runtime, chat: str) -> list[dict]:
    return [{**json.loads(r["payload"]), "lane": r["lane"]} for r in await reads.outbox(runtime.store, chat_id=chat)]


async def test_api_sends_once_per_idempotency_key_with_context(api: str, runtime: Runtime) -> None:
    body = {"recipient": {"platform": "telegram", "id": 4242}, "context": {"ticket": "T-9"}, "idempotency_key": "k1"}
    status, answer = await post(f"{api}/v1/surveys/csat/send", body)
    assert status == 202 and answer["invitation"]["status"] == "sent"
    status2, answer2 = await post(f"{api}/v1/surveys/csat/send", body)
    assert status2 == 200 and answer2["invitation"]["duplicate"] is True
    assert answer2["invitation"]["invitation_id"] == answer["invitation"]["invitation_id"]
    messages = await outbox_for(runtime, "4242")
    assert len(messages) == 1 and "How satisfied" in messages[0]["text"]
    [session] = await reads.sessions(runtime.store)
    assert json.loads(session["context"]) == {"ticket": "T-9"}


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({}, 422, "recipient"),
        ({"recipient": {"platform": "email", "id": "x"}}, 422, "recipient.platform"),
        ({"recipient": {"platform": "slack", "id": ""}}, 422, "recipient.id"),
        ({"recipient": {"platform": "slack", "id": "C0123"}}, 422, "recipient.id"),
        ({"recipient": {"platform": "slack", "id": "U1"}, "delay_seconds": -5}, 422, "delay_seconds"),
        ({"recipient": {"platform": "slack", "id": "U1"}, "context": {"a": [1]}}, 422, "context.a"),
        ({"recipient": {"platform": "slack", "id": "U1"}, "colour": 1}, 422, "colour"),
        ([1, 2], 400, "JSON object"),
    ],
)
async def test_api_rejects_bad_requests_precisely(api: str, body: object, status: int, fragment: str) -> None:
    got, answer = await post(f"{api}/v1/surveys/nps/send", body)
    assert got == status and fragment in json.dumps(answer["error"])


async def test_api_auth_and_unknown_survey_and_bad_json(api: str) -> None:
    assert (await post(f"{api}/v1/surveys/nps/send", {}, token=None))[0] == 401
    assert (await post(f"{api}/v1/surveys/nps/send", {}, token="wrong"))[0] == 401
    status, answer = await post(f"{api}/v1/surveys/nope/send", {})
    assert status == 404 and "unknown_survey" in answer["error"]["code"]
    status, answer = await post(f"{api}/v1/surveys/nps/send", None, raw=b"{not json")
    assert status == 400 and answer["error"]["code"] == "invalid_json"


async def test_delay_then_dispatch(api: str, runtime: Runtime, clock: Clock) -> None:
    body = {"recipient": {"platform": "slack", "id": "U7"}, "delay_seconds": 3600}
    status, answer = await post(f"{api}/v1/surveys/nps/send", body)
    assert status == 202 and answer["invitation"]["status"] == "scheduled"
    assert answer["invitation"]["send_at"] == NOON + 3600
    assert await runtime.inviter.dispatch_due() == 0
    clock.advance(3601)
    assert await runtime.inviter.dispatch_due() == 1
    assert len(await outbox_for(runtime, "U7")) == 1


async def invite(runtime: Runtime, survey: str, platform: str, user: str, **kw: object) -> str:
    result = await runtime.inviter.invite(InviteRequest(survey, platform, user, **kw))  # type: ignore[arg-type]
    return result.status


async def test_fatigue_across_surveys_and_linked_platforms(runtime: Runtime, clock: Clock) -> None:
    clock.now = NOON
    assert await invite(runtime, "nps", "telegram", "1", person_key="crm-7") == "sent"
    clock.advance(86400)
    assert await invite(runtime, "csat", "telegram", "1") == "throttled"  # another survey, same person
    assert await invite(runtime, "csat", "slack", "U1", person_key="crm-7") == "throttled"  # same person on Slack
    assert await invite(runtime, "csat", "slack", "U2") == "sent"  # someone else
    clock.advance(30 * 86400)
    assert await invite(runtime, "csat", "slack", "U1", person_key="crm-7") == "sent"


async def test_quiet_hours_wait_for_the_morning(runtime: Runtime, clock: Clock) -> None:
    clock.now = datetime(2026, 3, 10, 23, 30, tzinfo=UTC).timestamp()
    assert await invite(runtime, "nps", "telegram", "5") == "scheduled"
    clock.now = datetime(2026, 3, 11, 8, 59, tzinfo=UTC).timestamp()
    assert await runtime.inviter.dispatch_due() == 0
    clock.now = datetime(2026, 3, 11, 9, 0, tzinfo=UTC).timestamp()
    assert await runtime.inviter.dispatch_due() == 1


async def test_one_reminder_then_expiry(runtime: Runtime, clock: Clock) -> None:
    clock.now = NOON
    assert await invite(runtime, "nps", "telegram", "6") == "sent"
    clock.advance(23 * 3600)
    assert await runtime.inviter.remind_due() == 0
    clock.advance(2 * 3600)
    assert await runtime.inviter.remind_due() == 1
    assert await runtime.inviter.remind_due() == 0  # only one
    reminder = (await outbox_for(runtime, "6"))[-1]
    assert "reminder" in reminder["text"] and reminder["reply_to"].startswith("question:")
    clock.advance(72 * 3600)
    assert await runtime.service.expire_due() == 1


async def test_opted_out_and_unreachable_are_never_contacted(runtime: Runtime, clock: Clock) -> None:
    clock.now = NOON
    await runtime.service.handle(Inbound("x1", "telegram", "8", "8", command="stop"))
    assert await invite(runtime, "nps", "telegram", "8") == "opted_out"
    # A send to them fails for good (they blocked the bot): they are marked unreachable.
    blocked = next(row for row in await runtime.store.claim_pending() if row.chat_id == "8")
    await runtime.store.mark_dead(blocked, "Forbidden: bot was blocked by the user", unreachable=True)
    assert (await reads.respondents(runtime.store))[0]["unreachable"]
    await runtime.service.handle(Inbound("x2", "telegram", "8", "8", command="start"))  # opts back in
    assert await invite(runtime, "csat", "telegram", "8") == "sent"  # messaging us made them reachable again


async def test_campaign_interrupted_and_resumed_invites_everyone_once(
    runtime: Runtime, clock: Clock, tmp_path: Path
) -> None:
    clock.now = NOON
    people = tmp_path / "people.txt"
    people.write_text("\n".join(f"telegram:{1000 + i}" for i in range(1200)) + "\n# done\n", encoding="utf-8")
    campaign = Campaign("q1", "nps", f"file:{people}")
    # First run: pretend the process died after the first batch by running a truncated list.
    partial = tmp_path / "partial.txt"
    partial.write_text("\n".join(f"telegram:{1000 + i}" for i in range(700)), encoding="utf-8")
    first = await run_campaign(runtime.inviter, Campaign("q1", "nps", f"file:{partial}"), "2026-03-10")
    assert first == {"sent": 700}
    again = await run_campaign(runtime.inviter, campaign, "2026-03-10")
    assert again == {"already_invited": 700, "sent": 500}
    queued = await reads.outbox(runtime.store)
    assert (len(queued), len({r["chat_id"] for r in queued}), {r["lane"] for r in queued}) == (1200, 1200, {"bulk"})
