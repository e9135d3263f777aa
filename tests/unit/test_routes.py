"""Routing rules (surveys/routes.py): which route takes an alert, and why."""

from __future__ import annotations

import pytest

from surveys.routes import (
    DEFAULT_ROUTE,
    EVERY,
    FIRST,
    Route,
    RouteFacts,
    Truth,
    check,
    decide,
    explain,
    fold,
    parse_context,
)

BILLING = Route(
    "billing",
    ("slack:C0BILLING",),
    categories=frozenset({"detractor", "unsatisfied"}),
    words=("invoice", "refund", "charged twice", "Rechnung"),
    mention={"slack": "S0BILL"},
)
APP = Route("app", ("telegram:-1001",), context={"product": frozenset({"app"})})
EU = Route("eu", ("slack:C0EU",), languages=frozenset({"de", "fr"}), platforms=frozenset({"telegram"}))
DEFAULT = ["telegram:-100999"]


def facts(**kw: object) -> RouteFacts:
    base: dict[str, object] = {"survey": "nps", "category": "detractor", "language": "en", "platform": "telegram"}
    base.update(kw)
    return RouteFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("comment", "language", "expected"),
    [
        ("I was never refunded", "en", "refund"),
        ("The INVOICES are wrong", "en", "invoice"),
        ("they charged me twice", "en", None),  # a phrase needs its words in a row
        ("I was charged twice!", "en", "charged twice"),
        ("Die Rechnungen stimmen nicht", "de", "Rechnung"),
        ("slow delivery", "en", None),
    ],
)
def test_words_match_by_stem_and_phrase(comment: str, language: str, expected: str | None) -> None:
    result = check(BILLING, facts(comment=comment, language=language))
    if expected is None:
        assert result.truth is Truth.NO
        assert result.failed is not None and result.failed.what == "words"
    else:
        assert result.truth is Truth.YES
        assert ("words", expected) in [(r.what, r.value) for r in result.reasons]


def test_context_match_ignores_case_and_key_case() -> None:
    assert check(APP, facts(context={"Product": "APP"})).truth is Truth.YES
    no = check(APP, facts(context={"product": "web"}))
    assert no.truth is Truth.NO and no.failed is not None and no.failed.value == "product=web"
    missing = check(APP, facts(context={}))
    assert missing.failed is not None and missing.failed.value == "product (not given)"


def test_language_and_platform() -> None:
    assert check(EU, facts(language="de-AT")).truth is Truth.YES
    assert check(EU, facts(language="en")).truth is Truth.NO
    assert check(EU, facts(language="fr", platform="slack")).truth is Truth.NO


def test_first_match_stops_at_the_first() -> None:
    d = decide([APP, BILLING], FIRST, facts(context={"product": "app"}, comment="refund please"), DEFAULT)
    assert d.names == ("app",) and not d.held
    assert d.destinations() == ["telegram:-1001"]


def test_every_match_takes_all_in_order() -> None:
    d = decide([APP, BILLING], EVERY, facts(context={"product": "app"}, comment="refund please"), DEFAULT)
    assert d.names == ("app", "billing")
    assert d.destinations() == ["telegram:-1001", "slack:C0BILLING"]
    assert [c.route.name for c in d.routes_to("slack:C0BILLING")] == ["billing"]


def test_default_route_catches_the_rest() -> None:
    d = decide([APP, BILLING], FIRST, facts(comment="too slow"), DEFAULT)
    assert d.names == (DEFAULT_ROUTE,) and d.destinations() == DEFAULT


def test_pending_comment_holds_only_when_it_could_change_the_outcome() -> None:
    pending = facts(comment_pending=True, context={"product": "app"})
    # First match: a sure match before the words route decides now.
    assert decide([APP, BILLING], FIRST, pending, DEFAULT).names == ("app",)
    # The words route comes first: wait for the comment.
    assert decide([BILLING, APP], FIRST, pending, DEFAULT).held
    # Every match: any words route that is still open holds it.
    assert decide([APP, BILLING], EVERY, pending, DEFAULT).held
    # A words route already ruled out by another condition does not hold.
    assert not decide([BILLING, APP], FIRST, facts(category="promoter", comment_pending=True), DEFAULT).held
    # Once the wait is over, words count as absent.
    final = decide([BILLING, APP], FIRST, pending, DEFAULT, final=True)
    assert not final.held and final.names == ("app",)


def test_explain_says_what_matched_and_where_it_goes() -> None:
    f = facts(comment="refund please", context={"product": "web"})
    lines = explain(decide([APP, BILLING, EU], FIRST, f, DEFAULT), f)
    assert lines[0] == "Mode: first match"
    assert lines[1] == "1. app: no (context: product=web)"
    assert lines[2] == "2. billing: MATCH on category detractor, words refund"
    assert lines[3] == "3. eu: not tried (first match already found)"
    assert "-> billing: slack:C0BILLING" in lines
    assert "   mentions S0BILL on slack" in lines


def test_explain_default() -> None:
    f = facts(category="promoter")
    lines = explain(decide([BILLING], FIRST, f, DEFAULT), f)
    assert "No route matched: the default route takes it." in lines
    assert "-> default: telegram:-100999" in lines


def test_parse_context() -> None:
    assert parse_context(["product=app", " plan = pro "]) == {"product": "app", "plan": "pro"}
    with pytest.raises(ValueError):
        parse_context(["product"])


def test_fold() -> None:
    assert fold("\u00c9l\u00e8ve") == "eleve"
