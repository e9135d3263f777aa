"""``feedbackbot digest``: a digest, a trend or the root causes printed as text, Markdown or JSON,
with ``--chart`` files and ``--post`` to the configured destinations. The digests themselves are
gathered and posted by :class:`bot.services.digests.DigestService`; this is their command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.analysis import charts
from bot.bootstrap.runtime import Runtime
from bot.services.digests import file_safe
from bot.services.quality import cause_report
from surveys.causes import cause_json, cause_text
from surveys.digest import (
    Period,
    PeriodSpec,
    digest_blocks,
    last_complete,
    parse_trend,
    render_markdown,
    render_text,
    segment_chart_key,
    span,
    to_json,
    trend_blocks,
    trend_json,
)


def window(since: float | None, until: float | None, now: float, timezone: str) -> Period:
    """The period for ``feedbackbot digest``: ``--since``/``--until`` (either may be left out:
    a week before ``--until``, or up to now), else the last complete week."""
    tz = ZoneInfo(timezone)
    if since is None and until is None:
        return last_complete(PeriodSpec("week"), datetime.fromtimestamp(now, tz))
    end = datetime.fromtimestamp(until if until is not None else now, tz)
    start = datetime.fromtimestamp(since, tz) if since is not None else end - timedelta(days=7)
    return span(start, end)


async def cli_digest(
    runtime: Runtime, args: argparse.Namespace, since: float | None, until: float | None, out: TextIO, err: TextIO
) -> int:
    """``feedbackbot digest``: print the digest; ``--chart FILE`` writes the chart(s);
    ``--post`` queues it in the outbox for the configured destinations."""
    service = runtime.digests
    assert service is not None
    try:
        surveys = service.resolve_surveys(args.survey)
        period = window(since, until, service.clock(), runtime.config.bot.timezone)
        trend = parse_trend(args.trend) if args.trend else None
        service.check_segments(args.by or ())
    except ValueError as exc:
        print(f"feedbackbot: {exc}", file=err)
        return 2
    if trend is not None:
        return await _cli_trend(runtime, args, surveys, trend, until, out, err)
    if getattr(args, "causes", False):
        return await _cli_causes(runtime, args, surveys, period, out, err)
    digest = await service.gather(surveys, period, title="digest", segments=args.by, min_n=args.min_n)
    blocks = digest_blocks(digest)
    if args.format == "json":
        out.write(json.dumps(to_json(digest), ensure_ascii=False, indent=2) + "\n")
    elif args.format == "markdown":
        out.write(render_markdown(blocks))
    else:
        out.write(render_text(blocks))
    out.flush()
    chart_files: dict[str, str] = {}
    if args.chart:
        target = Path(args.chart)
        for summary in digest.surveys:
            sid = summary.facts.survey_id
            path = chart_path(target, sid, len(digest.surveys))
            await asyncio.to_thread(charts.render_chart, summary, path)
            chart_files[sid] = str(path.resolve())
            print(f"chart written to {path}", file=err)
            for table in summary.segments:
                if not any(row.n for row in table.rows):
                    continue
                path = chart_path(target, sid, len(digest.surveys), f"-by-{file_safe(table.key)}")
                await asyncio.to_thread(charts.render_segments, summary, table, path)
                chart_files[segment_chart_key(sid, table.key)] = str(path.resolve())
                print(f"chart written to {path}", file=err)
    if args.post:
        if not args.chart:
            stem = f"adhoc-{period.start:%Y%m%d}-{secrets.token_hex(4)}"
            chart_files = await service.render_charts(digest, stem)
        destinations = service.post_destinations(surveys)
        count = await service.post(digest, destinations, chart_files)
        where = ", ".join(str(d) for d in destinations)
        print(f"queued {count} messages for {where}; the running bot delivers them", file=err)
    return 0


def chart_path(target: Path, survey_id: str, surveys: int, suffix: str = "") -> Path:
    """Where ``--chart FILE`` writes: FILE itself for one survey, ``FILE-<survey>.png`` for
    several; a segment chart adds ``-by-<key>`` (see README, "Charts")."""
    stem = target.stem if surveys == 1 and not suffix else f"{target.stem}-{survey_id}"
    return target.with_name(f"{stem}{suffix}{target.suffix or '.png'}")


async def _cli_trend(
    runtime: Runtime,
    args: argparse.Namespace,
    surveys: Sequence[str],
    trend: tuple[PeriodSpec, int],
    until: float | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """``feedbackbot digest --trend 12w``: one row per period, and the chart with ``--chart``."""
    service = runtime.digests
    assert service is not None
    spec, count = trend
    summaries = await service.trend(surveys, spec, count, until if until is not None else service.clock())
    if args.format == "json":
        out.write(json.dumps(trend_json(summaries, runtime.config.bot.timezone), ensure_ascii=False, indent=2) + "\n")
    else:
        blocks = [b for s in summaries for b in trend_blocks(s)]
        out.write(render_markdown(blocks) if args.format == "markdown" else render_text(blocks))
    out.flush()
    if args.chart:
        for summary in summaries:
            path = chart_path(Path(args.chart), summary.facts.survey_id, len(summaries))
            await asyncio.to_thread(charts.render_chart, summary, path)
            print(f"chart written to {path}", file=err)
    return 0


async def _cli_causes(
    runtime: Runtime, args: argparse.Namespace, surveys: Sequence[str], period: Period, out: TextIO, err: TextIO
) -> int:
    """``feedbackbot digest --causes``: only the root-cause Pareto and the open actions."""
    service = runtime.digests
    assert service is not None
    cfg = runtime.config
    async with service.store.reports() as fresh:
        report = await cause_report(
            fresh,
            period,
            surveys,
            cfg.escalation.causes,
            language=cfg.bot.default_language,
            timezone=cfg.bot.timezone,
            now=service.clock(),
        )
    if args.format == "json":
        out.write(json.dumps(cause_json(report), ensure_ascii=False, indent=2) + "\n")
    elif args.format == "markdown":
        out.write("```\n" + cause_text(report) + "```\n")
    else:
        out.write(cause_text(report))
    out.flush()
    if args.chart:
        if not report.rows:
            print("no chart: no alert was resolved in this period", file=err)
        else:
            path = Path(args.chart)
            await asyncio.to_thread(charts.render_pareto, report, path)
            print(f"chart written to {path}", file=err)
    return 0
