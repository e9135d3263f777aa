"""Erasing one person inside a unit of work (``/forget``, ``feedbackbot forget``)."""

from __future__ import annotations

import json

from storage.sql.rows import carries, subject_of
from storage.sql.unit import Statements


class Erasure(Statements):
    """The erasure steps; JSON is read through the dialect hooks of :class:`Statements`."""

    async def erase_person(self, respondent_id: int) -> list[tuple[int, str, str, str]]:
        """Erase a person inside this transaction: identity, sessions, invitations, the text
        of their comments, every message exchanged with them, every alert about them, their
        handled event ids (exactly theirs, by subject) and every inbox row that carries their
        words (their own updates, and staff presses or replies that quote an alert about
        them). Scores stay, with no link to anyone, so past aggregates still add up.

        Returns the posted alert copies to redact on the staff platforms, as
        ``(alert id, platform, chat id, ref key)``."""
        person = await self._one("SELECT * FROM respondents WHERE id = ?", (respondent_id,))
        if person is None:
            return []
        platform, user_id, chat_id = str(person["platform"]), str(person["user_id"]), person["chat_id"]
        alert_ids = [
            int(r[0]) for r in await self._all("SELECT id FROM escalations WHERE respondent_id = ?", (respondent_id,))
        ]
        comments = [
            str(r[0])
            for r in await self._all(
                "SELECT comment FROM responses WHERE respondent_id = ? AND comment IS NOT NULL AND comment != ''",
                (respondent_id,),
            )
        ]
        reply_to, edit_of = self.json_text("payload", "reply_to"), self.json_text("payload", "edit_of")
        posted: list[tuple[int, str, str, str]] = []
        quoted: set[tuple[str, str, str]] = set()  # (platform, chat id, message id) of alerts and relays
        for eid in alert_ids:
            like = f"alert:{eid}:%"
            for row in await self._all(
                "SELECT platform, chat_id, message_id, ref_key FROM outbox WHERE message_id IS NOT NULL AND "
                f"(ref_key LIKE ? OR {reply_to} LIKE ? OR {edit_of} LIKE ?)",
                (like, like, like),
            ):
                quoted.add((str(row[0]), str(row[1]), str(row[2])))
                ref = row[3]
                if ref is not None and str(ref).startswith(f"alert:{eid}:"):
                    posted.append((eid, str(row[0]), str(row[1]), str(ref)))
            # Sent alerts keep only what is needed to edit them into a redaction notice.
            self._hold(
                f"UPDATE outbox SET payload = {self.ERASED_ALERT_PAYLOAD} WHERE ref_key LIKE ? AND status = 'sent'",
                (like,),
            )
            self._hold(
                "DELETE FROM outbox WHERE (ref_key LIKE ? AND status != 'sent') "
                f"OR {reply_to} LIKE ? OR {edit_of} LIKE ?",
                (like, like, like),
            )
        for key, sender, payload in await self._all(
            "SELECT update_key, chat_id, payload FROM inbox WHERE platform = ?", (platform,)
        ):
            own = sender is not None and str(sender) in (user_id, str(chat_id))
            messages = {(c, m) for p, c, m in quoted if p == platform}
            try:
                decoded = json.loads(payload)
            except ValueError:
                decoded = payload
            if own or carries(decoded, messages, comments):
                self._hold("DELETE FROM inbox WHERE platform = ? AND update_key = ?", (platform, key))
        self._hold("DELETE FROM outbox WHERE platform = ? AND chat_id = ?", (platform, chat_id))
        self._hold(
            "UPDATE escalations SET respondent_id = NULL, resolution_note = NULL WHERE respondent_id = ?",
            (respondent_id,),
        )
        self._hold(
            "UPDATE responses SET comment = NULL, context = '{}', respondent_id = NULL, session_id = NULL, "
            "flags = '' WHERE respondent_id = ?",
            (respondent_id,),
        )
        # Exactly their own event ids: by subject, and for ids claimed before subjects were
        # recorded, the Telegram message ids of their chat (the only ids that name a person).
        self._hold(
            "DELETE FROM processed_events WHERE subject = ? OR (subject IS NULL AND substr(event_id, 1, ?) = ?)",
            (subject_of(platform, user_id), len(f"{platform}:msg:{chat_id}:"), f"{platform}:msg:{chat_id}:"),
        )
        self._hold("DELETE FROM respondents WHERE id = ?", (respondent_id,))
        await self.flush()
        return sorted(set(posted))
