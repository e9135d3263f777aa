"""Score over time (``feedbackbot digest --trend``) and the chart a manager reads without help:
two panels, dates with the year, an axis title, files others can read."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib.image
import numpy as np

from bot.analysis import charts
from bot.cli.digest import chart_path
from surveys.digest import PeriodSpec, SurveyFacts, last_complete, series_periods, summarise
from surveys.kinds import Kind
from tests import reads
from tests.conftest import feedbackbot
from tests.history import past_responses
from tests.integration.test_digests import BERLIN, ROOT


def colour(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def test_chart_has_score_panel_above_response_bars_dates_with_year_and_mode_0644(tmp_path: Path) -> None:
    periods = series_periods(last_complete(PeriodSpec("week"), datetime(2026, 1, 12, 9, tzinfo=BERLIN)))
    counts = tuple({10: 5, 3: 20 + i} for i in range(len(periods)))  # NPS about −65: low, near the bars
    summary = summarise(SurveyFacts("nps", Kind.NPS, "Acme", periods, counts))
    path = charts.render_chart(summary, tmp_path / "nps.png")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    pixels = matplotlib.image.imread(path)[:, :, :3]
    height = pixels.shape[0]

    def rows_with(hex_colour: str, at_least: int) -> np.ndarray:
        """Rows with at least this many pixels of the colour (anti-aliased text has a few)."""
        near = np.all(np.abs(pixels - colour(hex_colour)) < 0.02, axis=2)
        return np.nonzero(near.sum(axis=1) >= at_least)[0]

    bars = rows_with(charts.BAR_COLOUR, 150)  # twelve bars side by side
    line = rows_with(charts.SCORE_COLOUR, 20)
    assert bars.size and line.size
    # the bars live in the lower panel only, the score line in the upper one: nothing overlaps
    assert bars.min() > 0.65 * height
    assert line.max() < 0.65 * height
    labels = charts.tick_labels(summary.series)
    # 12 weeks from 20 Oct 2025 to 5 Jan 2026: the year on the first tick and where it changes
    assert labels[0] == "20 Oct\n2025" and labels[-1] == "5 Jan\n2026" and labels[1] == "27 Oct"


def test_ces_axis_reads_higher_as_easier() -> None:
    assert "higher = easier" in charts._AXIS[Kind.CES][0]


def test_several_surveys_get_documented_file_names(tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    assert chart_path(target, "nps", 1) == target
    assert chart_path(target, "nps", 2) == tmp_path / "chart-nps.png"
    assert chart_path(target, "nps", 1, "-by-agent") == tmp_path / "chart-nps-by-agent.png"


def test_trend_cli_gives_one_row_per_week_with_interval_and_n(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    db_path = tmp_path / "bot.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(text.replace('path = "feedbackbot.db"', f'path = "{db_path.as_posix()}"'), encoding="utf-8")
    monday = datetime.now(BERLIN).replace(hour=12, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())
    # the last complete week: 30 satisfied of 40; two weeks back: 5 of 10; the current week is not reported
    rows = [(5, {}, (monday - timedelta(days=5)).timestamp() + i) for i in range(30)]
    rows += [(1, {}, (monday - timedelta(days=4)).timestamp() + i) for i in range(10)]
    rows += [(4, {}, (monday - timedelta(days=10)).timestamp() + i) for i in range(5)]
    rows += [(2, {}, (monday - timedelta(days=10)).timestamp() + 50 + i) for i in range(5)]
    rows += [(5, {}, monday.timestamp() + 3600)]

    async def fill() -> None:
        async with reads.opened(str(db_path)) as store:
            await past_responses(store, "csat", "csat", rows)

    asyncio.run(fill())
    as_json = feedbackbot("digest", "--config", str(cfg), "--survey", "csat", "--trend", "3w", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    series = json.loads(as_json.stdout)["surveys"][0]["series"]
    assert [(p["n"], p["score"]) for p in series] == [(0, None), (10, 50.0), (40, 75.0)]
    assert series[2]["low_sample"] is False and series[1]["low_sample"] is True
    low, high = series[2]["interval"]
    assert round(low, 2) == 59.81 and round(high, 2) == 85.81  # Wilson 30/40 (hand-computed)
    chart = tmp_path / "trend.png"
    as_text = feedbackbot("digest", "--config", str(cfg), "--survey", "csat", "--trend", "3w", "--chart", str(chart))
    assert as_text.returncode == 0, as_text.stderr
    assert "n=40 · 75% (95% CI 60–86%)" in as_text.stdout and "no responses" in as_text.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and stat.S_IMODE(chart.stat().st_mode) == 0o644
    bad = feedbackbot("digest", "--config", str(cfg), "--trend", "12x")
    assert bad.returncode == 2 and "--trend expects a number of weeks" in bad.stderr
