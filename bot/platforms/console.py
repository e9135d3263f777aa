"""``feedbackbot shell``: the terminal channel, for both sides of the conversation.

The person at the keyboard is the customer and, with ``[console] staff = true`` (the
default), staff of the console staff room too: ``/claim``, ``/reply``, ``/resolve`` and
``/digest`` act on alerts there, and after ``/reply`` the next line goes to the customer,
as it does in a Telegram group or a Slack channel. Everything else is the customer's.

Reads lines from standard input (a keyboard or a pipe), so a whole loop can be scripted:
``printf '/feedback\\n3\\nIt crashed\\n/claim 1\\n' | feedbackbot shell``."""

from __future__ import annotations

import asyncio
import uuid
from typing import TextIO

from bot.app import App
from bot.config import console_staff_room
from handlers.console import ConsoleChannel, inbound_from_line, is_staff_command, split_command


async def run_shell(runtime: App, *, user: str, name: str, language: str, stdin: TextIO, stdout: TextIO) -> None:
    runtime.add_channel(ConsoleChannel(stdout))
    runtime.start_delivery()
    interactive = stdin.isatty()
    staff = runtime.config.console.staff
    room = console_staff_room(runtime.config)
    survey_ids = ", ".join(runtime.config.surveys)
    staff_note = (
        f"You are also staff of the console staff room '{room}': /claim N, /reply N, /resolve N [note], /digest.\n"
        if staff
        else ""
    )
    stdout.write(
        f"feedbackbot shell: you are {name!r} ({user}). Surveys: {survey_ids}.\n"
        f"Type /feedback [survey] to start, /help for commands, Ctrl-D to quit.\n{staff_note}"
    )
    stdout.flush()
    loop = asyncio.get_running_loop()
    run_id = uuid.uuid4().hex[:8]
    sequence = 0
    replying = False  # staff pressed Reply: the next line goes to the customer
    while True:
        if interactive:
            stdout.write("staff> " if replying else "you> ")
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        line = line.rstrip("\r\n")
        if not line.strip() and interactive:
            continue
        sequence += 1
        as_staff = is_staff_command(line) or (replying and split_command(line) is None)
        inbound = inbound_from_line(
            line,
            user=user,
            name=name,
            language=language,
            sequence=sequence,
            session=run_id,
            staff_room=room if as_staff else None,
            is_staff=staff,
        )
        await runtime.service.handle(inbound)
        await runtime.settle_scoring()  # a negative comment's alert shows before the next line
        await runtime.delivery.drain()
        if as_staff:
            replying = staff and await _reply_pending(runtime, user)
    if interactive:
        stdout.write("\n")
    if runtime.digests is not None:
        await runtime.digests.close()  # an on-demand digest's charts follow it
    await runtime.delivery.drain()


async def _reply_pending(runtime: App, user: str) -> bool:
    """Did this staff member press Reply on an alert and not answer yet? Asked of the store,
    the same state a Telegram or Slack staff chat uses, so a /reply to an alert that does not
    exist (or is resolved) does not capture the next line."""
    async with runtime.store.transaction() as tx:
        return await tx.escalation_replying(f"console:{user}") is not None
