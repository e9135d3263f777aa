"""Slack tells us a person's time zone and locale (issue 20, item 2): users.info's ``tz`` is
stored with the person and used by quiet hours, also for an invitation to someone who never
wrote to the bot, whose question then comes in their Slack language."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.invitations import InviteRequest
from tests import reads
from tests.e2e.slack_helpers import running_bot
from tests.fakes.slack_api import FakeSlackAPI, dm_message

WAIT = 20.0
NIGHT = {"invitations": {"quiet_hours": "21:00-09:00"}}


def zone_where_it_is(hour: int) -> str:
    """A fixed-offset zone (Etc/GMT±N) in which the local hour is now ``hour``."""
    utc_hour = datetime.now(UTC).hour
    offset = (hour - utc_hour + 36) % 24 - 12  # -12..+11
    # Etc zones have POSIX signs: Etc/GMT+5 is five hours *behind* UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def test_invitation_waits_for_morning_in_the_slack_users_zone_and_speaks_their_language(
    tmp_path: Path,
) -> None:
    zone = zone_where_it_is(2)  # 02:00 there, whatever the time here
    async with FakeSlackAPI() as slack:
        slack.add_user("U9", name="jo", real_name="Jo Night", locale="de-DE", tz=zone)
        async with running_bot(slack, str(tmp_path / "bot.db"), extra=NIGHT) as bot:
            # The bot's own zone is UTC with the same quiet hours; pick a moment that is daytime in UTC.
            result = await bot.runtime.inviter.invite(InviteRequest("nps", "slack", "U9"))
            assert result.status == "scheduled", result
            local = datetime.fromtimestamp(result.send_at, UTC).astimezone(ZoneInfo(zone))
            assert (local.hour, local.minute) == (9, 0)
            assert result.send_at - time.time() < timedelta(hours=8).total_seconds()
            async with bot.runtime.store.transaction() as tx:
                person = await tx.respondent("slack", "U9")
            assert person is not None and person.timezone == zone and person.language == "de-DE"
            # At 09:00 there, the question is queued in German (the test does not wait for it).
            bot.runtime.inviter.clock = lambda: result.send_at + 1
            assert await bot.runtime.inviter.dispatch_due() == 1
            [question] = await reads.payloads(bot.runtime.store, "U9")
            assert "Wie wahrscheinlich" in question["text"]


async def test_a_message_stores_the_slack_users_time_zone(tmp_path: Path) -> None:
    async with FakeSlackAPI() as slack:
        slack.add_user("U1", name="ana", real_name="Ana Lima", locale="pt-BR", tz="America/Sao_Paulo")
        async with running_bot(slack, str(tmp_path / "bot.db")) as bot:
            assert (await bot.http.command("U1", "/feedback", "nps")).status == 200
            await slack.wait_for(lambda f: len(f.messages("DU1")) == 1, timeout=WAIT)
            assert (await bot.http.event(dm_message("U1", "9"))).status == 200
            await slack.wait_for(lambda f: len(f.messages("DU1")) == 2, timeout=WAIT)
            async with bot.runtime.store.transaction() as tx:
                person = await tx.respondent("slack", "U1")
            assert person is not None and person.timezone == "America/Sao_Paulo"
