"""Several real ``feedbackbot run`` processes on one PostgreSQL database, against the fake
Telegram Bot API, and the pieces the tests around them share: a free port per instance, the
configuration, ``/healthz``, the Bot API's webhook behaviour (a chat's next update only after a
2xx for the previous one), and counting sends per sliding second."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

ROOT = Path(__file__).resolve().parent.parent.parent
STAFF = -1005550017
TOKEN = "123456:MULTI"
WEBHOOK_SECRET = "multi-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SLACK_STAFF = "CSTAFF"
SLACK_SIGNING_SECRET = "multi-signing-secret"
SLACK_BOT_TOKEN = "xoxb-multi"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_text(
    db_url: str,
    api_base_url: str,
    port: int,
    *,
    mode: str = "webhook",
    platform: str = "telegram",
    extra: str = "",
    log_level: str = "WARNING",
) -> str:
    webhook = 'webhook_url = "https://bot.example.com/telegram/webhook"\n' if mode == "webhook" else ""
    if platform == "slack":
        chat = (
            f'[slack]\nenabled = true\nmode = "http"\napi_base_url = "{api_base_url}"\n'
            f'staff_channel = "{SLACK_STAFF}"\n'
        )
        staff = f"slack:{SLACK_STAFF}"
    else:
        chat = (
            f'[telegram]\nenabled = true\nmode = "{mode}"\napi_base_url = "{api_base_url}"\n'
            f"staff_chat_id = {STAFF}\n{webhook}"
        )
        staff = f"telegram:{STAFF}"
    return f"""
[bot]
default_survey = "nps"
log_level = "{log_level}"
shutdown_grace_seconds = 2
[storage]
url = "{db_url}"
{chat}
[http]
enabled = true
listen = "127.0.0.1:{port}"
[invitations]
quiet_hours = "00:00-00:00"
reminder_hours = 0
[[surveys]]
id = "nps"
kind = "nps"
product = "Acme"
  [surveys.escalation]
  destinations = ["{staff}"]
[[surveys]]
id = "csat"
kind = "csat"
product = "Acme"
  [surveys.escalation]
  enabled = false
{extra}
"""


class Instance:
    """One ``feedbackbot run`` process; its log goes to a file of its own."""

    def __init__(self, name: str, folder: Path, db_url: str, api_base_url: str, **config: Any) -> None:
        self.name = name
        self.port = free_port()
        self.folder = folder
        self.config = folder / f"{name}.toml"
        self.config.write_text(config_text(db_url, api_base_url, self.port, **config), encoding="utf-8")
        self.log = folder / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("FEEDBACKBOT_DATABASE_URL", None)
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip

    async def kill(self) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                await self.kill()

    async def health(self, session: aiohttp.ClientSession) -> dict[str, Any] | None:
        try:
            async with session.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                body = await response.json()
                return body if isinstance(body, dict) else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""


async def wait_healthy(instances: Sequence[Instance], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        for instance in instances:
            while await instance.health(session) is None:
                if not instance.running:
                    raise AssertionError(f"{instance.name} exited:\n{instance.log_text()}")
                if loop.time() > deadline:
                    raise AssertionError(f"{instance.name} never answered /healthz:\n{instance.log_text()}")
                await asyncio.sleep(0.1)


async def leaders(instances: Sequence[Instance], role: str) -> list[Instance]:
    """The running instances whose /healthz says they hold ``role``."""
    found = []
    async with aiohttp.ClientSession() as session:
        for instance in instances:
            if not instance.running:
                continue
            body = await instance.health(session)
            if body is not None and role in body.get("leading", []):
                found.append(instance)
    return found


async def wait_for_leader(instances: Sequence[Instance], role: str, timeout: float = 60.0) -> Instance:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await leaders(instances, role)
        if len(found) == 1:
            return found[0]
        assert len(found) < 2, f"two instances lead {role}: {[i.name for i in found]}"
        if loop.time() > deadline:
            raise AssertionError(f"nobody took {role}")
        await asyncio.sleep(0.05)


def max_in_any_second(times: Sequence[float], window: float = 1.0) -> int:
    """The most events inside any sliding window of ``window`` seconds."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class Cluster:
    """Instances on one database, and a way to deliver webhook updates to them."""

    def __init__(self, instances: list[Instance], session: aiohttp.ClientSession) -> None:
        self.instances = instances
        self.session = session

    async def post(self, instance: Instance, update: dict[str, Any]) -> int:
        """Deliver ``update`` to ``instance``'s webhook; its HTTP status, or 0 when it could not
        be reached (the Bot API would then try again later)."""
        try:
            async with self.session.post(
                instance.url + "/telegram/webhook", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
            ) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def deliver(self, update: dict[str, Any], first: int = 0, attempts: int = 200) -> Instance:
        """Like the Bot API: send until some instance answers 2xx, trying the next instance after
        a failure (a load balancer takes a dead one out); returns the one that took it."""
        for attempt in range(attempts):
            instance = self.instances[(first + attempt) % len(self.instances)]
            if instance.running and 200 <= await self.post(instance, update) < 300:
                return instance
            await asyncio.sleep(0.05)
        raise AssertionError(f"no instance took update {update.get('update_id')}")


FIRST_RECIPIENT = 20_000_000


def campaign_table(folder: Path, recipients: int) -> str:
    people = folder / "people.txt"
    people.write_text("".join(f"telegram:{FIRST_RECIPIENT + i}\n" for i in range(recipients)), encoding="utf-8")
    # Run by hand below (feedbackbot campaign); the cron is a day that never comes back soon.
    return f"""
[[campaigns]]
id = "big"
survey = "csat"
audience = "file:{people.as_posix()}"
cron = "0 3 29 feb *"
"""


async def run_campaign(instance: Instance, campaign_id: str) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "campaign", "--config", str(instance.config), campaign_id,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise AssertionError(f"feedbackbot campaign failed: {out.decode()}")


def with_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
