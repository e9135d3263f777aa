"""The person's own clock (issue 20, items 2 and 3): reminders wait out quiet hours like
invitations do, and quiet hours use the time zone the platform reported for the person."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.services.invitations import InviteRequest
from tests.conftest import ROOT, Clock


async def _runtime(tmp_path: Path, clock: Clock, **invitations: object) -> Runtime:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["invitations"] = {**data["invitations"], **invitations}
    # Telegram enabled: surveys are only sent where the bot delivers.
    data["telegram"] = {**data["telegram"], "enabled": True, "staff_chat_id": -100123}
    cfg = config_mod.parse(data, {"TELEGRAM_BOT_TOKEN": "1:test"})
    return await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).timestamp()


async def test_reminder_due_at_night_waits_for_the_morning(tmp_path: Path, clock: Clock) -> None:
    runtime = await _runtime(tmp_path, clock, reminder_hours=12, quiet_hours="21:00-09:00")
    try:
        clock.now = at(10, 10)
        result = await runtime.inviter.invite(InviteRequest("nps", "telegram", "6"))
        assert result.status == "sent"
        clock.now = at(10, 22)  # 12 hours later, in quiet hours
        assert await runtime.inviter.remind_due() == 0
        clock.now = at(11, 8, 59)
        assert await runtime.inviter.remind_due() == 0
        clock.now = at(11, 9)
        assert await runtime.inviter.remind_due() == 1
    finally:
        await runtime.close()


async def test_reminder_uses_the_persons_time_zone(tmp_path: Path, clock: Clock) -> None:
    runtime = await _runtime(tmp_path, clock, reminder_hours=12, quiet_hours="21:00-09:00")
    try:
        async with runtime.store.transaction() as tx:
            person = await tx.ensure_respondent("telegram", "7", "7", clock.now)
            await tx.set_timezone(person.id, "America/Los_Angeles")
        clock.now = at(10, 18)  # 11:00 in Los Angeles (PDT, UTC-7)
        assert (await runtime.inviter.invite(InviteRequest("nps", "telegram", "7"))).status == "sent"
        clock.now = at(11, 6)  # 23:00 in Los Angeles, 06:00 UTC: quiet there, although UTC is quiet too
        assert await runtime.inviter.remind_due() == 0
        clock.now = at(11, 10)  # 03:00 in Los Angeles: still quiet there, though daytime in UTC
        assert await runtime.inviter.remind_due() == 0
        clock.now = at(11, 16)  # 09:00 PDT
        assert await runtime.inviter.remind_due() == 1
    finally:
        await runtime.close()
