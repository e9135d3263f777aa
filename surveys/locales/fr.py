"""French catalog.

Register: "vous", because "tu" from a brand still reads as overfamiliar to much of a French-speaking
audience (France, Belgium, Switzerland, Quebec alike).

Typography: a no-break space (written ``\\u00a0`` so it stays visible in review) goes before ? ! : and
inside « », as French typography requires; it also stops a lone "?" from wrapping onto its own line
in a narrow chat bubble.

Templates never put "de" or "le" directly before ``{product}``: the elision ("d'Acme", "l'appli")
depends on the product name, which we do not know. Messages also avoid gendered adjectives about the
reader ("déçu", "sûr") for the same reason; only the CSAT scale keeps the masculine generic, which is
the survey convention.
"""

MESSAGES: dict[str, str] = {
    # Conversation
    "greeting": (
        "Bonjour {name}\u00a0! Je suis l'assistant qui recueille vos avis sur {product}. "
        "Pour nous dire à tout moment ce que vous pensez de nos services, envoyez /feedback."
    ),
    "greeting_no_name": (
        "Bonjour\u00a0! Je suis l'assistant qui recueille vos avis sur {product}. "
        "Pour nous dire à tout moment ce que vous pensez de nos services, envoyez /feedback."
    ),
    "help": (
        "Je recueille votre avis sur {product} en quelques secondes.\n"
        "/feedback\u00a0: lancer un court questionnaire\n"
        "/skip\u00a0: passer le commentaire facultatif\n"
        "/cancel\u00a0: arrêter le questionnaire en cours\n"
        "/stop\u00a0: ne plus recevoir d'invitations (/start pour les réactiver)\n"
        "/mydata\u00a0: obtenir une copie des données que nous conservons sur vous\n"
        "/forget\u00a0: supprimer toutes les données que nous conservons sur vous"
    ),
    "question_nps": "Quelle est la probabilité que vous recommandiez {product} à un ami ou à un collègue\u00a0?",
    "hint_nps": (
        "Appuyez sur une note de 0 (pas du tout probable) à 10 (extrêmement probable), ou tapez-la."
    ),
    "question_csat": "Quel est votre niveau de satisfaction concernant {product}\u00a0?",
    "hint_csat": "Appuyez sur une réponse, ou tapez un chiffre de 1 à 5.",
    "question_ces": (
        "Dans quelle mesure êtes-vous d'accord avec cette affirmation\u00a0? "
        "«\u00a0Avec {product}, j'ai pu facilement {task}.\u00a0»"
    ),
    "hint_ces": (
        "Appuyez sur une réponse, ou tapez un chiffre de 1 (pas du tout d'accord) à 7 (tout à fait d'accord)."
    ),
    "default_task": "obtenir ce dont j'avais besoin",
    "csat_1": "Très insatisfait",
    "csat_2": "Insatisfait",
    "csat_3": "Neutre",
    "csat_4": "Satisfait",
    "csat_5": "Très satisfait",
    "ces_1": "Pas du tout d'accord",
    "ces_2": "Pas d'accord",
    "ces_3": "Plutôt pas d'accord",
    "ces_4": "Neutre",
    "ces_5": "Plutôt d'accord",
    "ces_6": "D'accord",
    "ces_7": "Tout à fait d'accord",
    "chosen": "Votre réponse\u00a0: {answer}",
    "score_understood": "Compris\u00a0: {score} sur {high}.",
    "score_understood_label": "Compris\u00a0: {score} sur {high} ({label}).",
    "reprompt_decimal": "Merci de répondre par un nombre entier de {low} à {high}, sans décimales.",
    "followup_positive": "Quelle bonne nouvelle\u00a0! Qu'appréciez-vous le plus dans {product}\u00a0?",
    "followup_neutral": (
        "Merci\u00a0! Si nous ne devions changer qu'une seule chose pour améliorer {product}, laquelle serait-ce\u00a0?"
    ),
    "followup_negative": (
        "Nous regrettons de ne pas avoir été à la hauteur. "
        "Que s'est-il passé, et que pourrions-nous faire pour arranger les choses\u00a0?"
    ),
    "followup_hint": "Écrivez simplement votre réponse, ou appuyez sur «\u00a0Passer\u00a0».",
    "skip": "Passer",
    "new_survey": "Commencer un nouveau questionnaire",
    # The Slack Home tab (Slack mrkdwn: *bold*, `code`).
    "home_title": "Votre avis",
    "home_intro": (
        "Je pose de courts questionnaires sur notre travail\u00a0: une note, puis un commentaire si vous "
        "le souhaitez (seul le commentaire est facultatif). Ce que vous dites est transmis à l'équipe. "
        "Cela prend quelques secondes."
    ),
    "home_how": (
        "Appuyez sur *Donner mon avis* ou tapez `/feedback` dans n'importe quel canal\u00a0: le "
        "questionnaire arrive dans l'onglet Messages."
    ),
    "home_give": "Donner mon avis",
    "home_stop": "Ne plus recevoir d'invitations",
    "home_resume": "Recevoir à nouveau les invitations",
    "home_privacy": (
        "`/feedback help` liste tout ce que je sais faire. Une fois les invitations arrêtées, plus "
        "aucune n'est envoyée."
    ),
    "thanks": "Merci\u00a0! Votre avis nous aide à améliorer {product}.",
    "thanks_escalated": "Merci de nous l'avoir signalé. Un membre de notre équipe va s'en occuper.",
    "comment_truncated": "Votre commentaire était long, j'en ai donc conservé les {limit} premiers caractères.",
    "reprompt_none": (
        "Pardon, je n'ai pas trouvé de note dans votre message. Merci de répondre par un nombre de {low} à {high}."
    ),
    "reprompt_range": "{score} est en dehors de l'échelle. Merci de répondre par un nombre de {low} à {high}.",
    "reprompt_ambiguous": (
        "Je vois plusieurs nombres dans votre message. Merci de n'en indiquer qu'un seul, de {low} à {high}."
    ),
    "gave_up": "Aucun problème, restons-en là. Vous pouvez recommencer à tout moment avec /feedback.",
    "cancelled": "C'est noté, questionnaire annulé. Plus rien ne sera enregistré.",
    "nothing_to_cancel": "Aucun questionnaire n'est en cours. Envoyez /feedback pour en commencer un.",
    "nothing_to_skip": "Il n'y a rien à passer pour le moment. Envoyez /feedback pour commencer un questionnaire.",
    "expired": (
        "Ce questionnaire a expiré, mais vos réponses précédentes ont été conservées. "
        "Envoyez /feedback pour en commencer un nouveau."
    ),
    "no_survey": "Merci pour votre message\u00a0! Pour nous donner votre avis, envoyez /feedback.",
    "unknown_survey": (
        "Je ne connais pas de questionnaire nommé «\u00a0{survey}\u00a0». "
        "Envoyez /feedback pour lancer le questionnaire habituel."
    ),
    "empty_message": "Ce message semble vide. Merci de répondre par un nombre de {low} à {high}.",
    "groups_unsupported": "Les questionnaires se déroulent en conversation privée. Merci de m'écrire en message privé.",
    # Button presses that cannot be honoured (toasts: keep them short)
    "toast_finished": "Ce questionnaire est déjà terminé.",
    "toast_expired": "Ce questionnaire a expiré.",
    "toast_not_yours": "Ce bouton appartient au questionnaire de quelqu'un d'autre.",
    "toast_stale": "Ce bouton n'est plus actif.",
    "toast_recorded": "C'est noté\u00a0!",
    "toast_already_answered": "Vous avez déjà répondu à cette question.",
    # Invitations and preferences
    "stopped": (
        "C'est fait\u00a0: vous ne recevrez plus d'invitations à nos questionnaires. "
        "Envoyez /start si vous changez d'avis."
    ),
    "resumed": "Bon retour parmi nous\u00a0! Les invitations aux questionnaires sont réactivées.",
    "reminder": "Petit rappel\u00a0: votre réponse nous serait précieuse. Cela ne prend que dix secondes.",
    # Closing the loop
    "staff_reply": "Message du support {product}\u00a0:\n{text}",
    "recovery_question": (
        "Notre équipe a indiqué que votre problème était résolu. Est-ce bien le cas pour vous\u00a0?"
    ),
    "yes": "Oui",
    "no": "Non",
    "recovery_thanks_yes": "Parfait, merci de nous l'avoir confirmé\u00a0!",
    "recovery_thanks_no": "Merci de nous l'avoir dit. Nous allons y regarder de plus près.",
    # Privacy
    "mydata_caption": "Voici toutes les données que nous conservons sur vous.",
    "forget_confirm": (
        "Toutes les données que nous conservons sur vous, y compris vos avis, seront supprimées. "
        "Voulez-vous continuer\u00a0?"
    ),
    "forget_yes": "Oui, supprimer",
    "forget_no": "Conserver",
    "forget_done": "C'est fait. Toutes les données que nous conservions sur vous ont été supprimées.",
    "forget_kept": "Entendu, rien n'a été supprimé.",
    # Root causes and corrective actions (staff)
    "cause_billing": "Erreur de facturation",
    "cause_late_delivery": "Livraison en retard",
    "cause_product_defect": "Défaut du produit",
    "cause_missing_docs": "Documentation manquante",
    "cause_staff_behaviour": "Comportement du personnel",
    "cause_other": "Autre",
    "cause_prompt": "L'alerte #{id} est close. Quelle était la cause profonde\u00a0?",
    "cause_recorded": "Alerte #{id}\u00a0: cause profonde {cause}.",
    "cause_unknown": "Je ne connais pas la cause «\u00a0{cause}\u00a0». Choisissez parmi\u00a0: {causes}",
    "cause_usage": "Utilisation\u00a0: /cause <numéro d'alerte> <cause>. Causes\u00a0: {causes}",
    "action_usage": (
        "Utilisation\u00a0: /action <numéros d'alerte, p. ex. 12,14> <ce qui va changer> "
        "owner:@nom due:AAAA-MM-JJ"
    ),
    "action_bad_due": "Écrivez l'échéance sous la forme due:AAAA-MM-JJ, par exemple due:2026-12-15.",
    "action_no_alert": "Il n'y a pas d'alerte #{id}.",
    "action_created": "Action corrective enregistrée\u00a0: {line}",
    "action_overdue_tag": "EN RETARD",
    "actions_heading": "Actions correctives ouvertes ({count})\u00a0:",
    "actions_none": "Aucune action corrective ouverte.",
    "action_not_found": "Il n'y a pas d'action #{id}. /actions liste celles qui sont ouvertes.",
    "action_already_done": "L'action #{id} était déjà close.",
    "action_done": "Action #{id} terminée\u00a0: {title}",
    "action_no_owner": "(sans responsable)",
    "action_remind_due": (
        "⏰ {owner}\u00a0: l'action #{id} arrive à échéance aujourd'hui "
        "({due})\u00a0: {title} · alertes {alerts}. Envoyez /done {id} quand elle est terminée."
    ),
    "action_remind_overdue": (
        "⚠\ufe0f {owner}\u00a0: l'action #{id} est en retard depuis le "
        "{due}\u00a0: {title} · alertes {alerts}. Envoyez /done {id} quand elle est terminée."
    ),
    # Routing rules (staff: the route line of an alert) and action owners on Slack
    "route_label": "Routage",
    "route_team": "Équipe",
    "route_default": "par défaut (aucune règle ne correspond)",
    "route_everything": "toutes les alertes",
    "route_why_survey": "enquête {value}",
    "route_why_category": "note {value}",
    "route_why_context": "{value}",
    "route_why_language": "langue {value}",
    "route_why_platform": "via {value}",
    "route_why_words": "le commentaire mentionne «\u00a0{value}\u00a0»",
    "action_owner_unknown": (
        "Je ne trouve pas {owner} dans cet espace de travail Slack\u00a0: personne ne serait relancé. "
        "Écrivez owner: suivi d'une mention (tapez @ et choisissez la personne) ou de son identifiant de membre (U…)."
    ),
}

# Words people type for numbers, used by the answer parser (0-10, and 11-20 so that a word
# beyond the scale gets the out-of-range re-prompt instead of "no score found").
# French has no separate counting form for one, so "un" stays even though it is also the article
# ("je mets un 8" will look like two numbers and be asked again rather than guessed). "une" is left
# out: it is never used on its own to mean the number, and would turn "une super appli" into a 1.
# "neuf" also means "new" but is the only word for nine.
NUMBER_WORDS: dict[str, int] = {
    "zéro": 0, "zero": 0,
    "un": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "dix-sept": 17, "dix sept": 17,
    "dix-huit": 18, "dix huit": 18,
    "dix-neuf": 19, "dix neuf": 19,
    "vingt": 20,
}

# Words that mean yes / no, for typed answers to yes/no questions.
# Phones with "smart punctuation" turn ' into ’, so both apostrophes are listed.
YES_WORDS: tuple[str, ...] = (
    "oui", "o", "ouais", "ouai", "ouep", "yes", "ok", "okay", "d'accord", "d’accord", "dac",
    "bien sûr", "bien sur", "tout à fait", "tout a fait", "carrément", "carrement",
    "résolu", "resolu", "c'est résolu", "c’est résolu", "c'est resolu",
)
NO_WORDS: tuple[str, ...] = (
    "non", "n", "nan", "nope", "pas vraiment", "pas du tout", "pas encore", "toujours pas",
)
