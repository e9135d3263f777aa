"""``feedbackbot import``: historical responses from a CSV export, all or nothing, once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap.runtime import Runtime
from bot.services.importer import ImportFailed, import_csv, import_key
from storage.imports import ImportedResponse, insert_imported
from surveys.digest import PeriodSpec, last_complete
from tests import reads

ROOT = Path(__file__).resolve().parents[2]

GOOD = """survey_id,kind,score,comment,created_at,respondent,channel,language
nps,nps,9,"Fast and friendly, great service",2025-12-01T10:00:00Z,r-1,email,en
nps,NPS,2,"Terrible delivery, the support was useless and rude",2025-12-02 09:30,r-2,Email,
csat,csat,4,,2025-12-03,,,
ces,ces,6,"Die Lieferung war schnell",2025-12-04T08:00:00+01:00,r-3,web,de-AT
"""


async def run_import(runtime: Runtime, path: Path) -> Any:
    report = await import_csv(
        runtime.store,
        path,
        runtime.config.surveys,
        timezone=runtime.config.bot.timezone,
        sentiment=runtime.service.sentiment,
        clock=runtime.service.clock,
    )
    await runtime.settle_scoring()  # comments are scored after the import commits, in batches
    return report


async def imported(runtime: Runtime) -> list[dict[str, Any]]:
    rows = [r for r in await reads.responses(runtime.store) if r["source"] == "import"]
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


async def test_import_scores_sentiment_and_skips_rows_already_imported(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(GOOD, encoding="utf-8")
    report = await run_import(runtime, path)
    assert (report.rows, report.imported, report.skipped) == (4, 4, 0)
    assert report.by_survey == {"nps": 2, "csat": 1, "ces": 1}
    rows = await imported(runtime)
    first, second, third, fourth = rows
    assert (first["survey_id"], first["score"], first["category"], first["status"]) == (
        "nps",
        9,
        "promoter",
        "answered",
    )
    assert first["sentiment_label"] == "positive" and first["sentiment"] > 0.5
    assert first["created_at"] == datetime(2025, 12, 1, 10, tzinfo=ZoneInfo("UTC")).timestamp()
    assert json.loads(first["context"]) == {"imported_from": "export.csv", "respondent": "r-1"}
    assert (first["channel"], first["comment_status"], first["session_id"]) == ("email", "given", None)
    assert second["sentiment_label"] == "negative" and second["kind"] == "nps" and second["channel"] == "email"
    # no comment: nothing to score; the date alone means midnight in [bot] timezone (UTC here)
    assert (third["comment"], third["comment_status"], third["sentiment_label"]) == (None, "skipped", "none")
    assert third["channel"] == "import" and third["created_at"] == 1764720000.0
    # German: read in its own language by the multilingual scorer (was "unscored")
    assert (fourth["language"], fourth["comment_language"], fourth["sentiment_label"]) == ("de", "de", "positive")
    assert fourth["sentiment_scorer"] == "use3" and first["sentiment_scorer"] == "vader+use3"
    assert fourth["created_at"] == datetime(2025, 12, 4, 7, tzinfo=ZoneInfo("UTC")).timestamp()
    assert all(len(r["import_key"]) == 64 for r in rows)

    again = await run_import(runtime, path)
    assert (again.rows, again.imported, again.skipped) == (4, 0, 4)
    # An overlapping export with one new row: only that row is added.
    path.write_text(GOOD + "nps,nps,10,Superb,2025-12-05T12:00:00Z,r-4,email,en\n", encoding="utf-8")
    overlap = await run_import(runtime, path)
    assert (overlap.imported, overlap.skipped) == (1, 4)
    assert len(await imported(runtime)) == 5


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "Survey ID,Kind,Score,Comment,Created At\n"
        "nps,nps,9,fine,2025-12-01\n"  # line 2: good
        'nps,nps,11,"a comment\nover two lines",2025-12-01\n'  # lines 3-4: out of range
        "nps,csat,3,,2025-12-01\n"  # line 5: the survey is NPS
        "nope,nps,3,,2025-12-01\n"  # line 6: unknown survey
        "csat,csat,4,,yesterday\n"  # line 7: bad date
        "csat,csat,4.5,,2025-12-01\n"  # line 8: not a whole number
        "ces,ces,4,,2999-01-01\n"  # line 9: in the future
        "ces,ces,4\n"  # line 10: too few fields
        "\n"  # line 11: blank lines are ignored
        "ces,ces,5,ok,2025-12-01\n",  # line 12: good
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as info:
        await run_import(runtime, path)
    errors = info.value.errors
    assert [line for line, _ in errors] == [3, 5, 6, 7, 8, 9, 10]
    messages = dict(errors)
    assert messages[3] == "score: 11 is not on the nps scale (0-10)"
    assert messages[5] == "kind: survey 'nps' is nps, the row says csat"
    assert messages[6].startswith("survey_id: no survey 'nope' in the configuration")
    assert messages[7].startswith("created_at: expected an ISO date or time")
    assert messages[8] == "score: expected a whole number, got '4.5'"
    assert messages[9] == "created_at: '2999-01-01' is in the future"
    assert messages[10] == "expected 5 fields, got 3"
    assert await imported(runtime) == []


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("survey_id,kind,comment", "missing column(s): score, created_at"),
        ("kind,score,created_at", "missing column(s): survey_id"),
        ("survey,survey_id,kind,score,created_at", "column(s) given twice: survey_id"),
    ],
)
async def test_bad_headers_are_reported_on_line_1(runtime: Runtime, tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        await run_import(runtime, path)
    assert info.value.errors[0][0] == 1 and info.value.errors[0][1].startswith(message)


async def test_empty_and_non_utf8_files(runtime: Runtime, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImportFailed, match="problem"):
        await run_import(runtime, empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("survey_id,kind,score,comment,created_at\nnps,nps,9,tr\xe8s bien,2025-12-01\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as info:
        await run_import(runtime, latin)
    assert info.value.errors == [(2, "the file is not UTF-8 text")]


async def test_imported_history_shows_in_the_digest(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(GOOD, encoding="utf-8")
    await run_import(runtime, path)
    assert runtime.digests is not None
    period = last_complete(PeriodSpec("week"), datetime(2025, 12, 8, 9, tzinfo=ZoneInfo("UTC")))
    digest = await runtime.digests.gather(["nps"], period)
    (nps,) = digest.surveys
    assert nps.current.n == 2 and nps.invited == 0  # imports have no invitations
    assert [c.score for c in nps.facts.negative] == [2]


def test_import_key_is_a_hash_of_the_normalised_row() -> None:
    assert import_key(["a", "b"]) != import_key(["ab", ""])
    assert len(import_key(["x"])) == 64


def test_import_cli_reports_lines_and_exits_1_or_imports(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    db = tmp_path / "bot.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(text.replace('path = "feedbackbot.db"', f'path = "{db.as_posix()}"'), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and k != "SLACK_SIGNING_SECRET"}

    def feedbackbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
        )

    bad = tmp_path / "bad.csv"
    bad.write_text("survey_id,kind,score,created_at\nnps,nps,12,2025-12-01\nnps,nps,5,2025-12-01\n", encoding="utf-8")
    failed = feedbackbot("import", "--config", str(cfg), str(bad))
    assert failed.returncode == 1
    assert f"{bad}:2: score: 12 is not on the nps scale (0-10)" in failed.stderr
    assert "1 problem(s)" in failed.stderr and "nothing was imported" in failed.stderr

    good = tmp_path / "good.csv"
    good.write_text(GOOD.replace("language\n", "language,email\n", 1).replace("\n", ",x@example.com\n")
                    .replace("language,email,x@example.com\n", "language,email\n"), encoding="utf-8")
    done = feedbackbot("import", "--config", str(cfg), str(good))
    assert done.returncode == 0, done.stderr
    assert "imported 4 of 4 rows" in done.stdout and "nps 2" in done.stdout
    assert "ignored column(s): email" in done.stdout
    again = feedbackbot("import", "--config", str(cfg), str(good))
    assert "imported 0 of 4 rows" in again.stdout and "(4 already imported)" in again.stdout

    async def imported_rows() -> int:
        async with reads.opened(str(db)) as store:
            return sum(r["source"] == "import" for r in await reads.responses(store))

    assert asyncio.run(imported_rows()) == 4

    missing = feedbackbot("import", "--config", str(cfg), str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


IDENTICAL = "survey_id,kind,score,created_at\n" + "nps,nps,9,2025-12-05\n" * 3 + "nps,nps,3,2025-12-05\n" * 2


async def test_identical_rows_are_all_kept_and_a_reimport_adds_nothing(runtime: Runtime, tmp_path: Path) -> None:
    """Anonymous, date-only exports have identical rows: each is a real answer."""
    path = tmp_path / "anonymous.csv"
    path.write_text(IDENTICAL, encoding="utf-8")
    first = await run_import(runtime, path)
    assert (first.rows, first.imported, first.skipped) == (5, 5, 0)
    assert sorted(r["score"] for r in await imported(runtime)) == [3, 3, 9, 9, 9]
    again = await run_import(runtime, path)
    assert (again.imported, again.skipped) == (0, 5)
    # The same export later, with rows appended (one identical to an earlier one): just those.
    path.write_text(IDENTICAL + "nps,nps,9,2025-12-05\nnps,nps,10,2025-12-06\n", encoding="utf-8")
    appended = await run_import(runtime, path)
    assert (appended.imported, appended.skipped) == (2, 5)
    assert len(await imported(runtime)) == 7


async def test_a_response_id_column_is_the_identity_of_a_row(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "with-ids.csv"
    path.write_text("id,survey,score,date\nA1,nps,9,2025-12-05\nA2,nps,9,2025-12-05\n", encoding="utf-8")
    report = await run_import(runtime, path)
    assert report.imported == 2  # identical content, different ids: two answers
    # Another export (other name, other order, one new row) of the same tool: only the new id.
    other = tmp_path / "later-export.csv"
    other.write_text("id,survey,score,date\nA3,nps,4,2025-12-06\nA2,nps,9,2025-12-05\n", encoding="utf-8")
    later = await run_import(runtime, other)
    assert (later.imported, later.skipped) == (1, 1)
    twice = tmp_path / "twice.csv"
    twice.write_text("response_id,survey,score,date\nB1,nps,9,2025-12-05\nB1,nps,8,2025-12-05\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        await run_import(runtime, twice)
    assert info.value.errors == [(3, "response_id: 'B1' is also on line 2")]


async def test_unknown_columns_are_ignored_and_named(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("survey_id,score,created_at,email,Colour\nnps,9,2025-12-05,ann@example.com,red\n", encoding="utf-8")
    report = await run_import(runtime, path)
    assert report.imported == 1 and report.ignored == ["email", "Colour"]
    (row,) = await imported(runtime)
    assert "ann@example.com" not in json.dumps(row)


async def test_rows_imported_before_row_identities_are_not_doubled(runtime: Runtime, tmp_path: Path) -> None:
    """A database filled by an older version keyed rows by content: importing the same file
    again must not add them twice (and adds the identical rows the old key lost)."""
    legacy = import_key(["nps", "nps", "9", "", repr(1764892800.0), "", "import", "en"])
    old_row = ImportedResponse(
        legacy, "nps", "nps", 9, "", None, False, None, "none", "", "en", "import", "{}", 1764892800.0
    )
    async with runtime.store.transaction() as tx:
        await insert_imported(await tx.connection(), [old_row], 1.0)
    path = tmp_path / "anonymous.csv"
    path.write_text("survey_id,kind,score,created_at\n" + "nps,nps,9,2025-12-05\n" * 3, encoding="utf-8")
    report = await run_import(runtime, path)
    assert (report.imported, report.skipped) == (2, 1)
    assert len(await imported(runtime)) == 3
