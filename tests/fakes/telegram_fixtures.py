"""Reusable helpers to run the fake Telegram Bot API (and a python-telegram-bot Application) in tests."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from tests.fakes.telegram_api import FakeTelegramAPI


@contextlib.asynccontextmanager
async def running_fake_telegram(**kw: Any) -> AsyncIterator[FakeTelegramAPI]:
    """Start a :class:`FakeTelegramAPI` (keyword arguments go to its constructor) and stop it on exit."""
    fake = FakeTelegramAPI(**kw)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def build_application(fake: FakeTelegramAPI, **builder: Any) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application wired to the fake, without a job queue. ``builder`` items are ApplicationBuilder calls,
    e.g. ``concurrent_updates=16``."""
    app_builder = (
        ApplicationBuilder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).job_queue(None)
    )
    for name, value in builder.items():
        app_builder = getattr(app_builder, name)(value)
    return app_builder.build()


@contextlib.asynccontextmanager
async def running_application(
    app: Application[Any, Any, Any, Any, Any, Any], *, poll_timeout: float = 1.0, stop_timeout: float = 10.0,
    **polling: Any,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Drive an Application by hand (initialize, start_polling, start) and stop it on exit, within
    ``stop_timeout`` seconds. Stop it before the fake server."""
    await app.initialize()
    try:
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=poll_timeout), **polling)  # type: ignore[union-attr]
        await app.start()
        try:
            yield app
        finally:
            await asyncio.wait_for(_stop(app), stop_timeout)
    finally:
        await asyncio.wait_for(app.shutdown(), stop_timeout)


async def _stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
