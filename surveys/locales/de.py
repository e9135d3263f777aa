"""German catalog.

Register: lowercase "du", because that is what people expect from a brand in a messenger; "Sie" reads
like a letter from the tax office in a chat bubble. Where a sentence works without addressing the
reader at all, it stays impersonal so the tone does not lean on the pronoun.

The CES statement keeps the canonical German wording ("... hat es mir leicht gemacht, ...") so results
stay comparable with other German CES surveys; ``default_task`` is therefore a "zu" infinitive clause.
"""

MESSAGES: dict[str, str] = {
    # Conversation
    "greeting": (
        "Hallo {name}! Ich bin der Feedback-Assistent von {product}. "
        "Wenn du uns sagen möchtest, wie wir uns schlagen, schick einfach /feedback."
    ),
    "greeting_no_name": (
        "Hallo! Ich bin der Feedback-Assistent von {product}. "
        "Wenn du uns sagen möchtest, wie wir uns schlagen, schick einfach /feedback."
    ),
    "help": (
        "Mit mir gibst du in wenigen Fingertipps Feedback zu {product}.\n"
        "/feedback: kurze Umfrage starten\n"
        "/skip: optionalen Kommentar überspringen\n"
        "/cancel: laufende Umfrage abbrechen\n"
        "/stop: keine Einladungen zu Umfragen mehr (/start schaltet sie wieder ein)\n"
        "/mydata: eine Kopie der Daten erhalten, die wir über dich speichern\n"
        "/forget: alle Daten löschen, die wir über dich speichern"
    ),
    "question_nps": "Wie wahrscheinlich ist es, dass du {product} Freunden oder Kollegen weiterempfiehlst?",
    "hint_nps": (
        "Tippe auf eine Zahl von 0 (gar nicht wahrscheinlich) bis 10 (äußerst wahrscheinlich) "
        "oder schreib sie einfach."
    ),
    "question_csat": "Wie zufrieden bist du mit {product}?",
    "hint_csat": "Tippe auf eine Antwort oder schreib eine Zahl von 1 bis 5.",
    "question_ces": "Wie sehr stimmst du dieser Aussage zu: {product} hat es mir leicht gemacht, {task}.",
    "hint_ces": "Tippe auf eine Antwort oder schreib eine Zahl von 1 (stimme gar nicht zu) bis 7 (stimme voll zu).",
    "default_task": "das zu bekommen, was ich brauchte",
    "csat_1": "Sehr unzufrieden",
    "csat_2": "Unzufrieden",
    "csat_3": "Neutral",
    "csat_4": "Zufrieden",
    "csat_5": "Sehr zufrieden",
    "ces_1": "Stimme gar nicht zu",
    "ces_2": "Stimme nicht zu",
    "ces_3": "Stimme eher nicht zu",
    "ces_4": "Neutral",
    "ces_5": "Stimme eher zu",
    "ces_6": "Stimme zu",
    "ces_7": "Stimme voll zu",
    "chosen": "Deine Antwort: {answer}",
    "score_understood": "Verstanden: {score} von {high}.",
    "score_understood_label": "Verstanden: {score} von {high} ({label}).",
    "reprompt_decimal": "Bitte antworte mit einer ganzen Zahl von {low} bis {high}, ohne Kommastellen.",
    "followup_positive": "Das freut uns! Was schätzt du an {product} am meisten?",
    "followup_neutral": "Danke! Was ist das Wichtigste, das wir an {product} für dich verbessern könnten?",
    "followup_negative": (
        "Tut mir leid, dass wir dich enttäuscht haben. Was ist schiefgelaufen und wie könnten wir es "
        "für dich wieder in Ordnung bringen?"
    ),
    "followup_hint": "Schreib einfach deine Antwort oder tippe auf „Überspringen“.",
    "skip": "Überspringen",
    "new_survey": "Neue Umfrage starten",
    # The Slack Home tab (Slack mrkdwn: *bold*, `code`).
    "home_title": "Feedback",
    "home_intro": (
        "Ich stelle kurze Umfragen dazu, wie wir uns schlagen: eine Bewertung, dann auf Wunsch ein "
        "Kommentar (nur den Kommentar kannst du überspringen). Was du schreibst, geht an das Team. Es "
        "dauert nur ein paar Sekunden."
    ),
    "home_how": (
        "Drück auf *Feedback geben* oder tippe `/feedback` in einem beliebigen Channel: Die Umfrage "
        "kommt im Tab „Nachrichten“ an."
    ),
    "home_give": "Feedback geben",
    "home_stop": "Keine Umfrage-Einladungen mehr",
    "home_resume": "Umfrage-Einladungen wieder erhalten",
    "home_privacy": (
        "`/feedback help` zeigt alles, was ich kann. Nach dem Abbestellen bekommst du keine Einladungen "
        "mehr."
    ),
    "thanks": "Vielen Dank! Dein Feedback hilft uns, {product} besser zu machen.",
    "thanks_escalated": "Danke, dass du uns Bescheid gibst. Jemand aus unserem Team kümmert sich darum.",
    "comment_truncated": "Dein Kommentar war recht lang, deshalb habe ich die ersten {limit} Zeichen behalten.",
    "reprompt_none": (
        "Sorry, darin konnte ich keine Bewertung erkennen. Bitte antworte mit einer Zahl von {low} bis {high}."
    ),
    "reprompt_range": "{score} liegt außerhalb der Skala. Bitte antworte mit einer Zahl von {low} bis {high}.",
    "reprompt_ambiguous": "Da sehe ich mehr als eine Zahl. Bitte schick mir nur eine, von {low} bis {high}.",
    "gave_up": "Kein Problem, lassen wir es dabei. Mit /feedback kannst du jederzeit neu starten.",
    "cancelled": "Alles klar, Umfrage abgebrochen. Es wird nichts weiter gespeichert.",
    "nothing_to_cancel": "Gerade läuft keine Umfrage. Schick /feedback, um eine zu starten.",
    "nothing_to_skip": "Gerade gibt es nichts zu überspringen. Schick /feedback, um eine Umfrage zu starten.",
    "expired": (
        "Diese Umfrage ist abgelaufen, deine bisherigen Antworten bleiben aber gespeichert. "
        "Schick /feedback, um eine neue zu starten."
    ),
    "no_survey": "Danke für deine Nachricht! Wenn du uns Feedback geben möchtest, schick /feedback.",
    "unknown_survey": (
        "Eine Umfrage namens „{survey}“ kenne ich leider nicht. Schick /feedback, um die Standardumfrage zu starten."
    ),
    "empty_message": "Diese Nachricht scheint leer zu sein. Bitte antworte mit einer Zahl von {low} bis {high}.",
    "groups_unsupported": "Umfragen laufen nur im privaten Chat. Schreib mir bitte eine Direktnachricht.",
    # Button presses that cannot be honoured (toasts: keep them short)
    "toast_finished": "Diese Umfrage ist bereits abgeschlossen.",
    "toast_expired": "Diese Umfrage ist abgelaufen.",
    "toast_not_yours": "Dieser Button gehört zur Umfrage einer anderen Person.",
    "toast_stale": "Dieser Button ist nicht mehr aktiv.",
    "toast_recorded": "Notiert!",
    "toast_already_answered": "Diese Frage hast du schon beantwortet.",
    # Invitations and preferences
    "stopped": (
        "Erledigt: Du bekommst keine Einladungen zu Umfragen mehr. Schick /start, falls du es dir anders überlegst."
    ),
    "resumed": "Willkommen zurück! Einladungen zu Umfragen sind wieder aktiv.",
    "reminder": "Kurze Erinnerung: Wir würden uns sehr über deine Antwort freuen. Es dauert nur zehn Sekunden.",
    # Closing the loop
    "staff_reply": "Nachricht vom Support-Team von {product}:\n{text}",
    "recovery_question": "Unser Team hat dein Anliegen als gelöst markiert. Ist das Problem für dich wirklich gelöst?",
    "yes": "Ja",
    "no": "Nein",
    "recovery_thanks_yes": "Wunderbar, danke für deine Rückmeldung!",
    "recovery_thanks_no": "Danke für den Hinweis. Wir sehen es uns noch einmal an.",
    # Privacy
    "mydata_caption": "Hier sind alle Daten, die wir über dich speichern.",
    "forget_confirm": "Damit löschst du alle Daten, die wir über dich speichern, auch dein Feedback. Bist du sicher?",
    "forget_yes": "Ja, löschen",
    "forget_no": "Behalten",
    "forget_done": "Erledigt. Alle Daten, die wir über dich gespeichert hatten, wurden gelöscht.",
    "forget_kept": "Alles klar, es wurde nichts gelöscht.",
    # Root causes and corrective actions (staff)
    "cause_billing": "Abrechnungsfehler",
    "cause_late_delivery": "Verspätete Lieferung",
    "cause_product_defect": "Produktmangel",
    "cause_missing_docs": "Fehlende Dokumentation",
    "cause_staff_behaviour": "Verhalten des Personals",
    "cause_other": "Sonstiges",
    "cause_prompt": "Meldung #{id} ist abgeschlossen. Was war die Ursache?",
    "cause_recorded": "Meldung #{id}: Ursache {cause}.",
    "cause_unknown": "Die Ursache „{cause}“ kenne ich nicht. Wähle eine davon: {causes}",
    "cause_usage": "So geht's: /cause <Meldungsnummer> <Ursache>. Ursachen: {causes}",
    "action_usage": "So geht's: /action <Meldungsnummern, z. B. 12,14> <was sich ändert> owner:@name due:JJJJ-MM-TT",
    "action_bad_due": "Schreibe das Fälligkeitsdatum als due:JJJJ-MM-TT, zum Beispiel due:2026-12-15.",
    "action_no_alert": "Es gibt keine Meldung #{id}.",
    "action_created": "Korrekturmaßnahme erfasst: {line}",
    "action_overdue_tag": "ÜBERFÄLLIG",
    "actions_heading": "Offene Korrekturmaßnahmen ({count}):",
    "actions_none": "Keine offenen Korrekturmaßnahmen.",
    "action_not_found": "Es gibt keine Maßnahme #{id}. /actions zeigt die offenen.",
    "action_already_done": "Maßnahme #{id} war schon abgeschlossen.",
    "action_done": "Maßnahme #{id} ist erledigt: {title}",
    "action_no_owner": "(niemand zuständig)",
    "action_remind_due": (
        "⏰ {owner}: Maßnahme #{id} ist heute fällig ({due}): {title} · Meldungen "
        "{alerts}. Sende /done {id}, wenn sie erledigt ist."
    ),
    "action_remind_overdue": (
        "⚠\ufe0f {owner}: Maßnahme #{id} ist seit {due} überfällig: {title} · "
        "Meldungen {alerts}. Sende /done {id}, wenn sie erledigt ist."
    ),
    # Routing rules (staff: the route line of an alert) and action owners on Slack
    "route_label": "Route",
    "route_team": "Team",
    "route_default": "Standard (keine Route passte)",
    "route_everything": "jede Meldung",
    "route_why_survey": "Umfrage {value}",
    "route_why_category": "Bewertung {value}",
    "route_why_context": "{value}",
    "route_why_language": "Sprache {value}",
    "route_why_platform": "über {value}",
    "route_why_words": "Kommentar nennt „{value}“",
    "action_owner_unknown": (
        "Ich finde {owner} in diesem Slack-Workspace nicht, also würde niemand erinnert. "
        "Schreibe owner: mit einer Erwähnung (@ tippen und die Person wählen) oder ihrer Mitglieds-ID (U…)."
    ),
}

# Words people type for numbers, used by the answer parser (0-10, and 11-20 so that a word
# beyond the scale gets the out-of-range re-prompt instead of "no score found").
# "ein", "eine", "einen" are left out on purpose: they are the indefinite article, so a typical
# answer like "ich gebe eine 8" or "ein super Produkt" would read as a second number or as a 1.
# "eins" is what Germans say when they mean the number. "zwo" is the common spoken variant of
# "zwei"; "fuenf"/"funf" cover keyboards without umlauts. "null" stays despite "null Probleme":
# it is the only word for zero and, as an answer on its own, unambiguous.
NUMBER_WORDS: dict[str, int] = {
    "null": 0,
    "eins": 1,
    "zwei": 2, "zwo": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5, "fuenf": 5, "funf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwölf": 12, "zwoelf": 12, "zwolf": 12,
    "dreizehn": 13,
    "vierzehn": 14,
    "fünfzehn": 15, "fuenfzehn": 15, "funfzehn": 15,
    "sechzehn": 16,
    "siebzehn": 17,
    "achtzehn": 18,
    "neunzehn": 19,
    "zwanzig": 20,
}

# Words that mean yes / no, for typed answers to yes/no questions.
YES_WORDS: tuple[str, ...] = (
    "ja", "j", "jo", "jap", "jep", "jup", "jawohl", "ja klar", "klar", "genau", "sicher",
    "ok", "okay", "passt", "gelöst", "geloest",
)
NO_WORDS: tuple[str, ...] = (
    "nein", "n", "nee", "ne", "nö", "noe", "nope", "nicht wirklich", "eher nicht", "noch nicht", "leider nicht",
)
