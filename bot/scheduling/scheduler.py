"""One APScheduler (3.x) for everything timed: the configured digests, the catch-up of a
digest missed while the bot was down, and the minutely maintenance jobs (expiring stale
surveys, reminding staff about unclaimed or unresolved alerts).

It runs on the bot's own event loop (``AsyncIOScheduler``), as a ``Component`` of
``feedbackbot run``. The job functions are plain coroutines that read the runtime's clock, so
tests call them directly with a controlled clock instead of waiting for a trigger.

Two APScheduler traps are avoided on purpose (see the field notes): ``CronTrigger.from_crontab``
reads day-of-week numbers with 0 = Monday, so crontabs are built field by field and numbers in
the day-of-week field are refused; and the default one-second ``misfire_grace_time`` would
silently drop a digest that is a little late, so digest jobs coalesce and get the digest's own
grace time. Because the job store is in memory, what was already posted is decided by
``digest_runs``, never by the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from bot.cron import crontab_trigger, last_fire
from bot.services.campaigns import Campaign, run_campaign
from bot.services.recipients import RecipientFileError

log = logging.getLogger(__name__)

MAINTENANCE_SECONDS = 60
INVITATION_SECONDS = 10
PRUNE_SECONDS = 300
DIGEST_RETRY_SECONDS = 300


class Scheduler:
    """The scheduler component: ``start()`` on the running loop, ``stop()`` at shutdown."""

    background = True  # not a chat platform: ``run`` still opens the terminal when alone

    def __init__(self, runtime: App, *, maintenance_seconds: float = MAINTENANCE_SECONDS) -> None:
        self.runtime = runtime
        self.maintenance_seconds = maintenance_seconds
        self.scheduler: AsyncIOScheduler | None = None

    # -- the jobs (callable directly; each reads the runtime's clock) --------------------

    async def expire_job(self) -> int:
        count = await self.runtime.service.expire_due()
        if count:
            log.info("expired %d unanswered surveys", count)
        return count

    async def remind_job(self) -> int:
        count = await self.runtime.service.remind_escalations()
        if count:
            log.info("sent %d alert reminders", count)
        return count

    async def digest_job(self, digest_id: str) -> Any:
        """Post the digest's due period unless already posted. On an error (the database busy,
        a full disk) it is tried again in a few minutes, for as long as the grace time allows."""
        digests = self.runtime.digests
        assert digests is not None
        try:
            outcome = await digests.run_due(digest_id)
        except Exception:
            log.exception("digest %s failed; retrying in %d s", digest_id, DIGEST_RETRY_SECONDS)
            self._retry(digest_id)
            return None
        log.info("digest %s: %s", digest_id, outcome.describe())
        return outcome

    def _retry(self, digest_id: str) -> None:
        if self.scheduler is None or not self.scheduler.running:
            return
        self.scheduler.add_job(
            self.digest_job,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=DIGEST_RETRY_SECONDS),
            args=[digest_id],
            id=f"digest-retry:{digest_id}",
            replace_existing=True,
            misfire_grace_time=3600,
        )

    async def catch_up_job(self) -> list[Any]:
        digests = self.runtime.digests
        assert digests is not None
        outcomes = []
        for digest_id in digests.digests:
            outcome = await self.digest_job(digest_id)
            if outcome is not None and outcome.status == "posted":
                log.info("posted a digest missed while the bot was down: %s", outcome.describe())
            outcomes.append(outcome)
        return outcomes

    async def trend_job(self) -> Any:
        """Trend alerts: a significant drop so far this period goes to the managers at once."""
        trends = self.runtime.trends
        if trends is None:
            return []
        return await trends.check()

    async def agent_reports_job(self) -> int:
        """The weekly direct message to each agent with their own results."""
        reports = self.runtime.agent_reports
        return 0 if reports is None else await reports.run_due()

    async def invitations_job(self) -> int:
        """Send invitations whose delay or quiet hours are over, then the one reminder."""
        inviter = self.runtime.inviter
        sent = await inviter.dispatch_due()
        reminded = await inviter.remind_due()
        return sent + reminded

    async def prune_job(self) -> dict[str, int]:
        """Every few minutes: forget what nothing can refer to any more (sent messages' text,
        dead messages, handled event ids, received updates), in batches of a few
        milliseconds each (see ``Store.prune``), so the database stops growing with traffic."""
        report = await self.runtime.store.prune(self.runtime.service.clock())
        counts = report.counts()
        if any(counts.values()):
            log.info(
                "pruned %s in %d batches (longest %.1f ms)",
                ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items() if n),
                report.batches,
                report.longest_batch_ms,
            )
        return counts

    async def retention_job(self) -> dict[str, int]:
        """Daily: apply ``retention_days`` (nothing to do when it is 0, the default)."""
        now = self.runtime.service.clock()
        days = self.runtime.config.privacy.retention_days
        counts: dict[str, int] = {}
        if days:
            counts.update(await self.runtime.store.apply_retention(now - days * 86400))
            log.info("daily clean-up (retention %g days): %s", days, counts)
        return counts

    async def campaign_job(
        self, campaign_id: str, run_key: str | None = None, as_of: float | None = None
    ) -> dict[str, int]:
        """One run of a campaign. The run key is the scheduled date, so a run restarted the
        same day (after a crash) continues where it stopped instead of starting over."""
        cfg = next(c for c in self.runtime.config.campaigns if c.id == campaign_id)
        if run_key is None:
            now = datetime.fromtimestamp(self.runtime.service.clock(), UTC).astimezone(ZoneInfo(cfg.timezone))
            run_key = now.date().isoformat()
        campaign = Campaign(cfg.id, cfg.survey, cfg.audience, cfg.cron, cfg.timezone)
        return await run_campaign(self.runtime.inviter, campaign, run_key, as_of)

    async def scheduled_campaign_job(
        self, campaign_id: str, run_key: str | None = None, as_of: float | None = None
    ) -> None:
        """A scheduled run: an audience file with bad lines (checked like `send --to-file`)
        invites nobody and says which lines, one ERROR line each, never a traceback."""
        try:
            await self.campaign_job(campaign_id, run_key, as_of)
        except RecipientFileError as exc:
            for line, message in exc.errors:
                log.error("campaign %s: %s:%d: %s", campaign_id, exc.path, line, message)
            log.error("campaign %s: nobody was invited; fix the audience file and run it again", campaign_id)
        except OSError as exc:
            log.error("campaign %s: cannot read its audience file: %s", campaign_id, exc)

    async def campaign_catch_up_job(self) -> None:
        """A campaign run cut short by a crash or restart in the last day is resumed."""
        now = datetime.fromtimestamp(self.runtime.service.clock(), UTC)
        for cfg in self.runtime.config.campaigns:
            fired = last_fire(crontab_trigger(cfg.cron, cfg.timezone), now, timedelta(days=1))
            if fired is not None:
                run_key = fired.astimezone(ZoneInfo(cfg.timezone)).date().isoformat()
                await self.scheduled_campaign_job(cfg.id, run_key, as_of=fired.timestamp())

    # -- lifecycle -----------------------------------------------------------------------

    def build(self) -> AsyncIOScheduler:
        """The scheduler with every job added (not started)."""
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)

        def repeat(job: Any, trigger: Any, name: str, grace: int, *, job_id: str | None = None, **kw: Any) -> None:
            """Periodic jobs coalesce and never overlap: a slow run is not followed by a burst."""
            scheduler.add_job(
                job,
                trigger,
                id=job_id or name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace,
                **kw,
            )

        for cfg in self.runtime.config.digests:
            repeat(
                self.digest_job,
                crontab_trigger(cfg.cron, cfg.timezone),
                f"digest {cfg.id} ({cfg.cron}, {cfg.timezone})",
                max(60, int(cfg.grace_hours * 3600)),
                job_id=f"digest:{cfg.id}",
                args=[cfg.id],
            )

        every = IntervalTrigger(seconds=self.maintenance_seconds, timezone=UTC)
        repeat(self.expire_job, every, "expire", int(self.maintenance_seconds))
        repeat(self.remind_job, every, "remind", int(self.maintenance_seconds))
        repeat(
            self.invitations_job,
            IntervalTrigger(seconds=INVITATION_SECONDS, timezone=UTC),
            "invitations",
            INVITATION_SECONDS,
        )
        repeat(
            self.prune_job,
            IntervalTrigger(seconds=PRUNE_SECONDS, timezone=UTC),
            "prune",
            PRUNE_SECONDS,
            next_run_time=datetime.now(UTC) + timedelta(seconds=30),
        )
        repeat(
            self.retention_job,
            IntervalTrigger(hours=24, timezone=UTC),
            "retention",
            3600,
            next_run_time=datetime.now(UTC),
        )
        for campaign in self.runtime.config.campaigns:
            repeat(
                self.scheduled_campaign_job,
                crontab_trigger(campaign.cron, campaign.timezone),
                f"campaign {campaign.id}",
                6 * 3600,
                job_id=f"campaign:{campaign.id}",
                args=[campaign.id],
            )
        if self.runtime.agent_reports is not None:
            settings = self.runtime.config.agent_reports
            tz = settings.timezone or self.runtime.config.bot.timezone
            repeat(self.agent_reports_job, crontab_trigger(settings.cron, tz), "agent reports", 24 * 3600)
        if self.runtime.trends is not None:
            minutes = self.runtime.config.trend_alerts.check_minutes
            repeat(self.trend_job, IntervalTrigger(minutes=minutes, timezone=UTC), "trend alerts", int(minutes * 60))
        if self.runtime.config.campaigns:
            scheduler.add_job(
                self.campaign_catch_up_job,
                id="campaign-catch-up",
                name="campaign catch-up",
                next_run_time=datetime.now(UTC),
                misfire_grace_time=3600,
            )
        if self.runtime.config.digests:
            # The job store forgets everything on restart: look for a digest missed while the
            # bot was down right away (digest_runs says whether it was already posted).
            scheduler.add_job(
                self.catch_up_job,
                id="digest-catch-up",
                name="digest catch-up",
                next_run_time=datetime.now(UTC),
                misfire_grace_time=3600,
            )
        return scheduler

    async def start(self) -> None:
        self.scheduler = self.build()
        self.scheduler.start()
        log.info("scheduler started with %d jobs", len(self.scheduler.get_jobs()))

    async def stop_intake(self) -> None:
        """At shutdown no job starts any more (a job would queue new messages while the bot
        drains the ones already committed); a job already running finishes."""
        await self.stop()

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
