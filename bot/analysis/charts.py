"""Digest charts: the score per period with its 95% band, and the response count, as a PNG.

Rendered with matplotlib's object API on the Agg canvas (no pyplot state, no display), so it
is safe to call from a worker thread while the event loop keeps running.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from surveys.causes import CauseReport
from surveys.digest import SeriesPoint, SurveySummary
from surveys.kinds import SCALES, Kind
from surveys.segments import SegmentTable

SCORE_COLOUR = "#1f6fb2"
BAND_COLOUR = "#9cc3e6"
BAR_COLOUR = "#d9d9d9"
KEEP_CHARTS_DAYS = 30

_AXIS = {
    Kind.NPS: ("NPS (−100 to +100)", (-100.0, 100.0)),
    Kind.CSAT: ("CSAT, % satisfied (4–5 of 5)", (0.0, 100.0)),
    Kind.CES: ("CES mean, 1–7 (higher = easier)", (float(SCALES[Kind.CES].low), float(SCALES[Kind.CES].high))),
}
_X_TITLE = {"week": "week starting (Monday)", "month": "month", "days": "period starting", "span": "period starting"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CHART_MODE = 0o644  # the bot may run as another user than whoever reads the file


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _tick(start: date, unit: str, with_year: bool) -> str:
    """``5 Jan`` or ``5 Jan\n2026`` (the year on the first tick and where it changes); months
    as ``Jan\n2026``."""
    text = _MONTHS[start.month - 1] if unit == "month" else f"{start.day} {_MONTHS[start.month - 1]}"
    return f"{text}\n{start.year}" if with_year else text


def tick_labels(series: Sequence[SeriesPoint]) -> list[str]:
    """One label per period: its first day, with the year where it first appears."""
    labels = []
    year = None
    for point in series:
        start = point.period.start.date()
        labels.append(_tick(start, point.period.spec.unit, start.year != year))
        year = start.year
    return labels


def _shown(kind: Kind, value: float) -> str:
    if kind is Kind.NPS:
        return f"{value:+.0f}".replace("-", "−")
    if kind is Kind.CSAT:
        return f"{value:.0f}%"
    return f"{value:.2f}"


def render_chart(summary: SurveySummary, path: str | Path, *, title: str | None = None) -> Path:
    """Write the chart of one survey's series to ``path`` (PNG, written atomically, mode 0644).

    Two panels sharing the x axis: the score with its 95% band on top, the responses per period
    as bars below, so neither hides the other and no second y axis cuts through the band."""
    return render_series(summary.series, summary.kind, path, title=title or _title(summary))


def _title(summary: SurveySummary) -> str:
    facts = summary.facts
    series = summary.series
    span_text = f"{series[0].period.label} to {series[-1].period.label}" if series else ""
    if series and series[0].period.spec.unit == "week":
        first = series[0].period.start.date()
        last = series[-1].period.end.date() - timedelta(days=1)
        span_text = (
            f"{first.day} {_MONTHS[first.month - 1]} {first.year} – {last.day} {_MONTHS[last.month - 1]} {last.year}"
        )
    return (
        f"{facts.product} · {facts.kind.value.upper()} ({facts.survey_id}) per {summary.period.spec.noun}, {span_text}"
    )


def render_series(series: Sequence[SeriesPoint], kind: Kind, path: str | Path, *, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    x = list(range(len(series)))
    values = [_nan(p.value) for p in series]
    lows = [_nan(p.low) for p in series]
    highs = [_nan(p.high) for p in series]
    counts = [p.n for p in series]
    axis_label, (y_min, y_max) = _AXIS[kind]

    fig = Figure(figsize=(8.0, 5.0), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax, bars = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.fill_between(x, lows, highs, color=BAND_COLOUR, alpha=0.6, linewidth=0, label="95% interval")
    ax.plot(x, values, color=SCORE_COLOUR, marker="o", linewidth=2, label=axis_label.split(",")[0].split(" (")[0])
    if kind is Kind.NPS:
        ax.axhline(0, color="#888888", linewidth=0.8)
    last = series[-1] if series else None
    if last is not None and last.value is not None:
        ax.annotate(
            _shown(kind, last.value),
            (x[-1], last.value),
            xytext=(6, 6),
            textcoords="offset points",
            color=SCORE_COLOUR,
            fontweight="bold",
        )
    ax.set_ylim(y_min, y_max)
    ax.set_ylabel(axis_label)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(loc="lower left", ncols=2, fontsize=8, frameon=False)

    bars.bar(x, counts, color=BAR_COLOUR, width=0.6, edgecolor="#999999", linewidth=0.5)
    bars.set_ylabel("responses")
    bars.set_ylim(0, max([*counts, 1]) * 1.25)
    bars.yaxis.set_major_locator(MaxNLocator(3, integer=True))
    bars.grid(axis="y", alpha=0.3)
    unit = series[0].period.spec.unit if series else "week"
    bars.set_xlabel(_X_TITLE.get(unit, "period starting"))
    bars.set_xticks(x, tick_labels(series), fontsize=8)
    if len(series) > 16:  # keep every other label readable
        for i, label in enumerate(bars.get_xticklabels()):
            label.set_visible(i % 2 == (len(series) - 1) % 2 or "\n" in label.get_text())

    return _save(fig, path)


def render_segments(summary: SurveySummary, table: SegmentTable, path: str | Path) -> Path:
    """Segments ranked best first, each as its score with a 95% interval bar and its n, against
    the survey's own score and band: where intervals do not overlap the band, the difference is
    likely real. Low-sample segments are drawn hollow."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [r for r in table.rows if r.score is not None]
    kind = summary.kind
    axis_label, (x_min, x_max) = _AXIS[kind]
    fig = Figure(figsize=(8.0, 1.6 + 0.42 * max(len(rows), 1)), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    total, band = summary.series[-1].value, summary.series[-1]
    if total is not None and band.low is not None and band.high is not None:
        ax.axvspan(band.low, band.high, color=BAND_COLOUR, alpha=0.35, linewidth=0, label="all responses, 95% interval")
        ax.axvline(total, color="#555555", linestyle="--", linewidth=1, label=f"all responses: {_shown(kind, total)}")
    y = list(range(len(rows)))[::-1]  # best at the top
    for row, at in zip(rows, y, strict=True):
        assert row.score is not None
        low = row.interval.low if row.interval else row.score
        high = row.interval.high if row.interval else row.score
        ax.plot([low, high], [at, at], color=SCORE_COLOUR, linewidth=2.5, solid_capstyle="butt")
        hollow = row.low_sample
        ax.plot(
            [row.score],
            [at],
            marker="o",
            markersize=8,
            color=SCORE_COLOUR,
            markerfacecolor="white" if hollow else SCORE_COLOUR,
        )
        ax.annotate(
            f"{_shown(kind, row.score)}  n={row.n}{' (low sample)' if hollow else ''}",
            (high, at),
            xytext=(6, -3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_yticks(y, [r.label for r in rows], fontsize=9)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(x_min, x_max)
    ax.set_xlabel(axis_label)
    ax.grid(axis="x", alpha=0.3)
    facts = summary.facts
    ax.set_title(
        f"{facts.product} · {facts.kind.value.upper()} ({facts.survey_id}) by {table.key}, {summary.period.label}",
        loc="left",
        fontsize=10,
        pad=20,
    )
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, fontsize=8, frameon=False)
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".chart-", suffix=".png", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            fig.savefig(out, format="png")
        os.chmod(tmp, CHART_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def prune_charts(directory: str | Path, now: float | None = None, keep_days: float = KEEP_CHARTS_DAYS) -> int:
    """Delete chart files older than ``keep_days`` (they were delivered long ago)."""
    folder = Path(directory)
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    removed = 0
    for file in folder.glob("*.png"):
        try:
            if file.stat().st_mtime < cutoff:
                file.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def render_pareto(report: CauseReport, path: str | Path) -> Path:
    """The Pareto of root causes: a bar per cause (most frequent first, "other" and causes
    not given last) with its count, and the cumulative share as a line on the right axis,
    with a dashed line at 80%: the causes left of where the line crosses it are the few
    that explain most complaints."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [r for r in report.rows if r.count > 0]
    labels = [report.name(r.cause) for r in rows]
    fig = Figure(figsize=(max(6.0, 1.2 * len(rows) + 2.5), 4.4), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(len(rows)))
    bars = ax.bar(xs, [r.count for r in rows], color=SCORE_COLOUR, width=0.65)
    for bar, row in zip(bars, rows, strict=True):
        change = row.count - row.previous
        note = f"{row.count} ({row.share:.0%})\n{change:+d} vs prev" if row.previous or change else f"{row.count}"
        ax.annotate(
            note,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(xs, [label if len(label) <= 16 else label.replace(" ", "\n", 1) for label in labels], fontsize=8)
    ax.set_ylabel("alerts resolved")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    top = max((r.count for r in rows), default=1)
    ax.set_ylim(0, top * 1.3)
    ax.grid(axis="y", alpha=0.3)
    right = ax.twinx()
    right.plot(xs, [r.cumulative * 100 for r in rows], color="#c0392b", marker="o", linewidth=1.8)
    right.axhline(80, color="#c0392b", linestyle="--", linewidth=0.9, alpha=0.7)
    right.set_ylim(0, 105)
    right.set_ylabel("cumulative share (%)", color="#c0392b")
    ax.set_title(f"Root causes, {report.period_label} · {report.resolved_text}", loc="left", fontsize=10)
    return _save(fig, path)
