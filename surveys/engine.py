"""The survey conversation as a pure state machine.

``step(session, inbound, ctx)`` decides everything that happens when a person does
something: the new session state, the response to record, whether staff must hear about
it, and every message to send. It performs no I/O and reads no clock, so the service can
run it inside one storage transaction and tests can drive it with a table of inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from surveys import sentiment as sent
from surveys.kinds import Kind, SurveyDefinition, classify, mood
from surveys.model import Choice, Destination, Inbound, OutMessage
from surveys.parsing import clean_comment, label_key, parse_label, parse_score
from surveys.texts import text

MAX_ATTEMPTS = 3
PENDING = "pending"  # sentiment label of a comment waiting for the scoring worker
BUTTON_PREFIX = "f"


class Stage(StrEnum):
    SCORE = "score"
    COMMENT = "comment"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


OPEN_STAGES = frozenset({Stage.SCORE, Stage.COMMENT})


@dataclass(frozen=True)
class Session:
    """One person's run through one survey. ``nonce`` is random per session: it names
    the question message and is embedded in every button, so a button can only ever act
    on the session it was made for."""

    survey_id: str
    stage: Stage
    language: str
    nonce: str
    started_at: float
    expires_at: float
    id: int | None = None
    score: int | None = None
    attempts: int = 0
    context: dict[str, str] = field(default_factory=dict)
    escalated: bool = False

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


@dataclass(frozen=True)
class ResponseUpdate:
    """What to write to the response row of this session (one row per session).

    ``status`` is ``answered`` once a score is known (with ``comment_status`` pending,
    given, skipped or expired), or ``skipped`` when the score question itself was
    declined, which metrics count apart from answers."""

    survey_id: str
    kind: Kind
    language: str
    status: str
    score: int | None = None
    category: str | None = None
    comment: str | None = None
    comment_truncated: bool = False
    comment_status: str = "pending"
    sentiment: float | None = None
    sentiment_label: str = "none"
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Escalation:
    """Tells the service to open (or update) the staff alert for this session's response."""

    rules: tuple[str, ...]
    update_only: bool = False


@dataclass
class Transition:
    session: Session | None
    messages: list[OutMessage] = field(default_factory=list)
    response: ResponseUpdate | None = None
    escalation: Escalation | None = None
    toast: str | None = None
    opt_out: bool | None = None
    started: bool = False
    replaced: Session | None = None  # an open session closed because a new one started
    # What to write for the replaced session's response (a score without a comment), and
    # whether its alert is to be refreshed to show that no comment is coming.
    replaced_response: ResponseUpdate | None = None
    replaced_escalation: Escalation | None = None


@dataclass(frozen=True)
class StepContext:
    """Everything the engine needs from outside, passed in so it stays pure."""

    now: float
    surveys: dict[str, SurveyDefinition]
    default_survey: str
    language: str
    new_nonce: str
    # None: comments are scored after the commit, off the survey turn (the bot's scoring
    # worker); the response is stored with sentiment "pending" and the sentiment rules run
    # when the score is written back (:func:`judge_comment`).
    sentiment: sent.SentimentScorer | None
    name: str = ""
    opted_out: bool = False
    # The session a pressed button refers to, looked up by its nonce; ``button_owned`` is
    # False when that session belongs to someone else.
    button_session: Session | None = None
    button_owned: bool = True
    # The person's latest session when it expired: a message now may be its late answer.
    late_session: Session | None = None


def button_value(nonce: str, value: str) -> str:
    return f"{BUTTON_PREFIX}:{nonce}:{value}"


def parse_button(data: str) -> tuple[str, str] | None:
    """(nonce, value) of a survey button, or None for anything else or malformed data."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != BUTTON_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def question_ref(nonce: str) -> str:
    return f"question:{nonce}"


def step(session: Session | None, inbound: Inbound, ctx: StepContext) -> Transition:
    """Advance the conversation by one inbound event."""
    here = Destination(inbound.platform, inbound.chat_id)
    if session is not None and not session.is_open:
        session = None
    transition = Transition(session)
    expired_now = False
    if session is not None and session.is_open and ctx.now >= session.expires_at:
        # Closed as the sweep would have closed it; whatever this event starts is a new session.
        expired = expire(session, ctx)
        transition.replaced = expired.session
        transition.replaced_response = expired.response
        transition.replaced_escalation = expired.escalation
        transition.session = None
        session = None
        expired_now = True

    if inbound.button is not None:
        _on_button(transition, session, inbound.button, here, ctx)
    elif inbound.command is not None:
        _on_command(transition, session, inbound, here, ctx)
    elif not inbound.is_private:
        pass  # surveys run in private chats only; group chatter is not for us
    elif session is None:
        late = transition.replaced if expired_now else ctx.late_session
        if late is None or not _late_answer(transition, late, inbound.text or "", here, ctx):
            transition.messages.append(_say(here, ctx, "no_survey"))
    elif session.stage is Stage.SCORE:
        _on_score_text(transition, session, inbound.text or "", here, ctx)
    else:
        _on_comment(transition, session, inbound.text or "", here, ctx)
    return transition


NEW_SURVEY_PREFIX = "n"


def new_survey_value(survey_id: str) -> str:
    return f"{NEW_SURVEY_PREFIX}:{survey_id}"


def _late_answer(t: Transition, late: Session, raw: str, here: Destination, ctx: StepContext) -> bool:
    """A message after the survey expired. Within the survey's ``late_answer_hours`` a score
    (or, if the score was given, a comment) is kept and the survey goes on as if it had not
    expired; otherwise the customer is told it expired and offered a new one in one tap.
    False when ``late`` did not really expire (nothing to say about it)."""
    survey = ctx.surveys.get(late.survey_id)
    if survey is None or late.stage is not Stage.EXPIRED:
        return False
    lang = late.language
    in_time = ctx.now <= late.expires_at + survey.late_answer_hours * 3600
    if in_time and late.score is None:
        scale = survey.scale
        found = parse_score(raw, scale.low, scale.high, lang, stars=survey.kind is Kind.CSAT).score
        if found is not None:
            reopened = replace(late, stage=Stage.SCORE, expires_at=ctx.now + survey.expiry_hours * 3600)
            _keep_reopened(t, late)
            _record_score(t, reopened, found, here, ctx, close_question=False)
            return True
    elif in_time and clean_comment(raw, survey.max_comment_chars)[0]:
        reopened = replace(late, stage=Stage.COMMENT, expires_at=ctx.now + survey.expiry_hours * 3600)
        _keep_reopened(t, late)
        _on_comment(t, reopened, raw, here, ctx)
        return True
    button = Choice(text(lang, "new_survey", survey), new_survey_value(survey.id), f"/feedback {survey.id}")
    t.messages.append(OutMessage(here, text(lang, "expired", survey), choices=((button,),)))
    return True


def _keep_reopened(t: Transition, late: Session) -> None:
    """The expired session is taken up again: it is not also written as expired."""
    if t.replaced is not None and t.replaced.nonce == late.nonce:
        t.replaced = t.replaced_response = t.replaced_escalation = None


def expire(session: Session, ctx: StepContext) -> Transition:
    """Expire a session found stale by the scheduler's sweep (no inbound event)."""
    transition = Transition(session)
    _expire(transition, session, ctx)
    return transition


# -- commands ------------------------------------------------------------------------


def _on_command(t: Transition, session: Session | None, inbound: Inbound, here: Destination, ctx: StepContext) -> None:
    command = (inbound.command or "").lower()
    args = inbound.args.strip()
    default = ctx.surveys.get(ctx.default_survey)
    if command in {"start", "feedback"} and not inbound.is_private:
        t.messages.append(_say(here, ctx, "groups_unsupported", default))
        return
    if command == "start":
        if ctx.opted_out:
            t.opt_out = False
            t.messages.append(_say(here, ctx, "resumed", default))
        if args:
            survey_id, _, extra = args.partition("-")
            context = {"start": extra} if extra else {}
            _start(t, session, survey_id, here, ctx, context)
        else:
            key = "greeting" if ctx.name else "greeting_no_name"
            t.messages.append(_say(here, ctx, key, default, name=ctx.name))
    elif command == "feedback":
        _start(t, session, args.split()[0] if args else ctx.default_survey, here, ctx, {})
    elif command == "cancel":
        if session is None:
            t.messages.append(_say(here, ctx, "nothing_to_cancel", default))
        else:
            t.session = replace(session, stage=Stage.CANCELLED)
            t.response, t.escalation = _left_without_comment(session, ctx)
            t.messages.append(_say(here, ctx, "cancelled", default))
            t.messages.extend(_close_on_leaving(session, here, ctx))
    elif command == "skip":
        if session is None:
            t.messages.append(_say(here, ctx, "nothing_to_skip", default))
        else:
            _skip(t, session, here, ctx)
    elif command == "stop":
        t.opt_out = True
        t.messages.append(_say(here, ctx, "stopped", default))
    else:
        t.messages.append(_say(here, ctx, "help", default))


def start_session(
    survey: SurveyDefinition, here: Destination, ctx: StepContext, context: dict[str, str], lane: str = "interactive"
) -> Transition:
    """Open a new session and ask its first question (also used for invitations)."""
    session = Session(
        survey_id=survey.id,
        stage=Stage.SCORE,
        language=ctx.language,
        nonce=ctx.new_nonce,
        started_at=ctx.now,
        expires_at=ctx.now + survey.expiry_hours * 3600,
        context=dict(context),
    )
    t = Transition(session, started=True)
    t.messages.append(replace(_question(session, survey, here), lane=lane))
    return t


def _start(
    t: Transition, session: Session | None, survey_id: str, here: Destination, ctx: StepContext, context: dict[str, str]
) -> None:
    survey = ctx.surveys.get(survey_id)
    if survey is None:
        t.messages.append(_say(here, ctx, "unknown_survey", ctx.surveys.get(ctx.default_survey), survey=survey_id[:64]))
        return
    if session is not None:
        # Starting again replaces the open survey; what was answered so far is kept, and its
        # question loses its buttons (showing the typed answer, if there was one).
        t.messages.extend(_close_on_leaving(session, here, ctx))
    started = start_session(survey, here, ctx, context)
    t.session = started.session
    t.started = True
    t.messages.extend(started.messages)
    if session is not None:
        t.replaced = replace(session, stage=Stage.CANCELLED)
        t.replaced_response, t.replaced_escalation = _left_without_comment(session, ctx)


def _left_without_comment(session: Session, ctx: StepContext) -> tuple[ResponseUpdate | None, Escalation | None]:
    """A survey left (by /cancel or a new /feedback) after its score, before its comment: the
    response is complete without one, and its alert, if any, stops waiting for a comment."""
    survey = ctx.surveys.get(session.survey_id)
    if survey is None or session.stage is not Stage.COMMENT or session.score is None:
        return None, None
    update = ResponseUpdate(
        survey.id,
        survey.kind,
        session.language,
        status="answered",
        score=session.score,
        category=classify(survey.kind, session.score),
        comment_status="cancelled",
    )
    return update, (Escalation((), update_only=True) if session.escalated else None)


# -- answers -------------------------------------------------------------------------


def _on_score_text(t: Transition, session: Session, raw: str, here: Destination, ctx: StepContext) -> None:
    survey = ctx.surveys[session.survey_id]
    scale = survey.scale
    labelled = parse_label(raw, _label_scores(survey, session.language))
    if labelled is not None:
        _record_score(t, session, labelled, here, ctx, close_question=False, confirm=True)
        return
    result = parse_score(raw, scale.low, scale.high, session.language, stars=survey.kind is Kind.CSAT)
    if result.score is not None:
        # The customer's own message already shows the score right under the question, so
        # its keyboard is left in place (tidied if it is ever tapped: see _on_button). That
        # keeps a typed answer to one message in the chat, where an edit of the question
        # plus the follow-up were two back to back, against Telegram's one per second per chat.
        # A score the message does not show as such ("4/5" on 0-10, "nine", stars) is
        # confirmed in the follow-up instead, so the customer sees what was recorded.
        _record_score(t, session, result.score, here, ctx, close_question=False, confirm=result.interpreted)
        return
    attempts = session.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        t.session = replace(session, stage=Stage.FAILED, attempts=attempts)
        t.messages.append(_say(here, ctx, "gave_up", survey, lang=session.language))
        t.messages.extend(_close_question(session, here, ctx))
        return
    t.session = replace(session, attempts=attempts)
    key = {
        "range": "reprompt_range",
        "ambiguous": "reprompt_ambiguous",
        "decimal": "reprompt_decimal",
        "empty": "empty_message",
    }.get(result.error or "", "reprompt_none")
    t.messages.append(
        _say(here, ctx, key, survey, lang=session.language, low=scale.low, high=scale.high, score=result.found)
    )


def _label_scores(survey: SurveyDefinition, language: str) -> dict[str, int]:
    """CSAT and CES buttons carry words ("Satisfied"): typed, they count as the button. The
    survey's language first, then English, like number words."""
    if survey.kind is Kind.NPS:
        return {}
    labels: dict[str, int] = {}
    for lang in dict.fromkeys((language, "en")):
        for score in range(survey.scale.low, survey.scale.high + 1):
            key = label_key(_answer_label(survey, lang, score))
            if key:
                labels.setdefault(key, score)
    return labels


def _record_score(
    t: Transition,
    session: Session,
    score: int,
    here: Destination,
    ctx: StepContext,
    *,
    close_question: bool = True,
    confirm: bool = False,
) -> None:
    survey = ctx.surveys[session.survey_id]
    category = classify(survey.kind, score)
    rules = _score_rules(survey, score)
    t.session = replace(session, stage=Stage.COMMENT, score=score, escalated=bool(rules))
    t.response = ResponseUpdate(
        survey_id=survey.id,
        kind=survey.kind,
        language=session.language,
        status="answered",
        score=score,
        category=category,
    )
    if rules:
        t.escalation = Escalation(rules)
    lang = session.language
    if close_question:
        t.messages.extend(_close_question(session, here, ctx, answer=_answer_label(survey, lang, score)))
    followup = text(lang, f"followup_{mood(survey.kind, score)}", survey)
    hint = text(lang, "followup_hint", survey)
    if confirm:
        followup = f"{_understood(survey, lang, score)}\n{followup}"
    skip = Choice(text(lang, "skip", survey), button_value(session.nonce, "skip"), "/skip")
    t.messages.append(OutMessage(here, f"{followup}\n{hint}", choices=((skip,),)))


def _understood(survey: SurveyDefinition, language: str, score: int) -> str:
    """ "Got it: 8 out of 10." (with the label on worded scales): what a typed answer that
    had to be interpreted was recorded as."""
    high = survey.scale.high
    if survey.kind is Kind.NPS:
        return text(language, "score_understood", survey, score=score, high=high)
    label = _answer_label(survey, language, score)
    return text(language, "score_understood_label", survey, score=score, high=high, label=label)


def _on_comment(t: Transition, session: Session, raw: str, here: Destination, ctx: StepContext) -> None:
    survey = ctx.surveys[session.survey_id]
    lang = session.language
    comment, truncated = clean_comment(raw, survey.max_comment_chars)
    if not comment:
        t.messages.append(OutMessage(here, text(lang, "followup_hint", survey)))
        return
    assert session.score is not None
    compound: float | None = None
    flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    sentiment_label = PENDING
    if ctx.sentiment is not None:
        compound = ctx.sentiment(comment, lang)
        flags, rules = judge_comment(survey, session.score, compound)
        sentiment_label = sent.label(compound)
    t.session = replace(session, stage=Stage.DONE, escalated=session.escalated or bool(rules))
    t.response = ResponseUpdate(
        survey_id=survey.id,
        kind=survey.kind,
        language=lang,
        status="answered",
        score=session.score,
        category=classify(survey.kind, session.score),
        comment=comment,
        comment_truncated=truncated,
        comment_status="given",
        sentiment=compound,
        sentiment_label=sentiment_label,
        flags=flags,
    )
    if session.escalated or rules:
        t.escalation = Escalation(rules, update_only=session.escalated and not rules)
    if truncated:
        t.messages.append(OutMessage(here, text(lang, "comment_truncated", survey, limit=survey.max_comment_chars)))
    key = "thanks_escalated" if t.session.escalated else "thanks"
    t.messages.append(OutMessage(here, text(lang, key, survey)))


def _skip(t: Transition, session: Session, here: Destination, ctx: StepContext) -> None:
    survey = ctx.surveys[session.survey_id]
    lang = session.language
    if session.stage is Stage.SCORE:
        t.session = replace(session, stage=Stage.DONE)
        t.response = ResponseUpdate(survey.id, survey.kind, lang, status="skipped", comment_status="skipped")
        t.messages.extend(_close_question(session, here, ctx))
        t.messages.append(OutMessage(here, text(lang, "thanks", survey)))
        return
    assert session.score is not None
    t.session = replace(session, stage=Stage.DONE)
    t.response = ResponseUpdate(
        survey.id,
        survey.kind,
        lang,
        status="answered",
        score=session.score,
        category=classify(survey.kind, session.score),
        comment_status="skipped",
    )
    key = "thanks_escalated" if session.escalated else "thanks"
    t.messages.append(OutMessage(here, text(lang, key, survey)))


def _expire(t: Transition, session: Session, ctx: StepContext) -> None:
    survey = ctx.surveys.get(session.survey_id)
    t.session = replace(session, stage=Stage.EXPIRED)
    if survey is None:
        return
    if session.stage is Stage.COMMENT and session.score is not None:
        t.response = ResponseUpdate(
            survey.id,
            survey.kind,
            session.language,
            status="answered",
            score=session.score,
            category=classify(survey.kind, session.score),
            comment_status="expired",
        )
        if session.escalated:
            t.escalation = Escalation((), update_only=True)  # the alert stops waiting for a comment
    elif session.stage is Stage.SCORE:
        t.response = ResponseUpdate(
            survey.id, survey.kind, session.language, status="expired", comment_status="expired"
        )


# -- buttons -------------------------------------------------------------------------


def _on_button(t: Transition, current: Session | None, data: str, here: Destination, ctx: StepContext) -> None:
    if data.startswith(f"{NEW_SURVEY_PREFIX}:"):  # "Start a new survey" under an expired one
        _start(t, current, data.partition(":")[2], here, ctx, {})
        return
    parsed = parse_button(data)
    pressed = ctx.button_session
    lang = ctx.language
    if parsed is None or pressed is None or pressed.nonce != parsed[0]:
        t.toast = text(lang, "toast_stale")
        return
    if not ctx.button_owned:
        t.toast = text(lang, "toast_not_yours")
        return
    if current is None or current.nonce != pressed.nonce:
        if (pressed.is_open and ctx.now >= pressed.expires_at) or pressed.stage is Stage.EXPIRED:
            t.toast = text(lang, "toast_expired")
        else:
            t.toast = text(lang, "toast_finished" if pressed.stage is Stage.DONE else "toast_stale")
        t.messages.extend(_tidy_answered_question(pressed, parsed[1], here, ctx))
        return
    value = parsed[1]
    survey = ctx.surveys[current.survey_id]
    if value == "skip":
        if current.stage is Stage.COMMENT:
            _skip(t, current, here, ctx)
            t.toast = text(current.language, "toast_recorded")
        else:
            t.toast = text(current.language, "toast_stale")
        return
    score = _score_value(value)
    if score is not None and current.stage is Stage.SCORE:
        if score in survey.scale:
            _record_score(t, current, score, here, ctx)
            t.toast = text(current.language, "toast_recorded")
            return
    # A tap on the score keyboard after the score was taken (typed, or a double tap): the
    # recorded answer stands, and the question now shows it.
    tidy = _tidy_answered_question(current, value, here, ctx)
    t.toast = text(current.language, "toast_already_answered" if tidy else "toast_stale")
    t.messages.extend(tidy)


def _tidy_answered_question(session: Session, value: str, here: Destination, ctx: StepContext) -> list[OutMessage]:
    """A tap on the score keyboard of a question already answered (typed, or a double tap):
    the question is edited to show the recorded answer without buttons, so the keyboard goes
    away exactly when it would mislead. A repeated edit (a double tap) is dropped by the
    delivery loop, which knows what the message already shows."""
    if _score_value(value) is None:
        return []
    return _show_recorded_answer(session, here, ctx)


def _score_value(value: str) -> int | None:
    """The score a score button carries ("s7"), or None for any other button."""
    return int(value[1:]) if value.startswith("s") and value[1:].isdigit() else None


def _close_on_leaving(session: Session, here: Destination, ctx: StepContext) -> list[OutMessage]:
    """A survey left by /cancel or a new /feedback: its question loses its buttons, showing
    the score if one was typed (a pressed one already shows)."""
    return _close_question(session, here, ctx) or _show_recorded_answer(session, here, ctx)


def _show_recorded_answer(session: Session, here: Destination, ctx: StepContext) -> list[OutMessage]:
    """The question edited to show the score already recorded, without buttons; nothing when
    there is no score. After a pressed score this repeats the edit already made, which the
    delivery loop does not send twice."""
    survey = ctx.surveys.get(session.survey_id)
    score = session.score
    # A survey whose kind changed since may have a recorded score off its new scale: nothing to show.
    if survey is None or score is None or score not in survey.scale:
        return []
    answered = replace(session, stage=Stage.SCORE)  # as it was when the question was asked
    return _close_question(answered, here, ctx, answer=_answer_label(survey, session.language, score))


# -- wording -------------------------------------------------------------------------


def _say(
    here: Destination,
    ctx: StepContext,
    key: str,
    definition: SurveyDefinition | None = None,
    lang: str = "",
    **kw: object,
) -> OutMessage:
    definition = definition or ctx.surveys.get(ctx.default_survey)
    return OutMessage(here, text(lang or ctx.language, key, definition, **kw))


def _question_text(session: Session, survey: SurveyDefinition) -> str:
    lang = session.language
    return text(lang, f"question_{survey.kind.value}", survey)


def _question(session: Session, survey: SurveyDefinition, here: Destination) -> OutMessage:
    lang = session.language
    hint = text(lang, f"hint_{survey.kind.value}", survey)
    return OutMessage(
        here,
        f"{_question_text(session, survey)}\n{hint}",
        choices=score_choices(survey, lang, session.nonce),
        ref_key=question_ref(session.nonce),
    )


def score_choices(survey: SurveyDefinition, language: str, nonce: str) -> tuple[tuple[Choice, ...], ...]:
    """NPS 0-10 in two rows (0-5, 6-10) so it fits a phone; CSAT and CES one labelled
    button per point, one per row, because their labels are words."""
    scale = survey.scale

    def choice(score: int) -> Choice:
        label = str(score) if survey.kind is Kind.NPS else f"{score} · {_answer_label(survey, language, score)}"
        return Choice(label, button_value(nonce, f"s{score}"), str(score))

    if survey.kind is Kind.NPS:
        return (tuple(choice(s) for s in range(0, 6)), tuple(choice(s) for s in range(6, 11)))
    return tuple((choice(s),) for s in range(scale.low, scale.high + 1))


def _answer_label(survey: SurveyDefinition, language: str, score: int) -> str:
    if survey.kind is Kind.NPS:
        return f"{score}/10"
    return text(language, f"{survey.kind.value}_{score}", survey)


def _close_question(
    session: Session, here: Destination, ctx: StepContext, answer: str | None = None
) -> list[OutMessage]:
    """Edit the question message so its buttons disappear and, when answered, it shows the choice."""
    survey = ctx.surveys.get(session.survey_id)
    if survey is None or session.stage is not Stage.SCORE:
        return []
    body = _question_text(session, survey)
    if answer is not None:
        body = f"{body}\n{text(session.language, 'chosen', survey, answer=answer)}"
    return [OutMessage(here, body, edit_of=question_ref(session.nonce))]


def _score_rules(survey: SurveyDefinition, score: int) -> tuple[str, ...]:
    if not survey.escalation.enabled:
        return ()
    if score in survey.escalation_scores():
        return (f"{classify(survey.kind, score)}_score",)
    return ()


def judge_comment(
    survey: SurveyDefinition, score: int, compound: float | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flags, escalation rules) of a scored comment: the contradiction flags (hidden
    detractor or promoter) and which sentiment rules fire (negative comment, hidden
    detractor). Used in the turn when a scorer is at hand, and by the scoring worker after it."""
    flags = sent.contradiction_flags(mood(survey.kind, score), compound)
    return flags, _comment_rules(survey, compound, flags)


def _comment_rules(survey: SurveyDefinition, compound: float | None, flags: tuple[str, ...]) -> tuple[str, ...]:
    rules: list[str] = []
    if not survey.escalation.enabled:
        return ()
    threshold = survey.escalation.sentiment_threshold
    if threshold is not None and compound is not None and compound <= threshold:
        rules.append("negative_comment")
    if survey.escalation.contradiction and "hidden_detractor" in flags:
        rules.append("hidden_detractor")
    return tuple(rules)
