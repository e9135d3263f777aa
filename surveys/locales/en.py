"""English: the reference catalog. Every other language must define the same keys
(a unit test checks), with the same ``{placeholders}``."""

MESSAGES: dict[str, str] = {
    # Conversation
    "greeting": (
        "Hi {name}! I'm the feedback assistant for {product}. "
        "Whenever you want to tell us how we're doing, send /feedback."
    ),
    "greeting_no_name": (
        "Hi! I'm the feedback assistant for {product}. Whenever you want to tell us how we're doing, send /feedback."
    ),
    "help": (
        "I collect feedback for {product} in a few quick taps.\n"
        "/feedback: start a short survey\n"
        "/skip: skip the optional comment\n"
        "/cancel: stop the current survey\n"
        "/stop: no more survey invitations (/start turns them back on)\n"
        "/mydata: get a copy of what we store about you\n"
        "/forget: delete everything we store about you"
    ),
    "question_nps": "How likely are you to recommend {product} to a friend or colleague?",
    "hint_nps": "Tap a number from 0 (not at all likely) to 10 (extremely likely), or type it.",
    "question_csat": "How satisfied are you with {product}?",
    "hint_csat": "Tap an answer, or type a number from 1 to 5.",
    "question_ces": "How much do you agree: {product} made it easy for me to {task}.",
    "hint_ces": "Tap an answer, or type a number from 1 (strongly disagree) to 7 (strongly agree).",
    "default_task": "get what I needed",
    "csat_1": "Very unsatisfied",
    "csat_2": "Unsatisfied",
    "csat_3": "Neutral",
    "csat_4": "Satisfied",
    "csat_5": "Very satisfied",
    "ces_1": "Strongly disagree",
    "ces_2": "Disagree",
    "ces_3": "Somewhat disagree",
    "ces_4": "Neutral",
    "ces_5": "Somewhat agree",
    "ces_6": "Agree",
    "ces_7": "Strongly agree",
    "chosen": "Your answer: {answer}",
    "score_understood": "Got it: {score} out of {high}.",
    "score_understood_label": "Got it: {score} out of {high} ({label}).",
    "reprompt_decimal": "Please reply with a whole number from {low} to {high}, without decimals.",
    "followup_positive": "Great to hear! What do you value most about {product}?",
    "followup_neutral": "Thanks! What is the one thing we could do to make {product} better for you?",
    "followup_negative": "I'm sorry we let you down. What went wrong, and what would fix it for you?",
    "followup_hint": "Just type your answer, or tap Skip.",
    "skip": "Skip",
    "new_survey": "Start a new survey",
    # The Slack Home tab (Slack mrkdwn: *bold*, `code`).
    "home_title": "Feedback",
    "home_intro": (
        "I ask short surveys about how we are doing: a score, then a comment if you like (only the "
        "comment can be skipped). What you say goes to the team. It takes a few seconds."
    ),
    "home_how": "Press *Give feedback* or type `/feedback` in any channel: the survey arrives in the Messages tab.",
    "home_give": "Give feedback",
    "home_stop": "Stop survey invitations",
    "home_resume": "Resume survey invitations",
    "home_privacy": "`/feedback help` lists everything I can do. Invitations are never sent after you stop them.",
    "thanks": "Thank you! Your feedback helps us make {product} better.",
    "thanks_escalated": "Thank you for telling us. Someone from our team will look into it.",
    "comment_truncated": "Your comment was long, so I kept the first {limit} characters.",
    "reprompt_none": "Sorry, I couldn't find a score in that. Please reply with a number from {low} to {high}.",
    "reprompt_range": "{score} is outside the scale. Please reply with a number from {low} to {high}.",
    "reprompt_ambiguous": "I see more than one number there. Please reply with just one, from {low} to {high}.",
    "gave_up": "No problem, let's leave it there. You can start again any time with /feedback.",
    "cancelled": "Okay, survey cancelled. Nothing more will be recorded.",
    "nothing_to_cancel": "There's no survey in progress. Send /feedback to start one.",
    "nothing_to_skip": "There's nothing to skip right now. Send /feedback to start a survey.",
    "expired": "That survey has expired, but what you answered before was kept. Send /feedback to start a new one.",
    "no_survey": "Thanks for your message! To share feedback, send /feedback.",
    "unknown_survey": "I don't know a survey called \u201c{survey}\u201d. Send /feedback to start the default one.",
    "empty_message": "That message looks empty. Please reply with a number from {low} to {high}.",
    "groups_unsupported": "Surveys run in a private chat. Please send me a direct message.",
    # Button presses that cannot be honoured (toasts: keep them short)
    "toast_finished": "This survey is already finished.",
    "toast_expired": "This survey has expired.",
    "toast_not_yours": "This button belongs to someone else's survey.",
    "toast_stale": "This button is no longer active.",
    "toast_recorded": "Got it!",
    "toast_already_answered": "You already answered this question.",
    # Invitations and preferences
    "stopped": "Done: you won't get survey invitations any more. Send /start if you change your mind.",
    "resumed": "Welcome back! Survey invitations are on again.",
    "reminder": "A quick reminder: we'd love your answer. It takes ten seconds.",
    # Closing the loop
    "staff_reply": "Message from the {product} support team:\n{text}",
    "recovery_question": "Our team has marked your issue as resolved. Was it solved for you?",
    "yes": "Yes",
    "no": "No",
    "recovery_thanks_yes": "Wonderful, thank you for letting us know!",
    "recovery_thanks_no": "Thanks for telling us. We'll take another look.",
    # Privacy
    "mydata_caption": "Here is everything we store about you.",
    "forget_confirm": "This deletes everything we store about you, including your feedback. Are you sure?",
    "forget_yes": "Yes, delete it",
    "forget_no": "Keep it",
    "forget_done": "Done. Everything we stored about you has been deleted.",
    "forget_kept": "Okay, nothing was deleted.",
    # Root causes and corrective actions (staff)
    "cause_billing": "Billing error",
    "cause_late_delivery": "Late delivery",
    "cause_product_defect": "Product defect",
    "cause_missing_docs": "Missing documentation",
    "cause_staff_behaviour": "Staff behaviour",
    "cause_other": "Other",
    "cause_prompt": "Alert #{id} is resolved. What was the root cause?",
    "cause_recorded": "Alert #{id}: root cause {cause}.",
    "cause_unknown": "I don't know the cause “{cause}”. Choose one of: {causes}",
    "cause_usage": "Usage: /cause <alert number> <cause>. Causes: {causes}",
    "action_usage": "Usage: /action <alert numbers, e.g. 12,14> <what will change> owner:@name due:YYYY-MM-DD",
    "action_bad_due": "Write the due date as due:YYYY-MM-DD, for example due:2026-12-15.",
    "action_no_alert": "There is no alert #{id}.",
    "action_created": "Corrective action recorded: {line}",
    "action_overdue_tag": "OVERDUE",
    "actions_heading": "Open corrective actions ({count}):",
    "actions_none": "No open corrective actions.",
    "action_not_found": "There is no action #{id}. /actions lists the open ones.",
    "action_already_done": "Action #{id} was already closed.",
    "action_done": "Action #{id} is done: {title}",
    "action_no_owner": "(no owner)",
    "action_remind_due": (
        "⏰ {owner}: action #{id} is due today ({due}): {title} · alerts {alerts}. "
        "Send /done {id} when it is finished."
    ),
    "action_remind_overdue": (
        "⚠\ufe0f {owner}: action #{id} is overdue since {due}: {title} · alerts "
        "{alerts}. Send /done {id} when it is finished."
    ),
    # Routing rules (staff: the route line of an alert) and action owners on Slack
    "route_label": "Route",
    "route_team": "Team",
    "route_default": "default (no route matched)",
    "route_everything": "every alert",
    "route_why_survey": "survey {value}",
    "route_why_category": "score {value}",
    "route_why_context": "{value}",
    "route_why_language": "language {value}",
    "route_why_platform": "via {value}",
    "route_why_words": "comment mentions “{value}”",
    "action_owner_unknown": (
        "I can't find {owner} in this Slack workspace, so nobody would be reminded. "
        "Write owner: with a mention (type @ and pick the person) or their member ID (U…)."
    ),
}

# Words people type for numbers, used by the answer parser (0-10, and 11-20 so that a word
# beyond the scale gets the out-of-range re-prompt instead of "no score found").
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}

# Words that mean yes / no, for typed answers to yes/no questions.
YES_WORDS: tuple[str, ...] = ("yes", "y", "yeah", "yep", "sure", "solved", "ok", "okay")
NO_WORDS: tuple[str, ...] = ("no", "n", "nope", "not really", "not yet")
