"""Refuse up front what cannot be delivered: one validation for every recipient source (the
API, `send --to`, `send --to-file`, campaign audiences), canonical identities so opt-out and
fatigue hold, idempotency keys bound to their request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot import cli
from bot.bootstrap.runtime import Runtime
from bot.config import Config
from bot.services.campaigns import Campaign, run_campaign
from bot.services.recipients import RecipientFileError
from bot.web.api import SendApi
from bot.web.http import HttpServer
from surveys.model import Inbound
from tests import reads
from tests.conftest import Clock, send_api_server
from tests.integration.test_shell_cli import write_config

TOKEN = "api-secret-token-123"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC).timestamp()


def telegram_only(config: Config) -> Config:
    return replace(config, telegram=replace(config.telegram, enabled=True, staff_chat_id="-100"))


@pytest.fixture
async def telegram_runtime(tmp_path: Path, config: Config, clock: Clock) -> AsyncIterator[Runtime]:
    clock.now = NOON
    rt = await Runtime.open(telegram_only(config), clock=clock, db_path=str(tmp_path / "bot.db"))
    yield rt
    await rt.close()


@pytest.fixture
async def api(telegram_runtime: Runtime) -> AsyncIterator[str]:
    async with send_api_server(telegram_runtime.inviter, TOKEN) as url:
        yield url


async def post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        all_headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", **(headers or {})}
        async with http.post(url, data=json.dumps(body).encode(), headers=all_headers) as resp:
            return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("recipient", "field", "fragment"),
    [
        ({"platform": "slack", "id": "U0123ABCD"}, "recipient.platform", "slack is not enabled"),
        ({"platform": "console", "id": "bob"}, "recipient.platform", "console"),
        ({"platform": "email", "id": "222"}, "recipient.platform", "'email'"),
        ({"platform": "telegram", "id": "abc"}, "recipient.id", "positive whole number"),
        ({"platform": "telegram", "id": "04242"}, "recipient.id", "'04242'"),
        ({"platform": "telegram", "id": "٤٢٤٢"}, "recipient.id", "ASCII"),
        ({"platform": "telegram", "id": "44 4"}, "recipient.id", "'44 4'"),
        ({"platform": "telegram", "id": -100123}, "recipient.id", "positive"),
        ({"platform": "telegram", "id": True}, "recipient.id", "positive"),
    ],
)
async def test_api_refuses_what_cannot_be_delivered(api: str, recipient: dict, field: str, fragment: str) -> None:
    status, answer = await post(f"{api}/v1/surveys/nps/send", {"recipient": recipient})
    assert status == 422, answer
    assert answer["error"]["field"] == field and fragment in answer["error"]["message"]


async def test_slack_ids_must_be_user_ids(tmp_path: Path, config: Config, clock: Clock) -> None:
    cfg = replace(config, slack=replace(config.slack, enabled=True, staff_channel="C1"))
    runtime = await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))
    server = HttpServer(["127.0.0.1:0"])
    SendApi(runtime.inviter, TOKEN).install(server.app)
    await server.start()
    url = f"http://127.0.0.1:{server.ports[0]}/v1/surveys/nps/send"
    try:
        for bad in ("C0123ABCD", "u0123abcd", "#general", "D0123ABCD"):
            status, answer = await post(url, {"recipient": {"platform": "slack", "id": bad}})
            assert (status, answer["error"]["field"]) == (422, "recipient.id"), bad
        for good in ("U0123ABCD", "W0123ABCD"):
            status, answer = await post(url, {"recipient": {"platform": "slack", "id": good}})
            assert status == 202, answer
    finally:
        await server.stop()
        await runtime.close()


async def test_other_spellings_of_an_id_cannot_bypass_stop(api: str, telegram_runtime: Runtime) -> None:
    await telegram_runtime.service.handle(Inbound("s1", "telegram", "4242", "4242", command="stop"))
    for spelling in ("04242", "٤٢٤٢", "+4242", " 4242"):
        status, _ = await post(f"{api}/v1/surveys/nps/send", {"recipient": {"platform": "telegram", "id": spelling}})
        assert status == 422, spelling
    status, answer = await post(f"{api}/v1/surveys/nps/send", {"recipient": {"platform": "telegram", "id": 4242}})
    assert status == 202 and answer["invitation"]["status"] == "opted_out"
    people = await reads.respondents(telegram_runtime.store)
    assert [r["user_id"] for r in people] == ["4242"]  # one person, one identity


async def test_an_idempotency_key_is_bound_to_its_request_and_scoped_to_its_survey(api: str) -> None:
    first = {"recipient": {"platform": "telegram", "id": "111"}, "idempotency_key": "ticket-1"}
    status, answer = await post(f"{api}/v1/surveys/csat/send", first)
    assert status == 202
    invitation = answer["invitation"]["invitation_id"]
    status, again = await post(f"{api}/v1/surveys/csat/send", first)
    assert status == 200 and again["invitation"]["duplicate"] and again["invitation"]["invitation_id"] == invitation
    other_person = {"recipient": {"platform": "telegram", "id": "222"}, "idempotency_key": "ticket-1"}
    status, conflict = await post(f"{api}/v1/surveys/csat/send", other_person)
    assert status == 409
    assert conflict["error"]["code"] == "idempotency_conflict"
    assert conflict["error"]["invitation_id"] == invitation and f"#{invitation}" in conflict["error"]["message"]
    other_body = {**first, "context": {"ticket": "T-2"}}
    assert (await post(f"{api}/v1/surveys/csat/send", other_body))[0] == 409
    header = {"recipient": {"platform": "telegram", "id": "222"}}
    assert (await post(f"{api}/v1/surveys/csat/send", header, {"Idempotency-Key": "ticket-1"}))[0] == 409
    # The same key for another survey is another request altogether.
    status, other = await post(f"{api}/v1/surveys/nps/send", other_person)
    assert status == 202 and other["invitation"]["invitation_id"] != invitation


AUDIENCE = (
    "telegram:1001\n\n# a comment line\nemail:222\nslack:U333   # trailing comment\ntelegram:44 4\n"
    "telegram:1002  # ok\n"
)


async def test_campaign_audience_files_are_checked_like_send(
    telegram_runtime: Runtime, tmp_path: Path
) -> None:
    people = tmp_path / "people.txt"
    people.write_text(AUDIENCE, encoding="utf-8")
    with pytest.raises(RecipientFileError) as info:
        await run_campaign(telegram_runtime.inviter, Campaign("q", "nps", f"file:{people}"), "2026-03-10")
    assert [line for line, _ in info.value.errors] == [4, 5, 6]
    messages = dict(info.value.errors)
    assert messages[4].startswith("recipient.platform: 'email'")
    assert messages[5].startswith("recipient.platform: slack is not enabled")
    assert messages[6].startswith("recipient.id:") and "'44 4'" in messages[6]
    assert await reads.count(telegram_runtime.store, "respondents") == 0  # nothing created, nothing queued
    people.write_text("telegram:1001\n# comment\n\ntelegram:1002   # trailing comment\n", encoding="utf-8")
    counts = await run_campaign(telegram_runtime.inviter, Campaign("q", "nps", f"file:{people}"), "2026-03-10")
    assert counts == {"sent": 2}
    assert sorted(r["user_id"] for r in await reads.respondents(telegram_runtime.store)) == ["1001", "1002"]


def telegram_config(tmp_path: Path, extra: str = "") -> Path:
    cfg = write_config(tmp_path, extra)
    text = cfg.read_text(encoding="utf-8").replace(
        "[telegram]\n# Needs TELEGRAM_BOT_TOKEN from @BotFather.\nenabled = false",
        "[telegram]\nenabled = true\nstaff_chat_id = -1001234567890",
    )
    assert "enabled = true" in text
    cfg.write_text(text, encoding="utf-8")
    return cfg


def test_cli_send_refuses_bad_recipients_up_front(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(telegram_config(tmp_path))
    code = cli.main(["send", "--config", cfg, "--survey", "nps", "--to", "telegram:555", "--to", "slack:U1",
                     "--to", "telegram:abc", "--to", "console:bob"])
    out = capsys.readouterr()
    assert code == 2
    assert "slack:U1: recipient.platform: slack is not enabled" in out.err
    assert "telegram:abc: recipient.id:" in out.err and "console:bob: recipient.platform:" in out.err
    assert "sent" not in out.out
    assert asyncio.run(reads.count_in(str(tmp_path / "bot.db"), "invitations")) == 0  # nothing half sent

    listing = tmp_path / "people.txt"
    listing.write_text(AUDIENCE, encoding="utf-8")
    assert cli.main(["send", "--config", cfg, "--survey", "nps", "--to-file", str(listing)]) == 2
    err = capsys.readouterr().err
    for line in (4, 5, 6):
        assert f"{listing}:{line}: recipient." in err

    audience = f"file:{listing.as_posix()}"
    campaign = f'\n[[campaigns]]\nid = "q"\nsurvey = "nps"\naudience = "{audience}"\ncron = "0 10 1 * *"\n'
    cfg = str(telegram_config(tmp_path, campaign))
    assert cli.main(["campaign", "q", "--config", cfg]) == 2
    err = capsys.readouterr().err
    for line in (4, 5, 6):
        assert f"{listing}:{line}: recipient." in err
    assert asyncio.run(reads.count_in(str(tmp_path / "bot.db"), "respondents")) == 0

    assert cli.main(["send", "--config", cfg, "--survey", "nps", "--to", "telegram:555"]) == 0
    assert capsys.readouterr().out.splitlines() == ["telegram:555\tsent"]


async def test_a_scheduled_campaign_with_a_bad_audience_file_logs_each_line(
    tmp_path: Path, config: Config, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.config import CampaignConfig
    from bot.scheduling.scheduler import Scheduler

    people = tmp_path / "people.txt"
    people.write_text(AUDIENCE, encoding="utf-8")
    cfg = replace(telegram_only(config), campaigns=(CampaignConfig("q", "nps", f"file:{people}", "0 10 1 * *", "UTC"),))
    runtime = await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))
    try:
        await Scheduler(runtime).scheduled_campaign_job("q", "2026-03-10")
    finally:
        await runtime.close()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert [m for m in errors if f"{people}:" in m] == [
        f"campaign q: {people}:4: recipient.platform: 'email' is not a platform (expected one of telegram)",
        f"campaign q: {people}:5: recipient.platform: slack is not enabled in this bot's configuration, "
        "so nothing could deliver it",
        f"campaign q: {people}:6: recipient.id: a Telegram recipient is the person's user id: a positive whole "
        "number in ASCII digits, without sign or leading zeros, such as 123456789 (got '44 4')",
    ]
    assert not any(r.exc_info for r in caplog.records)
