"""``feedbackbot sentiment`` (score text from standard input) and ``feedbackbot rescore``
(recompute stored comments after an upgrade, so digests use the new scores)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import TextIO

from bot.bootstrap.runtime import Runtime
from storage import sentiment as sql
from surveys.engine import judge_comment
from surveys.sentiment import LANGUAGES, CommentScorer

BATCH = 256  # lines scored together: batched inference is several times faster per line


def _batches(stream: TextIO, size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in stream:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def parse_language(value: str) -> str | None:
    """``auto`` (detect each line's language) or one of the six codes; ValueError otherwise."""
    value = value.strip().lower()
    if value == "auto":
        return None
    if value not in LANGUAGES:
        raise ValueError(f"--language must be auto or one of {', '.join(LANGUAGES)}, got {value!r}")
    return value


def score_stream(scorer: CommentScorer, language: str | None, stdin: TextIO, stdout: TextIO) -> int:
    """One JSON object a line out for each line in: text, language, compound, label, scorer."""
    count = 0
    for batch in _batches(stdin, BATCH):
        results = scorer.score_many(batch, [None] * len(batch), language)
        for text, scored in zip(batch, results, strict=True):
            record = {
                "text": text,
                "language": scored.language,
                "compound": scored.compound,
                "label": scored.label,
                "scorer": scored.scorer,
            }
            stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
        count += len(batch)
    return count


async def rescore(runtime: Runtime, scorer: CommentScorer, since: float, out: TextIO) -> int:
    """Recompute every stored comment created since ``since``: score, label, language,
    scorer and the contradiction flags. Alerts are not reopened for old comments (staff
    would be flooded with history); digests and exports read the new values."""
    after = 0
    total = changed = 0
    surveys = runtime.config.surveys
    while True:
        async with runtime.store.reading() as conn:
            rows = await sql.comments_since(conn, since, after, BATCH)
        if not rows:
            break
        scores = await asyncio.to_thread(scorer.score_many, [r.comment for r in rows], [r.language for r in rows])
        writes = []
        for row, scored in zip(rows, scores, strict=True):
            survey = surveys.get(row.survey_id)
            flags = row.flags
            if survey is not None and row.score is not None:
                flags = judge_comment(survey, row.score, scored.compound)[0]
            writes.append(sql.ScoreWrite(row.id, scored.compound, scored.label, scored.language, scored.scorer, flags))
            if row.label != scored.label:
                changed += 1
        async with runtime.store.transaction() as tx:
            await sql.record_scores(await tx.connection(), writes, runtime.service.clock(), only_pending=False)
        total += len(rows)
        after = rows[-1].id
    out.write(f"rescored {total} comment(s); {changed} changed label\n")
    return total
