"""Digests: gather a period's facts, compute and compose them, render the charts, and post
each scheduled digest exactly once per period.

* Reading goes through ``storage.reports`` (windowed, index-backed queries), computing and
  composing through the pure ``surveys.digest``, charts through ``bot.charts`` (in a worker
  thread, so the loop keeps serving customers).
* Exactly once: a digest's run for a period is recorded in ``digest_runs`` in the same
  transaction that puts its messages in the outbox. A second run for the same period (a
  restart, a coalesced misfire, the catch-up racing the scheduler, two fires on a DST change)
  finds the record and posts nothing. After downtime, the catch-up posts the digest whose fire
  time passed while the bot was down, once, if that was less than ``grace_hours`` ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.analysis import charts
from bot.analysis.meaning_index import MeaningIndex
from bot.config import Config, DigestConfig, staff_destinations
from bot.cron import crontab_trigger, last_fire
from bot.services.quality import digest_cause_report
from storage.port import Reports, Store, UnitOfWork
from storage.records import CommentFacts
from surveys.causes import CauseReport
from surveys.digest import (
    CAUSES_CHART,
    NEGATIVE_QUOTES,
    POSITIVE_QUOTES,
    SERIES_LENGTH,
    Digest,
    Period,
    PeriodSpec,
    SurveyFacts,
    SurveySummary,
    chart_messages,
    digest_messages,
    last_complete,
    segment_chart_key,
    series_periods,
    span,
    summarise,
)
from surveys.kinds import SCALES, Kind, mood
from surveys.model import Destination, HandleResult, Inbound
from surveys.segments import DEFAULT_MIN_N, SegmentCounts

log = logging.getLogger(__name__)

# Themes come from at most this many of the newest negative comments per survey and period:
# plenty to find recurring words, and it keeps a busy week's digest within its time budget.
THEME_SAMPLE = 200
MEANING_GROUPS = 5  # the largest groups of negative comments by meaning, beside the themes


def negative_max_score(kind: Kind) -> int:
    """The highest score whose mood is negative (NPS 6, CSAT 2, CES 3)."""
    scale = SCALES[kind]
    return max(s for s in range(scale.low, scale.high + 1) if mood(kind, s) == "negative")


@dataclass(frozen=True)
class RunOutcome:
    digest_id: str
    status: str  # posted | already_posted | not_due
    period: Period | None = None
    messages: int = 0

    def describe(self) -> str:
        where = f" for {self.period.label}" if self.period else ""
        extra = f" ({self.messages} messages)" if self.messages else ""
        return f"{self.status.replace('_', ' ')}{where}{extra}"


class DigestService:
    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[], None] = lambda: None,
        chart_dir: str | Path | None = None,
        meaning: MeaningIndex | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.on_commit = on_commit
        self.chart_dir = Path(chart_dir) if chart_dir else default_chart_dir(store.path)
        self.digests: dict[str, DigestConfig] = {d.id: d for d in config.digests}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Embeddings kept by the scoring worker, for grouping negative comments by meaning
        # (None: no model at hand, the digest shows its word themes alone).
        self.meaning = meaning

    # -- gathering -----------------------------------------------------------------------

    async def gather(
        self,
        survey_ids: Sequence[str],
        period: Period,
        *,
        title: str = "digest",
        timezone: str | None = None,
        reports: Reports | None = None,
        segments: Sequence[str] = (),
        min_n: int = DEFAULT_MIN_N,
    ) -> Digest:
        """Read and compute the digest of ``period`` for the surveys. Pass ``reports`` when a
        transaction is already open (it holds the store's lock); otherwise each survey is read
        under the lock on its own, so service turns interleave between surveys. ``segments``
        are the keys each survey's score is broken down by (``min_n``: see surveys.segments)."""
        periods = series_periods(period, SERIES_LENGTH)
        keys = list(dict.fromkeys(segments))
        if "survey" in keys:
            # The surveys side by side: every survey's counts are read first (below).
            all_facts = []
            for sid in survey_ids:
                all_facts.append(await self._read(reports, sid, periods, [k for k in keys if k != "survey"], min_n))
            all_facts = with_survey_segments(all_facts, keys, min_n)
            summaries = [await asyncio.to_thread(summarise, facts) for facts in all_facts]
            tz = timezone or self.config.bot.timezone
            report = await self.causes(reports, survey_ids, period)
            return Digest(title=title, timezone=tz, period=period, surveys=tuple(summaries), causes=report)
        # Each survey's numbers are computed in a worker thread while the next survey is read:
        # SQLite runs in aiosqlite's thread, so reading and computing overlap.
        pending: list[asyncio.Future[SurveySummary]] = []
        try:
            for sid in survey_ids:
                facts = await self._read(reports, sid, periods, keys, min_n)
                pending.append(asyncio.ensure_future(asyncio.to_thread(summarise, facts)))
            summaries = [await task for task in pending]
        finally:
            for task in pending:
                task.cancel()
        tz = timezone or self.config.bot.timezone
        report = await self.causes(reports, survey_ids, period)
        return Digest(title=title, timezone=tz, period=period, surveys=tuple(summaries), causes=report)

    async def causes(self, reports: Reports | None, survey_ids: Sequence[str], period: Period) -> CauseReport | None:
        """Root causes and open corrective actions (issue 19); None when causes are turned off
        or there is nothing to say (no alert resolved with a cause in this period or the one
        before, no open action), so a team that does not name causes sees the digest as before."""
        cause_list = self.config.escalation.causes
        if not cause_list:
            return None
        language, timezone, now = self.config.bot.default_language, self.config.bot.timezone, self.clock()
        if reports is not None:
            return await digest_cause_report(
                reports, period, survey_ids, cause_list, language=language, timezone=timezone, now=now
            )
        async with self.store.reports() as fresh:
            return await digest_cause_report(
                fresh, period, survey_ids, cause_list, language=language, timezone=timezone, now=now
            )

    async def _read(
        self, reports: Reports | None, sid: str, periods: Sequence[Period], keys: Sequence[str], min_n: int
    ) -> SurveyFacts:
        if reports is not None:
            facts = await self._facts(reports, sid, periods, keys, min_n)
        else:
            async with self.store.reports() as fresh:
                facts = await self._facts(fresh, sid, periods, keys, min_n)
        return await self._with_meaning(facts, embed_missing=reports is None)

    async def _with_meaning(self, facts: SurveyFacts, *, embed_missing: bool) -> SurveyFacts:
        """The negative comments grouped by meaning (bot.analysis.meaning_index). Inside a transaction
        (``/digest``) only comments already embedded by the scoring worker are grouped: the
        store's lock is never held while the model runs."""
        if self.meaning is None or len(facts.theme_comments) < 2:
            return facts
        groups = await self.meaning.groups(facts.theme_comments, embed_missing=embed_missing, top=MEANING_GROUPS)
        return replace(facts, meaning_groups=groups)

    async def _facts(
        self,
        reports: Reports,
        survey_id: str,
        periods: Sequence[Period],
        keys: Sequence[str] = (),
        min_n: int = DEFAULT_MIN_N,
    ) -> SurveyFacts:
        survey = self.config.surveys[survey_id]
        current = periods[-1]
        start, end = current.start_ts, current.end_ts
        scale = SCALES[survey.kind]
        scores = range(scale.low, scale.high + 1)
        counts = await reports.score_counts(survey_id, scores, [(p.start_ts, p.end_ts) for p in periods])
        comments = await self._comment_facts(reports, survey_id, start, end)
        return SurveyFacts(
            survey_id=survey_id,
            kind=survey.kind,
            product=survey.product_in("en"),  # staff read English: the English wording if given
            periods=tuple(periods),
            counts=tuple(counts),
            sentiment=comments.sentiment,
            negative=tuple(comments.negative),
            positive=tuple(comments.positive),
            theme_comments=tuple(comments.themes),
            escalations=await reports.escalation_facts(survey_id, start, end),
            rates=tuple(await reports.invitation_counts(survey_id, start, end)),
            self_started=await reports.self_started(survey_id, start, end),
            segments=tuple(await self._segments(reports, survey_id, periods, counts, keys, min_n)),
        )

    async def _comment_facts(self, reports: Reports, survey_id: str, start: float, end: float) -> CommentFacts:
        """The quotes, sentiment mix and theme comments of one survey and span (what a digest reads)."""
        return await reports.comment_facts(
            survey_id,
            start,
            end,
            negative_max_score=negative_max_score(self.config.surveys[survey_id].kind),
            negatives=NEGATIVE_QUOTES,
            positives=POSITIVE_QUOTES,
            theme_limit=THEME_SAMPLE,
        )

    async def warm_meaning(self, now: float | None = None) -> int:
        """Embed the negative comments ``/digest`` would group now (the last complete week and
        this week so far, every survey) that the meaning index does not hold; the number
        embedded. Why: ``/digest`` answers inside the service's transaction and never waits
        for the model, so it groups only comments whose vectors are in memory; after a restart
        that was only the comments scored since. The bot runs this once at start, reading in a
        short transaction of its own per survey and embedding outside any."""
        if self.meaning is None or self.meaning.embedder is None:
            return 0
        now = self.clock() if now is None else now
        tz = ZoneInfo(self.config.bot.timezone)
        last = self.default_period(now)
        spans = [(last.start_ts, last.end_ts)]
        if now > last.end_ts:
            so_far = span(last.end, datetime.fromtimestamp(now, tz))
            spans.append((so_far.start_ts, so_far.end_ts))
        texts: dict[str, None] = {}
        for sid in self.config.surveys:
            async with self.store.reports() as fresh:
                for start, end in spans:
                    facts = await self._comment_facts(fresh, sid, start, end)
                    texts.update(dict.fromkeys(text for text, _ in facts.themes))
        return await self.meaning.warm(list(texts))

    async def _segments(
        self,
        reports: Reports,
        survey_id: str,
        periods: Sequence[Period],
        counts: Sequence[dict[int, int]],
        keys: Sequence[str],
        min_n: int,
    ) -> list[SegmentCounts]:
        """Score counts per value of each key, this period and the one before."""
        if not keys:
            return []
        windows = [(p.start_ts, p.end_ts) for p in periods[-2:]]
        prior_total = counts[-2] if len(counts) > 1 else {}
        wanted = [key for key in keys if key != "survey"]
        kind = self.config.surveys[survey_id].kind
        scale = SCALES[kind]
        read = await reports.segments(survey_id, wanted, windows, range(scale.low, scale.high + 1))
        out = []
        for key in wanted:
            prior, current = (read[key][0], read[key][1]) if len(windows) == 2 else ({}, read[key][0])
            out.append(SegmentCounts(key, current, prior, counts[-1], prior_total, min_n))
        return out

    async def trend(self, survey_ids: Sequence[str], spec: PeriodSpec, count: int, now: float) -> list[SurveySummary]:
        """Score over time: ``count`` complete periods ending with the last complete one, one
        value with its interval and n each (one index-backed count per survey)."""
        tz = ZoneInfo(self.config.bot.timezone)
        periods = series_periods(last_complete(spec, datetime.fromtimestamp(now, tz)), count)
        summaries = []
        for sid in survey_ids:
            survey = self.config.surveys[sid]
            scale = SCALES[survey.kind]
            async with self.store.reports() as reports:
                counts = await reports.score_counts(
                    sid, range(scale.low, scale.high + 1), [(p.start_ts, p.end_ts) for p in periods]
                )
            product = survey.product_in("en")  # staff read English
            summaries.append(summarise(SurveyFacts(sid, survey.kind, product, periods, tuple(counts))))
        return summaries

    # -- charts --------------------------------------------------------------------------

    async def render_charts(self, digest: Digest, stem: str, directory: Path | None = None) -> dict[str, str]:
        """One PNG per survey with responses in the series (in a worker thread). A chart that
        fails to render is logged and left out: the numbers still go out."""
        folder = directory or self.chart_dir
        out: dict[str, str] = {}
        for summary in digest.surveys:
            if not any(p.n for p in summary.series):
                continue
            path = folder / f"{stem}-{summary.facts.survey_id}.png"
            try:
                await asyncio.to_thread(charts.render_chart, summary, path)
            except Exception:
                log.exception("could not render the chart of %s", summary.facts.survey_id)
                continue
            out[summary.facts.survey_id] = str(path)
            for table in summary.segments:
                if not any(row.n for row in table.rows):
                    continue
                path = folder / f"{stem}-{summary.facts.survey_id}-by-{file_safe(table.key)}.png"
                try:
                    await asyncio.to_thread(charts.render_segments, summary, table, path)
                except Exception:
                    log.exception("could not render the %s chart of %s", table.key, summary.facts.survey_id)
                    continue
                out[segment_chart_key(summary.facts.survey_id, table.key)] = str(path)
        if digest.causes is not None and digest.causes.rows:
            path = folder / f"{stem}-causes.png"
            try:
                await asyncio.to_thread(charts.render_pareto, digest.causes, path)
                out[CAUSES_CHART] = str(path)
            except Exception:
                log.exception("could not render the root-cause chart")
        with contextlib.suppress(OSError):
            await asyncio.to_thread(charts.prune_charts, folder, self.clock())
        return out

    # -- scheduled digests: exactly once per period --------------------------------------

    def due_period(self, cfg: DigestConfig, now: float) -> Period | None:
        """The period the digest should have posted by ``now``: the one before its latest fire
        time, if that fire was at most ``grace_hours`` ago; None otherwise."""
        tz = ZoneInfo(cfg.timezone)
        moment = datetime.fromtimestamp(now, tz)
        fire = last_fire(crontab_trigger(cfg.cron, cfg.timezone), moment, timedelta(hours=cfg.grace_hours))
        if fire is None:
            return None
        return last_complete(PeriodSpec.parse(cfg.period), fire.astimezone(tz))

    def _lock(self, digest_id: str) -> asyncio.Lock:
        return self._locks.setdefault(digest_id, asyncio.Lock())

    async def run_due(self, digest_id: str, now: float | None = None) -> RunOutcome:
        """The scheduled job: post the digest's due period unless it was already posted."""
        cfg = self.digests[digest_id]
        now = self.clock() if now is None else now
        period = self.due_period(cfg, now)
        if period is None:
            return RunOutcome(digest_id, "not_due")
        async with self._lock(digest_id):
            async with self.store.reports() as reports:
                status = await reports.digest_run(digest_id, period.key)
            if status is not None:
                return RunOutcome(digest_id, "already_posted", period)
            digest = await self.gather(
                cfg.surveys,
                period,
                title=cfg.id,
                timezone=cfg.timezone,
                segments=cfg.segments,
                min_n=cfg.segment_min_n,
            )
            stem = f"{cfg.id}-{period.start:%Y%m%d}"
            chart_files = await self.render_charts(digest, stem) if cfg.chart else {}
            destinations = [Destination.parse(d) for d in cfg.destinations]
            messages = digest_messages(digest, destinations, chart_files, ref_prefix=f"digest:{cfg.id}:{stem}")
            async with self.store.transaction() as tx:
                recorded = await (await tx.reports()).record_run(
                    digest_id, period.key, period.end.isoformat(), "posted", self.clock()
                )
                if not recorded:
                    return RunOutcome(digest_id, "already_posted", period)
                await tx.enqueue(messages, self.clock())
        self.on_commit()
        return RunOutcome(digest_id, "posted", period, len(messages))

    async def catch_up(self, now: float | None = None) -> list[RunOutcome]:
        """At start-up: post every digest whose fire time passed while the bot was down
        (within its grace time) and that was not posted yet."""
        outcomes = []
        for digest_id in self.digests:
            try:
                outcomes.append(await self.run_due(digest_id, now))
            except Exception:
                log.exception("digest %s: catch-up failed", digest_id)
        return outcomes

    # -- on demand -------------------------------------------------------------------------

    def default_period(self, now: float, timezone: str | None = None) -> Period:
        """On demand, a digest reports the last complete ISO week (what the Monday digest shows)."""
        tz = ZoneInfo(timezone or self.config.bot.timezone)
        return last_complete(PeriodSpec("week"), datetime.fromtimestamp(now, tz))

    def resolve_surveys(self, requested: Iterable[str]) -> list[str]:
        """The requested survey ids (all when none); ValueError naming an unknown one."""
        chosen = [s for s in requested if s]
        for sid in chosen:
            if sid not in self.config.surveys:
                raise ValueError(f"no survey {sid!r} (surveys: {', '.join(self.config.surveys)})")
        return list(dict.fromkeys(chosen)) or list(self.config.surveys)

    def check_segments(self, keys: Sequence[str]) -> None:
        """Anonymous mode never breaks scores down by a context key that identifies people
        (each segment would be one person's scores, named)."""
        for key in keys:
            if self.config.privacy.identifying(key):
                raise ValueError(f"{key!r} identifies customers, and anonymous mode hides it: segment by another key")

    async def on_demand(self, tx: UnitOfWork, inbound: Inbound, now: float) -> HandleResult:
        """``/digest [survey] [by KEY] [now]`` in a staff chat, posted in that chat: the last
        complete week (named, with a pointer to ``now``), or with ``now`` this week so far.
        Runs inside the event's transaction (the numbers go out with the event, exactly once);
        the charts are rendered after, outside the lock, and follow in their own transaction."""
        command = "/feedback digest" if inbound.platform == "slack" else "/digest"
        try:
            request = parse_on_demand(inbound.args)
            surveys = self.resolve_surveys(request.surveys)
            self.check_segments(request.keys)
        except ValueError as exc:
            return HandleResult(toast=f"Usage: {command} [survey] [by KEY] [now]. {str(exc).capitalize()}.")
        tz = ZoneInfo(self.config.bot.timezone)
        period = self.default_period(now)
        note = ""
        if request.so_far and now > period.end_ts:
            period = span(period.end, datetime.fromtimestamp(now, tz))
            note = (
                f"This week so far, {period.start:%a %d %b} 00:00 to {period.end:%a %d %b %H:%M}, compared with "
                "the same span just before it. Numbers can still change."
            )
        else:
            last = period.label
            note = f"Last complete week: {last}. For this week so far: {command} now"
        digest = await self.gather(
            surveys,
            period,
            title="on demand",
            reports=await tx.reports(),
            segments=request.keys,
        )
        digest = replace(digest, note=note)
        here = Destination(inbound.platform, inbound.chat_id)
        await tx.enqueue(digest_messages(digest, [here], {}), now)
        if request.so_far:
            return HandleResult()  # a partial week has no meaningful 12-period chart
        task = asyncio.create_task(self._charts_after(digest, here, inbound.event_id), name="digest-charts")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return HandleResult()

    async def _charts_after(self, digest: Digest, dest: Destination, event_id: str) -> None:
        try:
            stem = f"ondemand-{digest.period.start:%Y%m%d}-{secrets.token_hex(4)}"
            files = await self.render_charts(digest, stem)
            if not files:
                return
            messages = [m for m in chart_messages(digest, [dest], files)]
            async with self.store.transaction() as tx:
                # Waits for the request's own transaction; if that rolled back, post nothing.
                if not await (await tx.reports()).event_processed(event_id):
                    return
                await tx.enqueue(messages, self.clock())
            self.on_commit()
        except Exception:
            log.exception("could not post the charts of an on-demand digest")

    async def post(self, digest: Digest, destinations: Sequence[Destination], chart_files: dict[str, str]) -> int:
        """Queue an ad-hoc digest (``feedbackbot digest --post``) in the outbox; not recorded in
        ``digest_runs``, which only tracks scheduled periods."""
        messages = digest_messages(digest, destinations, chart_files)
        now = self.clock()
        async with self.store.transaction() as tx:
            await tx.enqueue(messages, now)
        self.on_commit()
        return len(messages)

    def post_destinations(self, survey_ids: Iterable[str]) -> list[Destination]:
        """Where ``--post`` sends: the destinations of every configured digest covering one of
        the surveys, else the staff chats."""
        wanted = set(survey_ids)
        found: dict[str, None] = {}
        for cfg in self.config.digests:
            if wanted & set(cfg.surveys):
                found.update(dict.fromkeys(cfg.destinations))
        return [Destination.parse(d) for d in (found or dict.fromkeys(staff_destinations(self.config)))]

    async def close(self) -> None:
        """Let on-demand chart tasks finish (briefly), then cancel what is left."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=10)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def with_survey_segments(all_facts: Sequence[SurveyFacts], keys: Sequence[str], min_n: int) -> list[SurveyFacts]:
    """The ``survey`` segment: every survey of the same kind side by side, in each of them,
    at the place ``survey`` has among the keys asked for."""
    out = []
    for facts in all_facts:
        same = [f for f in all_facts if f.kind is facts.kind]
        table = SegmentCounts(
            "survey",
            {f.survey_id: f.counts[-1] for f in same},
            {f.survey_id: f.counts[-2] if len(f.counts) > 1 else {} for f in same},
            min_n=min_n,
        )
        by_key = {s.key: s for s in facts.segments} | {"survey": table}
        out.append(replace(facts, segments=tuple(by_key[k] for k in keys if k in by_key)))
    return out


def default_chart_dir(db_path: str) -> Path:
    """``<database folder>/charts``; a temporary folder for an in-memory database or a
    database server (PostgreSQL: the store names it by URL, which is no folder)."""
    if db_path == ":memory:" or not db_path or "://" in db_path:
        return Path(tempfile.gettempdir()) / "feedbackbot-charts"
    return Path(db_path).resolve().parent / "charts"


@dataclass(frozen=True)
class OnDemand:
    surveys: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    so_far: bool = False


def parse_on_demand(args: str) -> OnDemand:
    """``[survey] [by KEY ...] [now | so far]`` in any order; ValueError says what is wrong."""
    tokens = args.split()
    surveys: list[str] = []
    keys: list[str] = []
    so_far = False
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        if word == "by":
            if i + 1 >= len(tokens):
                raise ValueError("'by' needs a key, for example: by agent")
            keys.append(tokens[i + 1])
            i += 2
            continue
        if word in ("now", "sofar", "so-far"):
            so_far = True
        elif word == "so" and i + 1 < len(tokens) and tokens[i + 1].lower() == "far":
            so_far = True
            i += 1
        else:
            surveys.append(tokens[i])
        i += 1
    if len(surveys) > 1:
        raise ValueError(f"one survey at most, got {', '.join(surveys)}")
    return OnDemand(tuple(surveys), tuple(dict.fromkeys(keys)), so_far)


def file_safe(key: str) -> str:
    """A context key as part of a file name: letters, digits, - and _ kept, the rest as _."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key)[:40]
