"""The conversation state machine, driven with tables of inputs: no I/O, no clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from surveys import engine
from surveys.engine import Session, Stage, StepContext, Transition, step
from surveys.kinds import EscalationRules, Kind, SurveyDefinition
from surveys.model import Inbound

SURVEYS = {
    "nps": SurveyDefinition("nps", Kind.NPS, "Acme"),
    "csat": SurveyDefinition("csat", Kind.CSAT, "Acme"),
    "ces": SurveyDefinition("ces", Kind.CES, "Acme", task="return a parcel"),
    "quiet": SurveyDefinition("quiet", Kind.NPS, "Acme", escalation=EscalationRules(enabled=False)),
}
SCORES = {"great": 0.8, "awful": -0.8, "meh": 0.0}


def scorer(text: str, language: str) -> float | None:
    if language != "en":
        return None
    return next((v for k, v in SCORES.items() if k in text), 0.0)


def ctx(now: float = 1000.0, language: str = "en", **kw: object) -> StepContext:
    base = StepContext(
        now=now, surveys=SURVEYS, default_survey="nps", language=language, new_nonce="n1", sentiment=scorer
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def say(text: str | None = None, command: str | None = None, args: str = "", button: str | None = None) -> Inbound:
    return Inbound("e1", "console", "u1", "u1", text=text, command=command, args=args, button=button)


def started(survey: str = "nps", language: str = "en") -> Session:
    t = step(None, say(command="feedback", args=survey), ctx(language=language))
    assert t.session is not None and t.started
    return replace(t.session, id=1)


def run(session: Session | None, *inputs: Inbound, **kw: object) -> tuple[Session | None, list[Transition]]:
    transitions = []
    for inbound in inputs:
        t = step(session, inbound, ctx(**kw))
        transitions.append(t)
        session = t.session
    return session, transitions


@pytest.mark.parametrize(
    ("survey", "answer", "score", "category", "followup"),
    [
        ("nps", "10", 10, "promoter", "value most"),
        ("nps", "9", 9, "promoter", "value most"),
        ("nps", "8/10", 8, "passive", "one thing"),
        ("nps", "7", 7, "passive", "one thing"),
        ("nps", "6", 6, "detractor", "went wrong"),
        ("nps", "0", 0, "detractor", "went wrong"),
        ("csat", "5", 5, "satisfied", "value most"),
        ("csat", "⭐⭐⭐⭐", 4, "satisfied", "value most"),
        ("csat", "3", 3, "neutral", "one thing"),
        ("csat", "1", 1, "unsatisfied", "went wrong"),
        ("ces", "7", 7, "easy", "value most"),
        ("ces", "4", 4, "neutral", "one thing"),
        ("ces", "2", 2, "difficult", "went wrong"),
    ],
)
def test_score_then_comment_then_thanks(survey: str, answer: str, score: int, category: str, followup: str) -> None:
    session, (t_score, t_comment) = run(started(survey), say(answer), say("great stuff"))
    assert t_score.response is not None
    assert (t_score.response.score, t_score.response.category) == (score, category)
    assert t_score.session is not None and t_score.session.stage is Stage.COMMENT
    assert any(followup in m.text for m in t_score.messages)
    # A typed score leaves the question as it is: the customer's message shows the answer.
    assert [m.edit_of for m in t_score.messages] == [None]
    assert session is not None and session.stage is Stage.DONE
    assert t_comment.response is not None and t_comment.response.comment == "great stuff"
    assert t_comment.response.comment_status == "given"
    assert any("Thank you" in m.text for m in t_comment.messages)


@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_question_has_buttons_with_typed_equivalents(kind: str) -> None:
    t = step(None, say(command="feedback", args=kind), ctx())
    (question,) = t.messages
    buttons = [c for row in question.choices for c in row]
    scale = SURVEYS[kind].scale
    assert [int(c.text_equivalent) for c in buttons] == list(range(scale.low, scale.high + 1))
    assert question.ref_key == engine.question_ref("n1")
    if kind == "nps":
        assert [len(r) for r in question.choices] == [6, 5]


def test_wording_per_kind() -> None:
    assert "recommend Acme to a friend or colleague" in step(None, say(command="feedback"), ctx()).messages[0].text
    assert (
        "made it easy for me to return a parcel"
        in step(None, say(command="feedback", args="ces"), ctx()).messages[0].text
    )


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("banana", "couldn't find a score"),
        ("11", "11 is outside"),
        ("7 or 8", "more than one number"),
        ("   ", "empty"),
    ],
)
def test_bad_scores_reprompt_with_the_range(typed: str, fragment: str) -> None:
    session, (t,) = run(started(), say(typed))
    assert session is not None and session.stage is Stage.SCORE and session.attempts == 1
    assert fragment in t.messages[0].text
    assert t.response is None


def test_three_failed_tries_end_politely() -> None:
    session, ts = run(started(), say("x"), say("y"), say("z"))
    assert session is not None and session.stage is Stage.FAILED
    assert "start again" in ts[-1].messages[0].text


def test_skip_comment_is_a_complete_response() -> None:
    session, (_, t) = run(started(), say("9"), say(command="skip"))
    assert session is not None and session.stage is Stage.DONE
    assert t.response is not None and t.response.score == 9 and t.response.comment_status == "skipped"


def test_skip_button_and_double_tap() -> None:
    s = started()
    press = say(button=engine.button_value("n1", "s9"))
    session, (t1,) = run(s, press, button_session=s)
    assert t1.response is not None and t1.response.score == 9 and t1.toast == "Got it!"
    # The same button tapped again: the answer is not recorded twice.
    session2, (t2,) = run(session, press, button_session=session)
    assert t2.response is None and t2.session == session and t2.toast == "You already answered this question."
    # Its edit repeats the first tap's (in case the keyboard is still showing): no new message.
    assert [(m.edit_of, m.choices) for m in t2.messages] == [(engine.question_ref("n1"), ())]
    assert t2.messages[0].text == t1.messages[0].text
    skip = say(button=engine.button_value("n1", "skip"))
    session3, (t3,) = run(session2, skip, button_session=session2)
    assert session3 is not None and session3.stage is Stage.DONE
    assert t3.response is not None and t3.response.comment_status == "skipped"


def test_a_pressed_button_closes_the_question_showing_the_answer() -> None:
    s = started()
    _, (t,) = run(s, say(button=engine.button_value("n1", "s9")), button_session=s)
    edit, followup = t.messages
    assert edit.edit_of == engine.question_ref("n1") and not edit.choices
    assert edit.text.endswith("Your answer: 9/10")
    assert followup.edit_of is None and followup.choices


@pytest.mark.parametrize(
    ("later", "toast"),
    [
        ("comment", "You already answered this question."),
        ("done", "already finished"),
        ("cancelled", "no longer active"),
        ("expired", "expired"),
    ],
)
def test_tapping_the_keyboard_of_a_typed_answer_tidies_it(later: str, toast: str) -> None:
    """After a typed score the keyboard stays; a tap on it, at any later point, gets a toast
    and the question edited to show the recorded answer, without recording anything."""
    session, _ = run(started(), say("8"))
    assert session is not None and session.stage is Stage.COMMENT
    pressed = {
        "comment": session,
        "done": replace(session, stage=Stage.DONE),
        "cancelled": replace(session, stage=Stage.CANCELLED),
        "expired": replace(session, stage=Stage.EXPIRED),
    }[later]
    current = pressed if later == "comment" else None
    t = step(current, say(button=engine.button_value("n1", "s3")), ctx(button_session=pressed))
    assert t.response is None and t.session == current
    assert toast in (t.toast or "")
    [edit] = t.messages
    assert edit.edit_of == engine.question_ref("n1") and not edit.choices
    assert edit.text.startswith("How likely") and edit.text.endswith("Your answer: 8/10")


def test_a_keyboard_from_before_a_survey_changed_kind_tidies_nothing() -> None:
    """An operator turned the NPS survey into CSAT under the same id: an old typed 9 is off
    the new scale, so there is no answer to show; the tap is refused and nothing breaks."""
    session, _ = run(started(), say("9"))
    assert session is not None
    surveys = {**SURVEYS, "nps": SurveyDefinition("nps", Kind.CSAT, "Acme")}
    t = step(session, say(button=engine.button_value("n1", "s3")), ctx(button_session=session, surveys=surveys))
    assert not t.messages and t.response is None and "no longer active" in (t.toast or "")


@pytest.mark.parametrize("action", [say(command="cancel"), say(command="feedback", args="csat")])
def test_leaving_after_a_typed_score_closes_the_old_question(action: Inbound) -> None:
    """/cancel or a new /feedback after a typed score: the old question shows the answer and
    loses its buttons, so no live keyboard is left behind beside the new conversation."""
    session, _ = run(started(), say("8"))
    t = step(session, action, ctx(new_nonce="n2"))
    closing = [m for m in t.messages if m.edit_of == engine.question_ref("n1")]
    assert len(closing) == 1 and not closing[0].choices and closing[0].text.endswith("Your answer: 8/10")


def test_a_skip_tap_or_someone_elses_tap_tidies_nothing() -> None:
    session, _ = run(started(), say("8"))
    assert session is not None
    skip_after_done = step(
        None, say(button=engine.button_value("n1", "skip")), ctx(button_session=replace(session, stage=Stage.DONE))
    )
    assert not skip_after_done.messages
    not_mine = step(None, say(button=engine.button_value("n1", "s3")), ctx(button_session=session, button_owned=False))
    assert not not_mine.messages and "someone else" in (not_mine.toast or "")


def test_skipping_the_score_counts_as_skipped_not_answered() -> None:
    _, (t,) = run(started(), say(command="skip"))
    assert t.response is not None and t.response.status == "skipped" and t.response.score is None


def test_cancel_records_nothing_further() -> None:
    _, (t, t2) = run(started(), say(command="cancel"), say("9"))
    assert t.session is not None and t.session.stage is Stage.CANCELLED
    assert t.response is None
    assert t2.response is None and "/feedback" in t2.messages[0].text


def test_nothing_to_cancel_or_skip() -> None:
    assert "no survey in progress" in step(None, say(command="cancel"), ctx()).messages[0].text
    assert "nothing to skip" in step(None, say(command="skip"), ctx()).messages[0].text


@pytest.mark.parametrize(
    ("data", "button_session", "owned", "toast"),
    [
        ("garbage", None, True, "no longer active"),
        ("f:zzz:s9", None, True, "no longer active"),
        ("f:n1:s9", "done", True, "already finished"),
        ("f:n1:s9", "expired", True, "expired"),
        ("f:n1:s9", "open", False, "someone else"),
        ("f:other:s9", "open", True, "no longer active"),  # forged nonce
        ("f:n1:s99", "open", True, "no longer active"),  # forged score
    ],
)
def test_stale_and_forged_buttons_change_nothing(
    data: str, button_session: str | None, owned: bool, toast: str
) -> None:
    s = started()
    pressed = {
        None: None,
        "open": s,
        "done": replace(s, stage=Stage.DONE),
        "expired": replace(s, stage=Stage.EXPIRED),
    }[button_session]
    current = s if button_session == "open" and owned else None
    t = step(current, say(button=data), ctx(button_session=pressed, button_owned=owned))
    assert toast in (t.toast or "")
    assert t.response is None and not t.messages
    assert t.session == current


def test_expiry_keeps_the_score_and_says_so() -> None:
    session, _ = run(started(), say("3"))
    assert session is not None
    never_late = {sid: replace(s, late_answer_hours=0) for sid, s in SURVEYS.items()}
    t = step(session, say("forgot to answer"), ctx(now=session.expires_at + 1, surveys=never_late))
    # The expired session is closed as the sweep closes it, apart from whatever the event starts.
    assert t.replaced is not None and t.replaced.stage is Stage.EXPIRED and t.session is None
    assert t.replaced_response is not None and t.replaced_response.score == 3
    assert t.replaced_response.comment_status == "expired" and t.response is None
    assert "expired" in t.messages[0].text


def test_a_late_comment_within_the_window_is_kept() -> None:
    session, _ = run(started(), say("3"))
    assert session is not None
    t = step(session, say("forgot to answer"), ctx(now=session.expires_at + 1))
    assert t.replaced is None and t.session is not None and t.session.stage is Stage.DONE
    assert t.response is not None and t.response.comment == "forgot to answer" and t.response.score == 3


def test_feedback_after_expiry_does_not_carry_the_old_score_into_the_new_session() -> None:
    session, _ = run(started(), say("3"))
    assert session is not None
    t = step(session, say(command="feedback"), ctx(now=session.expires_at + 1))
    assert t.replaced is not None and t.replaced.stage is Stage.EXPIRED
    assert t.session is not None and t.session.stage is Stage.SCORE and t.response is None


def test_expiry_default_is_72_hours() -> None:
    s = started()
    assert s.expires_at - s.started_at == 72 * 3600


@pytest.mark.parametrize(
    ("language", "fragment"),
    [("de", "freunden"), ("es", "amigo"), ("fr", "ami"), ("it", "amico"), ("pt", "amigo")],
)
def test_languages(language: str, fragment: str) -> None:
    t = step(None, say(command="feedback"), ctx(language=language))
    assert fragment in t.messages[0].text.lower()


def test_non_english_comments_are_not_scored() -> None:
    s = started(language="de")
    _, (_, t) = run(s, say("3"), say("awful, schrecklich"), language="de")
    assert t.response is not None and t.response.sentiment is None and t.response.sentiment_label == "unscored"


@pytest.mark.parametrize(
    ("score", "comment", "rules", "flags"),
    [
        ("3", "meh", ("detractor_score",), ()),
        ("10", "awful support", ("negative_comment", "hidden_detractor"), ("hidden_detractor",)),
        ("9", "great", (), ()),
        ("2", "great", ("detractor_score",), ("hidden_promoter",)),
    ],
)
def test_escalation_rules(score: str, comment: str, rules: tuple[str, ...], flags: tuple[str, ...]) -> None:
    _, (t_score, t_comment) = run(started(), say(score), say(comment))
    score_rules = t_score.escalation.rules if t_score.escalation else ()
    comment_rules = t_comment.escalation.rules if t_comment.escalation else ()
    assert tuple(sorted({*score_rules, *comment_rules})) == tuple(sorted(rules))
    assert t_comment.response is not None and t_comment.response.flags == flags
    if score_rules:  # the alert opened with the score is updated, not duplicated
        assert t_comment.escalation is not None


def test_escalation_can_be_disabled() -> None:
    _, (t_score, t_comment) = run(started("quiet"), say("0"), say("awful"))
    assert t_score.escalation is None and t_comment.escalation is None


def test_start_with_deep_link_payload_and_context() -> None:
    t = step(None, say(command="start", args="csat-T1234"), ctx())
    assert t.session is not None and t.session.survey_id == "csat" and t.session.context == {"start": "T1234"}


def test_unknown_survey_and_stop_and_resume() -> None:
    t = step(None, say(command="feedback", args="nope"), ctx())
    assert t.session is None and "nope" in t.messages[0].text
    assert step(None, say(command="stop"), ctx()).opt_out is True
    back = step(None, say(command="start"), ctx(opted_out=True))
    assert back.opt_out is False


def test_groups_get_no_surveys() -> None:
    group = Inbound("e", "telegram", "u1", "-100", command="feedback", is_private=False)
    t = step(None, group, ctx())
    assert t.session is None and "private chat" in t.messages[0].text
    chatter = Inbound("e", "telegram", "u1", "-100", text="hello all", is_private=False)
    assert not step(None, chatter, ctx()).messages


def test_huge_comment_is_truncated_and_the_customer_told() -> None:
    _, (_, t) = run(started(), say("9"), say("great " * 2000))
    assert t.response is not None and t.response.comment is not None
    assert len(t.response.comment) <= 2000 and t.response.comment_truncated
    assert any("2000" in m.text for m in t.messages)


def test_new_feedback_replaces_open_session() -> None:
    s = started()
    t = step(s, say(command="feedback", args="csat"), replace(ctx(), new_nonce="n2"))
    assert t.replaced is not None and t.replaced.stage is Stage.CANCELLED
    assert t.session is not None and t.session.survey_id == "csat" and t.session.nonce == "n2"
