"""``feedbackbot import FILE.csv``: historical responses from another tool, so history is not lost.

Columns (a header row is required; names are matched case-insensitively, spaces or hyphens
count as ``_``): ``survey_id`` (or ``survey``), ``score``, ``created_at`` (or ``date``; ISO 8601,
a time without offset is in ``[bot] timezone``), and optionally ``kind`` (nps, csat, ces; must
match the survey), ``comment``, ``response_id`` (or ``id``), ``respondent``, ``channel`` and
``language`` (default ``en``). Other columns are ignored and named in the report.

All or nothing: every row is validated first and every problem is reported with its line
number; only a file without problems is imported, in one transaction.

Every row is kept, identical ones included (an anonymous, date-only export has many): a row's
identity is its source row, not its content. With a ``response_id`` column it is that id (per
survey), so any later export of the same tool skips what is already in. Without one it is the
file's identity (a hash of its header and first row, which an export that only grows keeps)
plus the row's number and content: importing the same file again adds nothing, and a file with
rows appended adds just those. Comments are scored like chat comments, each in its own language
(en, de, es, fr, it, pt; others are stored unscored), in batches after the import commits.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.imports import ImportedResponse, existing_import_keys, insert_imported
from storage.port import Store
from surveys.engine import PENDING
from surveys.kinds import SCALES, Kind, SurveyDefinition, classify, mood
from surveys.parsing import clean_comment
from surveys.sentiment import SentimentScorer, contradiction_flags, label

ALIASES = {
    "survey_id": "survey_id",
    "survey": "survey_id",
    "kind": "kind",
    "type": "kind",
    "score": "score",
    "comment": "comment",
    "comments": "comment",
    "created_at": "created_at",
    "date": "created_at",
    "created": "created_at",
    "timestamp": "created_at",
    "respondent": "respondent",
    "respondent_id": "respondent",
    "channel": "channel",
    "language": "language",
    "lang": "language",
    "response_id": "response_id",
    "id": "response_id",
}
REQUIRED = ("survey_id", "score", "created_at")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class ImportFailed(Exception):
    """The file has problems; nothing was imported. ``errors`` are ``(line, message)``."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing was imported")
        self.errors = errors


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped: int = 0  # already imported (the same source row)
    by_survey: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # columns we do not know, as named in the header


@dataclass(frozen=True)
class _Row:
    line: int
    survey: SurveyDefinition
    score: int
    comment: str | None
    truncated: bool
    created_at: float
    respondent: str
    channel: str
    language: str
    key: str
    legacy_key: str  # the content hash earlier versions used as the key


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def _when(value: str, tz: str) -> float:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.timestamp()


def _score(value: str, kind: Kind) -> int:
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"score: expected a whole number, got {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"score: expected a whole number, got {value!r}")
    score = int(number)
    scale = SCALES[kind]
    if score not in scale:
        raise ValueError(f"score: {score} is not on the {kind.value} scale ({scale.low}-{scale.high})")
    return score


def _language(value: str) -> str:
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0] if value.strip() else "en"
    if not _LANGUAGE.fullmatch(code):
        raise ValueError(f"language: expected a code such as 'en' or 'de-AT', got {value!r}")
    return code


def import_key(fields: Sequence[str]) -> str:
    """A hash of these fields, joined unambiguously."""
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


@dataclass
class Parsed:
    rows: list[_Row]
    errors: list[tuple[int, str]]
    ignored: list[str] = field(default_factory=list)


def parse_csv(text: str, surveys: dict[str, SurveyDefinition], timezone: str, now: float) -> Parsed:
    """Validate every row; returns the good rows, the problems (line number, message) and
    the columns ignored."""
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[tuple[int, str]] = []
    try:
        header = next(reader)
    except StopIteration:
        return Parsed([], [(1, "the file is empty (expected a header row)")])
    except csv.Error as exc:
        return Parsed([], [(1, f"not valid CSV: {exc}")])
    columns = [ALIASES.get(_column(name), "") for name in header]
    ignored = [n.strip().lstrip("\ufeff") for n, col in zip(header, columns, strict=True) if not col and n.strip()]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        errors.append((1, f"missing column(s): {', '.join(missing)}"))
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        errors.append((1, f"column(s) given twice: {', '.join(duplicated)}"))
    if errors:
        return Parsed([], errors, ignored)

    rows: list[_Row] = []
    first_line_of: dict[tuple[str, str], int] = {}  # (survey, response id) -> line
    file_identity = ""
    number = 0
    line = reader.line_num
    while True:
        start = line + 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((start, f"not valid CSV: {exc}"))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(columns):
            errors.append((start, f"expected {len(columns)} fields, got {len(raw)}"))
            continue
        values = {c: v for c, v in zip(columns, raw, strict=True) if c}
        number += 1
        if number == 1:
            file_identity = import_key(["file", *header, *raw])
        try:
            row = _row(start, values, surveys, timezone, now)
        except ValueError as exc:
            errors.append((start, str(exc)))
            continue
        if "response_id" in columns:
            rid = values["response_id"].strip()
            if not rid:
                errors.append((start, "response_id: empty (every row needs its id when the column is there)"))
                continue
            earlier = first_line_of.setdefault((row.survey.id, rid), start)
            if earlier != start:
                errors.append((start, f"response_id: {rid!r} is also on line {earlier}"))
                continue
            key = import_key(["id", row.survey.id, rid])
        else:
            key = import_key(["row", file_identity, str(number), row.legacy_key])
        rows.append(replace(row, key=key))
    return Parsed(rows, errors, ignored)


def _row(line: int, values: dict[str, str], surveys: dict[str, SurveyDefinition], tz: str, now: float) -> _Row:
    sid = values["survey_id"].strip()
    if not sid:
        raise ValueError("survey_id: empty")
    survey = surveys.get(sid)
    if survey is None:
        raise ValueError(f"survey_id: no survey {sid!r} in the configuration (have: {', '.join(surveys)})")
    kind_text = values.get("kind", "").strip().lower() or survey.kind.value
    if kind_text not in {k.value for k in Kind}:
        raise ValueError(f"kind: expected nps, csat or ces, got {values['kind']!r}")
    if kind_text != survey.kind.value:
        raise ValueError(f"kind: survey {sid!r} is {survey.kind.value}, the row says {kind_text}")
    score = _score(values["score"], survey.kind)
    try:
        created_at = _when(values["created_at"], tz)
    except ValueError:
        raise ValueError(
            f"created_at: expected an ISO date or time such as 2025-03-01 or 2025-03-01T14:05:00Z, "
            f"got {values['created_at']!r}"
        ) from None
    if created_at > now + 86400:
        raise ValueError(f"created_at: {values['created_at']!r} is in the future")
    comment, truncated = clean_comment(values.get("comment", ""), survey.max_comment_chars)
    respondent = values.get("respondent", "").strip()[:200]
    channel = values.get("channel", "").strip().lower()[:32] or "import"
    language = _language(values.get("language", ""))
    legacy = import_key([sid, kind_text, str(score), comment, repr(created_at), respondent, channel, language])
    return _Row(line, survey, score, comment or None, truncated, created_at, respondent, channel, language, "", legacy)


def _scored(rows: Iterable[_Row], sentiment: SentimentScorer | None, source: str) -> list[ImportedResponse]:
    """Rows ready to insert. Without a scorer (the bot's default) comments are stored
    "pending" and the scoring worker reads each in its own language, in batches."""
    out = []
    for row in rows:
        compound = sentiment(row.comment, row.language) if row.comment and sentiment is not None else None
        if not row.comment:
            sentiment_label = "none"
        elif sentiment is None:
            sentiment_label = PENDING
        else:
            sentiment_label = label(compound)
        kind = row.survey.kind
        context = {"imported_from": source}
        if row.respondent:
            context["respondent"] = row.respondent
        out.append(
            ImportedResponse(
                import_key=row.key,
                survey_id=row.survey.id,
                kind=kind.value,
                score=row.score,
                category=classify(kind, row.score),
                comment=row.comment,
                comment_truncated=row.truncated,
                sentiment=compound,
                sentiment_label=sentiment_label,
                flags=",".join(contradiction_flags(mood(kind, row.score), compound)),
                language=row.language,
                channel=row.channel,
                context=json.dumps(context, ensure_ascii=False),
                created_at=row.created_at,
            )
        )
    return out


async def import_csv(
    store: Store,
    path: str | Path,
    surveys: dict[str, SurveyDefinition],
    *,
    timezone: str,
    sentiment: SentimentScorer | None,
    clock: Callable[[], float],
) -> ImportReport:
    """Validate the whole file, then insert every new row in one transaction.

    Raises ImportFailed (nothing imported) if any row is wrong, OSError if the file cannot be read.
    """
    path = Path(path)
    raw = await asyncio.to_thread(path.read_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([(raw[: exc.start].count(b"\n") + 1, "the file is not UTF-8 text")]) from None
    now = clock()
    parsed = parse_csv(text, surveys, timezone, now)
    if parsed.errors:
        raise ImportFailed(parsed.errors)
    rows = parsed.rows
    report = ImportReport(rows=len(rows), ignored=parsed.ignored)
    async with store.reading() as conn:
        known = await existing_import_keys(conn, {r.key for r in rows} | {r.legacy_key for r in rows})
    fresh = []
    for row in rows:
        if row.key in known:
            continue
        if row.legacy_key in known:
            # Imported by a version that keyed rows by content, which kept one row of each
            # content: this row stands for it (once), the identical ones it lost go in now.
            known.discard(row.legacy_key)
            continue
        fresh.append(row)
    prepared = await asyncio.to_thread(_scored, fresh, sentiment, path.name)
    async with store.transaction() as tx:
        report.imported = await insert_imported(await tx.connection(), prepared, now)
    report.skipped = report.rows - report.imported
    for item in prepared:
        report.by_survey[item.survey_id] = report.by_survey.get(item.survey_id, 0) + 1
    return report
