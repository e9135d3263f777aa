"""Negative comments grouped by meaning across languages with the packaged embedding model,
and the groups in digests: scheduled and ``feedbackbot digest`` embed what they miss,
``/digest`` uses what the scoring worker already embedded."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bot.analysis.meaning_index import MeaningIndex
from bot.analysis.sentiment_model import FeedbackScorer
from bot.bootstrap.runtime import Runtime
from surveys.digest import digest_blocks, plain_text
from surveys.meaning import group_by_meaning
from surveys.model import Inbound
from tests.conftest import Clock
from tests.integration.test_digests import BERLIN, MONDAY_9, digest_config, fields, outbox, staff

LATE = [
    ("My parcel arrived two weeks late", "en"),
    ("The delivery was late again", "en"),
    ("Die Lieferung kam viel zu spät", "de"),
    ("Mein Paket kam eine Woche zu spät an", "de"),
    ("El pedido llegó con dos semanas de retraso", "es"),
    ("La entrega llegó tarde otra vez", "es"),
]
BILLING = [
    ("I was charged twice for one order", "en"),
    ("You billed me twice this month", "en"),
    ("Mir wurde zweimal abgebucht", "de"),
    ("Die Rechnung war doppelt so hoch wie vereinbart", "de"),
    ("Me cobraron dos veces el mismo pedido", "es"),
    ("Me han cobrado el doble en la factura", "es"),
]
OTHER = [("The app crashes every time I open it", "en"), ("Support never answered my emails", "en")]

_ids = itertools.count()


@pytest.fixture(scope="module")
def model() -> FeedbackScorer:
    scorer = FeedbackScorer()
    scorer.load()
    return scorer


def test_late_delivery_and_billing_complaints_form_one_group_each_across_languages(model: FeedbackScorer) -> None:
    comments = LATE + BILLING + OTHER
    vectors = model.embed([text for text, _ in comments]).astype(np.float32)
    groups = group_by_meaning(comments, vectors)
    late = [g for g in groups if set(g.members) & set(range(6))]
    billing = [g for g in groups if set(g.members) & set(range(6, 12))]
    assert len(late) == 1 and late[0].members == tuple(range(6)), groups
    assert len(billing) == 1 and billing[0].members == tuple(range(6, 12)), groups
    assert late[0].languages == billing[0].languages == ("de", "en", "es")
    # named by their words, in the comments' languages; the quote is one of them
    assert set(late[0].words) & {"late", "spät", "tarde", "llegó", "delivery", "lieferung"}
    assert set(billing[0].words) & {"charged", "twice", "abgebucht", "cobrado", "cobraron", "billed"}
    assert (late[0].quote, late[0].quote_language) in LATE
    assert all(len(g.members) >= 2 for g in groups)  # the two lone complaints are no group


async def test_the_index_embeds_what_it_misses_only_when_allowed(model: FeedbackScorer) -> None:
    index = MeaningIndex(model)
    comments = LATE[:3] + BILLING[:3]
    assert await index.groups(comments, embed_missing=False) == ()  # nothing embedded yet
    groups = await index.groups(comments, embed_missing=True)
    assert sorted(g.members for g in groups) == [(0, 1, 2), (3, 4, 5)] and len(index) == 6
    assert await index.groups(comments, embed_missing=False) == groups  # now from memory
    assert await MeaningIndex(None).groups(comments, embed_missing=True) == ()  # no model: no groups


def customer(user: str, **kwargs: object) -> Inbound:
    return Inbound(f"m{next(_ids)}", "console", user, user, display_name=user.title(), language="en", **kwargs)  # type: ignore[arg-type]


async def test_digests_show_the_groups_beside_the_themes(tmp_path: Path, clock: Clock, model: FeedbackScorer) -> None:
    rt = await Runtime.open(digest_config(), clock=clock, db_path=str(tmp_path / "bot.db"), comment_scorer=model)
    try:
        day = datetime(2026, 1, 6, 10, 0, tzinfo=BERLIN)
        for i, (text, _language) in enumerate(LATE + BILLING):
            user = f"u{i}"
            clock.now = day.timestamp() + i * 60
            await rt.service.handle(customer(user, command="feedback", args="nps"))
            await rt.service.handle(customer(user, text="2"))
            await rt.service.handle(customer(user, text=text))
        assert await rt.settle_scoring() == 12  # the worker keeps the vectors it computed
        assert rt.scoring is not None and rt.scoring.meaning is not None and len(rt.scoring.meaning) == 12

        # /digest answers inside the service's transaction, from the worker's vectors
        clock.now = MONDAY_9 + 60
        await rt.service.handle(staff("digest", "nps"))
        await rt.digests.close()  # type: ignore[union-attr]  # let the chart task finish
        on_demand = fields((await outbox(rt, "staff-room"))[0])["Complaints by meaning"].splitlines()
        assert len(on_demand) == 2 and any("(6, de en es)" in line for line in on_demand), on_demand

        # the scheduled digest (the same groups)
        assert rt.digests is not None
        rt.digests.meaning = MeaningIndex(model)  # as after a restart: it embeds what it misses
        outcome = await rt.digests.run_due("weekly", MONDAY_9)
        assert outcome.status == "posted"
        (posted, *_) = await outbox(rt, "managers")
        groups = fields(posted)["Complaints by meaning"].splitlines()
        assert len(groups) == 2 and all("de en es" in line for line in groups), groups
        assert any("(6, de en es)" in line for line in groups)

        period = rt.digests.due_period(rt.digests.digests["weekly"], MONDAY_9)
        assert period is not None
        digest = await rt.digests.gather(["nps"], period)
        text = plain_text(digest_blocks(digest))
        assert "Complaints by meaning" in text and "Themes" in text
    finally:
        await rt.close()


async def test_after_a_restart_digest_groups_the_weeks_stored_comments(
    tmp_path: Path, clock: Clock, model: FeedbackScorer
) -> None:
    """The index lives in memory; a restarted bot embeds the stored complaints ``/digest``
    would group once at start, so ``/digest`` does not shrink to the comments scored since."""
    db = str(tmp_path / "bot.db")
    rt = await Runtime.open(digest_config(), clock=clock, db_path=db, comment_scorer=model)
    try:
        day = datetime(2026, 1, 6, 10, 0, tzinfo=BERLIN)
        for i, (text, _language) in enumerate(LATE + BILLING):
            clock.now = day.timestamp() + i * 60
            await rt.service.handle(customer(f"u{i}", command="feedback", args="nps"))
            await rt.service.handle(customer(f"u{i}", text="2"))
            await rt.service.handle(customer(f"u{i}", text=text))
        assert await rt.settle_scoring() == 12
    finally:
        await rt.close()

    clock.now = MONDAY_9 + 60
    rt = await Runtime.open(digest_config(), clock=clock, db_path=db, comment_scorer=model)
    try:
        assert rt.scoring is not None and rt.scoring.meaning is not None and rt.digests is not None
        assert len(rt.scoring.meaning) == 0  # a new process: nothing in memory
        await rt.service.handle(staff("digest", "nps"))
        assert "Complaints by meaning" not in fields((await outbox(rt, "staff-room"))[0])

        rt.start_delivery()  # what `run` does at start: warms the index beside the loops
        (warm,) = [t for t in rt.tasks if t.get_name() == "meaning-warm"]
        await warm
        assert len(rt.scoring.meaning) == 12
        assert await rt.digests.warm_meaning() == 0  # all there now

        await rt.service.handle(staff("digest", "nps"))
        await rt.digests.close()
        digests = [m for m in await outbox(rt, "staff-room") if "Complaints by meaning" in fields(m)]
        groups = fields(digests[-1])["Complaints by meaning"].splitlines()
        assert len(groups) == 2 and all("(6, de en es)" in line for line in groups), groups
    finally:
        await rt.close()


async def test_warming_embeds_in_chunks_so_scoring_gets_its_turn() -> None:
    """The model serves the scoring worker too, one call at a time: a start-up warming of
    many comments goes in chunks, so a batch of new comments is scored between two."""

    class Recording:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def embed(self, texts: list[str]) -> np.ndarray:
            self.calls.append(len(texts))
            return np.ones((len(texts), 512), dtype=np.float16)

    embedder = Recording()
    index = MeaningIndex(embedder)
    texts = [f"comment {i}" for i in range(150)]
    assert await index.warm(texts + texts[:10]) == 150  # each text once
    assert embedder.calls == [64, 64, 22] and len(index) == 150
    assert await index.warm(texts) == 0 and embedder.calls == [64, 64, 22]  # nothing left to embed
