"""The Telegram adapter: updates in, messages out, nothing else.

Inbound, each Telegram update becomes at most one platform-neutral :class:`Inbound`; the
decision what to do with it belongs to the service, which is handed in as a plain callable so
this module never imports ``bot`` or ``storage``. Outbound, :class:`TelegramChannel` renders an
:class:`OutMessage` as Telegram HTML with an inline keyboard and translates every error of the
library into the four :mod:`handlers.base` errors the delivery loop understands.

User-supplied text is always escaped: a customer writing ``<b>`` or ``&`` must never break a
staff alert (Telegram rejects malformed HTML with a 400, which would lose the message).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import html
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from handlers.base import PermanentError, RetryLater, TransientError, Unreachable
from handlers.console import split_command
from surveys import alerts, causes
from surveys.model import Block, Choice, HandleResult, Inbound, OutMessage

log = logging.getLogger(__name__)
# Sends go through ``Bot.do_api_request`` on purpose (see TelegramChannel._post_for_id); PTB
# suggests the typed method each time. Only for calls made from this module.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning, module=__name__)

PLATFORM = "telegram"
#: Telegram's limits, counted in UTF-16 code units (what Telegram counts; never less than ``len``).
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
TOAST_LIMIT = 200
PHOTO_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})
DIVIDER = "\u2500" * 12

#: Staff commands: the typed equivalents of the alert buttons (and the digest on demand).
STAFF_COMMANDS = frozenset({"claim", "reply", "resolve", "digest", "cause", "action", "actions", "done"})
#: Commands that make sense in any group: the service answers them with a pointer to the private chat.
GROUP_COMMANDS = frozenset({"start", "feedback"})
#: getChatMember statuses that make someone staff; ``restricted`` only while still a member.
STAFF_STATUSES = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER, ChatMemberStatus.RESTRICTED}
)
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")

HandleFn = Callable[[Inbound], Awaitable[HandleResult]]


# -- the command menu ------------------------------------------------------------------------------------------------

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
        scope = BotCommandScopeChat(_chat_ref(staff_chat_id))
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


# -- inbound ---------------------------------------------------------------------------------------------------------


class ChatMoves:
    """Groups Telegram upgraded to supergroups. The upgrade gives the group a new id; the
    configuration, the outbox and every alert still name the old one. Learned from the
    ``migrate_to_chat_id`` service message or from the 400 Telegram answers for the old id:
    sends and edits then go to the new id, and what comes from the new chat is reported under
    the old id, so staff there are still the staff group. Logged once per group, with what to
    change in the configuration."""

    def __init__(self) -> None:
        self._new: dict[str, str] = {}
        self._old: dict[str, str] = {}

    def learn(self, old: str, new: str) -> None:
        if self._new.get(old) == new or old == new:
            return
        self._new[old] = new
        self._old[new] = old
        log.warning(
            "Telegram group %s was upgraded to a supergroup, whose id is %s: messages for it now go "
            "there. Replace %s with %s in the configuration (staff_chat_id or destinations).",
            old,
            new,
            old,
            new,
        )

    def current(self, chat_id: str) -> str:
        return self._new.get(chat_id, chat_id)

    def original(self, chat_id: str) -> str:
        return self._old.get(chat_id, chat_id)


class StaffDirectory:
    """Answers "is this user staff?": a configured user id, or a member of the staff group.

    Membership is looked up with getChatMember and cached for ``ttl`` seconds, because staff
    act in bursts (claim, reply, resolve) and each lookup would otherwise be a round trip to
    Telegram in the middle of handling an update."""

    def __init__(
        self,
        staff_chat_id: str = "",
        staff_user_ids: Iterable[str] = (),
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.staff_chat_id = staff_chat_id
        self.staff_user_ids = frozenset(str(u) for u in staff_user_ids)
        self.moves = ChatMoves()
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[int, tuple[bool, float]] = {}

    def is_staff_chat(self, chat_id: int) -> bool:
        return bool(self.staff_chat_id) and self.moves.original(str(chat_id)) == self.staff_chat_id

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        if str(user_id) in self.staff_user_ids:
            return True
        if not self.staff_chat_id:
            return False
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            try:
                member = await bot.get_chat_member(_chat_ref(self.moves.current(self.staff_chat_id)), user_id)
            except ChatMigrated as moved:
                self.moves.learn(self.staff_chat_id, str(moved.new_chat_id))
                member = await bot.get_chat_member(moved.new_chat_id, user_id)
        except (Forbidden, BadRequest) as exc:
            # The bot is not in the staff group, or the user never was: a definite "no".
            log.warning("cannot check staff membership (%s): %s", type(exc).__name__, exc.message)
            found = False
        except TelegramError as exc:
            # A network hiccup is no answer: keep a stale verdict rather than demote staff.
            log.warning("staff membership lookup failed (%s)", type(exc).__name__)
            return cached[0] if cached is not None else False
        else:
            found = member.status in STAFF_STATUSES and (
                member.status != ChatMemberStatus.RESTRICTED or bool(getattr(member, "is_member", True))
            )
        if len(self._cache) > 10_000:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[user_id] = (found, now + self.ttl)
        return found


class TelegramUpdates:
    """The one PTB handler callback: update -> Inbound -> service -> callback answer.

    Every callback query is answered once, with the service's toast or with nothing, because an
    unanswered query leaves a spinner on the user's button for many seconds; a redelivered
    press (its event id already handled) is not answered again."""

    def __init__(self, handle: HandleFn, staff: StaffDirectory, *, answer_within: float = 3.0) -> None:
        self.handle = handle
        self.staff = staff
        self.answer_within = answer_within

    async def __call__(self, update: object, context: Any) -> None:
        if not isinstance(update, Update):
            return
        bot: Bot = context.bot
        query = update.callback_query
        inbound: Inbound | None = None
        toast: str | None = None
        answered = False
        try:
            inbound = await self.to_inbound(update, bot)
            if inbound is not None and query is None:
                await self.handle(inbound)
            elif inbound is not None and query is not None:
                # The toast comes from the service, but a slow turn (a busy database) must not
                # leave the spinner turning: past ``answer_within`` the query is answered without
                # text. The turn itself is still awaited here, so the chat's order holds.
                turn = asyncio.ensure_future(self.handle(inbound))
                try:
                    result = await asyncio.wait_for(asyncio.shield(turn), self.answer_within)
                    toast = result.toast
                    # A redelivered press was answered when it first came: a second answer would
                    # only earn a 400 ("query is too old") and cost a call.
                    answered = result.duplicate
                except TimeoutError:
                    answered = True
                    await self._answer(bot, query.id, None)
                    await turn
        except Exception:
            log.exception("handling Telegram update %s failed", update.update_id)
        finally:
            if query is not None and not answered:
                await self._answer(bot, query.id, toast)

    async def _answer(self, bot: Bot, query_id: str, toast: str | None) -> None:
        text = _trim(toast, TOAST_LIMIT) if toast else None
        try:
            await bot.answer_callback_query(query_id, text=text)
        except BadRequest as exc:
            # A redelivered query was answered the first time; Telegram says "query is too old".
            log.debug("callback query not answered: %s", exc.message)
        except TelegramError as exc:
            log.warning("answering a callback query failed (%s)", type(exc).__name__)

    async def to_inbound(self, update: Update, bot: Bot) -> Inbound | None:
        """Thin translation; returns None for what the bot does not listen to."""
        if update.callback_query is not None:
            return await self._from_query(update, bot)
        if update.my_chat_member is not None:
            return self._from_membership(update)
        message = update.message
        if message is not None and message.migrate_to_chat_id:
            self.staff.moves.learn(str(message.chat.id), str(message.migrate_to_chat_id))
            return None
        if message is not None and message.migrate_from_chat_id:
            self.staff.moves.learn(str(message.migrate_from_chat_id), str(message.chat.id))
            return None
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        chat = message.chat
        user = message.from_user
        private = chat.type == ChatType.PRIVATE
        if chat.type == ChatType.CHANNEL:
            return None
        command = _command(message, bot)
        if command is _NOT_FOR_US:
            return None
        staff_chat = self.staff.is_staff_chat(chat.id)
        chat_id = int(self.staff.moves.original(str(chat.id)))  # a supergroup under its old id
        base = _base(f"telegram:msg:{chat.id}:{message.message_id}", user, chat_id, message.message_id, private)
        if isinstance(command, tuple):
            name, args = command
            if not private and name not in GROUP_COMMANDS and not (staff_chat and name in STAFF_COMMANDS):
                return None
            if not private and name == "start" and not self.staff.staff_chat_id:
                # Setting up: with privacy mode on, a command addressed to the bot is what reaches
                # it in a group, so /start@yourbot is how an operator asks for the group's id.
                _log_setup(chat.id, chat.type)
                return Inbound(**base, room_setup="unconfigured")
            is_staff = name in STAFF_COMMANDS and await self.staff.is_staff(bot, user.id)
            return Inbound(**base, command=name, args=args, is_staff=is_staff)
        text = message.text if message.text is not None else (message.caption or "")
        if private:
            # Stickers, voice notes and photos without a caption arrive as empty text, so the
            # survey can say "that looks empty" instead of staying silent.
            return Inbound(**base, text=text)
        if not staff_chat or not text:
            return None
        # Staff group: a reply to one of the bot's messages (an alert) or, after pressing Reply,
        # the next message. The service relays what belongs to an alert and ignores chatter.
        replied = message.reply_to_message
        reply_to = None
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            reply_to = str(replied.message_id)
        is_staff = await self.staff.is_staff(bot, user.id)
        return Inbound(**base, text=text, reply_to_message_id=reply_to, is_staff=is_staff)

    async def _from_query(self, update: Update, bot: Bot) -> Inbound | None:
        query = update.callback_query
        assert query is not None
        if query.data is None:
            return None
        user = query.from_user
        origin = query.message
        chat_id = int(self.staff.moves.original(str(origin.chat.id))) if origin is not None else user.id
        private = origin is None or origin.chat.type == ChatType.PRIVATE
        is_staff = False
        if query.data.startswith((f"{alerts.ACTION_PREFIX}:", f"{causes.CAUSE_PREFIX}:")):
            is_staff = await self.staff.is_staff(bot, user.id)
        base = _base(f"telegram:cb:{query.id}", user, chat_id, origin.message_id if origin else None, private)
        return Inbound(**base, button=query.data, is_staff=is_staff)


    def _from_membership(self, update: Update) -> Inbound | None:
        """The bot was added to a group (``my_chat_member``, which Telegram sends whatever
        the privacy mode): in the staff chat it says it is ready; with no staff chat
        configured it tells the group its id. Any other change is only logged."""
        change = update.my_chat_member
        assert change is not None
        chat = change.chat
        joined = change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR) and (
            change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        )
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or not joined:
            _note_membership(update)
            return None
        if self.staff.is_staff_chat(chat.id):
            setup = "ready"
            log.info("the bot was added to the staff chat %s", chat.id)
        elif not self.staff.staff_chat_id:
            setup = "unconfigured"
            _log_setup(chat.id, chat.type)
        else:
            log.info(
                "the bot was added to the Telegram %s %s, which is not the staff chat (%s)",
                chat.type,
                chat.id,
                self.staff.staff_chat_id,
            )
            return None
        user = change.from_user
        base = _base(f"telegram:member:{update.update_id}", user, chat.id, None, False)
        return Inbound(**base, room_setup=setup)


def _log_setup(chat_id: int, chat_type: str) -> None:
    kind = "basic group" if chat_type == ChatType.GROUP else chat_type
    log.warning(
        "the bot is in the Telegram %s %s; to post alerts there, set [telegram] staff_chat_id = %s",
        kind,
        chat_id,
        chat_id,
    )


_NOT_FOR_US = object()


def _command(message: Message, bot: Bot) -> tuple[str, str] | object | None:
    """A command as (name, args); ``_NOT_FOR_US`` when addressed to another bot; None for text.

    Like PTB, only a ``bot_command`` entity at offset 0 makes a command, so a customer typing
    "/5" as a score without the entity is still read as text."""
    text = message.text
    if not text or not any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in message.entities):
        return None
    words = text.split(maxsplit=1)
    if not words:
        return None  # a command entity over whitespace: not a command we can read
    head = words[0]
    if "@" in head:
        addressee = head.split("@", 1)[1].lower()
        if addressee != (bot.username or "").lower():
            return _NOT_FOR_US
    return split_command(text)


def _base(event_id: str, user: User, chat_id: int, message_id: int | None, private: bool) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "platform": PLATFORM,
        "user_id": str(user.id),
        "chat_id": str(chat_id),
        "display_name": user.full_name,
        "handle": user.username or "",
        "language": user.language_code,
        "message_id": str(message_id) if message_id is not None else None,
        "is_private": private,
    }


def _note_membership(update: Update) -> None:
    """A private chat member update to "kicked" means the user blocked the bot. The delivery
    loop learns the same from the 403 of the next send (and marks the person unreachable), so
    this is only logged."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if change.chat.type == ChatType.PRIVATE and status == ChatMemberStatus.BANNED:
        log.info("a Telegram user blocked the bot")
    elif change.chat.type != ChatType.PRIVATE:
        log.info("the bot's membership in a Telegram %s changed to %s", change.chat.type, status)


def update_chat_key(update: object) -> tuple[str, int] | None:
    """The conversation an update belongs to, for in-order processing (None: no ordering needed)."""
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return ("chat", chat.id)
    user = update.effective_user
    return ("user", user.id) if user is not None else None


# -- outbound --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """One block as HTML around a piece of user text, kept apart so an oversized block can be cut
    between characters of its text (never inside a tag or an escape sequence)."""

    before: str
    text: str
    after: str = ""
    extra: int = 0  # visible characters contributed by ``before``/``after`` (labels)

    def render(self, text: str | None = None) -> str:
        return f"{self.before}{_esc(self.text if text is None else text)}{self.after}"

    @property
    def size(self) -> int:
        return self.extra + _units(self.text)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _pieces(message: OutMessage) -> list[_Piece]:
    if not message.blocks:
        return [_Piece("", message.text)] if message.text else []
    return [p for p in (_block_piece(b) for b in message.blocks) if p.size > 0]


def _block_piece(block: Block) -> _Piece:
    if block.kind == "heading":
        return _Piece("<b>", block.text, "</b>")
    if block.kind == "field":
        if not block.label:
            return _Piece("", block.text)
        label = f"{block.label}:"
        return _Piece(f"<b>{_esc(label)}</b> ", block.text, extra=_units(label) + 1)
    if block.kind == "quote":
        if not block.label:
            return _Piece("<blockquote>", block.text, "</blockquote>")
        label = f"{block.label}:"
        return _Piece(f"<b>{_esc(label)}</b>\n<blockquote>", block.text, "</blockquote>", extra=_units(label) + 1)
    if block.kind == "context":
        return _Piece("<i>", block.text, "</i>")
    if block.kind == "mention" and block.text.lstrip("-").isdigit():
        return _Piece(f'<b>Agent:</b> <a href="tg://user?id={int(block.text)}">', block.label, "</a>", extra=7)
    if block.kind == "divider":
        return _Piece("", DIVIDER)
    return _Piece("", block.text)


def _cut(text: str, budget: int) -> int:
    """Index to cut ``text`` so the head fits ``budget`` UTF-16 units, preferring a line break,
    then a space, in the second half of the window."""
    used = 0
    end = len(text)
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            end = index
            break
    if end == len(text):
        return end
    for sep in ("\n", " "):
        at = text.rfind(sep, end // 2, end)
        if at > 0:
            return at + 1
    return max(1, end)


def render_chunks(message: OutMessage, first_limit: int = TEXT_LIMIT, limit: int = TEXT_LIMIT) -> list[str]:
    """The message as Telegram HTML, in as many parts as needed to respect the length limits
    (``first_limit`` for the first part, e.g. a photo caption). Blocks are joined by line
    breaks and only split when one block alone is too long."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    cap = first_limit

    def flush() -> None:
        nonlocal current, used, cap
        if current:
            chunks.append("\n".join(current))
        current, used, cap = [], 0, limit

    for piece in _pieces(message):
        rest = piece.text
        while True:
            sep = 1 if current else 0
            size = piece.extra + _units(rest)
            if used + sep + size <= cap:
                current.append(piece.render(rest))
                used += sep + size
                break
            room = cap - used - sep - piece.extra
            if current and (size <= limit or room < min(200, cap // 4)):
                flush()  # it fits a part of its own, or only a sliver of it would fit here
                continue
            at = _cut(rest, max(room, 1))
            current.append(piece.render(rest[:at].rstrip("\n")))
            rest = rest[at:]
            flush()
            if not rest:
                break
    flush()
    return chunks


def _keyboard(choices: Sequence[Sequence[Choice]]) -> dict[str, Any] | None:
    """The inline keyboard in the Bot API's own JSON. Built as PTB objects it was serialised
    back to this at once, and the round trip cost about 5% of a survey turn."""
    rows = [[{"text": c.label, "callback_data": c.value} for c in row] for row in choices if row]
    return {"inline_keyboard": rows} if rows else None


def _chat_ref(chat_id: str) -> int | str:
    """Numeric ids as ints, ``@channelname`` as is."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` is seconds today and a timedelta in PTB's next major version (or with
    ``PTB_TIMEDELTA`` set); either way, its public attribute."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        raw: Any = exc.retry_after
    return raw.total_seconds() if isinstance(raw, dtm.timedelta) else float(raw)


def _moved_to(exc: BaseException) -> str | None:
    """The supergroup's id when ``exc`` is (or was translated from) Telegram's "the group was
    upgraded" answer."""
    cause = exc if isinstance(exc, ChatMigrated) else exc.__cause__
    return str(cause.new_chat_id) if isinstance(cause, ChatMigrated) else None


def translate_error(exc: TelegramError) -> Exception:
    """Telegram's errors as the delivery loop's errors: retry policy lives there, once."""
    if isinstance(exc, RetryAfter):
        return RetryLater(_retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Unreachable(exc.message)
    if isinstance(exc, ChatMigrated):
        return PermanentError(f"the group became a supergroup; use chat id {exc.new_chat_id}")
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is a subclass of it
        if "chat not found" in exc.message.lower() or "user is deactivated" in exc.message.lower():
            return Unreachable(exc.message)
        return PermanentError(exc.message)
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return TransientError(f"{type(exc).__name__}: {exc.message}")
    # InvalidToken, Conflict and the like: an operator problem, so keep the message for later.
    return TransientError(f"{type(exc).__name__}: {exc.message}")


class TelegramChannel:
    """handlers.base.Channel for Telegram.

    Sends wait (briefly) until the bot is started and fail as transient once it is stopping, so
    outbox rows found before startup or during shutdown stay pending instead of going through a
    closed HTTP client."""

    platform = PLATFORM

    def __init__(self, bot: Bot, *, startup_wait: float = 30.0, moves: ChatMoves | None = None) -> None:
        self.bot = bot
        self.startup_wait = startup_wait
        self.moves = moves or ChatMoves()
        self._open = asyncio.Event()
        self._closing = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def open(self) -> None:
        self._closing = False
        self._open.set()

    async def close(self, timeout: float = 5.0) -> None:
        """Refuse new sends and wait for those under way, so none is cut off half-recorded."""
        self._closing = True
        self._open.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    @contextlib.asynccontextmanager
    async def _using(self) -> AsyncIterator[None]:
        if self._closing:
            raise TransientError("the Telegram channel is stopping")
        if not self._open.is_set():
            try:
                await asyncio.wait_for(self._open.wait(), self.startup_wait)
            except TimeoutError:
                raise TransientError("the Telegram channel is not started") from None
        self._inflight += 1
        self._idle.clear()
        try:
            yield
        except TelegramError as exc:
            raise translate_error(exc) from exc
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def send(self, message: OutMessage, reply_to: str | None) -> str | None:
        try:
            return await self._send(message, reply_to)
        except Exception as exc:
            moved = _moved_to(exc)
            if moved is None:
                raise
            self.moves.learn(message.to.chat_id, moved)
            return await self._send(message, reply_to)  # once, to the supergroup

    async def _send(self, message: OutMessage, reply_to: str | None) -> str | None:
        chat = _chat_ref(self.moves.current(message.to.chat_id))
        markup = _keyboard(message.choices)
        reply = None
        if reply_to and reply_to.isdigit():
            reply = ReplyParameters(int(reply_to), allow_sending_without_reply=True)
        async with self._using():
            if message.attachment:
                return await self._send_file(chat, message, markup, reply)
            chunks = render_chunks(message)
            if not chunks:
                raise PermanentError("nothing to send: the message has no text")
            return await self._send_texts(chat, chunks, markup, reply)

    async def _send_texts(
        self, chat: int | str, chunks: list[str], markup: dict[str, Any] | None, reply: ReplyParameters | None
    ) -> str:
        """Long texts go out as consecutive messages; the keyboard rides on the last one, which
        is therefore the one whose id is returned (it is the one to edit later)."""
        sent_id = ""
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent_id = await self._post_for_id(
                "sendMessage",
                {
                    "chat_id": chat,
                    "text": chunk,
                    "parse_mode": ParseMode.HTML,
                    "reply_markup": markup if last else None,
                    "reply_parameters": reply if index == 0 else None,
                },
            )
        return sent_id

    async def _post_for_id(self, method: str, data: dict[str, Any]) -> str:
        """Call ``method`` through PTB's documented ``do_api_request`` (its serialisation, errors
        and retries of the transport) but keep only the new message's id. PTB's ``send_message`` turns the
        answer into a full Message, keyboard included, which measured about a tenth of the
        CPU of a survey turn; the delivery loop needs nothing from it but the id."""
        result = await self.bot.do_api_request(method, data)
        if isinstance(result, dict) and "message_id" in result:
            return str(result["message_id"])
        raise TelegramError(f"{method} answered without a message id")

    async def _send_file(
        self, chat: int | str, message: OutMessage, markup: dict[str, Any] | None, reply: ReplyParameters | None
    ) -> str:
        path = Path(message.attachment or "")
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PermanentError(f"attachment {path.name!r} cannot be read ({exc.strerror})") from None
        photo = path.suffix.lower() in PHOTO_SUFFIXES
        chunks = render_chunks(message, first_limit=CAPTION_LIMIT)
        caption = chunks[0] if chunks else None
        rest = chunks[1:]
        file_markup = markup if not rest else None
        common: dict[str, Any] = {
            "caption": caption,
            "parse_mode": ParseMode.HTML,
            "reply_markup": InlineKeyboardMarkup.de_json(file_markup, self.bot) if file_markup else None,
            "reply_parameters": reply,
            "filename": path.name,
        }
        if photo:
            sent = await self.bot.send_photo(chat, data, **common)
        else:
            sent = await self.bot.send_document(chat, data, **common)
        if not rest:
            return str(sent.message_id)
        return await self._send_texts(chat, rest, markup, None)

    async def edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        try:
            await self._edit(message, chat_id, message_id)
        except Exception as exc:
            moved = _moved_to(exc)
            if moved is None:
                raise
            self.moves.learn(chat_id, moved)
            await self._edit(message, chat_id, message_id)

    async def _edit(self, message: OutMessage, chat_id: str, message_id: str) -> None:
        chat_id = self.moves.current(chat_id)
        limit = CAPTION_LIMIT if message.attachment else TEXT_LIMIT
        chunks = render_chunks(message, first_limit=limit)
        if not chunks:
            raise PermanentError("nothing to edit to: the message has no text")
        text = chunks[0]
        if len(chunks) > 1:
            # An edit cannot add messages: keep the first part (with room for the ellipsis).
            text = render_chunks(message, first_limit=limit - 2)[0] + "\n\u2026"
        target: dict[str, Any] = {
            "chat_id": _chat_ref(chat_id),
            "message_id": int(message_id),
            "parse_mode": ParseMode.HTML,
            "reply_markup": _keyboard(message.choices),
        }
        async with self._using():
            try:
                if message.attachment:  # a photo or document: its caption is the text
                    await self.bot.edit_message_caption(caption=text, **target)
                else:
                    await self.bot.do_api_request("editMessageText", {"text": text, **target})  # answer not needed
            except BadRequest as exc:
                if "message is not modified" in exc.message.lower():
                    return  # already showing exactly this: a repeated edit after a retry
                raise
