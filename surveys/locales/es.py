"""Spanish catalog.

Register: "tú", the norm for brands in chat on both sides of the Atlantic. The wording aims to read
naturally in Spain and in Latin America alike: no "vosotros", no regionalisms such as "vale" or
"ahorita" in the messages, and "Omitir" for skip because it is the label both markets know from apps.

Messages avoid adjectives that agree with the reader's gender ("¿Seguro?", "Bienvenido") because we do
not know it; only the CSAT scale keeps the masculine generic, which is the survey convention.
"""

MESSAGES: dict[str, str] = {
    # Conversation
    "greeting": (
        "¡Hola, {name}! Soy el asistente de {product} que recoge tus opiniones. "
        "Cuando quieras contarnos qué tal lo estamos haciendo, envía /feedback."
    ),
    "greeting_no_name": (
        "¡Hola! Soy el asistente de {product} que recoge tus opiniones. "
        "Cuando quieras contarnos qué tal lo estamos haciendo, envía /feedback."
    ),
    "help": (
        "Conmigo puedes darnos tu opinión sobre {product} con unos pocos toques.\n"
        "/feedback: empezar una encuesta breve\n"
        "/skip: omitir el comentario opcional\n"
        "/cancel: detener la encuesta actual\n"
        "/stop: dejar de recibir invitaciones a encuestas (/start las vuelve a activar)\n"
        "/mydata: obtener una copia de los datos que guardamos sobre ti\n"
        "/forget: borrar todos los datos que guardamos sobre ti"
    ),
    "question_nps": "¿Qué probabilidad hay de que recomiendes {product} a un amigo o a un colega?",
    "hint_nps": "Toca un número del 0 (nada probable) al 10 (muy probable) o escríbelo.",
    "question_csat": "¿Cuál es tu nivel de satisfacción con {product}?",
    "hint_csat": "Toca una respuesta o escribe un número del 1 al 5.",
    "question_ces": "¿En qué medida estás de acuerdo con esta afirmación? «Con {product} me resultó fácil {task}».",
    "hint_ces": (
        "Toca una respuesta o escribe un número del 1 (totalmente en desacuerdo) al 7 (totalmente de acuerdo)."
    ),
    "default_task": "conseguir lo que necesitaba",
    "csat_1": "Muy insatisfecho",
    "csat_2": "Insatisfecho",
    "csat_3": "Neutral",
    "csat_4": "Satisfecho",
    "csat_5": "Muy satisfecho",
    "ces_1": "Totalmente en desacuerdo",
    "ces_2": "En desacuerdo",
    "ces_3": "Algo en desacuerdo",
    "ces_4": "Neutral",
    "ces_5": "Algo de acuerdo",
    "ces_6": "De acuerdo",
    "ces_7": "Totalmente de acuerdo",
    "chosen": "Tu respuesta: {answer}",
    "score_understood": "Entendido: {score} de {high}.",
    "score_understood_label": "Entendido: {score} de {high} ({label}).",
    "reprompt_decimal": "Responde con un número entero del {low} al {high}, sin decimales, por favor.",
    "followup_positive": "¡Qué bien! ¿Qué es lo que más valoras de {product}?",
    "followup_neutral": "¡Gracias! Si pudiéramos cambiar una sola cosa para mejorar {product}, ¿cuál sería?",
    "followup_negative": "Lamento que te hayamos decepcionado. ¿Qué salió mal y cómo podríamos solucionarlo?",
    "followup_hint": "Escribe tu respuesta o toca «Omitir».",
    "skip": "Omitir",
    "new_survey": "Empezar una encuesta nueva",
    # The Slack Home tab (Slack mrkdwn: *bold*, `code`).
    "home_title": "Tu opinión",
    "home_intro": (
        "Hago encuestas breves sobre cómo lo estamos haciendo: una puntuación y, si quieres, un "
        "comentario (solo el comentario se puede omitir). Lo que digas llega al equipo. Solo lleva unos "
        "segundos."
    ),
    "home_how": (
        "Pulsa *Dar mi opinión* o escribe `/feedback` en cualquier canal: la encuesta llega a la pestaña "
        "Mensajes."
    ),
    "home_give": "Dar mi opinión",
    "home_stop": "No recibir más invitaciones",
    "home_resume": "Volver a recibir invitaciones",
    "home_privacy": (
        "`/feedback help` muestra todo lo que puedo hacer. Si desactivas las invitaciones, no se envía "
        "ninguna más."
    ),
    "thanks": "¡Gracias! Tu opinión nos ayuda a mejorar {product}.",
    "thanks_escalated": "Gracias por contárnoslo. Alguien de nuestro equipo lo revisará.",
    "comment_truncated": "Tu comentario era largo, así que guardé los primeros {limit} caracteres.",
    "reprompt_none": (
        "Perdona, no encontré ninguna puntuación en tu mensaje. "
        "Responde con un número del {low} al {high}, por favor."
    ),
    "reprompt_range": "{score} está fuera de la escala. Responde con un número del {low} al {high}, por favor.",
    "reprompt_ambiguous": "Veo más de un número en tu mensaje. Responde con uno solo, del {low} al {high}, por favor.",
    "gave_up": "No pasa nada, lo dejamos aquí. Puedes volver a empezar cuando quieras con /feedback.",
    "cancelled": "De acuerdo, encuesta cancelada. No se guardará nada más.",
    "nothing_to_cancel": "No hay ninguna encuesta en curso. Envía /feedback para empezar una.",
    "nothing_to_skip": "Ahora mismo no hay nada que omitir. Envía /feedback para empezar una encuesta.",
    "expired": (
        "Esta encuesta ha expirado, pero guardamos lo que respondiste antes. Envía /feedback para empezar una nueva."
    ),
    "no_survey": "¡Gracias por tu mensaje! Si quieres darnos tu opinión, envía /feedback.",
    "unknown_survey": "No conozco ninguna encuesta llamada «{survey}». Envía /feedback para empezar la habitual.",
    "empty_message": "Ese mensaje parece estar vacío. Responde con un número del {low} al {high}, por favor.",
    "groups_unsupported": "Las encuestas se hacen en un chat privado. Escríbeme un mensaje directo, por favor.",
    # Button presses that cannot be honoured (toasts: keep them short)
    "toast_finished": "Esta encuesta ya ha finalizado.",
    "toast_expired": "Esta encuesta ha expirado.",
    "toast_not_yours": "Este botón es de la encuesta de otra persona.",
    "toast_stale": "Este botón ya no está activo.",
    "toast_recorded": "¡Anotado!",
    "toast_already_answered": "Ya respondiste a esta pregunta.",
    # Invitations and preferences
    "stopped": "Listo: ya no recibirás invitaciones a encuestas. Envía /start si cambias de opinión.",
    "resumed": "¡Hola de nuevo! Las invitaciones a encuestas vuelven a estar activadas.",
    "reminder": "Un recordatorio rápido: nos encantaría conocer tu respuesta. Solo te llevará diez segundos.",
    # Closing the loop
    "staff_reply": "Mensaje del equipo de soporte de {product}:\n{text}",
    "recovery_question": "Nuestro equipo marcó tu problema como resuelto. ¿De verdad está solucionado?",
    "yes": "Sí",
    "no": "No",
    "recovery_thanks_yes": "¡Genial, gracias por avisarnos!",
    "recovery_thanks_no": "Gracias por contárnoslo. Lo revisaremos de nuevo.",
    # Privacy
    "mydata_caption": "Aquí tienes todos los datos que guardamos sobre ti.",
    "forget_confirm": (
        "Esto borrará todos los datos que guardamos sobre ti, incluidas tus opiniones. ¿Quieres continuar?"
    ),
    "forget_yes": "Sí, borrar",
    "forget_no": "Conservar",
    "forget_done": "Listo. Ya no guardamos ningún dato sobre ti.",
    "forget_kept": "De acuerdo, tus datos siguen intactos.",
    # Root causes and corrective actions (staff)
    "cause_billing": "Error de facturación",
    "cause_late_delivery": "Entrega tardía",
    "cause_product_defect": "Defecto del producto",
    "cause_missing_docs": "Falta documentación",
    "cause_staff_behaviour": "Trato del personal",
    "cause_other": "Otra",
    "cause_prompt": "La alerta #{id} está cerrada. ¿Cuál fue la causa raíz?",
    "cause_recorded": "Alerta #{id}: causa raíz {cause}.",
    "cause_unknown": "No conozco la causa «{cause}». Elige una de estas: {causes}",
    "cause_usage": "Uso: /cause <número de alerta> <causa>. Causas: {causes}",
    "action_usage": "Uso: /action <números de alerta, p. ej. 12,14> <qué va a cambiar> owner:@nombre due:AAAA-MM-DD",
    "action_bad_due": "Escribe la fecha límite como due:AAAA-MM-DD, por ejemplo due:2026-12-15.",
    "action_no_alert": "No existe la alerta #{id}.",
    "action_created": "Acción correctiva registrada: {line}",
    "action_overdue_tag": "VENCIDA",
    "actions_heading": "Acciones correctivas abiertas ({count}):",
    "actions_none": "No hay acciones correctivas abiertas.",
    "action_not_found": "No existe la acción #{id}. /actions muestra las abiertas.",
    "action_already_done": "La acción #{id} ya estaba cerrada.",
    "action_done": "Acción #{id} terminada: {title}",
    "action_no_owner": "(sin responsable)",
    "action_remind_due": (
        "⏰ {owner}: la acción #{id} vence hoy ({due}): {title} · alertas {alerts}. "
        "Envía /done {id} cuando esté terminada."
    ),
    "action_remind_overdue": (
        "⚠\ufe0f {owner}: la acción #{id} está vencida desde {due}: {title} · "
        "alertas {alerts}. Envía /done {id} cuando esté terminada."
    ),
    # Routing rules (staff: the route line of an alert) and action owners on Slack
    "route_label": "Ruta",
    "route_team": "Equipo",
    "route_default": "predeterminada (ninguna ruta coincidió)",
    "route_everything": "todas las alertas",
    "route_why_survey": "encuesta {value}",
    "route_why_category": "puntuación {value}",
    "route_why_context": "{value}",
    "route_why_language": "idioma {value}",
    "route_why_platform": "vía {value}",
    "route_why_words": "el comentario menciona «{value}»",
    "action_owner_unknown": (
        "No encuentro a {owner} en este espacio de trabajo de Slack, así que nadie recibiría "
        "el recordatorio. Escribe owner: con una mención (escribe @ y elige a la persona) o su ID de miembro (U…)."
    ),
}

# Words people type for numbers, used by the answer parser (0-10, and 11-20 so that a word
# beyond the scale gets the out-of-range re-prompt instead of "no score found").
# "un" and "una" are left out on purpose: they are the indefinite article, and Spanish speakers
# grade with it ("le doy un 9", "una maravilla de app"), which would read as a second number or a 1.
# "uno" is the form used when the number stands alone. No number up to ten carries an accent.
NUMBER_WORDS: dict[str, int] = {
    "cero": 0,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciséis": 16, "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
}

# Words that mean yes / no, for typed answers to yes/no questions.
YES_WORDS: tuple[str, ...] = (
    "sí", "si", "s", "sip", "claro", "claro que sí", "claro que si", "por supuesto", "así es", "asi es",
    "vale", "dale", "ok", "okay", "de acuerdo", "resuelto", "resuelta",
)
NO_WORDS: tuple[str, ...] = (
    "no", "n", "nop", "para nada", "no del todo", "la verdad es que no",
    "todavía no", "todavia no", "aún no", "aun no",
)
