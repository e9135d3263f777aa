"""Staff reminders with a limit and a ladder (issue 20, item 6): the first reminder after
``remind_unclaimed_minutes``, then one every ``remind_repeat_minutes`` up to ``remind_max``,
then only the daily summary of what is still open; after a claim the unresolved timer counts
from the claim; alerts of erased customers are closed with a note and never pinged."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from surveys.alerts import action_value
from tests.conftest import ROOT, Clock
from tests.integration.test_escalations import customer, detractor, escalation, outbox, staff


def _reminders(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]) for m in messages if str(m["text"]).startswith("⏰")]


async def _open(tmp_path: Path, clock: Clock, **escalation_settings: object) -> Runtime:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["escalation"] = {**data.get("escalation", {}), **escalation_settings}
    cfg = config_mod.parse(data, {})
    return await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"))


async def test_unclaimed_reminders_stop_after_the_limit_then_a_daily_summary(tmp_path: Path, clock: Clock) -> None:
    runtime = await _open(tmp_path, clock, remind_max=3, summary_time="09:00")
    try:
        await detractor(runtime)  # opened at 00:00 UTC
        sent = 0
        for _ in range(16 * 6):  # a whole night, checked every ten minutes
            clock.advance(600)
            sent += await runtime.service.remind_escalations()
        reminders = _reminders(await outbox(runtime, "staff"))
        assert sent == 3 and len(reminders) == 3, reminders
        # First at 30 minutes, then hourly.
        assert "waiting 30 min" in reminders[0] and "waiting 90 min" in reminders[1]
        assert "waiting 150 min" in reminders[2] and "last reminder" in reminders[2]
        # One summary a day of what is still open, from 09:00 (the loop ran 00:00 to 16:00).
        summaries = [str(m["text"]) for m in await outbox(runtime, "staff") if "still open:" in str(m["text"])]
        assert len(summaries) == 1 and "#1 (nps): nobody on it, opened 9 h ago" in summaries[0], summaries
        clock.advance(16 * 3600)  # 08:00 the next day: not yet
        await runtime.service.remind_escalations()
        clock.advance(3600)
        await runtime.service.remind_escalations()
        await runtime.service.remind_escalations()
        summaries = [str(m["text"]) for m in await outbox(runtime, "staff") if "still open:" in str(m["text"])]
        assert len(summaries) == 2
        assert _reminders(await outbox(runtime, "staff")) == reminders  # still no more pings
    finally:
        await runtime.close()


async def test_unresolved_timer_starts_at_the_claim(tmp_path: Path, clock: Clock) -> None:
    runtime = await _open(tmp_path, clock, remind_unresolved_hours=24)
    try:
        await detractor(runtime)
        eid = (await escalation(runtime))["id"]
        clock.advance(31 * 60)
        assert await runtime.service.remind_escalations() == 1  # unclaimed, at 00:31
        clock.advance(10 * 3600)
        await runtime.service.handle(staff(button=action_value(eid, "claim")))  # claimed at ~11:30
        clock.advance(20 * 3600)  # 24 h after the unclaimed reminder, 20 h after the claim
        assert await runtime.service.remind_escalations() == 0
        clock.advance(4 * 3600 + 60)
        assert await runtime.service.remind_escalations() == 1
        assert "Bob, alert #1 is still open (24 h since the claim)" in _reminders(await outbox(runtime, "staff"))[-1]
    finally:
        await runtime.close()


async def test_alert_of_an_erased_customer_is_closed_with_a_note_and_never_pinged(
    tmp_path: Path, clock: Clock
) -> None:
    runtime = await _open(tmp_path, clock)
    try:
        await detractor(runtime)
        await runtime.service.handle(customer(command="forget", args="yes"))
        before = len(await outbox(runtime, "staff"))
        for _ in range(10):
            clock.advance(3600)
            assert await runtime.service.remind_escalations() == 0
        row = await escalation(runtime)
        assert row["state"] == "resolved" and "erased" in str(row["resolution_note"])
        assert _reminders((await outbox(runtime, "staff"))[before:]) == []
    finally:
        await runtime.close()
