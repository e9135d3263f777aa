"""Anonymous mode hides whatever identifies a customer (issue 20, item 5): names, history and
the context keys configured as identifying (all of them unless some are named), in alerts,
exports and digest segments."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.config import ConfigError
from bot.services.export import export
from bot.services.invitations import InviteRequest
from surveys.model import Inbound
from tests.conftest import ROOT, Clock
from tests.integration.test_escalations import outbox

CONTEXT = {"email": "ann.lee@example.com", "plan": "pro"}


def _data(**privacy: object) -> dict[str, object]:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["privacy"] = {**data["privacy"], "anonymous": True, **privacy}
    data["invitations"] = {**data["invitations"], "quiet_hours": "00:00-00:00"}
    return data


async def _answered_detractor(tmp_path: Path, clock: Clock, **privacy: object) -> Runtime:
    runtime = await Runtime.open(
        config_mod.parse(_data(**privacy), {}), clock=clock, db_path=str(tmp_path / "bot.db")
    )
    n = 0

    async def say(text: str) -> None:
        nonlocal n
        n += 1
        await runtime.service.handle(
            Inbound(f"a{n}", "console", "ann", "ann", display_name="Ann Lee", handle="annlee", text=text)
        )

    await runtime.service.handle(Inbound("a0", "console", "ann", "ann", display_name="Ann Lee", command="feedback"))
    await say("9")
    await say("great")
    clock.advance(86400)
    result = await runtime.inviter.invite(InviteRequest("nps", "console", "ann", context=CONTEXT))
    assert result.status == "sent", result
    await say("2")
    await say("It broke again")
    return runtime


async def test_alert_shows_no_name_no_history_and_no_identifying_context(tmp_path: Path, clock: Clock) -> None:
    runtime = await _answered_detractor(tmp_path, clock, identifying_context=["email"])
    try:
        alert = str((await outbox(runtime, "staff"))[-1]["text"])
        assert "It broke again" in alert and "anonymous" in alert
        assert "Ann" not in alert and "annlee" not in alert and "History" not in alert
        assert "ann.lee@example.com" not in alert and "plan=pro" in alert
    finally:
        await runtime.close()


async def test_every_context_key_counts_as_identifying_by_default(tmp_path: Path, clock: Clock) -> None:
    runtime = await _answered_detractor(tmp_path, clock)
    try:
        alert = str((await outbox(runtime, "staff"))[-1]["text"])
        assert "Context" not in alert and "plan" not in alert
        out = io.StringIO()
        await export(runtime.store, out, "csv", None, None, None, anonymous=True)
        text = out.getvalue()
        assert "ann.lee@example.com" not in text and "annlee" not in text and "plan" not in text
    finally:
        await runtime.close()


async def test_anonymous_export_drops_identifying_context(tmp_path: Path, clock: Clock) -> None:
    runtime = await _answered_detractor(tmp_path, clock, identifying_context=["email"])
    try:
        out = io.StringIO()
        cfg = runtime.config
        await export(runtime.store, out, "csv", None, None, None, anonymous=True, privacy=cfg.privacy)
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert "ann.lee@example.com" not in out.getvalue()
        contexts = [json.loads(r["context"]) for r in rows if r["context"]]
        assert contexts == [{"plan": "pro"}]
    finally:
        await runtime.close()


def test_digest_segments_by_an_identifying_key_are_refused_in_anonymous_mode() -> None:
    data = _data(identifying_context=["email"])
    data["digests"] = [{"id": "weekly", "cron": "0 9 * * mon", "segments": ["email"]}]
    with pytest.raises(ConfigError) as caught:
        config_mod.parse(data, {})
    assert "digests[0].segments" in str(caught.value) and "anonymous" in str(caught.value)
    data["digests"] = [{"id": "weekly", "cron": "0 9 * * mon", "segments": ["plan", "platform"]}]
    config_mod.parse(data, {})
