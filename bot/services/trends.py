"""Trend alerts: check every few minutes whether a survey's score in the period so far has
fallen significantly against the previous period or the trailing ones, and if so tell the
managers at once, once per survey and period (recorded in ``trend_alerts`` in the same
transaction that queues the message). The statistics are in the pure ``surveys.trends``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config, TrendAlertConfig, staff_destinations
from storage.port import Reports, Store
from surveys.digest import Period, PeriodSpec, last_complete, plain_text, series_periods
from surveys.kinds import SCALES, Kind
from surveys.model import Destination, OutMessage
from surveys.segments import SegmentCounts, SegmentRow, moved_most, segment_table
from surveys.trends import alert_blocks, find_drop

log = logging.getLogger(__name__)
MOVED = 3  # segments named in an alert


@dataclass(frozen=True)
class TrendOutcome:
    survey_id: str
    status: str  # alerted | already_alerted | steady
    period_start: str
    against: str = ""
    p_value: float | None = None


class TrendWatch:
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
        self.settings: TrendAlertConfig = config.trend_alerts
        self.clock = clock
        self.on_commit = on_commit

    def surveys(self) -> list[str]:
        return list(self.settings.surveys or self.config.surveys)

    def segment_keys(self) -> list[str]:
        keys = self.settings.segments or tuple(k for d in self.config.digests for k in d.segments)
        return [k for k in dict.fromkeys(keys) if k != "survey"]

    def destinations(self, survey_id: str) -> list[Destination]:
        chosen = self.settings.destinations
        if not chosen:
            found = [d for cfg in self.config.digests if survey_id in cfg.surveys for d in cfg.destinations]
            chosen = tuple(dict.fromkeys(found)) or staff_destinations(self.config)
        return [Destination.parse(d) for d in chosen]

    def windows(self, now: float) -> tuple[Period, Period, tuple[Period, ...]]:
        """The period in progress (its start until now), the complete one before it, and the
        trailing complete ones before it (oldest first)."""
        tz = ZoneInfo(self.config.bot.timezone)
        spec = PeriodSpec(self.settings.period)
        moment = datetime.fromtimestamp(now, tz)
        last = last_complete(spec, moment)
        current = Period(spec, last.end, moment)
        if current.end <= current.start:  # exactly at the boundary: nothing in progress yet
            current = Period(spec, last.end, last.end)
        trailing = series_periods(last, self.settings.trailing)
        return current, last, trailing

    async def check(self, now: float | None = None) -> list[TrendOutcome]:
        now = self.clock() if now is None else now
        current, last, trailing = self.windows(now)
        outcomes = []
        for sid in self.surveys():
            try:
                outcomes.append(await self._check_one(sid, current, last, trailing, now))
            except Exception:
                log.exception("trend check of %s failed", sid)
        return outcomes

    async def _check_one(
        self, sid: str, current: Period, last: Period, trailing: tuple[Period, ...], now: float
    ) -> TrendOutcome:
        survey = self.config.surveys[sid]
        scale = SCALES[survey.kind]
        key = current.key
        windows = [(p.start_ts, p.end_ts) for p in trailing] + [(current.start_ts, now)]
        async with self.store.reports() as reports:
            if await reports.trend_alerted(sid, key):
                return TrendOutcome(sid, "already_alerted", key)
            counts = await reports.score_counts(sid, range(scale.low, scale.high + 1), windows)
            drop = find_drop(
                survey.kind,
                counts[-1],
                counts[-2],
                counts[:-1],
                min_n=self.settings.min_n,
                level=self.settings.level,
            )
            if drop is None:
                return TrendOutcome(sid, "steady", key)
            baseline = (last.start_ts, last.end_ts)
            if drop.against == "trailing":
                baseline = (trailing[0].start_ts, trailing[-1].end_ts)
            moved = await self._moved(reports, sid, survey.kind, baseline, (current.start_ts, now))
        noun = current.spec.noun
        since = f"this {noun} so far (since {current.start:%a %d %b})"
        before = (
            f"previous {noun} ({last.label})"
            if drop.against == "previous"
            else f"previous {len(trailing)} {noun}s ({trailing[0].start:%d %b} – {last.label})"
        )
        blocks = alert_blocks(
            kind=survey.kind,
            survey_id=sid,
            product=survey.product_in("en"),
            current_label=since[0].upper() + since[1:],
            baseline_label=before[0].upper() + before[1:],
            drop=drop,
            moved=moved,
        )
        assert drop.change.p_value is not None and drop.change.delta is not None
        messages = [
            OutMessage(dest, plain_text(blocks), blocks=blocks, ref_key=f"trend:{sid}:{key}:{dest}", audience="staff")
            for dest in self.destinations(sid)
        ]
        async with self.store.transaction() as tx:
            recorded = await (await tx.reports()).record_trend_alert(
                sid, key, drop.against, drop.change.p_value, drop.change.delta, self.clock()
            )
            if not recorded:
                return TrendOutcome(sid, "already_alerted", key)
            await tx.enqueue(messages, self.clock())
        self.on_commit()
        log.info("trend alert for %s: %s", sid, plain_text(blocks).splitlines()[0])
        return TrendOutcome(sid, "alerted", key, drop.against, drop.change.p_value)

    async def _moved(
        self,
        reports: Reports,
        sid: str,
        kind: Kind,
        baseline: tuple[float, float],
        current: tuple[float, float],
    ) -> list[tuple[str, SegmentRow]]:
        """The segments whose score fell most between the baseline and now, across the keys."""
        rows: list[tuple[str, SegmentRow]] = []
        for key in self.segment_keys():
            scale = SCALES[kind]
            before, now = await reports.segment_counts(sid, key, [baseline, current], range(scale.low, scale.high + 1))
            table = segment_table(kind, SegmentCounts(key, now, before, min_n=1))
            rows += [(key, row) for row in moved_most(table, MOVED) if (row.change.delta or 0) < 0]
        rows.sort(key=lambda item: item[1].change.delta or 0.0)
        return rows[:MOVED]
