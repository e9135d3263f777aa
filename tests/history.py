"""Past responses for tests that need many of them (digests, segments, day counts), written
through the storage API ``feedbackbot import`` uses (:mod:`storage.imports`), so a test needs
no SQL of its own and runs on whichever backend its store is."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

from storage.imports import ImportedResponse, insert_imported
from storage.port import Store

_keys = itertools.count()


async def past_responses(
    store: Store,
    survey: str,
    kind: str,
    rows: Sequence[tuple[int, dict[str, str], float]],
    *,
    channel: str = "telegram",
    language: str = "en",
    comment: str | None = None,
    sentiment_label: str = "none",
) -> int:
    """Answered responses ``(score, context, created_at)`` of one survey, in one transaction;
    how many were written."""
    imported = [
        ImportedResponse(
            import_key=f"test:{next(_keys)}",
            survey_id=survey,
            kind=kind,
            score=score,
            category="",
            comment=comment,
            comment_truncated=False,
            sentiment=None,
            sentiment_label=sentiment_label,
            flags="",
            language=language,
            channel=channel,
            context=json.dumps(context),
            created_at=at,
        )
        for score, context, at in rows
    ]
    async with store.transaction() as tx:
        return await insert_imported(await tx.connection(), imported, max((at for _, _, at in rows), default=0.0))
