"""``feedbackbot import FILE.csv``: the command line of :mod:`bot.services.importer` (exit 0 when
imported, 1 with every problem listed, one line each)."""

from __future__ import annotations

from typing import TextIO

from bot.bootstrap.runtime import Runtime
from bot.services.importer import ImportFailed, import_csv

MAX_ERRORS_SHOWN = 50  # problems listed one a line; the rest are counted


async def cli_import(runtime: Runtime, file: str, out: TextIO, err: TextIO) -> int:
    """``feedbackbot import FILE.csv``: exit 0 when imported, 1 with every problem listed."""
    try:
        report = await import_csv(
            runtime.store,
            file,
            runtime.config.surveys,
            timezone=runtime.config.bot.timezone,
            sentiment=runtime.service.sentiment,
            clock=runtime.service.clock,
        )
    except OSError as exc:
        print(f"feedbackbot: cannot read {file}: {exc.strerror or exc}", file=err)
        return 1
    except ImportFailed as exc:
        for line, message in exc.errors[:MAX_ERRORS_SHOWN]:
            print(f"{file}:{line}: {message}", file=err)
        more = len(exc.errors) - MAX_ERRORS_SHOWN
        if more > 0:
            print(f"... and {more} more", file=err)
        print(f"feedbackbot: {len(exc.errors)} problem(s) in {file}; nothing was imported", file=err)
        return 1
    await runtime.settle_scoring()
    surveys = ", ".join(f"{sid} {n}" for sid, n in sorted(report.by_survey.items())) or "none"
    ignored = f"; ignored column(s): {', '.join(report.ignored)}" if report.ignored else ""
    out.write(
        f"imported {report.imported} of {report.rows} rows from {file} "
        f"({report.skipped} already imported); by survey: {surveys}{ignored}\n"
    )
    return 0
