"""The pure side of sentiment: language choice, the combination, the feedback phrases, and
the engine storing a comment as "pending" when scoring happens after the commit."""

from __future__ import annotations

from surveys import engine
from surveys.feedback_lexicon import rewrite_phrases
from surveys.kinds import Kind, SurveyDefinition
from surveys.model import Inbound
from surveys.sentiment import (
    CONTRADICTION_AT,
    Scored,
    choose_language,
    combine,
    contradiction_flags,
    script_facts,
)

NPS = SurveyDefinition(id="nps", kind=Kind.NPS, product="Acme")


def test_short_latin_text_follows_the_senders_language() -> None:
    # "super" is German, English and French alike: a few letters cannot tell.
    assert choose_language([("la", 0.6), ("de", 0.2), ("en", 0.1)], "de", letters=5) == "de"
    assert choose_language([("af", 0.9), ("nl", 0.1)], "fr", letters=2) == "fr"
    # Without a usable hint the best of ours is taken.
    assert choose_language([("la", 0.6), ("it", 0.3)], None, letters=5) == "it"


def test_a_long_comment_is_read_in_its_own_language_not_the_senders() -> None:
    ranking = [("en", 0.97), ("de", 0.02)]
    assert choose_language(ranking, "de", letters=40) == "en"


def test_other_languages_and_scripts_stay_unscored() -> None:
    assert choose_language([("nl", 0.95), ("de", 0.03)], "en", letters=40) is None
    assert choose_language([("ja", 0.99)], "en", letters=8, latin=False) is None
    letters, latin = script_facts("配達が遅れました")
    assert letters == 8 and not latin
    assert script_facts("Très déçu, livraison en retard") == (25, True)


def test_a_close_neighbour_of_one_of_ours_counts_as_ours() -> None:
    # langid often ranks Galician above Portuguese on short Portuguese text.
    assert choose_language([("gl", 0.55), ("pt", 0.40)], None, letters=30) == "pt"
    assert choose_language([("gl", 0.95), ("pt", 0.04)], None, letters=30) is None


def test_combination_averages_and_falls_back() -> None:
    assert combine(0.4, -0.8) == -0.2
    assert combine(None, -0.5) == -0.5
    assert combine(0.3, None) == 0.3
    assert combine(None, None) is None
    assert Scored("de", -0.6, "use3").label == "negative"
    assert Scored(None, None, "none").label == "unscored"


def test_feedback_phrases_become_marker_words() -> None:
    assert rewrite_phrases("Support never answered my emails") == "Support fbneverreplied my emails"
    assert rewrite_phrases("I was charged twice") == "I was fbchargedtwice"
    assert rewrite_phrases("I had to call three times") == "I fbrepeatcalls"
    assert rewrite_phrases("It took three weeks") == "It fbtooklong"
    assert rewrite_phrases("Nothing special") == "fbnothingspecial"
    assert rewrite_phrases("It stopped working") == "It fbstoppedworking"
    # Only whole words: "answered" alone is no complaint.
    assert rewrite_phrases("They answered quickly") == "They answered quickly"


def test_product_review_phrases_become_marker_words() -> None:
    assert rewrite_phrases("It fell apart in a week") == "It fbfellapart in a week"
    assert rewrite_phrases("Now it won't turn on") == "Now it fbwontturnon"
    assert rewrite_phrases("It stopped charging") == "It fbnocharge"
    assert rewrite_phrases("I returned it") == "I fbreturned"
    assert rewrite_phrases("I would buy it again") == "I fbbuyagain"
    assert rewrite_phrases("I wouldn't buy it again") == "I fbneveragain"
    assert rewrite_phrases("Well made and sturdy") == "fbwellmade and sturdy"


def test_a_wish_around_a_good_word_is_no_praise() -> None:
    """VADER reads "great" in "it would be great if it worked"; the wish is the complaint."""
    assert rewrite_phrases("It would be great if it actually worked") == "It fbwouldbenice"
    # ... but a feature request is no complaint, and a change for the better no nostalgia
    assert rewrite_phrases("It would be nice if the app had dark mode") == "It would be nice if the app had dark mode"
    assert rewrite_phrases("Support used to be slow, now it is great") == "Support used to be slow, now it is great"
    assert rewrite_phrases("Could be better") == "fbcouldbebetter"
    assert rewrite_phrases("It used to be good") == "It fbusedtobe"
    assert rewrite_phrases("Worked fine for a week and then died") == "fbgooduntil died"
    assert rewrite_phrases("It worked great until the update") == "It fbgooduntil the update"
    assert rewrite_phrases("I expected much better") == "I fbexpectedbetter"
    assert rewrite_phrases("I really wanted to love this camera") == "I really fbwantedtolike this camera"
    assert rewrite_phrases("The only good thing about it is the colour") == "fbonlygood about it is the colour"
    # A plain good word stays one.
    assert rewrite_phrases("It works great") == "It fbworksgreat"
    assert rewrite_phrases("It would be great to have a dark mode") == "It would be great to have a dark mode"


def test_vaders_known_misreadings_of_reviews_are_rewritten() -> None:
    # a warning to other buyers (VADER: "not waste" is praise)
    assert rewrite_phrases("Don't waste your money") == "fbnotrecommend your money"
    assert rewrite_phrases("Save your money and look elsewhere") == "fbnotrecommend and fbnotrecommend"
    # a negated comparative of praise (VADER: "not happier" is a complaint)
    assert rewrite_phrases("Could not be happier") == "fbcouldntbehappier"
    # "like" that compares, not praises
    assert rewrite_phrases("It feels like a toy") == "It fbresembles a toy"
    assert rewrite_phrases("I like it") == "I like it"
    # better, but another product
    assert rewrite_phrases("My old one was better") == "My fbothersbetter"
    assert rewrite_phrases("Much better since the update") == "Much better since the update"
    # "pretty" as a booster before a bad word only
    assert rewrite_phrases("Pretty bad") == "very bad"
    assert rewrite_phrases("Pretty colours") == "Pretty colours"


def test_a_device_failing_at_its_job_is_a_complaint_without_a_bad_word() -> None:
    assert rewrite_phrases("Way too loud") == "Way fbtoomuch"
    assert rewrite_phrases("Hard to set up") == "fbhardtouse"
    assert rewrite_phrases("It only lasted two weeks") == "It fbbarely"
    assert rewrite_phrases("It won't connect to my laptop") == "It fbcantdo to my laptop"
    assert rewrite_phrases("It keeps disconnecting") == "It fbcantdo"
    assert rewrite_phrases("Too good to be true") == "Too good to be true"


def test_a_happy_buyers_idioms_are_praise() -> None:
    assert rewrite_phrases("It exceeded my expectations") == "It fbexceeded"
    assert rewrite_phrases("Works as advertised") == "Works fbasdescribed"
    assert rewrite_phrases("You cannot beat the price") == "You fbcantbeat"
    assert rewrite_phrases("Setup was a breeze") == "Setup fbbreeze"
    assert rewrite_phrases("I give it 5 stars") == "I give it fbfivestars"
    assert rewrite_phrases("2 out of 5 stars") == "2 out of 5 stars"  # a rating, not praise
    assert rewrite_phrases("It never lets me down") == "It fbneverletdown"


def test_review_rules_leave_ordinary_feedback_alone() -> None:
    """The review phrases must not turn what a customer writes to a service into complaints."""
    assert rewrite_phrases("I sent them a thank-you note") == "I sent them a thank-you note"
    assert rewrite_phrases("I wish you all the best") == "I wish you all the best"
    assert rewrite_phrases("I never read the manual") == "I never read the manual"
    assert rewrite_phrases("I sent it back") == "I fbreturned"
    assert rewrite_phrases("I wish the battery lasted longer") == "fbwish longer"


def test_contradiction_threshold_is_the_calibrated_one() -> None:
    assert contradiction_flags("positive", -CONTRADICTION_AT) == ("hidden_detractor",)
    assert contradiction_flags("positive", -CONTRADICTION_AT + 0.01) == ()
    assert contradiction_flags("negative", CONTRADICTION_AT) == ("hidden_promoter",)


def _ctx(sentiment: object) -> engine.StepContext:
    return engine.StepContext(
        now=1000.0,
        surveys={"nps": NPS},
        default_survey="nps",
        language="en",
        new_nonce="n1",
        sentiment=sentiment,  # type: ignore[arg-type]
    )


def test_deferred_scoring_stores_the_comment_pending_and_fires_no_rule_yet() -> None:
    inbound = Inbound("e1", "console", "u", "u", text="Terrible, rude and useless, I hate it")
    session = engine.Session("nps", engine.Stage.COMMENT, "en", "n1", 0.0, 10_000.0, id=1, score=10)
    t = engine.step(session, inbound, _ctx(None))
    assert t.response is not None
    assert (t.response.sentiment, t.response.sentiment_label, t.response.flags) == (None, "pending", ())
    assert t.escalation is None
    # What the scoring worker then decides for the same comment:
    flags, rules = engine.judge_comment(NPS, 10, -0.8)
    assert flags == ("hidden_detractor",) and set(rules) == {"negative_comment", "hidden_detractor"}


def test_inline_scoring_still_works_for_a_scorer_handed_in() -> None:
    inbound = Inbound("e1", "console", "u", "u", text="bad")
    session = engine.Session("nps", engine.Stage.COMMENT, "en", "n1", 0.0, 10_000.0, id=1, score=10)
    t = engine.step(session, inbound, _ctx(lambda text, lang: -0.9))
    assert t.response is not None and t.response.sentiment_label == "negative"
    assert t.escalation is not None and "hidden_detractor" in t.escalation.rules


def test_the_clause_after_a_contrast_word_is_what_the_writer_means() -> None:
    from surveys.sentiment import CONTRAST_WEIGHT, after_contrast, with_contrast

    assert after_contrast("Das Produkt ist gut, aber der Support ist eine Katastrophe", "de") == (
        "der Support ist eine Katastrophe"
    )
    assert after_contrast("Good app but, honestly, the billing is a mess!", "en") == "honestly, the billing is a mess"
    assert after_contrast("Il prodotto è buono ma l'assistenza è pessima", "it") == "l'assistenza è pessima"
    # one word after it, no contrast word, another language's word, a language we do not score
    assert after_contrast("Small bug, otherwise excellent", "en") is None
    assert after_contrast("Fast and friendly", "en") is None
    assert after_contrast("Bom, mas a entrega atrasou", "en") is None
    assert after_contrast("Goed maar de levering was laat", "nl") is None
    assert with_contrast(0.6, None) == 0.6
    assert abs(with_contrast(0.6, -0.6) - (0.6 * (1 - CONTRAST_WEIGHT) - 0.6 * CONTRAST_WEIGHT)) < 1e-9


def test_calibration_takes_the_highest_threshold_within_the_false_alarm_limit() -> None:
    from surveys.sentiment import alarm_rate, calibrate

    calm = [0.5] * 90 + [-0.3] * 6 + [-0.6] * 4 + [None] * 0  # 10% at or below -0.3, 4% below -0.5
    assert alarm_rate(calm, -0.3) == 0.10 and alarm_rate(calm, -0.6) == 0.04
    assert calibrate(calm, 0.05, grid=(-0.2, -0.3, -0.4, -0.6, -0.7)) == -0.4  # 4% at -0.4
    assert calibrate(calm, 0.10, grid=(-0.2, -0.3, -0.4)) == -0.2
    assert calibrate([-0.95] * 10, 0.05, grid=(-0.2, -0.5)) == -0.5  # nothing qualifies: the strictest
    assert alarm_rate([None, None], -0.1) == 0.0 and alarm_rate([], -0.1) == 0.0
