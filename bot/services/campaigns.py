"""Recurring campaigns: one survey to an audience on a schedule (a quarterly NPS, say).

A run is identified by its campaign id and run key (the scheduled date), and every
invitation of the run carries an idempotency key derived from both. Running the same run
again (after a crash, a restart, a double fire) therefore skips everyone already invited
and continues with the rest: nobody twice, nobody skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.services.invitations import InviteError, Inviter, InviteRequest
from bot.services.recipients import read_list

log = logging.getLogger(__name__)

BATCH = 50  # people per transaction: short, so live survey turns never wait long for the store


@dataclass(frozen=True)
class Campaign:
    id: str
    survey: str
    audience: str  # "all" | "telegram" | "slack" | "file:<path>"
    cron: str = ""
    timezone: str = "UTC"


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
                try:
                    request = inviter.validate(request)
                except InviteError:
                    # Someone stored before identities were checked (a platform since
                    # disabled, an id no platform takes): never contacted, counted.
                    counts["refused"] = counts.get("refused", 0) + 1
                    continue
                result = await inviter.invite_in(tx, request, now, facts.get((platform, user), (None, None)))
                status = "already_invited" if result.duplicate else result.status
                counts[status] = counts.get(status, 0) + 1
        inviter.on_commit()

    if campaign.audience.startswith("file:"):
        # The same checks as `feedbackbot send --to-file`: any bad line refuses the run
        # (RecipientFileError lists them all) before anyone is invited.
        recipients = read_list(campaign.audience[5:], inviter.platforms)
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
