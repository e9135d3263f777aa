"""Recurring campaigns: one survey to an audience on a schedule (a quarterly NPS, say).

A run is identified by its campaign id and run key (the scheduled date), and every
invitation of the run carries an idempotency key derived from both. Running the same run
again (after a crash, a restart, a double fire) therefore skips everyone already invited
and continues with the rest: nobody twice, nobody skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.invitations import Inviter, InviteRequest

log = logging.getLogger(__name__)

BATCH = 50  # people per transaction: short, so live survey turns never wait long for the store


@dataclass(frozen=True)
class Campaign:
    id: str
    survey: str
    audience: str  # "all" | "telegram" | "slack" | "file:<path>"
    cron: str = ""
    timezone: str = "UTC"


def read_list(path: str) -> list[tuple[str, str]]:
    """``platform:user_id`` per line; blank lines and ``#`` comments ignored."""
    recipients = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        platform, sep, user = line.partition(":")
        if not sep or not user:
            raise ValueError(f"{path}:{number}: expected 'platform:user_id', got {line!r}")
        recipients.append((platform.strip(), user.strip()))
    return recipients


async def run_campaign(
    inviter: Inviter, campaign: Campaign, run_key: str, as_of: float | None = None
) -> dict[str, int]:
    """``as_of``: when the run was due, for a run caught up later (after a restart): the
    audience is who was known then, never someone who first wrote to the bot afterwards."""
    counts: dict[str, int] = {}

    def key(platform: str, user: str) -> str:
        return f"campaign:{campaign.id}:{run_key}:{platform}:{user}"

    async def invite_batch(batch: list[tuple[str, str]], known: frozenset[tuple[str, str]] = frozenset()) -> None:
        # Language and time zone from the platform, for people it can tell us about and whose
        # zone we do not know yet (``known``), before the transaction: it holds no lock meanwhile.
        facts = {
            (platform, user): await inviter.platform_facts(platform, user)
            for platform, user in batch
            if platform in inviter.profiles and (platform, user) not in known
        }
        now = inviter.clock()
        async with inviter.store.transaction() as tx:
            for platform, user in batch:
                request = InviteRequest(
                    survey_id=campaign.survey,
                    platform=platform,
                    user_id=user,
                    idempotency_key=key(platform, user),
                    campaign_id=campaign.id,
                    lane="bulk",
                )
                result = await inviter.invite_in(tx, request, now, facts.get((platform, user), (None, None)))
                status = "already_invited" if result.duplicate else result.status
                counts[status] = counts.get(status, 0) + 1
        inviter.on_commit()

    if campaign.audience.startswith("file:"):
        recipients = read_list(campaign.audience[5:])
        for start in range(0, len(recipients), BATCH):
            await invite_batch(recipients[start : start + BATCH])
    else:
        platform = None if campaign.audience == "all" else campaign.audience
        after = 0
        while True:
            async with inviter.store.transaction() as tx:
                people = await tx.audience(platform, after, BATCH, created_before=as_of)
            if not people:
                break
            after = people[-1].id
            known = frozenset((p.platform, p.user_id) for p in people if p.timezone)
            await invite_batch([(p.platform, p.user_id) for p in people], known)
    log.info("campaign %s run %s: %s", campaign.id, run_key, counts)
    return counts
