"""The ``feedbackbot`` command line. Each subcommand is a thin layer over the runtime;
configuration errors end with one readable line and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import config as config_mod
from bot import logs
from bot.config import Config, ConfigError
from storage.sqlite import StorageVersionError

EXIT_CONFIG = 2


def _version() -> str:
    try:
        return version("feedbackbot")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedbackbot",
        description="Chat-native customer feedback bot: NPS, CSAT and CES surveys in Telegram, Slack and the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"feedbackbot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", help="configuration file (default: ./config.toml, else config.example.toml)")
        return p

    add("run", "run every enabled channel (Telegram, Slack; the console when none is enabled)")
    shell = add("shell", "answer surveys in the terminal through the real service and storage")
    shell.add_argument("--user", help="who is answering (a user id; default from [console] user)")
    shell.add_argument("--name", help="display name of that user")
    shell.add_argument("--language", help="language of that user (en, de, es, fr, it, pt)")
    add("check-config", "validate the configuration and the secrets it needs, then exit")
    export = add("export", "write every response to standard output or a file")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--since", help="first day (YYYY-MM-DD or ISO time, in [bot] timezone)")
    export.add_argument("--until", help="last day, inclusive (YYYY-MM-DD or ISO time)")
    export.add_argument("--survey", help="only this survey id")
    export.add_argument("--output", help="file to write instead of standard output")
    return parser


def parse_when(value: str, tz: str, end: bool = False) -> float:
    """A bare date means the whole day in the bot's time zone; ``--until`` includes it."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"feedbackbot: expected a date like 2026-01-31 or an ISO time, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    if end and len(value) == 10:
        moment += timedelta(days=1)
    return moment.timestamp()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 0
    try:
        cfg = config_mod.load(args.config)
    except ConfigError as exc:
        print(f"feedbackbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logs.setup(cfg.bot.log_level)
    try:
        return asyncio.run(_dispatch(args, cfg))
    except StorageVersionError as exc:
        print(f"feedbackbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, cfg: Config) -> int:
    from bot.runtime import Runtime

    if args.command == "check-config":
        enabled = [name for name, on in (("telegram", cfg.telegram.enabled), ("slack", cfg.slack.enabled)) if on]
        print(f"{cfg.source}: OK. Surveys: {', '.join(cfg.surveys)}. Channels: {', '.join(enabled) or 'console only'}.")
        return 0
    runtime = await Runtime.open(cfg)
    try:
        if args.command == "shell":
            from bot.shell import run_shell

            await run_shell(
                runtime,
                user=args.user or cfg.console.user,
                name=args.name or cfg.console.name,
                language=args.language or cfg.console.language,
                stdin=sys.stdin,
                stdout=sys.stdout,
            )
            return 0
        if args.command == "export":
            from bot.export import export

            tz = cfg.bot.timezone
            since = parse_when(args.since, tz) if args.since else None
            until = parse_when(args.until, tz, end=True) if args.until else None
            if args.output:
                with Path(args.output).open("w", encoding="utf-8", newline="") as out:
                    count = await export(runtime.store, out, args.format, since, until, args.survey)
                print(f"exported {count} responses to {args.output}", file=sys.stderr)
            else:
                await export(runtime.store, sys.stdout, args.format, since, until, args.survey)
            return 0
        if args.command == "run":
            from bot.run import run_forever

            await run_forever(runtime)
            return 0
    finally:
        await runtime.close()
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
