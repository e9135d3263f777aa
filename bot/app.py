"""The running bot as its components and jobs see it.

``bootstrap.runtime.Runtime`` builds every part once, at construction, and is the one class with
this shape. The platforms and the scheduler are handed it and take the parts they use; they depend
on this protocol, never on the bootstrap, so the bootstrap can build and run them without an
import cycle."""

from __future__ import annotations

from typing import Protocol

from bot.config import Config
from bot.delivery.outbox import Delivery
from bot.services.agents import AgentReports
from bot.services.digests import DigestService
from bot.services.invitations import Inviter
from bot.services.service import Service
from bot.services.trends import TrendWatch
from bot.web.http import HttpServer
from handlers.base import Channel
from storage.port import Store


class App(Protocol):
    config: Config
    store: Store
    service: Service
    delivery: Delivery
    inviter: Inviter
    http: HttpServer | None
    digests: DigestService | None
    trends: TrendWatch | None
    agent_reports: AgentReports | None

    @property
    def delivering(self) -> bool:
        """Whether this process runs the delivery loop (``run`` and the shell; a CLI command does not)."""
        ...

    def add_channel(self, channel: Channel) -> None: ...

    def start_delivery(self) -> None: ...

    async def settle_scoring(self) -> int: ...
