"""Portuguese catalog.

One catalog serves Brazil and Portugal, so the wording sticks to what reads naturally in both:
"você" (implied by the verb where possible, since an explicit "você" can sound blunt in Portugal),
imperatives such as "envie" and "escreva", and no clitic pronouns whose position differs between
the two ("ajuda-nos" / "nos ajuda"). Words that split the markets are avoided rather than picked:
"questionário" instead of "pesquisa" / "inquérito", "suporte" instead of "equipe" / "equipa",
"Avançar" instead of "Pular" / "Saltar", and passive voice instead of "marcamos" / "marcámos".

Messages avoid adjectives that agree with the reader's gender ("Bem-vindo", "Tem certeza?") because we
do not know it; only the CSAT scale keeps the masculine generic, which is the survey convention.
"""

MESSAGES: dict[str, str] = {
    # Conversation
    "greeting": (
        "Olá, {name}! Sou o assistente de feedback de {product}. "
        "Sempre que quiser dar a sua opinião sobre o nosso serviço, envie /feedback."
    ),
    "greeting_no_name": (
        "Olá! Sou o assistente de feedback de {product}. "
        "Sempre que quiser dar a sua opinião sobre o nosso serviço, envie /feedback."
    ),
    "help": (
        "Comigo, você dá a sua opinião sobre {product} em poucos toques.\n"
        "/feedback: começar um questionário rápido\n"
        "/skip: avançar sem o comentário opcional\n"
        "/cancel: interromper o questionário atual\n"
        "/stop: deixar de receber convites para questionários (/start volta a ativá-los)\n"
        "/mydata: receber uma cópia dos dados que guardamos sobre você\n"
        "/forget: apagar todos os dados que guardamos sobre você"
    ),
    "question_nps": "Qual é a probabilidade de recomendar {product} a um amigo ou colega?",
    "hint_nps": "Escolha um número de 0 (nada provável) a 10 (extremamente provável) ou escreva-o.",
    "question_csat": "Qual é o seu nível de satisfação com {product}?",
    "hint_csat": "Escolha uma resposta ou escreva um número de 1 a 5.",
    "question_ces": "Até que ponto você concorda com esta afirmação? “Com {product}, foi fácil {task}.”",
    "hint_ces": "Escolha uma resposta ou escreva um número de 1 (discordo totalmente) a 7 (concordo totalmente).",
    "default_task": "conseguir o que eu procurava",
    "csat_1": "Muito insatisfeito",
    "csat_2": "Insatisfeito",
    "csat_3": "Neutro",
    "csat_4": "Satisfeito",
    "csat_5": "Muito satisfeito",
    "ces_1": "Discordo totalmente",
    "ces_2": "Discordo",
    "ces_3": "Discordo em parte",
    "ces_4": "Neutro",
    "ces_5": "Concordo em parte",
    "ces_6": "Concordo",
    "ces_7": "Concordo totalmente",
    "chosen": "A sua resposta: {answer}",
    "score_understood": "Entendido: {score} em {high}.",
    "score_understood_label": "Entendido: {score} em {high} ({label}).",
    "reprompt_decimal": "Responda com um número inteiro de {low} a {high}, sem casas decimais, por favor.",
    "followup_positive": "Que bom! O que você mais valoriza em {product}?",
    "followup_neutral": "Obrigado! Se pudéssemos mudar só uma coisa para melhorar {product}, qual seria?",
    "followup_negative": (
        "Lamentamos não ter correspondido às suas expectativas. O que aconteceu e o que poderíamos fazer para resolver?"
    ),
    "followup_hint": "Escreva a sua resposta ou toque em “Avançar”.",
    "skip": "Avançar",
    "new_survey": "Começar um novo questionário",
    # The Slack Home tab (Slack mrkdwn: *bold*, `code`).
    "home_title": "Sua opinião",
    "home_intro": (
        "Faço questionários curtos sobre o nosso trabalho: uma nota e, se quiser, um comentário (só o "
        "comentário pode ser pulado). O que disser chega à equipe. Leva poucos segundos."
    ),
    "home_how": (
        "Toque em *Dar minha opinião* ou digite `/feedback` em qualquer canal: o questionário chega na "
        "aba Mensagens."
    ),
    "home_give": "Dar minha opinião",
    "home_stop": "Não receber mais convites",
    "home_resume": "Voltar a receber convites",
    "home_privacy": (
        "`/feedback help` mostra tudo o que sei fazer. Depois de desativar os convites, nenhum outro é "
        "enviado."
    ),
    "thanks": "Obrigado! Com a sua opinião, podemos tornar {product} ainda melhor.",
    "thanks_escalated": "Obrigado por nos contar. Alguém do nosso suporte vai analisar o caso.",
    "comment_truncated": "O seu comentário era longo, por isso guardei os primeiros {limit} caracteres.",
    "reprompt_none": (
        "Desculpe, não encontrei nenhuma nota na sua mensagem. Responda com um número de {low} a {high}, por favor."
    ),
    "reprompt_range": "{score} está fora da escala. Responda com um número de {low} a {high}, por favor.",
    "reprompt_ambiguous": (
        "Vejo mais de um número na sua mensagem. Responda com apenas um, de {low} a {high}, por favor."
    ),
    "gave_up": "Sem problema, ficamos por aqui. Pode recomeçar quando quiser com /feedback.",
    "cancelled": "Certo, questionário cancelado. Nada mais será guardado.",
    "nothing_to_cancel": "Não há nenhum questionário aberto. Envie /feedback para começar um.",
    "nothing_to_skip": "Não há nenhuma pergunta opcional neste momento. Envie /feedback para começar um questionário.",
    "expired": (
        "Este questionário expirou, mas as respostas que já tinha dado foram guardadas. "
        "Envie /feedback para começar um novo."
    ),
    "no_survey": "Obrigado pela sua mensagem! Para dar a sua opinião, envie /feedback.",
    "unknown_survey": "Não conheço nenhum questionário chamado “{survey}”. Envie /feedback para começar o habitual.",
    "empty_message": "Essa mensagem parece estar vazia. Responda com um número de {low} a {high}, por favor.",
    "groups_unsupported": "Os questionários funcionam apenas em conversa privada. Fale comigo por mensagem direta.",
    # Button presses that cannot be honoured (toasts: keep them short)
    "toast_finished": "Este questionário já terminou.",
    "toast_expired": "Este questionário expirou.",
    "toast_not_yours": "Este botão pertence ao questionário de outra pessoa.",
    "toast_stale": "Este botão expirou.",
    "toast_recorded": "Recebido!",
    "toast_already_answered": "Você já respondeu a esta pergunta.",
    # Invitations and preferences
    "stopped": "Pronto: não vai receber mais convites para questionários. Envie /start se mudar de ideia.",
    "resumed": "Olá de novo! Os convites para questionários foram reativados.",
    "reminder": "Um lembrete rápido: adoraríamos saber a sua resposta. Leva só dez segundos.",
    # Closing the loop
    "staff_reply": "Mensagem do suporte de {product}:\n{text}",
    "recovery_question": "O seu problema foi marcado como resolvido. Ficou mesmo resolvido?",
    "yes": "Sim",
    "no": "Não",
    "recovery_thanks_yes": "Ótimo, obrigado por nos avisar!",
    "recovery_thanks_no": "Obrigado por nos avisar. Vamos analisar o caso novamente.",
    # Privacy
    "mydata_caption": "Aqui estão todos os dados que guardamos sobre você.",
    "forget_confirm": (
        "Esta ação apaga todos os dados que guardamos sobre você, incluindo as suas opiniões. Deseja continuar?"
    ),
    "forget_yes": "Sim, apagar",
    "forget_no": "Manter",
    "forget_done": "Pronto. Todos os dados que guardávamos sobre você foram apagados.",
    "forget_kept": "Certo, nada foi apagado.",
    # Root causes and corrective actions (staff)
    "cause_billing": "Erro de faturação",
    "cause_late_delivery": "Entrega atrasada",
    "cause_product_defect": "Defeito do produto",
    "cause_missing_docs": "Documentação em falta",
    "cause_staff_behaviour": "Atendimento da equipa",
    "cause_other": "Outra",
    "cause_prompt": "O alerta #{id} está resolvido. Qual foi a causa raiz?",
    "cause_recorded": "Alerta #{id}: causa raiz {cause}.",
    "cause_unknown": "Não conheço a causa “{cause}”. Escolha uma destas: {causes}",
    "cause_usage": "Uso: /cause <número do alerta> <causa>. Causas: {causes}",
    "action_usage": "Uso: /action <números de alerta, p. ex. 12,14> <o que vai mudar> owner:@nome due:AAAA-MM-DD",
    "action_bad_due": "Escreva o prazo como due:AAAA-MM-DD, por exemplo due:2026-12-15.",
    "action_no_alert": "Não existe o alerta #{id}.",
    "action_created": "Ação corretiva registada: {line}",
    "action_overdue_tag": "EM ATRASO",
    "actions_heading": "Ações corretivas em aberto ({count}):",
    "actions_none": "Não há ações corretivas em aberto.",
    "action_not_found": "Não existe a ação #{id}. /actions lista as que estão em aberto.",
    "action_already_done": "A ação #{id} já estava fechada.",
    "action_done": "Ação #{id} concluída: {title}",
    "action_no_owner": "(sem responsável)",
    "action_remind_due": (
        "⏰ {owner}: a ação #{id} vence hoje ({due}): {title} · alertas {alerts}. "
        "Envie /done {id} quando estiver concluída."
    ),
    "action_remind_overdue": (
        "⚠\ufe0f {owner}: a ação #{id} está em atraso desde {due}: {title} · "
        "alertas {alerts}. Envie /done {id} quando estiver concluída."
    ),
    # Routing rules (staff: the route line of an alert) and action owners on Slack
    "route_label": "Rota",
    "route_team": "Equipe",
    "route_default": "padrão (nenhuma rota correspondeu)",
    "route_everything": "todos os alertas",
    "route_why_survey": "pesquisa {value}",
    "route_why_category": "nota {value}",
    "route_why_context": "{value}",
    "route_why_language": "idioma {value}",
    "route_why_platform": "via {value}",
    "route_why_words": "o comentário menciona “{value}”",
    "action_owner_unknown": (
        "Não encontro {owner} neste workspace do Slack, então ninguém seria lembrado. "
        "Escreva owner: com uma menção (digite @ e escolha a pessoa) ou o ID de membro (U…)."
    ),
}

# Words people type for numbers, used by the answer parser (0-10, and 11-20 so that a word
# beyond the scale gets the out-of-range re-prompt instead of "no score found").
# Portuguese has no separate counting form for one, so "um" stays even though it is also the article
# ("dou um 8" will look like two numbers and be asked again rather than guessed). "uma" is left out:
# nobody counts with it, and it would turn "uma ótima app" into a 1. "duas" stays: it is a numeral,
# not an article. "tres" covers keyboards without accents.
NUMBER_WORDS: dict[str, int] = {
    "zero": 0,
    "um": 1,
    "dois": 2, "duas": 2,
    "três": 3, "tres": 3,
    "quatro": 4,
    "cinco": 5,
    "seis": 6,
    "sete": 7,
    "oito": 8,
    "nove": 9,
    "dez": 10,
    "onze": 11,
    "doze": 12,
    "treze": 13,
    "catorze": 14, "quatorze": 14,
    "quinze": 15,
    "dezesseis": 16, "dezasseis": 16,
    "dezessete": 17, "dezassete": 17,
    "dezoito": 18,
    "dezenove": 19, "dezanove": 19,
    "vinte": 20,
}

# Words that mean yes / no, for typed answers to yes/no questions.
YES_WORDS: tuple[str, ...] = (
    "sim", "s", "claro", "certo", "isso", "isso mesmo", "exato", "exatamente", "com certeza", "aham",
    "ok", "okay", "beleza", "resolvido", "resolvida",
)
NO_WORDS: tuple[str, ...] = (
    "não", "nao", "n", "ñ", "nops", "ainda não", "ainda nao", "não muito", "nao muito", "nem por isso",
    "de jeito nenhum",
)
