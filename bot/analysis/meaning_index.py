"""Embeddings of recent comments, kept in memory, for grouping negative comments by meaning.

The scoring worker embeds every comment anyway (the sentence-embedding model is half of the
score), after the commit, in the scoring process; it hands the vectors to this index, so a
digest groups its negative comments (``surveys.meaning``) without running the model again.
Measured (``bench.digest_speed``-style, see ``bench/sentiment_speed.py``): grouping 200
comments from this index takes milliseconds; embedding them again takes about 1.5 s of a
core, more on a busy machine, and the first time also the model's 2-3 s load.

Why memory and not a column: a vector is 1 KB (float16, 512 values) and only the recent
negative comments matter to a digest; a column needs a migration, and a restart only costs
a re-embedding of what a later digest asks for. What happens on a miss depends on the
caller: the scheduled digests and ``feedbackbot digest`` embed what is missing (off the
event loop, holding no lock); ``/digest`` answers inside the service's transaction, so it
groups only the comments already here and never waits for the model. So that a restart does
not leave ``/digest`` with the comments scored since, the bot warms the index once at start
from the stored comments ``/digest`` would group (``DigestService.warm_meaning``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from surveys.meaning import MeaningGroup, group_by_meaning

log = logging.getLogger(__name__)

CAPACITY = 20_000  # about 20 MB of float16 vectors
# Texts embedded in one call. The model serves scoring too, one call at a time: a start-up
# warming of a few thousand comments in one call would hold new comments' scores (and their
# alerts) back for tens of seconds; in chunks, a scoring batch gets its turn between two.
WARM_CHUNK = 64


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> Any: ...


class MeaningIndex:
    """Comment text -> embedding, least recently used dropped beyond ``capacity``."""

    def __init__(self, embedder: Embedder | None, capacity: int = CAPACITY) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._vectors: OrderedDict[str, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._vectors)

    def remember(self, texts: Sequence[str], vectors: Sequence[Any]) -> None:
        for text, vector in zip(texts, vectors, strict=True):
            self._vectors[text] = np.asarray(vector, dtype=np.float16)
            self._vectors.move_to_end(text)
        while len(self._vectors) > self.capacity:
            self._vectors.popitem(last=False)

    async def warm(self, texts: Sequence[str]) -> int:
        """Embed the ``texts`` this index does not hold (the model in its process, on a worker
        thread); the number embedded. Never raises: without the model the digest has its word
        themes."""
        missing = sorted({text for text in texts if text not in self._vectors})
        if self.embedder is None:
            return 0
        done = 0
        for start in range(0, len(missing), WARM_CHUNK):
            chunk = missing[start : start + WARM_CHUNK]
            try:
                vectors = await asyncio.to_thread(self.embedder.embed, chunk)
            except Exception:  # the model failed: the digest goes out with its themes alone
                log.exception("embedding comments for the digest failed; meaning groups left out")
                return done
            self.remember(chunk, vectors)
            done += len(chunk)
        return done

    async def groups(
        self, comments: Sequence[tuple[str, str]], *, embed_missing: bool, top: int = 5
    ) -> tuple[MeaningGroup, ...]:
        """``comments`` (text, language) grouped by meaning. ``embed_missing``: run the model
        for comments this index does not hold (:meth:`warm`); else those are left out."""
        if embed_missing:
            await self.warm([text for text, _ in comments])
        known = [(text, language) for text, language in comments if text in self._vectors]
        if len(known) < 2:
            return ()
        matrix = np.stack([self._vectors[text] for text, _ in known]).astype(np.float32)
        return tuple(await asyncio.to_thread(group_by_meaning, known, matrix, top=top))
