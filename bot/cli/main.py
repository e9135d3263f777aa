"""The ``feedbackbot`` command line. Each subcommand is a thin layer over the runtime.

Errors end with one readable line on standard error, never a traceback (:func:`main` is the
one top-level handler), and the exit code says what kind of failure it was: 0 done, 1 a
failure at run time (storage, network, a file that cannot be written), 2 a mistake in the
command or the configuration. A reader that stops early (``export | head``) ends the
command quietly."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot import config as config_mod
from bot.bootstrap.runlock import AlreadyRunning
from bot.bootstrap.runtime import Runtime
from bot.cli import logs
from bot.config import Config, ConfigError, staff_destinations
from storage.backends import check_reachable, describe_fault
from storage.port import StorageError, StorageVersionError

EXIT_OK = 0
EXIT_FAILURE = 1  # something failed at run time: storage, network, a file
EXIT_CONFIG = 2  # a mistake in the command line or the configuration
EXIT_INTERRUPTED = 130

log = logging.getLogger(__name__)


class UsageError(Exception):
    """A mistake in the command line found after parsing (a bad date, a bad --context)."""


# Commands that only read or write the database: they never talk to a platform, so they
# need none of its secrets (see ``offline`` in bot.config.parse).
OFFLINE_COMMANDS = frozenset(
    {"export", "import", "forget", "link", "send", "campaign", "rescore", "migrate-storage", "routes"}
)


def is_offline(args: argparse.Namespace) -> bool:
    if args.command == "digest":
        return not args.post
    if args.command == "check-config":
        return bool(args.offline)
    return args.command in OFFLINE_COMMANDS


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
    shell = add("shell", "the terminal channel: answer surveys, and act on alerts as staff (/claim, /reply, /resolve)")
    shell.add_argument("--user", help="who is answering (a user id; default from [console] user)")
    shell.add_argument("--name", help="display name of that user")
    shell.add_argument("--language", help="language of that user (en, de, es, fr, it, pt)")
    check = add("check-config", "validate the configuration and the secrets it needs, then exit")
    check.add_argument(
        "--offline", action="store_true", help="skip the secrets (for a machine that only exports, imports or forgets)"
    )
    export = add("export", "write every response to standard output or a file")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--since", help="first day (YYYY-MM-DD or ISO time, in [bot] timezone)")
    export.add_argument("--until", help="last day, inclusive (YYYY-MM-DD or ISO time)")
    export.add_argument("--survey", help="only this survey id")
    export.add_argument("--output", help="file to write instead of standard output")
    export.add_argument(
        "--escalations",
        action="store_true",
        help="the alerts instead: route, cause, opened/claimed/first reply/resolved times, recovery, linked actions",
    )
    send = add("send", "invite people to a survey now (or after --delay); the running bot delivers it")
    send.add_argument("--survey", required=True, help="survey id")
    target = send.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", action="append", help="telegram:<chat id> or slack:<user id> (repeatable)")
    target.add_argument("--to-file", help="file with one platform:id per line")
    send.add_argument("--context", action="append", default=[], metavar="KEY=VALUE", help="shown to staff in alerts")
    send.add_argument("--delay", type=float, default=0.0, help="seconds to wait before sending")
    campaign = add("campaign", "run a configured campaign now (a rerun with the same --run-key resumes it)")
    campaign.add_argument("campaign_id", help="the [[campaigns]] id")
    campaign.add_argument("--run-key", help="identifies the run (default: today's date in the campaign's time zone)")
    forget = add("forget", "erase everything stored about one person (their right to erasure)")
    forget.add_argument("--platform", required=True, choices=("telegram", "slack", "console"))
    forget.add_argument("--user", required=True, help="their user id on that platform")
    migrate = add("migrate-storage", "copy the SQLite database into PostgreSQL (again: adds what is missing)")
    migrate.add_argument(
        "--to", help="postgresql://user@host:5432/database (default: the environment variable FEEDBACKBOT_DATABASE_URL)"
    )
    link = add("link", "print the Telegram deep link that starts a survey (for emails, receipts, websites)")
    link.add_argument("--survey", required=True, help="survey id")
    link.add_argument("--context", help="a reference passed with the link (letters, digits, _ and -; e.g. an order id)")
    link.add_argument("--qr", metavar="FILE", help="also write a QR code PNG to FILE")
    digest = add("digest", "print a digest (the last complete week by default) without posting it")
    digest.add_argument("--since", help="first day (YYYY-MM-DD or ISO time, in [bot] timezone)")
    digest.add_argument("--until", help="last day, inclusive (YYYY-MM-DD or ISO time)")
    digest.add_argument("--survey", action="append", default=[], help="only this survey id (repeatable)")
    digest.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    digest.add_argument("--chart", metavar="FILE", help="also write the chart PNG (FILE-<survey>.png for several)")
    digest.add_argument("--post", action="store_true", help="queue it for the configured digest destinations")
    digest.add_argument(
        "--causes",
        action="store_true",
        help="only the root causes of resolved alerts (Pareto, change, recovery, time to resolve) and open actions",
    )
    by_help = "break each score down by a context key (agent, team, ...), platform, language or survey (repeatable)"
    digest.add_argument("--by", action="append", default=[], metavar="KEY", help=by_help)
    min_help = "segments with fewer responses are folded into 'other' (default 10)"
    digest.add_argument("--min-n", type=_positive_int, default=10, metavar="N", help=min_help)
    trend_help = "score over time instead: 12w (weeks, 2 to 104) or 6m (months, 2 to 36) up to the last complete one"
    digest.add_argument("--trend", metavar="SPAN", help=trend_help)
    routes = add("routes", "routing rules: `routes test` prints where an alert would go and which rule matched on what")
    routes.add_argument("action", choices=("test",), help="test: try the configured [[routes]] on an alert")
    routes.add_argument("--survey", required=True, help="survey id")
    routes.add_argument("--score", type=int, help="the score (leave out for a skipped score)")
    routes.add_argument("--comment", default="", help="the customer's comment")
    routes.add_argument("--context", action="append", default=[], metavar="KEY=VALUE", help="context (repeatable)")
    routes.add_argument("--language", help="the customer's language (default: [bot] default_language)")
    routes.add_argument("--platform", help="where the customer answered: telegram, slack or console")
    importer = add("import", "load historical responses from a CSV export (all rows or none)")
    importer.add_argument("file", metavar="FILE.csv")
    chats = add("telegram-chats", "list the Telegram groups the bot is in, with the id for [telegram] staff_chat_id")
    chats.add_argument("--wait", type=int, default=20, help="seconds to wait for the bot to be added (default 20)")
    sentiment = add("sentiment", "score comments read from standard input, one a line; JSON lines out")
    sentiment.add_argument(
        "--language", default="auto", help="auto (detect each line's language; default) or en, de, es, fr, it, pt"
    )
    rescore = add("rescore", "recompute the sentiment of stored comments (after an upgrade), so digests use it")
    rescore.add_argument("--since", help="first day (YYYY-MM-DD or ISO time, in [bot] timezone); default: all")
    return parser


def _positive_int(text: str) -> int:
    """argparse type for a whole number of at least 1 (argparse turns the ValueError into a
    usage error naming the option)."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def parse_context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--context expects KEY=VALUE, got {pair!r}")
        context[key.strip()] = value.strip()
    return context


def parse_when(value: str, tz: str, end: bool = False) -> float:
    """A bare date means the whole day in the bot's time zone; ``--until`` includes it."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"expected a date like 2026-01-31 or an ISO time, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    if end and len(value) == 10:
        moment += timedelta(days=1)
    return moment.timestamp()


def main(argv: Sequence[str] | None = None) -> int:
    """The one top-level handler: whatever goes wrong ends with one line and an exit code."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (``export | head``): nothing left to say, and nobody to say it
        # to. Point stdout at /dev/null so the interpreter's final flush stays quiet too.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _telegram_chats(args: argparse.Namespace) -> int:
    from bot.platforms.telegram import setup as telegram_setup

    token = telegram_setup.token_from_env()
    if not token:
        return _fail("TELEGRAM_BOT_TOKEN: environment variable is required (the token from @BotFather)", EXIT_CONFIG)
    base_url = telegram_setup.api_base_url(Path(args.config) if args.config else config_mod.default_path())
    wait = max(0, min(args.wait, 50))
    return asyncio.run(telegram_setup.list_groups(token, base_url, wait, sys.stdout, sys.stderr))


def _fail(message: str, code: int) -> int:
    print(f"feedbackbot: {message}", file=sys.stderr)
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return EXIT_OK
    if args.command == "telegram-chats":
        return _telegram_chats(args)  # before the configuration is complete: it finds its staff chat
    if args.command == "sentiment":
        return _sentiment(args)  # needs no configuration and no database
    try:
        env = None
        if args.command == "migrate-storage":  # the URL there names the target, not this configuration's store
            env = {k: v for k, v in os.environ.items() if k != "FEEDBACKBOT_DATABASE_URL"}
        cfg = config_mod.load(args.config, env, offline=is_offline(args))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    logs.setup(cfg.bot.log_level, fmt=cfg.bot.log_format)
    try:
        return asyncio.run(_dispatch(args, cfg))
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except UsageError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    except StorageVersionError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except (StorageError, AlreadyRunning) as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(f"cannot use{where}: {exc.strerror or exc}", EXIT_FAILURE)
    except Exception as exc:
        fault = describe_fault(exc, cfg.storage.url or cfg.storage.path)
        if fault is not None:
            return _fail(str(fault), EXIT_FAILURE)
        log.debug("unexpected error", exc_info=True)
        return _fail(
            f'unexpected error: {type(exc).__name__}: {exc} (set [bot] log_level = "DEBUG" to log the details)',
            EXIT_FAILURE,
        )


async def _dispatch(args: argparse.Namespace, cfg: Config) -> int:

    if args.command == "check-config":
        enabled = [name for name, on in (("telegram", cfg.telegram.enabled), ("slack", cfg.slack.enabled)) if on]
        if cfg.storage.url:
            unreachable = await check_reachable(cfg.storage.url)
            if unreachable is not None:
                return _fail(unreachable, EXIT_FAILURE)
        storage = f"PostgreSQL at {cfg.storage.where}" if cfg.storage.url else f"SQLite file {cfg.storage.path}"
        print(
            f"{cfg.source}: OK. Surveys: {', '.join(cfg.surveys)}. Channels: {', '.join(enabled) or 'console only'}. "
            f"Storage: {storage}."
        )
        if cfg.routing.routes:
            names = ", ".join(r.name for r in cfg.routing.routes)
            print(f"Routes ({cfg.routing.match} match, then the default route): {names}.")
        return 0
    if args.command == "migrate-storage":
        from bot.cli.migrate_storage import MigrateError, migrate_storage

        try:
            return await migrate_storage(cfg, args.to)
        except MigrateError as exc:
            raise UsageError(str(exc)) from None
    if args.command == "link":
        return _link(cfg, args)  # a URL from the configuration: no database to open (or create)
    if args.command == "routes":
        from bot.cli.routes import RouteTestError, routes_test

        try:
            return routes_test(
                cfg,
                sys.stdout,
                survey=args.survey,
                score=args.score,
                comment=args.comment,
                context=parse_context(args.context),
                language=args.language,
                platform=args.platform,
            )
        except RouteTestError as exc:
            raise UsageError(str(exc)) from None
    run_lock = None
    if args.command == "run":
        from bot.bootstrap.runlock import RunLock

        if not cfg.storage.url:  # PostgreSQL: several instances share the database (leader locks)
            run_lock = RunLock.acquire(cfg.storage.path)  # a second bot on this file would send twice
    try:
        return await _with_runtime(args, cfg)
    finally:
        if run_lock is not None:
            run_lock.release()


async def _with_runtime(args: argparse.Namespace, cfg: Config) -> int:
    runtime = await Runtime.open(cfg)
    try:
        if args.command == "shell":
            from bot.platforms.console import run_shell

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
            from bot.services.export import export, export_escalations

            tz = cfg.bot.timezone
            since = parse_when(args.since, tz) if args.since else None
            until = parse_when(args.until, tz, end=True) if args.until else None
            if args.survey is not None and args.survey not in cfg.surveys:
                raise UsageError(f"unknown survey {args.survey!r} for --survey (known: {', '.join(cfg.surveys)})")
            what = "alerts" if args.escalations else "responses"

            async def write(out: TextIO) -> int:
                if args.escalations:
                    return await export_escalations(
                        runtime.store, out, args.format, since, until, args.survey, route_of=_route_of(cfg)
                    )
                return await export(
                    runtime.store, out, args.format, since, until, args.survey, cfg.privacy.anonymous, cfg.privacy
                )

            if args.output:
                try:
                    out_file = Path(args.output).open("w", encoding="utf-8", newline="")
                except OSError as exc:
                    return _fail(
                        f"cannot write {args.output}: {exc.strerror or exc}; choose another --output", EXIT_FAILURE
                    )
                with out_file as out:
                    count = await write(out)
                print(f"exported {count} {what} to {args.output}", file=sys.stderr)
            else:
                await write(sys.stdout)
            return 0
        if args.command == "send":
            return await _send(runtime, args)
        if args.command == "campaign":
            return await _campaign(runtime, args)
        if args.command == "forget":
            return await _forget(runtime, args)
        if args.command == "digest":
            from bot.cli.digest import cli_digest

            tz = cfg.bot.timezone
            since = parse_when(args.since, tz) if args.since else None
            until = parse_when(args.until, tz, end=True) if args.until else None
            return await cli_digest(runtime, args, since, until, sys.stdout, sys.stderr)
        if args.command == "import":
            from bot.cli.importer import cli_import

            return await cli_import(runtime, args.file, sys.stdout, sys.stderr)
        if args.command == "rescore":
            from bot.analysis.sentiment_model import FeedbackScorer
            from bot.cli.sentiment import rescore

            since = parse_when(args.since, cfg.bot.timezone) if args.since else 0.0
            await rescore(runtime, FeedbackScorer(), since, sys.stdout)
            return 0
        if args.command == "run":
            from bot.bootstrap.run import run_forever

            await run_forever(runtime)
            return 0
    finally:
        await runtime.close()
    return 1


def _sentiment(args: argparse.Namespace) -> int:
    from bot.analysis.sentiment_model import FeedbackScorer
    from bot.cli.sentiment import parse_language, score_stream

    try:
        language = parse_language(args.language)
    except ValueError as exc:
        print(f"feedbackbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        score_stream(FeedbackScorer(), language, sys.stdin, sys.stdout)
    except BrokenPipeError:  # `feedbackbot sentiment < file | head`
        return 0
    return 0


async def _send(runtime: Runtime, args: argparse.Namespace) -> int:
    from bot.services.invitations import InviteError, InviteRequest
    from bot.services.recipients import RecipientError, RecipientFileError, parse_spec, read_list

    served = runtime.inviter.platforms
    if args.to_file:
        try:
            recipients = read_list(args.to_file, served)
        except OSError as exc:
            print(f"feedbackbot: cannot read {args.to_file}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_CONFIG
        except RecipientFileError as exc:
            _print_file_errors(exc)
            return EXIT_CONFIG
    else:
        # Every recipient is checked before anyone is invited: nothing is half sent.
        recipients, refused = [], []
        for spec in args.to:
            try:
                recipients.append(parse_spec(spec, served))
            except RecipientError as exc:
                refused.append(f"feedbackbot: {spec}: {exc}")
        if refused:
            print("\n".join(refused), file=sys.stderr)
            print(f"feedbackbot: {len(refused)} recipient(s) refused; nobody was invited", file=sys.stderr)
            return EXIT_CONFIG
    context = parse_context(args.context)
    failures = 0
    for platform, user in recipients:
        request = InviteRequest(args.survey, platform, user, context=context, delay=args.delay)
        try:
            result = await runtime.inviter.invite(request)
        except InviteError as exc:
            print(f"{platform}:{user}\terror\t{exc}")
            failures += 1
            continue
        print(f"{platform}:{user}\t{result.status}\t{result.reason or ''}".rstrip())
    return 1 if failures else 0


def _print_file_errors(exc: Exception) -> None:
    from bot.services.recipients import RecipientFileError

    assert isinstance(exc, RecipientFileError)
    for line, message in exc.errors:
        print(f"{exc.path}:{line}: {message}", file=sys.stderr)
    print(f"feedbackbot: {len(exc.errors)} bad line(s) in {exc.path}; nobody was invited", file=sys.stderr)


async def _campaign(runtime: Runtime, args: argparse.Namespace) -> int:
    from bot.scheduling.scheduler import Scheduler

    if args.campaign_id not in {c.id for c in runtime.config.campaigns}:
        known = ", ".join(c.id for c in runtime.config.campaigns) or "none configured"
        print(f"feedbackbot: unknown campaign {args.campaign_id!r} (known: {known})", file=sys.stderr)
        return EXIT_CONFIG
    from bot.services.recipients import RecipientFileError

    try:
        counts = await Scheduler(runtime).campaign_job(args.campaign_id, args.run_key)
    except RecipientFileError as exc:
        _print_file_errors(exc)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"feedbackbot: cannot read the campaign's audience file: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nobody to invite")
    return 0


async def _forget(runtime: Runtime, args: argparse.Namespace) -> int:
    assert runtime.service.privacy is not None
    redacted = await runtime.service.privacy.forget(args.platform, args.user, runtime.service.clock())
    if redacted is None:
        print(f"nothing stored about {args.platform}:{args.user}")
        return 0
    print(f"erased {args.platform}:{args.user} ({redacted} staff alerts will be redacted by the running bot)")
    return 0


def _link(cfg: Config, args: argparse.Namespace) -> int:
    import re

    if args.survey not in cfg.surveys:
        print(f"feedbackbot: unknown survey {args.survey!r} (known: {', '.join(cfg.surveys)})", file=sys.stderr)
        return EXIT_CONFIG
    if not cfg.telegram.bot_username:
        print("feedbackbot: set [telegram] bot_username (the @name BotFather gave your bot)", file=sys.stderr)
        return EXIT_CONFIG
    payload = args.survey + (f"-{args.context}" if args.context else "")
    # Telegram allows only these characters, at most 64 of them, in a start payload.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload):
        print(
            "feedbackbot: --context may use letters, digits, _ and - (64 characters with the survey id)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    url = f"https://t.me/{cfg.telegram.bot_username.lstrip('@')}?start={payload}"
    print(url)
    if args.qr:
        import qrcode
        from qrcode.image.pure import PyPNGImage

        qrcode.make(url, image_factory=PyPNGImage).save(args.qr)
        print(f"QR code written to {args.qr}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def _route_of(cfg: Config) -> Callable[[str], str]:
    """Where a survey's alerts went before routes were recorded with each alert (its
    destinations, else the staff chats): the destinations column of ``export --escalations``
    for those old alerts."""
    staff = ", ".join(staff_destinations(cfg))

    def route(survey_id: str) -> str:
        survey = cfg.surveys.get(survey_id)
        return ", ".join(survey.alert_destinations) if survey and survey.alert_destinations else staff

    return route
