"""Property-based tests (hypothesis): hostile or odd input never raises out of a handler and
never writes into another person's data."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from handlers.slack import inbound as slack_handlers
from handlers.telegram.directory import StaffDirectory
from handlers.telegram.inbound import TelegramUpdates
from surveys.model import Inbound
from tests import reads

ROOT = Path(__file__).resolve().parents[2]
CONFIG = config_mod.load(ROOT / "config.example.toml", env={})
_ids = itertools.count()

text = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["", " ", "\u202e", "🤷" * 500, "0", "10/10", "/skip", "/feedback nps", "x" * 5000, "\x00\x01"]
)
nonce_part = st.text(st.characters(codec="ascii", min_codepoint=33, max_codepoint=126), max_size=20)
button = st.one_of(
    text,
    st.builds(lambda n, v: f"f:{n}:{v}", nonce_part, nonce_part),
    st.builds(lambda v: f"f:VICTIMNONCE:{v}", st.sampled_from(["s0", "s10", "skip", "s99", "", "s-1"])),
    st.builds(lambda n, a: f"e:{n}:{a}", st.integers(-5, 5), st.sampled_from(["claim", "reply", "resolve", "x"])),
    st.builds(lambda n, a: f"r:{n}:{a}", st.integers(-5, 5), st.sampled_from(["yes", "no", ""])),
    st.sampled_from(["p:forget:yes", "p:forget:no", "p:x", "p:forget:yes:extra"]),
)
action = st.one_of(
    st.builds(lambda t: {"text": t}, text),
    st.builds(lambda b: {"button": b}, button),
    st.builds(
        lambda c, a: {"command": c, "args": a},
        st.sampled_from(["feedback", "start", "skip", "cancel", "stop", "help", "claim", "resolve", "digest", "zz"]),
        text,
    ),
)


async def _attack(actions: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runtime = await Runtime.open(CONFIG, db_path=str(Path(tmp) / "bot.db"), sentiment=lambda t, lang: 0.0)
        nonces = iter(["VICTIMNONCE", *(f"n{i}" for i in range(1000))])
        runtime.service.new_nonce = lambda: next(nonces)
        service = runtime.service
        victim = {"platform": "console", "user_id": "victim", "chat_id": "victim"}
        await service.handle(Inbound(f"v{next(_ids)}", command="feedback", **victim))
        await service.handle(Inbound(f"v{next(_ids)}", text="8", **victim))

        async def snapshot() -> tuple[Any, ...]:
            store = runtime.store
            [them] = [p["id"] for p in await reads.respondents(store) if p["user_id"] == "victim"]
            sessions = [s for s in await reads.sessions(store) if s["respondent_id"] == them]
            responses = [r for r in await reads.responses(store) if r["respondent_id"] == them]
            return sessions, responses, len(await reads.outbox(store, chat_id="victim"))

        before = await snapshot()
        for act in actions:
            for private in (True, False):
                attacker = Inbound(
                    f"a{next(_ids)}",
                    "console",
                    "mallory",
                    "mallory" if private else "staff",
                    display_name="Mallory",
                    is_private=private,
                    **act,
                )
                await service.handle(attacker)  # must not raise, whatever it is
        assert await snapshot() == before, "an attacker's input changed the victim's data"
        await runtime.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=1, max_size=6))
def test_no_input_changes_another_persons_survey(actions: list[dict[str, Any]]) -> None:
    asyncio.run(_attack(actions))


payload_value = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    event=st.dictionaries(
        st.sampled_from(["type", "user", "channel", "text", "ts", "thread_ts", "subtype", "bot_id", "channel_type"]),
        payload_value,
    ),
    body=st.dictionaries(
        st.sampled_from(["event_id", "event", "user", "actions", "container", "channel"]), payload_value
    ),
)
def test_slack_adapter_never_raises_on_odd_payloads(event: dict[str, Any], body: dict[str, Any]) -> None:
    for candidate in ({**body, "event": event}, body, {"event": {**event, "type": "message", "channel_type": "im"}}):
        try:
            slack_handlers.inbound_from_message(candidate, bot_user_id="UBOT", staff_channel="CSTAFF")
            slack_handlers.inbound_from_action(candidate)
            slack_handlers.inbound_from_home_action(candidate, "D1")
        except (TypeError, KeyError, AttributeError, ValueError) as exc:  # pragma: no cover - the property
            raise AssertionError(f"adapter raised {exc!r} on {candidate!r}") from exc


class _OfflineBot:
    """What the Telegram adapter reads from its bot: a username and an id."""

    username = "feedback_test_bot"
    id = 123456

    async def get_chat_member(self, chat_id: object, user_id: int) -> Any:
        from telegram.error import BadRequest

        raise BadRequest("user not found")


@settings(max_examples=200, deadline=None)
@given(message_text=text, data=button, command=st.booleans(), private=st.booleans())
def test_telegram_adapter_turns_any_update_into_an_inbound_or_nothing(
    message_text: str, data: str, command: bool, private: bool
) -> None:
    chat = {"id": 42 if private else -100123, "type": "private" if private else "supergroup"}
    user = {"id": 42, "is_bot": False, "first_name": message_text[:64] or "A", "language_code": message_text[:8]}
    raw_message: dict[str, Any] = {"message_id": 7, "date": 1, "chat": chat, "from": user, "text": message_text}
    if command and message_text:
        raw_message["entities"] = [{"type": "bot_command", "offset": 0, "length": max(1, len(message_text[:20]))}]
    updates = [
        {"update_id": 1, "message": raw_message},
        {
            "update_id": 2,
            "callback_query": {
                "id": "q",
                "from": user,
                "chat_instance": "c",
                "data": data,
                "message": {**raw_message, "text": "question"},
            },
        },
    ]
    handler = TelegramUpdates(_no_handle, StaffDirectory("-100123", ()))
    for raw in updates:
        update = Update.de_json(raw, None)
        result = asyncio.run(handler.to_inbound(update, _OfflineBot()))  # type: ignore[arg-type]
        assert result is None or isinstance(result, Inbound)


async def _no_handle(inbound: Inbound) -> Any:  # pragma: no cover - never called by to_inbound
    raise AssertionError("to_inbound must not handle")
