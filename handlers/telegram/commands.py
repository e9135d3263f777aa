"""Telegram commands: the menus set with setMyCommands (customer menu per language, staff menu in the
staff group) and the commands the adapter accepts in groups."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
)

from handlers.telegram.directory import chat_ref

log = logging.getLogger(__name__)


#: Staff commands: the typed equivalents of the alert buttons (and the digest on demand).
STAFF_COMMANDS = frozenset({"claim", "reply", "resolve", "digest", "cause", "action", "actions", "done"})
#: Commands that make sense in any group: the service answers them with a pointer to the private chat.
GROUP_COMMANDS = frozenset({"start", "feedback"})


#: Customer menu, one short description per command and language. Register mirrors each catalog in
#: surveys/locales (German "du", French "vous", Italian and Spanish "tu", Portuguese "você").
CUSTOMER_MENU: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("feedback", "Share your feedback in a short survey"),
        ("help", "What I can do for you"),
        ("skip", "Skip the optional comment"),
        ("cancel", "Cancel the current survey"),
        ("stop", "Stop survey invitations"),
        ("mydata", "Get a copy of your data"),
        ("forget", "Delete all your data"),
    ),
    "de": (
        ("feedback", "Feedback in einer kurzen Umfrage geben"),
        ("help", "Was ich für dich tun kann"),
        ("skip", "Optionalen Kommentar überspringen"),
        ("cancel", "Laufende Umfrage abbrechen"),
        ("stop", "Keine Umfrage-Einladungen mehr erhalten"),
        ("mydata", "Kopie deiner Daten anfordern"),
        ("forget", "Alle deine Daten löschen"),
    ),
    "es": (
        ("feedback", "Dar tu opinión en una encuesta breve"),
        ("help", "Qué puedo hacer por ti"),
        ("skip", "Omitir el comentario opcional"),
        ("cancel", "Cancelar la encuesta actual"),
        ("stop", "Dejar de recibir invitaciones a encuestas"),
        ("mydata", "Obtener una copia de tus datos"),
        ("forget", "Borrar todos tus datos"),
    ),
    "fr": (
        ("feedback", "Donner votre avis en un court questionnaire"),
        ("help", "Ce que je peux faire pour vous"),
        ("skip", "Passer le commentaire facultatif"),
        ("cancel", "Annuler le questionnaire en cours"),
        ("stop", "Ne plus recevoir d'invitations"),
        ("mydata", "Obtenir une copie de vos données"),
        ("forget", "Supprimer toutes vos données"),
    ),
    "it": (
        ("feedback", "Dacci la tua opinione con un breve sondaggio"),
        ("help", "Cosa posso fare per te"),
        ("skip", "Salta il commento facoltativo"),
        ("cancel", "Annulla il sondaggio in corso"),
        ("stop", "Non ricevere più inviti ai sondaggi"),
        ("mydata", "Ricevi una copia dei tuoi dati"),
        ("forget", "Cancella tutti i tuoi dati"),
    ),
    "pt": (
        ("feedback", "Dar a sua opinião em um questionário rápido"),
        ("help", "O que posso fazer por você"),
        ("skip", "Avançar sem o comentário opcional"),
        ("cancel", "Interromper o questionário atual"),
        ("stop", "Deixar de receber convites para questionários"),
        ("mydata", "Receber uma cópia dos seus dados"),
        ("forget", "Apagar todos os seus dados"),
    ),
}

#: Staff group menu: the typed equivalents of the alert buttons, and the digest on demand.
STAFF_MENU: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("claim", "Claim an alert: /claim <number>"),
        ("reply", "Answer the customer: /reply <number>"),
        ("resolve", "Resolve an alert: /resolve <number> [note]"),
        ("digest", "Feedback digest now: /digest [survey]"),
        ("cause", "Root cause of an alert: /cause <number> <cause>"),
        ("action", "Corrective action: /action <alerts> <what> owner: due:"),
        ("actions", "Open corrective actions"),
        ("done", "Close an action: /done <number>"),
    ),
    "de": (
        ("claim", "Meldung übernehmen: /claim <Nummer>"),
        ("reply", "Dem Kunden antworten: /reply <Nummer>"),
        ("resolve", "Meldung abschließen: /resolve <Nummer> [Notiz]"),
        ("digest", "Feedback-Übersicht jetzt: /digest [Umfrage]"),
        ("cause", "Ursache einer Meldung: /cause <Nummer> <Ursache>"),
        ("action", "Korrekturmaßnahme: /action <Meldungen> <was> owner: due:"),
        ("actions", "Offene Korrekturmaßnahmen"),
        ("done", "Maßnahme abschließen: /done <Nummer>"),
    ),
    "es": (
        ("claim", "Hacerte cargo de una alerta: /claim <número>"),
        ("reply", "Responder al cliente: /reply <número>"),
        ("resolve", "Cerrar una alerta: /resolve <número> [nota]"),
        ("digest", "Resumen de opiniones ahora: /digest [encuesta]"),
        ("cause", "Causa raíz de una alerta: /cause <número> <causa>"),
        ("action", "Acción correctiva: /action <alertas> <qué> owner: due:"),
        ("actions", "Acciones correctivas abiertas"),
        ("done", "Cerrar una acción: /done <número>"),
    ),
    "fr": (
        ("claim", "Prendre en charge une alerte\u00a0: /claim <numéro>"),
        ("reply", "Répondre au client\u00a0: /reply <numéro>"),
        ("resolve", "Clore une alerte\u00a0: /resolve <numéro> [note]"),
        ("digest", "Synthèse des avis maintenant\u00a0: /digest [questionnaire]"),
        ("cause", "Cause profonde d'une alerte\u00a0: /cause <numéro> <cause>"),
        ("action", "Action corrective\u00a0: /action <alertes> <quoi> owner: due:"),
        ("actions", "Actions correctives ouvertes"),
        ("done", "Clore une action\u00a0: /done <numéro>"),
    ),
    "it": (
        ("claim", "Prendi in carico un avviso: /claim <numero>"),
        ("reply", "Rispondi al cliente: /reply <numero>"),
        ("resolve", "Chiudi un avviso: /resolve <numero> [nota]"),
        ("digest", "Riepilogo dei feedback ora: /digest [sondaggio]"),
        ("cause", "Causa di un avviso: /cause <numero> <causa>"),
        ("action", "Azione correttiva: /action <avvisi> <cosa> owner: due:"),
        ("actions", "Azioni correttive aperte"),
        ("done", "Chiudi un'azione: /done <numero>"),
    ),
    "pt": (
        ("claim", "Assumir um alerta: /claim <número>"),
        ("reply", "Responder ao cliente: /reply <número>"),
        ("resolve", "Encerrar um alerta: /resolve <número> [nota]"),
        ("digest", "Resumo das opiniões agora: /digest [questionário]"),
        ("cause", "Causa raiz de um alerta: /cause <número> <causa>"),
        ("action", "Ação corretiva: /action <alertas> <o quê> owner: due:"),
        ("actions", "Ações corretivas em aberto"),
        ("done", "Fechar uma ação: /done <número>"),
    ),
}


async def register_commands(bot: Bot, staff_chat_id: str = "") -> int:
    """Set the command menu for every built-in language; returns how many calls succeeded.

    The default scope without a language is English, so clients in any other language still get
    a menu; each language then gets its own call. A failure only costs the menu, never the bot,
    so errors are logged and the rest carries on."""
    # The default scope is sent as no scope at all, which is what Telegram means by it.
    calls: list[Awaitable[bool]] = [bot.set_my_commands(_commands(CUSTOMER_MENU["en"]))]
    calls += [bot.set_my_commands(_commands(menu), language_code=lang) for lang, menu in CUSTOMER_MENU.items()]
    if staff_chat_id:
        scope = BotCommandScopeChat(chat_ref(staff_chat_id))
        calls.append(bot.set_my_commands(_commands(STAFF_MENU["en"]), scope=scope))
        calls += [
            bot.set_my_commands(_commands(menu), scope=scope, language_code=lang) for lang, menu in STAFF_MENU.items()
        ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning(
            "setting the Telegram command menu failed %d of %d times (%s)",
            len(failed),
            len(results),
            type(failed[0]).__name__,
        )
    return len(results) - len(failed)


def _commands(menu: Iterable[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(command, description) for command, description in menu]
