"""Digest charts: the score per period with its 95% band, and the response count, as a PNG.

Rendered with matplotlib's object API on the Agg canvas (no pyplot state, no display), so it
is safe to call from a worker thread while the event loop keeps running.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

from surveys.digest import SurveySummary
from surveys.kinds import SCALES, Kind

SCORE_COLOUR = "#1f6fb2"
BAND_COLOUR = "#9cc3e6"
BAR_COLOUR = "#d9d9d9"
KEEP_CHARTS_DAYS = 30

_AXIS = {
    Kind.NPS: ("NPS", (-100.0, 100.0)),
    Kind.CSAT: ("CSAT, % satisfied", (0.0, 100.0)),
    Kind.CES: ("CES, mean effort", (float(SCALES[Kind.CES].low), float(SCALES[Kind.CES].high))),
}


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def render_chart(summary: SurveySummary, path: str | Path, *, title: str | None = None) -> Path:
    """Write the chart of one survey's series to ``path`` (PNG, written atomically)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    series = summary.series
    x = list(range(len(series)))
    labels = [p.period.short_label for p in series]
    values = [_nan(p.value) for p in series]
    lows = [_nan(p.low) for p in series]
    highs = [_nan(p.high) for p in series]
    counts = [p.n for p in series]
    axis_label, (y_min, y_max) = _AXIS[summary.kind]

    fig = Figure(figsize=(8.0, 4.2), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.twinx()
    # Bars behind, the score line in front: the score axis is drawn above the count axis.
    bars.bar(x, counts, color=BAR_COLOUR, width=0.6, label="responses")
    bars.set_ylabel("responses")
    # Bars use the lower third, so they never hide the score line and its band.
    top = max([*counts, 1])
    bars.set_ylim(0, top * 3)
    bars.set_yticks([t for t in MaxNLocator(4, integer=True).tick_values(0, top) if 0 <= t <= top])
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.fill_between(x, lows, highs, color=BAND_COLOUR, alpha=0.45, linewidth=0, label="95% interval")
    ax.plot(x, values, color=SCORE_COLOUR, marker="o", linewidth=2, label=axis_label.split(",")[0])
    if summary.kind is Kind.NPS:
        ax.axhline(0, color="#888888", linewidth=0.8)
    last = series[-1] if series else None
    if last is not None and last.value is not None:
        shown = f"{last.value:+.0f}".replace("-", "−") if summary.kind is Kind.NPS else f"{last.value:.0f}%"
        if summary.kind is Kind.CES:
            shown = f"{last.value:.2f}"
        ax.annotate(shown, (x[-1], last.value), xytext=(6, 6), textcoords="offset points", color=SCORE_COLOUR)
    ax.set_ylim(y_min, y_max)
    ax.set_ylabel(axis_label)
    ax.set_xticks(x, labels, rotation=45 if len(series) > 8 else 0, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    facts = summary.facts
    noun = summary.period.spec.noun
    ax.set_title(
        title or f"{facts.product} · {facts.kind.value.upper()} ({facts.survey_id}) per {noun}", loc="left", pad=22
    )
    handles = ax.get_legend_handles_labels()
    more = bars.get_legend_handles_labels()
    ax.legend(
        handles[0] + more[0], handles[1] + more[1], loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3,
        fontsize=8, frameon=False,
    )

    fd, tmp = tempfile.mkstemp(prefix=".chart-", suffix=".png", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            fig.savefig(out, format="png")
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
