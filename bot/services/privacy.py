"""People's rights over their data, from the chat: /mydata sends them everything stored
about them as a file; /forget erases them after a confirmation (buttons, or yes/no typed).

Erasure runs after the event's transaction (in one transaction of its own) because it ends
with VACUUM, which rewrites the file so the erased bytes are really gone from disk."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.port import Store
from surveys.locales import normalise_language
from surveys.model import Block, Choice, Destination, Inbound, OutMessage
from surveys.texts import text

PREFIX = "p"


@dataclass
class PrivacyDesk:
    store: Store
    export_dir: Path
    default_language: str = "en"

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

    async def forget(
        self,
        platform: str,
        user_id: str,
        now: float,
        *,
        notify: Destination | None = None,
        language: str | None = None,
    ) -> int | None:
        """Erase one person: the one erasure flow, for ``/forget`` in the chat and for
        ``feedbackbot forget``. Everything happens in one transaction: the erasure, the edits
        that replace the alert copies posted in staff chats, and (``notify``) the
        confirmation to the person; a failure leaves the person whole, never half erased.
        Then the file is rewritten (VACUUM, which cannot run inside a transaction) so the
        erased bytes are gone from disk. Returns how many posted alert copies are redacted,
        None when nothing was stored about the person."""
        async with self.store.transaction() as tx:
            person = await tx.respondent(platform, user_id)
            if person is None:
                return None
            posted = await tx.erase_person(person.id)
            messages = []
            for eid, alert_platform, chat_id, ref in posted:
                body = f"Feedback alert #{eid}: erased at the customer's request."
                messages.append(
                    OutMessage(
                        Destination(alert_platform, chat_id),
                        body,
                        blocks=(Block("text", body),),
                        edit_of=ref,
                        audience="staff",
                    )
                )
            if notify is not None:
                messages.append(OutMessage(notify, text(language or self.default_language, "forget_done")))
            await tx.enqueue(messages, now)
        await self.store.compact()
        return len(posted)


def parse_button(data: str) -> str | None:
    """'yes' / 'no' of a /forget confirmation button, else None."""
    parts = data.split(":")
    if len(parts) == 3 and parts[0] == PREFIX and parts[1] == "forget" and parts[2] in ("yes", "no"):
        return parts[2]
    return None
