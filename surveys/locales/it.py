"""Italian catalog.

Register: "tu", which Italian brands use almost universally in apps and chat; "Lei" would feel stiff
next to buttons and emoji-sized messages.

Messages avoid adjectives that agree with the reader's gender ("Sei sicuro?", "Bentornato") because we
do not know it; only the CSAT scale keeps the masculine generic, which is the survey convention.
"""

MESSAGES: dict[str, str] = {
    # Conversation
    "greeting": (
        "Ciao, {name}! Sono l'assistente che raccoglie le opinioni su {product}. "
        "Quando vuoi dirci come stiamo andando, invia /feedback."
    ),
    "greeting_no_name": (
        "Ciao! Sono l'assistente che raccoglie le opinioni su {product}. "
        "Quando vuoi dirci come stiamo andando, invia /feedback."
    ),
    "help": (
        "Con me puoi darci la tua opinione su {product} in pochi tocchi.\n"
        "/feedback: inizia un breve sondaggio\n"
        "/skip: salta il commento facoltativo\n"
        "/cancel: interrompi il sondaggio in corso\n"
        "/stop: non ricevere più inviti ai sondaggi (/start li riattiva)\n"
        "/mydata: ricevi una copia dei dati che conserviamo su di te\n"
        "/forget: cancella tutti i dati che conserviamo su di te"
    ),
    "question_nps": "Quanto è probabile che consigli {product} a un amico o a un collega?",
    "hint_nps": "Tocca un numero da 0 (per niente probabile) a 10 (estremamente probabile) oppure scrivilo.",
    "question_csat": "Qual è il tuo livello di soddisfazione per {product}?",
    "hint_csat": "Tocca una risposta oppure scrivi un numero da 1 a 5.",
    "question_ces": "Quanto sei d'accordo con questa affermazione? «Con {product} è stato facile {task}».",
    "hint_ces": (
        "Tocca una risposta oppure scrivi un numero da 1 (per niente d'accordo) a 7 (pienamente d'accordo)."
    ),
    "default_task": "ottenere ciò che mi serviva",
    "csat_1": "Molto insoddisfatto",
    "csat_2": "Insoddisfatto",
    "csat_3": "Neutrale",
    "csat_4": "Soddisfatto",
    "csat_5": "Molto soddisfatto",
    "ces_1": "Per niente d'accordo",
    "ces_2": "In disaccordo",
    "ces_3": "Poco d'accordo",
    "ces_4": "Neutrale",
    "ces_5": "Abbastanza d'accordo",
    "ces_6": "D'accordo",
    "ces_7": "Pienamente d'accordo",
    "chosen": "La tua risposta: {answer}",
    "score_understood": "Ricevuto: {score} su {high}.",
    "score_understood_label": "Ricevuto: {score} su {high} ({label}).",
    "reprompt_decimal": "Rispondi con un numero intero da {low} a {high}, senza decimali.",
    "followup_positive": "Che bello sentirlo! Qual è la cosa che apprezzi di più in {product}?",
    "followup_neutral": "Grazie! Se potessimo cambiare una sola cosa per migliorare {product}, quale sarebbe?",
    "followup_negative": (
        "Ci dispiace di non essere stati all'altezza. Cosa è andato storto e cosa potremmo fare per rimediare?"
    ),
    "followup_hint": "Scrivi pure la tua risposta oppure tocca «Salta».",
    "skip": "Salta",
    "new_survey": "Inizia un nuovo sondaggio",
    # The Slack Home tab (Slack mrkdwn: *bold*, `code`).
    "home_title": "Feedback",
    "home_intro": (
        "Faccio brevi sondaggi su come stiamo andando: un punteggio e poi, se vuoi, un commento (si può "
        "saltare solo il commento). Quello che scrivi arriva al team. Bastano pochi secondi."
    ),
    "home_how": (
        "Premi *Lascia un feedback* o scrivi `/feedback` in qualsiasi canale: il sondaggio arriva nella "
        "scheda Messaggi."
    ),
    "home_give": "Lascia un feedback",
    "home_stop": "Non ricevere più inviti",
    "home_resume": "Ricevi di nuovo gli inviti",
    "home_privacy": "`/feedback help` elenca tutto ciò che posso fare. Dopo averli disattivati, non ricevi più inviti.",
    "thanks": "Grazie! La tua opinione ci aiuta a migliorare {product}.",
    "thanks_escalated": "Grazie per avercelo detto. Qualcuno del nostro team se ne occuperà.",
    "comment_truncated": "Il tuo commento era lungo, quindi ho tenuto i primi {limit} caratteri.",
    "reprompt_none": (
        "Scusa, non ho trovato nessun punteggio nel tuo messaggio. Rispondi con un numero da {low} a {high}."
    ),
    "reprompt_range": "{score} è fuori scala. Rispondi con un numero da {low} a {high}.",
    "reprompt_ambiguous": "Vedo più di un numero. Rispondi con uno solo, da {low} a {high}.",
    "gave_up": "Nessun problema, lasciamo perdere per ora. Puoi ricominciare quando vuoi con /feedback.",
    "cancelled": "Ok, sondaggio annullato. Non verrà registrato nient'altro.",
    "nothing_to_cancel": "Non c'è nessun sondaggio in corso. Invia /feedback per iniziarne uno.",
    "nothing_to_skip": "Al momento non c'è niente da saltare. Invia /feedback per iniziare un sondaggio.",
    "expired": (
        "Questo sondaggio è scaduto, ma abbiamo conservato le risposte che avevi già dato. "
        "Invia /feedback per iniziarne uno nuovo."
    ),
    "no_survey": "Grazie per il messaggio! Per darci la tua opinione, invia /feedback.",
    "unknown_survey": (
        "Non conosco nessun sondaggio chiamato «{survey}». Invia /feedback per iniziare quello predefinito."
    ),
    "empty_message": "Questo messaggio sembra vuoto. Rispondi con un numero da {low} a {high}.",
    "groups_unsupported": "I sondaggi si svolgono in chat privata. Mandami un messaggio diretto.",
    # Button presses that cannot be honoured (toasts: keep them short)
    "toast_finished": "Questo sondaggio è già concluso.",
    "toast_expired": "Questo sondaggio è scaduto.",
    "toast_not_yours": "Questo pulsante appartiene al sondaggio di un'altra persona.",
    "toast_stale": "Questo pulsante non è più attivo.",
    "toast_recorded": "Ricevuto!",
    "toast_already_answered": "Hai già risposto a questa domanda.",
    # Invitations and preferences
    "stopped": "Fatto: non riceverai più inviti ai sondaggi. Invia /start se cambi idea.",
    "resumed": "Che bello rivederti! Gli inviti ai sondaggi sono di nuovo attivi.",
    "reminder": "Un piccolo promemoria: ci farebbe davvero piacere avere la tua risposta. Bastano dieci secondi.",
    # Closing the loop
    "staff_reply": "Messaggio dal team di assistenza di {product}:\n{text}",
    "recovery_question": (
        "Il nostro team ha contrassegnato la tua segnalazione come risolta. Per te è davvero tutto a posto?"
    ),
    "yes": "Sì",
    "no": "No",
    "recovery_thanks_yes": "Fantastico, grazie per avercelo fatto sapere!",
    "recovery_thanks_no": "Grazie per avercelo detto. Ci daremo un'altra occhiata.",
    # Privacy
    "mydata_caption": "Ecco tutti i dati che conserviamo su di te.",
    "forget_confirm": (
        "Verranno cancellati tutti i dati che conserviamo su di te, comprese le tue opinioni. Vuoi procedere?"
    ),
    "forget_yes": "Sì, cancella",
    "forget_no": "Conserva",
    "forget_done": "Fatto. Tutti i dati che conservavamo su di te sono stati cancellati.",
    "forget_kept": "Ok, non è stato cancellato nulla.",
    # Root causes and corrective actions (staff)
    "cause_billing": "Errore di fatturazione",
    "cause_late_delivery": "Consegna in ritardo",
    "cause_product_defect": "Difetto del prodotto",
    "cause_missing_docs": "Documentazione mancante",
    "cause_staff_behaviour": "Comportamento del personale",
    "cause_other": "Altro",
    "cause_prompt": "L'avviso #{id} è chiuso. Qual era la causa principale?",
    "cause_recorded": "Avviso #{id}: causa principale {cause}.",
    "cause_unknown": "Non conosco la causa «{cause}». Scegline una tra: {causes}",
    "cause_usage": "Uso: /cause <numero dell'avviso> <causa>. Cause: {causes}",
    "action_usage": "Uso: /action <numeri degli avvisi, ad es. 12,14> <cosa cambierà> owner:@nome due:AAAA-MM-GG",
    "action_bad_due": "Scrivi la scadenza come due:AAAA-MM-GG, ad esempio due:2026-12-15.",
    "action_no_alert": "Non esiste l'avviso #{id}.",
    "action_created": "Azione correttiva registrata: {line}",
    "action_overdue_tag": "SCADUTA",
    "actions_heading": "Azioni correttive aperte ({count}):",
    "actions_none": "Nessuna azione correttiva aperta.",
    "action_not_found": "Non esiste l'azione #{id}. /actions elenca quelle aperte.",
    "action_already_done": "L'azione #{id} era già chiusa.",
    "action_done": "Azione #{id} completata: {title}",
    "action_no_owner": "(nessun responsabile)",
    "action_remind_due": (
        "⏰ {owner}: l'azione #{id} scade oggi ({due}): {title} · avvisi {alerts}. "
        "Invia /done {id} quando è completata."
    ),
    "action_remind_overdue": (
        "⚠\ufe0f {owner}: l'azione #{id} è scaduta dal {due}: {title} · avvisi "
        "{alerts}. Invia /done {id} quando è completata."
    ),
    # Routing rules (staff: the route line of an alert) and action owners on Slack
    "route_label": "Instradamento",
    "route_team": "Team",
    "route_default": "predefinito (nessuna regola corrisponde)",
    "route_everything": "ogni avviso",
    "route_why_survey": "sondaggio {value}",
    "route_why_category": "punteggio {value}",
    "route_why_context": "{value}",
    "route_why_language": "lingua {value}",
    "route_why_platform": "tramite {value}",
    "route_why_words": "il commento cita «{value}»",
    "action_owner_unknown": (
        "Non trovo {owner} in questo workspace Slack, quindi nessuno riceverebbe il promemoria. "
        "Scrivi owner: con una menzione (digita @ e scegli la persona) o il suo ID membro (U…)."
    ),
}

# Words people type for numbers, used by the answer parser (0-10, and 11-20 so that a word
# beyond the scale gets the out-of-range re-prompt instead of "no score found").
# "un" and "una" are left out on purpose: they are the indefinite article ("gli do un 8", "una bella
# app") and would read as a second number or a 1. "uno" is the form used for the number on its own.
# "sei" is also "you are" ("sei stato utile"), but it is the only word for six, so it stays.
NUMBER_WORDS: dict[str, int] = {
    "zero": 0,
    "uno": 1,
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "sette": 7,
    "otto": 8,
    "nove": 9,
    "dieci": 10,
    "undici": 11,
    "dodici": 12,
    "tredici": 13,
    "quattordici": 14,
    "quindici": 15,
    "sedici": 16,
    "diciassette": 17,
    "diciotto": 18,
    "diciannove": 19,
    "venti": 20,
}

# Words that mean yes / no, for typed answers to yes/no questions.
# Phones with "smart punctuation" turn ' into ’, so both apostrophes are listed.
YES_WORDS: tuple[str, ...] = (
    "sì", "si", "s", "sisi", "certo", "certamente", "esatto", "perfetto", "ok", "okay", "va bene",
    "d'accordo", "d’accordo", "risolto", "assolutamente sì", "assolutamente si",
)
NO_WORDS: tuple[str, ...] = (
    "no", "n", "nope", "non proprio", "non del tutto", "per niente", "non ancora", "macché", "macche",
)
