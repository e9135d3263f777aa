"""Erasing a person on PostgreSQL: the SQLite store's steps (see ``Tx.erase_person`` there),
with PostgreSQL's JSON operators where SQLite uses ``json_extract`` and ``json_object``."""

from __future__ import annotations

import json
from typing import Any

from storage.sqlite import _carries, subject_of


async def erase_person(tx: Any, respondent_id: int) -> list[tuple[int, str, str, str]]:
    person = await tx._one("SELECT * FROM respondents WHERE id = ?", (respondent_id,))
    if person is None:
        return []
    platform, user_id, chat_id = str(person["platform"]), str(person["user_id"]), person["chat_id"]
    alerts = await tx._all("SELECT id FROM escalations WHERE respondent_id = ?", (respondent_id,))
    alert_ids = [int(r[0]) for r in alerts]
    comments = [
        str(r[0])
        for r in await tx._all(
            "SELECT comment FROM responses WHERE respondent_id = ? AND comment IS NOT NULL AND comment != ''",
            (respondent_id,),
        )
    ]
    posted: list[tuple[int, str, str, str]] = []
    quoted: set[tuple[str, str, str]] = set()
    for eid in alert_ids:
        like = f"alert:{eid}:%"
        for row in await tx._all(
            "SELECT platform, chat_id, message_id, ref_key FROM outbox WHERE message_id IS NOT NULL AND "
            "(ref_key LIKE ? OR payload::jsonb ->> 'reply_to' LIKE ? OR payload::jsonb ->> 'edit_of' LIKE ?)",
            (like, like, like),
        ):
            quoted.add((str(row[0]), str(row[1]), str(row[2])))
            ref = row[3]
            if ref is not None and str(ref).startswith(f"alert:{eid}:"):
                posted.append((eid, str(row[0]), str(row[1]), str(ref)))
        tx._hold(
            "UPDATE outbox SET payload = json_build_object('to', json_build_array(platform, chat_id, NULL), "
            "'text', '(erased)')::text WHERE ref_key LIKE ? AND status = 'sent'",
            (like,),
        )
        tx._hold(
            "DELETE FROM outbox WHERE (ref_key LIKE ? AND status != 'sent') "
            "OR payload::jsonb ->> 'reply_to' LIKE ? OR payload::jsonb ->> 'edit_of' LIKE ?",
            (like, like, like),
        )
    for key, sender, payload in await tx._all(
        "SELECT update_key, chat_id, payload FROM inbox WHERE platform = ?", (platform,)
    ):
        own = sender is not None and str(sender) in (user_id, str(chat_id))
        messages = {(c, m) for p, c, m in quoted if p == platform}
        try:
            decoded = json.loads(payload)
        except ValueError:
            decoded = payload
        if own or _carries(decoded, messages, comments):
            tx._hold("DELETE FROM inbox WHERE platform = ? AND update_key = ?", (platform, key))
    tx._hold("DELETE FROM outbox WHERE platform = ? AND chat_id = ?", (platform, chat_id))
    tx._hold(
        "UPDATE escalations SET respondent_id = NULL, resolution_note = NULL WHERE respondent_id = ?",
        (respondent_id,),
    )
    tx._hold(
        "UPDATE responses SET comment = NULL, context = '{}', respondent_id = NULL, session_id = NULL, "
        "flags = '' WHERE respondent_id = ?",
        (respondent_id,),
    )
    prefix = f"{platform}:msg:{chat_id}:"
    tx._hold(
        "DELETE FROM processed_events WHERE subject = ? OR (subject IS NULL AND substr(event_id, 1, ?) = ?)",
        (subject_of(platform, user_id), len(prefix), prefix),
    )
    tx._hold("DELETE FROM respondents WHERE id = ?", (respondent_id,))
    await tx.flush()
    return sorted(set(posted))
