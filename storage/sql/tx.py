"""The unit of work both backends share: every operation a service runs inside one
transaction, by role (turns, people, invitations, escalations, erasure)."""

from __future__ import annotations

from storage.reports import Reports
from storage.sql.erasure import Erasure
from storage.sql.escalations import Escalations
from storage.sql.invitations import Invitations
from storage.sql.people import People
from storage.sql.turns import Turns


class SqlTx(Turns, People, Invitations, Escalations, Erasure):
    """Operations inside one transaction (or one unit of work of a group). A backend
    subclasses it with how statements reach its driver (``_run``, ``commit``, ``rollback``)
    and its dialect hooks; see :class:`storage.sql.unit.Statements`."""

    async def reports(self) -> Reports:
        """The report queries (``storage/reports.py``) on this transaction's connection."""
        return Reports(await self.connection())
