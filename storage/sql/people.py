"""People: created before an invitation, their platform facts, opt-outs, and the audience
a campaign pages through."""

from __future__ import annotations

from typing import Any

from storage.records import Respondent
from storage.sql.unit import Statements


class People(Statements):
    """Respondent rows outside a turn."""

    async def respondent(self, platform: str, user_id: str) -> Respondent | None:
        row = await self._one("SELECT * FROM respondents WHERE platform = ? AND user_id = ?", (platform, user_id))
        return None if row is None else Respondent.from_row(row)

    async def ensure_respondent(self, platform: str, user_id: str, chat_id: str, now: float) -> Respondent:
        """A person we are about to invite: created if new, otherwise left exactly as it
        is (an invitation must never clear an opt-out or an unreachable mark)."""
        self._hold(
            "INSERT OR IGNORE INTO respondents (platform, user_id, chat_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (platform, user_id, chat_id, now, now),
        )
        found = await self.respondent(platform, user_id)
        assert found is not None
        return found

    async def set_platform_facts(self, respondent_id: int, language: str | None, timezone: str | None) -> None:
        """What the platform says about a person we have not heard from (an invitation looks
        them up first): their language and time zone, when it reports them."""
        self._hold(
            "UPDATE respondents SET language = COALESCE(?, language), timezone = COALESCE(?, timezone) WHERE id = ?",
            (language, timezone, respondent_id),
        )

    async def set_timezone(self, respondent_id: int, timezone: str) -> None:
        self._hold("UPDATE respondents SET timezone = ? WHERE id = ?", (timezone, respondent_id))

    async def set_person_key(self, respondent_id: int, person_key: str) -> None:
        self._hold("UPDATE respondents SET person_key = ? WHERE id = ?", (person_key, respondent_id))

    async def respondent_by_id(self, respondent_id: int) -> Respondent | None:
        row = await self._one("SELECT * FROM respondents WHERE id = ?", (respondent_id,))
        return None if row is None else Respondent.from_row(row)

    async def set_opt_out(self, respondent_id: int, opted_out: bool, now: float) -> None:
        self._hold(
            "UPDATE respondents SET opted_out = ?, updated_at = ? WHERE id = ?", (int(opted_out), now, respondent_id)
        )

    async def audience(
        self, platform: str | None, after_id: int, limit: int, created_before: float | None = None
    ) -> list[Respondent]:
        """Everyone reachable who has not opted out, in id order (so a campaign can page
        through millions of people and resume from the last id it handled)."""
        sql = "SELECT * FROM respondents WHERE id > ? AND opted_out = 0 AND unreachable = 0 AND chat_id IS NOT NULL"
        params: list[Any] = [after_id]
        if platform:
            sql += " AND platform = ?"
            params.append(platform)
        if created_before is not None:  # a run caught up later: only who was known when it was due
            sql += " AND created_at <= ?"
            params.append(created_before)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        rows = await self._all(sql, params)
        return [Respondent.from_row(r) for r in rows]
