"""Per-agent results: the weekly direct message to each agent in ``[agents]`` with their own
score, its interval and change, and their own customers' comments (never another agent's),
posted once per agent and week (recorded in ``digest_runs`` as ``agent:<name>`` in the same
transaction that queues it). The alert mention lives in ``bot/services/escalations.py``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.cron import crontab_trigger, last_fire
from storage.port import Reports, Store
from surveys.digest import Period, PeriodSpec, last_complete, plain_text, previous, segment_row_text, trim
from surveys.kinds import SCALES
from surveys.model import Block, Destination, OutMessage
from surveys.segments import SegmentCounts, segment_table

log = logging.getLogger(__name__)


class AgentReports:
    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.config = config
        self.settings = config.agent_reports
        self.clock = clock
        self.on_commit = on_commit

    def due_period(self, now: float) -> Period | None:
        """The week to report: the one before the latest fire time, if that was within a day."""
        tz = ZoneInfo(self.settings.timezone or self.config.bot.timezone)
        fire = last_fire(
            crontab_trigger(self.settings.cron, str(tz)), datetime.fromtimestamp(now, tz), timedelta(hours=24)
        )
        return None if fire is None else last_complete(PeriodSpec("week"), fire.astimezone(tz))

    async def blocks_for(self, reports: Reports, name: str, period: Period) -> tuple[Block, ...]:
        """One agent's week: per survey with responses naming them, their row and comments."""
        key = self.settings.key
        before = previous(period)
        blocks: list[Block] = []
        for sid in self.settings.surveys or tuple(self.config.surveys):
            survey = self.config.surveys[sid]
            scale = SCALES[survey.kind]
            prior, current = await reports.segment_counts(
                sid,
                key,
                [(before.start_ts, before.end_ts), (period.start_ts, period.end_ts)],
                range(scale.low, scale.high + 1),
            )
            mine = SegmentCounts(key, {name: current.get(name, {})}, {name: prior.get(name, {})}, min_n=1)
            rows = [r for r in segment_table(survey.kind, mine).rows if r.n]
            if not rows:
                continue
            blocks.append(
                Block("field", segment_row_text(survey.kind, rows[0], "week"), f"{survey.kind.value.upper()} · {sid}")
            )
            comments = await reports.segment_comments(
                sid, key, name, period.start_ts, period.end_ts, self.settings.comments
            )
            seen: set[str] = set()
            for c in comments:
                said = " ".join(c.text.casefold().split())
                if said in seen:
                    continue  # the same words quoted once
                seen.add(said)
                quote = f"“{trim(c.text)}”"
                blocks.append(Block("quote", f"{quote} ({c.score})" if c.score is not None else quote))
        if not blocks:
            return ()
        return (
            Block("heading", f"Your feedback, {name} · {period.label}"[:150]),
            Block(
                "context", "Only responses whose context names you; 95% intervals; comments are your customers' own."
            ),
            *blocks,
        )

    async def run_due(self, now: float | None = None) -> int:
        """Send each agent their week, once; returns how many agents got a message."""
        now = self.clock() if now is None else now
        period = self.due_period(now)
        if period is None:
            return 0
        sent = 0
        for name, ids in self.config.agents.items():
            run_id = f"agent:{name}"[:64]
            destinations = [Destination(p, i) for p, i in (("telegram", ids.telegram), ("slack", ids.slack)) if i]
            async with self.store.reports() as reports:
                if await reports.digest_run(run_id, period.key) is not None:
                    continue
                blocks = await self.blocks_for(reports, name, period)
            if not blocks or not destinations:
                continue
            messages = [OutMessage(d, plain_text(blocks), blocks=blocks, audience="staff") for d in destinations]
            async with self.store.transaction() as tx:
                recorded = await (await tx.reports()).record_run(
                    run_id, period.key, period.end.isoformat(), "posted", self.clock()
                )
                if not recorded:
                    continue
                await tx.enqueue(messages, self.clock())
            sent += 1
        if sent:
            self.on_commit()
            log.info("agent reports: %d agents for %s", sent, period.label)
        return sent
