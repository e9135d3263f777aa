"""One place that wires the pieces together (ports and adapters: everything else gets
its dependencies handed in, which is what lets tests swap the clock, the sentiment scorer
or a platform for a fake)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time as dtime
from pathlib import Path

from bot.analysis.meaning_index import MeaningIndex
from bot.analysis.sentiment_model import FeedbackScorer, ProcessScorer, shared_scorer
from bot.config import Config, served_platforms, staff_destinations
from bot.delivery.outbox import Delivery
from bot.services.agents import AgentReports
from bot.services.digests import DigestService
from bot.services.escalations import REROUTE_WINDOW, EscalationDesk, EscalationSettings, UndeliveredAlerts
from bot.services.invitations import Inviter
from bot.services.privacy import PrivacyDesk
from bot.services.scoring import ScoringWorker
from bot.services.service import Service, ServiceSettings
from bot.services.trends import TrendWatch
from bot.web.http import HttpServer
from handlers.base import Channel
from storage.backends import open_store
from storage.leases import Leases, SoleLeases, open_leases
from storage.port import Store
from surveys.invitations import Policy
from surveys.sentiment import CommentScorer, SentimentScorer

log = logging.getLogger(__name__)


def time_of_day(text: str) -> dtime:
    hours, minutes = text.strip().split(":")
    return dtime(int(hours), int(minutes))


@dataclass
class Runtime:
    """Every part of the bot, built once by :meth:`open` and handed its dependencies there: nothing
    is plugged in afterwards (only ``run`` adds the HTTP server and the platforms their channels)."""

    config: Config
    store: Store
    service: Service
    delivery: Delivery
    inviter: Inviter
    digests: DigestService | None
    trends: TrendWatch | None  # None unless [trend_alerts] is enabled
    agent_reports: AgentReports | None  # None unless [agent_reports] is enabled
    # Scores comments after the commit (None when a scorer was handed in to score inline).
    scoring: ScoringWorker | None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # The shared HTTP server, created by ``run`` when something needs it (bootstrap.run.build_components).
    http: HttpServer | None = None
    # Who plays the roles only one instance may (bot.leadership): on SQLite always this one.
    leases: Leases = field(default_factory=SoleLeases)

    @classmethod
    async def open(
        cls,
        config: Config,
        channels: Mapping[str, Channel] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sentiment: SentimentScorer | None = None,
        comment_scorer: CommentScorer | None = None,
        db_path: str | None = None,
    ) -> Runtime:
        """``sentiment``: score each comment inside its turn with this (tests and benchmarks
        with a fixed table). Otherwise comments are scored after the commit by a
        :class:`ScoringWorker` with ``comment_scorer`` (default: the packaged model)."""
        target = db_path or config.storage.url or config.storage.path
        store = await open_store(target, config.storage.durability)
        esc = config.escalation
        desk = EscalationDesk(
            EscalationSettings(
                default_destinations=staff_destinations(config),
                per_survey={sid: s.alert_destinations for sid, s in config.surveys.items() if s.alert_destinations},
                remind_unclaimed_after=esc.remind_unclaimed_minutes * 60,
                remind_unresolved_after=esc.remind_unresolved_hours * 3600,
                remind_repeat_after=esc.remind_repeat_minutes * 60,
                remind_max=esc.remind_max,
                summary_time=esc.summary_time,
                oncall=esc.oncall,
                ask_recovery=esc.ask_recovery,
                timezone=config.bot.timezone,
                default_language=config.bot.default_language,
                products={sid: s.product_in("en") for sid, s in config.surveys.items()},  # staff read English
                anonymous=config.privacy.anonymous,
                agents={
                    name: {p: i for p, i in (("telegram", a.telegram), ("slack", a.slack)) if i}
                    for name, a in config.agents.items()
                },
                agent_key=config.agent_reports.key,
                surveys=dict(config.surveys),
                identifying_context=config.privacy.identifying_context,
                causes=esc.causes,
                routes=config.routing.routes,
                route_mode=config.routing.match,
                route_default=config.routing.default,
                default_mention=dict(config.routing.default_mention),
                route_wait=config.routing.wait_for_comment_minutes * 60,
            )
        )
        delivery = Delivery(store, channels or {}, clock=clock, on_dead=UndeliveredAlerts(store, desk, clock).reroute)
        scoring = None
        if sentiment is None:
            scorer = comment_scorer or shared_scorer()
            scoring = ScoringWorker(
                store,
                scorer,
                config.surveys,
                desk,
                clock=clock,
                on_commit=delivery.wake,
                meaning=MeaningIndex(scorer if isinstance(scorer, ProcessScorer | FeedbackScorer) else None),
            )
        digests = DigestService(
            store,
            config,
            clock=clock,
            on_commit=delivery.wake,
            meaning=scoring.meaning if scoring is not None else None,
        )
        service = Service(
            store=store,
            settings=ServiceSettings(config.surveys, config.bot.default_survey, config.bot.default_language),
            sentiment=sentiment,
            desk=desk,
            privacy=PrivacyDesk(
                store,
                export_dir=_data_dir(db_path or config.storage.path) / "exports",
                default_language=config.bot.default_language,
            ),
            digests=digests,
            clock=clock,
            on_commit=delivery.wake if scoring is None else _both(delivery.wake, scoring.wake),
        )
        inv = config.invitations
        quiet_start, quiet_end = (time_of_day(part) for part in inv.quiet_hours.split("-"))
        inviter = Inviter(
            store=store,
            surveys=config.surveys,
            policy=Policy(
                fatigue_days=inv.fatigue_days,
                recontact_days=dict(config.recontact_days),
                quiet_start=quiet_start,
                quiet_end=quiet_end,
                timezone=config.bot.timezone,
            ),
            sentiment=service.sentiment,
            default_language=config.bot.default_language,
            reminder_after=inv.reminder_hours * 3600 if inv.reminder_hours > 0 else None,
            clock=clock,
            on_commit=delivery.wake,
            platforms=frozenset(served_platforms(config.telegram.enabled, config.slack.enabled)),
        )
        agent_reports = trends = None
        if config.agent_reports.enabled:
            agent_reports = AgentReports(store, config, clock=clock, on_commit=delivery.wake)
        if config.trend_alerts.enabled:
            trends = TrendWatch(store, config, clock=clock, on_commit=delivery.wake)
        return cls(
            config,
            store,
            service,
            delivery,
            inviter,
            digests=digests,
            trends=trends,
            agent_reports=agent_reports,
            scoring=scoring,
            leases=open_leases(target),  # on the database the store opened
        )

    async def health_facts(self) -> dict[str, int]:
        since = self.service.clock() - REROUTE_WINDOW
        return {"undelivered_alerts": await self.store.undelivered_alerts(since)}

    def install_health(self, http: HttpServer) -> None:
        http.facts = self.health_facts

    def add_channel(self, channel: Channel) -> None:
        self.delivery.channels[channel.platform] = channel

    def start_delivery(self) -> None:
        """The background loops: delivery, and the comment scoring worker when there is one
        (with a one-off warming of the meaning index from the stored comments, so ``/digest``
        after a restart groups the week's complaints, not only those scored since)."""
        self.tasks.append(asyncio.create_task(self.delivery.run(), name="delivery"))
        if self.scoring is not None:
            self.tasks.append(asyncio.create_task(self.scoring.run(), name="scoring"))
            if self.digests is not None and self.scoring.meaning is not None:
                self.tasks.append(asyncio.create_task(self._warm_meaning(self.digests), name="meaning-warm"))

    async def _warm_meaning(self, digests: DigestService) -> None:
        try:
            count = await digests.warm_meaning()
        except Exception:  # a failed warm-up costs /digest its meaning groups, nothing else
            log.exception("could not embed the stored comments for /digest's meaning groups")
            return
        if count:
            log.info("embedded %d stored comments for /digest's meaning groups", count)

    @property
    def delivering(self) -> bool:
        """Whether this process runs the delivery loop (``run`` and the shell; a CLI command does not)."""
        return any(t.get_name() == "delivery" and not t.done() for t in self.tasks)

    async def settle_scoring(self) -> int:
        """Score every pending comment now (the shell, the CLI, tests)."""
        return await self.scoring.drain() if self.scoring is not None else 0

    async def close(self) -> None:
        if self.digests is not None:
            await self.digests.close()
        await self.delivery.stop()
        if self.scoring is not None:
            self.scoring.stop()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.store.close()


def _both(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def call() -> None:
        first()
        second()

    return call


def _data_dir(target: str) -> Path:
    """Where files beside the database go (/mydata exports, until delivered): the SQLite
    file's folder; for a database server (a URL, no folder), the working directory."""
    if "://" in target:
        return Path(os.path.abspath("."))
    return Path(os.path.abspath(target)).parent
