"""People's rights over their data, from the chat: /mydata sends them everything stored
about them as a file; /forget erases them after a confirmation (buttons, or yes/no typed).

Erasure runs outside the event's transaction because it ends with VACUUM, which rewrites
the file so the erased bytes are really gone from disk."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.sqlite import Store, Tx
from surveys import alerts
from surveys.locales import normalise_language
from surveys.model import Block, Choice, Destination, Inbound, OutMessage
from surveys.texts import text

PREFIX = "p"


@dataclass
class PrivacyDesk:
    store: Store
    export_dir: Path
    default_language: str = "en"
    escalation_destinations: Any = None  # callable(survey_id) -> list[Destination]

    def _lang(self, inbound: Inbound) -> str:
        return normalise_language(inbound.language, self.default_language)

    async def mydata(self, respondent_id: int, inbound: Inbound, now: float) -> list[OutMessage]:
        data = await self.store.personal_data(respondent_id)
        data["exported_at"] = datetime.fromtimestamp(now, UTC).isoformat()
        folder = self.export_dir / secrets.token_hex(8)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "my-feedback-data.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        here = Destination(inbound.platform, inbound.chat_id)
        caption = text(self._lang(inbound), "mydata_caption")
        return [OutMessage(here, caption, attachment=str(path), attachment_temporary=True)]

    def confirm_forget(self, inbound: Inbound) -> OutMessage:
        lang = self._lang(inbound)
        choices = (
            (
                Choice(text(lang, "forget_yes"), f"{PREFIX}:forget:yes", "/forget yes"),
                Choice(text(lang, "forget_no"), f"{PREFIX}:forget:no", "/forget no"),
            ),
        )
        return OutMessage(Destination(inbound.platform, inbound.chat_id), text(lang, "forget_confirm"), choices=choices)

    async def forget(self, respondent_id: int, platform: str, chat_id: str, language: str, now: float) -> None:
        alert_ids = await self.store.erase_person(respondent_id)
        async with self.store.transaction() as tx:
            await self.redact_alerts(tx, alert_ids, now)
            await tx.enqueue([OutMessage(Destination(platform, chat_id), text(language, "forget_done"))], now)
        await self.store.compact()

    async def redact_alerts(self, tx: Tx, alert_ids: list[int], now: float) -> None:
        """Alerts already posted to staff chats carried the person's words: replace them."""
        if not alert_ids or self.escalation_destinations is None:
            return
        messages = []
        for eid in alert_ids:
            async with (await tx.connection()).execute("SELECT survey_id FROM escalations WHERE id = ?", (eid,)) as cur:
                row = await cur.fetchone()
            if row is None:
                continue
            for dest in self.escalation_destinations(row[0]):
                body = f"Feedback alert #{eid}: erased at the customer's request."
                messages.append(
                    OutMessage(
                        dest, body, blocks=(Block("text", body),), edit_of=alerts.alert_ref(eid, dest), audience="staff"
                    )
                )
        await tx.enqueue(messages, now)


def parse_button(data: str) -> str | None:
    """'yes' / 'no' of a /forget confirmation button, else None."""
    parts = data.split(":")
    if len(parts) == 3 and parts[0] == PREFIX and parts[1] == "forget" and parts[2] in ("yes", "no"):
        return parts[2]
    return None
