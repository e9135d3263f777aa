"""Typed answers the bot had to interpret are confirmed, and each kind of unusable answer
gets its own re-prompt (issue 14, item 12).

A score typed as "8" is shown by the customer's own message. One typed as "4 out of 5" on
a 0-10 scale, "10/10" on 1-5, "nine", stars or a button's label is recorded as something the
customer never wrote, so the follow-up starts by saying what was recorded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from surveys.engine import Session, Stage, StepContext, Transition, step
from surveys.kinds import Kind, SurveyDefinition
from surveys.locales import MESSAGES, SUPPORTED
from surveys.model import Inbound
from surveys.parsing import ParseResult, parse_score

SURVEYS = {
    "nps": SurveyDefinition("nps", Kind.NPS, "Acme"),
    "csat": SurveyDefinition("csat", Kind.CSAT, "Acme"),
    "ces": SurveyDefinition("ces", Kind.CES, "Acme"),
}


def ctx(language: str = "en") -> StepContext:
    return StepContext(
        now=1000.0,
        surveys=SURVEYS,
        default_survey="nps",
        language=language,
        new_nonce="n1",
        sentiment=lambda text, lang: 0.0,
    )


def say(text: str | None = None, command: str | None = None, args: str = "") -> Inbound:
    return Inbound("e1", "console", "u1", "u1", text=text, command=command, args=args)


def answer(survey: str, typed: str, language: str = "en") -> tuple[Session | None, Transition]:
    t = step(None, say(command="feedback", args=survey), ctx(language))
    assert t.session is not None
    session = replace(t.session, id=1)
    t = step(session, say(typed), ctx(language))
    return t.session, t


CONFIRMED = [
    ("nps", "4 out of 5", 8, "Got it: 8 out of 10."),
    ("nps", "nine", 9, "Got it: 9 out of 10."),
    ("nps", "80%", 8, "Got it: 8 out of 10."),
    ("nps", "٨", 8, "Got it: 8 out of 10."),
    ("csat", "10/10", 5, "Got it: 5 out of 5 (Very satisfied)."),
    ("csat", "⭐⭐⭐⭐", 4, "Got it: 4 out of 5 (Satisfied)."),
    ("csat", "Satisfied", 4, "Got it: 4 out of 5 (Satisfied)."),
    ("csat", "very satisfied!", 5, "Got it: 5 out of 5 (Very satisfied)."),
    ("ces", "Somewhat agree", 5, "Got it: 5 out of 7 (Somewhat agree)."),
    ("ces", "10/10", 7, "Got it: 7 out of 7 (Strongly agree)."),
]


@pytest.mark.parametrize(("survey", "typed", "score", "confirmation"), CONFIRMED)
def test_an_interpreted_score_is_confirmed_in_the_follow_up(
    survey: str, typed: str, score: int, confirmation: str
) -> None:
    session, t = answer(survey, typed)
    assert t.response is not None and t.response.score == score
    assert session is not None and session.stage is Stage.COMMENT
    (followup,) = t.messages
    assert followup.text.startswith(confirmation + "\n"), followup.text
    assert followup.choices  # still the follow-up, with its Skip button


@pytest.mark.parametrize(("survey", "typed"), [("nps", "8"), ("nps", "I'd say 8."), ("nps", "8/10"), ("csat", "4")])
def test_a_score_typed_as_it_is_recorded_is_not_repeated(survey: str, typed: str) -> None:
    _, t = answer(survey, typed)
    assert t.response is not None
    (followup,) = t.messages
    assert not followup.text.startswith("Got it"), followup.text


@pytest.mark.parametrize("language", SUPPORTED)
def test_the_confirmation_is_translated(language: str) -> None:
    _, t = answer("nps", "4/5", language)
    assert t.response is not None and t.response.score == 8
    (followup,) = t.messages
    first_line = followup.text.split("\n")[0]
    expected = MESSAGES[language]["score_understood"].format(score=8, high=10)
    assert first_line == expected
    if language != "en":
        assert first_line != MESSAGES["en"]["score_understood"].format(score=8, high=10)


@pytest.mark.parametrize("language", SUPPORTED)
@pytest.mark.parametrize(("survey", "score"), [("csat", 1), ("csat", 4), ("csat", 5), ("ces", 3), ("ces", 7)])
def test_a_button_label_typed_as_text_counts_in_every_language(language: str, survey: str, score: int) -> None:
    label = MESSAGES[language][f"{survey}_{score}"]
    for typed in (label, label.lower(), f"  {label.upper()}! "):
        session, t = answer(survey, typed, language)
        assert t.response is not None and t.response.score == score, (language, typed)
        assert session is not None and session.stage is Stage.COMMENT


def test_a_label_inside_a_longer_message_is_not_a_score() -> None:
    session, t = answer("csat", "not satisfied at all, honestly")
    assert t.response is None and session is not None and session.stage is Stage.SCORE


@pytest.mark.parametrize(("typed", "survey"), [("7.5", "nps"), ("7,5", "nps"), ("3.5", "csat"), ("7.5/10", "nps")])
def test_a_decimal_gets_its_own_reprompt(typed: str, survey: str) -> None:
    session, t = answer(survey, typed)
    assert t.response is None and session is not None and session.attempts == 1
    (reprompt,) = t.messages
    assert "more than one number" not in reprompt.text
    low, high = SURVEYS[survey].scale.low, SURVEYS[survey].scale.high
    assert reprompt.text == MESSAGES["en"]["reprompt_decimal"].format(low=low, high=high)


@pytest.mark.parametrize(
    ("typed", "language", "found"),
    [("eleven", "en", 11), ("twenty", "en", 20), ("elf", "de", 11), ("once", "es", 11), ("onze", "fr", 11),
     ("undici", "it", 11), ("doze", "pt", 12)],
)
def test_an_out_of_range_word_gets_the_out_of_range_reprompt(typed: str, language: str, found: int) -> None:
    session, t = answer("nps", typed, language)
    assert t.response is None and session is not None and session.attempts == 1
    (reprompt,) = t.messages
    assert reprompt.text == MESSAGES[language]["reprompt_range"].format(score=found, low=0, high=10)


def test_the_parser_reports_decimals_and_what_it_interpreted() -> None:
    assert parse_score("7.5", 0, 10) == ParseResult(None, "decimal")
    assert parse_score("eleven", 0, 10) == ParseResult(None, "range", 11)
    assert parse_score("4 out of 5", 0, 10).interpreted
    assert parse_score("nine", 0, 10).interpreted
    assert not parse_score("9", 0, 10).interpreted
    assert not parse_score("9/10", 0, 10).interpreted
    assert parse_score("7 or 8", 0, 10) == ParseResult(None, "ambiguous")
