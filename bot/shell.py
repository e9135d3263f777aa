"""``feedbackbot shell``: a customer conversation in the terminal.

Reads lines from standard input (a keyboard or a pipe), so a whole survey can be scripted:
``printf '/feedback\n9\nGreat support\n' | feedbackbot shell``."""

from __future__ import annotations

import asyncio
import uuid
from typing import TextIO

from bot.runtime import Runtime
from handlers.console import ConsoleChannel, inbound_from_line


async def run_shell(runtime: Runtime, *, user: str, name: str, language: str, stdin: TextIO, stdout: TextIO) -> None:
    runtime.add_channel(ConsoleChannel(stdout))
    runtime.start_delivery()
    interactive = stdin.isatty()
    survey_ids = ", ".join(runtime.config.surveys)
    stdout.write(
        f"feedbackbot shell: you are {name!r} ({user}). Surveys: {survey_ids}.\n"
        "Type /feedback [survey] to start, /help for commands, Ctrl-D to quit.\n"
    )
    stdout.flush()
    loop = asyncio.get_running_loop()
    run_id = uuid.uuid4().hex[:8]
    sequence = 0
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        line = line.rstrip("\r\n")
        if not line.strip() and interactive:
            continue
        sequence += 1
        inbound = inbound_from_line(line, user=user, name=name, language=language, sequence=sequence, session=run_id)
        await runtime.service.handle(inbound)
        await runtime.delivery.drain()
    if interactive:
        stdout.write("\n")
    await runtime.delivery.drain()
