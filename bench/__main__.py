"""Run every benchmark and write one report: each figure beside its floor measured in the
same run, and the ratio. Figures are reported, never asserted (the machine is shared and
noisy; compare ratios from one run, not absolutes across runs).

    python -m bench [--quick] [--out DIR] [--docs]
    python -m bench soak --minutes N    (the soak alone; see bench/soak.py)

Each benchmark runs in its own process (so one's memory and event loop never colour
another's), prints a JSON line last, and is summarised here. ``--docs`` also writes
docs/benchmarks.md with a description of the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PLANS: dict[str, dict[str, list[str]]] = {
    "service": {
        "quick": ["bench.service_turns", "--users", "200"],
        "full": ["bench.service_turns", "--users", "1000"],
    },
    "postgres": {
        "quick": ["bench.postgres_turns", "--users", "100"],
        "full": ["bench.postgres_turns", "--users", "500"],
    },
    "instances": {
        "quick": ["bench.multi_instances", "--quick"],
        "full": ["bench.multi_instances"],
    },
    "telegram": {
        "quick": ["bench.telegram_turns", "--users", "100", "--latency-users", "40", "--rounds", "1"],
        "full": ["bench.telegram_turns"],
    },
    "slack": {
        "quick": ["bench.slack_turns", "--users", "100"],
        "full": ["bench.slack_turns", "--users", "300"],
    },
    "digest": {
        "quick": ["bench.digest_speed", "--quick", "--json"],
        "full": ["bench.digest_speed", "--json"],
    },
    "comparison": {
        "quick": ["bench.ptb_conversation", "--users", "60", "--kill-users", "60"],
        "full": ["bench.ptb_conversation", "--users", "200", "--kill-users", "200"],
    },
    "kill": {
        "quick": ["bench.kill_trials", "--quick", "--parallel", "3"],
        "full": ["bench.kill_trials", "--trials", "50", "--parallel", "6"],
    },
    "campaign": {
        "quick": ["bench.campaign_speed", "--quick"],
        "full": ["bench.campaign_speed", "--recipients", "10000"],
    },
    "sentiment": {
        "quick": ["bench.sentiment_speed", "--quick"],
        "full": ["bench.sentiment_speed"],
    },
    "soak": {
        "quick": ["bench.soak", "--minutes", "3"],
        "full": ["bench.soak", "--minutes", "60"],
    },
}
# Nothing runs in the background: a campaign beside CPU-heavy benchmarks measured the
# machine's contention (85% of the allowed rate, replies up to 2 s) rather than the bot.
BACKGROUND: set[str] = set()


def launch(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def collect(proc: subprocess.Popen[str], argv: list[str], started: float, timeout: float) -> dict[str, Any]:
    try:
        stdout, stderr = proc.communicate(timeout=max(1.0, timeout - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"timed out after {timeout:.0f} s", "seconds": timeout, "command": " ".join(argv)}
    result: dict[str, Any] = {"seconds": time.monotonic() - started, "command": " ".join(argv)}
    return parse_output(result, proc.returncode, stdout, stderr)


def run_one(name: str, argv: list[str], timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = collect(launch(argv), argv, started, timeout)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest so far: only meaningful when this one set it.
    if peak_kb > before:
        result["peak_rss_mb"] = peak_kb / 1024
    return result


def parse_output(result: dict[str, Any], returncode: int | None, stdout: str, stderr: str) -> dict[str, Any]:
    json_text = _last_json(stdout)
    if returncode != 0 or json_text is None:
        result["error"] = (stderr or stdout)[-2000:]
        return result
    result["figures"] = json.loads(json_text)
    before_json = stdout[: stdout.rfind(json_text)]
    result["summary"] = [line for line in before_json.splitlines() if line.strip()][-6:]
    return result


def _last_json(stdout: str) -> str | None:
    text = stdout.strip()
    # digest_speed --json prints an indented document; the others print one line.
    start = text.rfind("\n{")
    candidate = text[start + 1 :] if start >= 0 else text
    try:
        json.loads(candidate)
        return candidate
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):
        try:
            json.loads(line)
            return line
        except json.JSONDecodeError:
            continue
    return None


def rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, figure, floor, ratio) for the Markdown table, from each benchmark's JSON."""
    out: list[tuple[str, str, str, str]] = []
    get = report.get

    service = (get("service") or {}).get("figures")
    if service:
        out.append(
            (
                "Service turns/s (SQLite, durability full)",
                f"{service['turns_per_s']:.0f}",
                f"{service['floor_commits_per_s']:.0f} bare commits/s",
                f"{service['ratio']:.2f}",
            )
        )
    telegram = (get("telegram") or {}).get("figures") or {}
    for key, label in (
        ("no_latency", "no latency"),
        ("latency", "50 ms latency"),
        ("buttons", "no latency, scores pressed"),
    ):
        if key in telegram:
            t = telegram[key]
            out.append(
                (
                    f"Telegram survey turns/s ({label})",
                    f"{t['turns']['turns_per_s']:.0f}",
                    f"{t['echo']['updates_per_s']:.0f} echo updates/s",
                    f"{t['ratio']:.2f}",
                )
            )
            if "echo_aiohttp_updates_per_s" in t:
                out.append(
                    (
                        f"Telegram survey turns/s ({label}) vs the echo on feedbackbot's aiohttp transport",
                        f"{t['turns']['turns_per_s']:.0f}",
                        f"{t['echo_aiohttp_updates_per_s']:.0f} echo updates/s",
                        f"{t['ratio_same_transport']:.2f}",
                    )
                )
    slack = (get("slack") or {}).get("figures")
    if slack:
        out.append(
            (
                "Slack survey turns/s",
                f"{slack['survey']['turns_per_s']:.0f}",
                f"{slack['echo_floor']['events_per_s']:.0f} echo events/s",
                f"{slack['ratio_to_floor']:.2f}",
            )
        )
        if "fair_floor" in slack:
            out.append(
                (
                    "Slack survey turns/s vs a plain Bolt app with the same calls and one SQLite commit",
                    f"{slack['survey']['turns_per_s']:.0f}",
                    f"{slack['fair_floor']['turns_per_s']:.0f} turns/s",
                    f"{slack['ratio_to_fair_floor']:.2f}",
                )
            )
        if "outbox_floor" in slack:
            out.append(
                (
                    "Slack survey turns/s vs that app committing answer + outbox rows, then recording each send",
                    f"{slack['survey']['turns_per_s']:.0f}",
                    f"{slack['outbox_floor']['turns_per_s']:.0f} turns/s",
                    f"{slack['ratio_to_outbox_floor']:.2f}",
                )
            )
    postgres = (get("postgres") or {}).get("figures")
    if postgres and "turns_per_s" in postgres.get("postgres", {}):
        pg, lite = postgres["postgres"], postgres["sqlite"]
        out.append(
            (
                "Service turns/s on PostgreSQL, one instance (client + server CPU ms/turn)",
                f"{pg['turns_per_s']:.0f} ({pg['cpu_ms_per_turn']:.2f} + {pg['server_cpu_ms_per_turn']:.2f})",
                f"{lite['turns_per_s']:.0f} SQLite turns/s ({lite['cpu_ms_per_turn']:.2f})",
                f"{postgres['ratio_to_sqlite']:.2f}",
            )
        )
        out.append(
            (
                "Service turns/s on PostgreSQL vs bare asyncpg commits (16 in flight)",
                f"{pg['turns_per_s']:.0f}",
                f"{pg['floor_commits_per_s']:.0f} commits/s",
                f"{pg['ratio_to_floor']:.2f}",
            )
        )
    elif postgres:
        out.append(("Service turns/s on PostgreSQL", "skipped", postgres["postgres"].get("skipped", ""), "-"))
    multi = (get("instances") or {}).get("figures")
    if multi and "turns" in multi:
        one = multi["turns"][0]["turns_per_s"]
        for row in multi["turns"]:
            out.append(
                (
                    f"Webhook turns/s, {row['instances']} instance(s) on one PostgreSQL "
                    "(client + server CPU ms/turn; 2 cores cap the total)",
                    f"{row['turns_per_s']:.0f} ({row['client_cpu_ms_per_turn']:.2f} + "
                    f"{row['server_cpu_ms_per_turn']:.2f})",
                    f"{one:.0f} with 1 instance",
                    f"{row['turns_per_s'] / one:.2f}",
                )
            )
        f = multi["failover"]
        out.append(
            (
                f"Failover after SIGKILL of the sender: role taken / sending again (median of {f['trials']})",
                f"{f['takeover_median_s']:.2f} s / {f['sending_resumed_median_s']:.2f} s",
                "2 s (issue target, role taken)",
                f"{f['takeover_median_s'] / 2.0:.2f}",
            )
        )
        k = multi["campaign"]
        out.append(
            (
                f"Campaign of {k['recipients']} over 3 instances (sends/s; most in any second; 429s)",
                f"{k['sends_per_s']:.1f}; {k['max_in_any_second']}; {k['rate_limited_429']}",
                f"{k['allowed_per_s']}/s allowed",
                f"{k['sends_per_s'] / k['allowed_per_s']:.2f}",
            )
        )
    elif multi:
        out.append(("Several instances on PostgreSQL", "skipped", multi.get("skipped", ""), "-"))
    campaign = (get("campaign") or {}).get("figures")
    if campaign:
        out.append(
            (
                f"Campaign to {campaign['recipients']} (sends/s, all traffic)",
                f"{campaign['total_rate_per_s']:.1f} (campaign {campaign['rate_per_s']:.1f})",
                f"{campaign['allowed_per_s']:.0f}/s allowed",
                f"{campaign['total_ratio']:.2f}",
            )
        )
        out.append(
            (
                "Campaign: lost / doubled / 429s / live reply max",
                f"{campaign['lost']} / {campaign['doubled']} / {campaign['rate_limited_429']} / "
                f"{campaign['interactive_max_s']:.2f} s",
                "0 / 0 / - / 1 s",
                "",
            )
        )
    digest = (get("digest") or {}).get("figures")
    if digest:
        small, large = digest.get("small") or {}, digest.get("large") or {}
        nan = float("nan")
        out.append(
            (
                f"Weekly digest, median ms ({digest.get('history_small')} vs {digest.get('history_large')} responses)",
                f"{small.get('median_ms', nan):.1f} vs {large.get('median_ms', nan):.1f}",
                f"one indexed week count: {large.get('floor_week_count_ms', nan):.2f} ms",
                f"{digest.get('ratio_large_to_small', float('nan')):.2f}",
            )
        )
        if "segments_median_ms" in large:
            out.append(
                (
                    f"Weekly digest by {large.get('segment_keys')} context keys, median ms (same histories)",
                    f"{small.get('segments_median_ms', nan):.1f} vs {large.get('segments_median_ms', nan):.1f}",
                    "target < 100 ms",
                    f"{digest.get('segments_ratio_large_to_small', nan):.2f}",
                )
            )
    kill = (get("kill") or {}).get("figures")
    if kill:
        k = kill["summary"]
        out.append(
            (
                f"SIGKILL trials ({k['trials']} trials, {k['kills']} kills): answers lost / stored twice",
                f"{k['answers_missing']} / {k['answers_doubled']}",
                "0 / 0",
                "",
            )
        )
        out.append(
            (
                "SIGKILL trials: unfinished conversations / alerts lost / invitations lost",
                f"{k['conversations_unfinished']} / {k['alerts_missing']} / {k['invitations_missing']}",
                "0 / 0 / 0",
                "",
            )
        )
        out.append(
            (
                "SIGKILL trials: messages sent twice (customer / alert / invitation)",
                f"{k['customer_messages_doubled']} / {k['alerts_doubled']} / {k['invitations_doubled']}",
                "0 (see note: no idempotency key on Telegram)",
                "",
            )
        )
    comparison = (get("comparison") or {}).get("figures")
    if comparison:
        c, k = comparison["conversation_handler"], comparison["kill_conversation_handler"]
        out.append(
            (
                "feedbackbot vs PTB ConversationHandler + PicklePersistence (turns/s)",
                f"{comparison['feedbackbot']['turns_per_s']:.0f}",
                f"{c['turns_per_s']:.0f} ConversationHandler",
                f"{comparison['ratio_feedbackbot_to_conversation_handler']:.2f}",
            )
        )
        out.append(
            (
                "Answers lost when SIGKILLed mid-load (ConversationHandler: acknowledged / kept)",
                f"{k['acknowledged_answers']} / {k['answers_kept_after_kill']}",
                "feedbackbot: 0 lost (SIGKILL trials)",
                "",
            )
        )
    soak = (get("soak") or {}).get("figures")
    if soak:
        slopes, last = soak["slopes_per_10min"], soak["last"]
        out.append(
            (
                f"Soak, {soak['minutes']:g} min at {soak['turns_per_s']} turns/s: RSS growth per 10 min, second half",
                f"{slopes['rss_mb']['second_half']} MB ({soak['first'].get('rss_mb', 0):.0f} -> "
                f"{last.get('rss_mb', 0):.0f} MB)",
                f"whole run {slopes['rss_mb']['all']} MB",
                "",
            )
        )
        out.append(
            (
                "Soak: database growth per 10 min, second half (WAL at the end)",
                f"{slopes['db_mb']['second_half']} MB "
                f"({last.get('db_mb', 0):.1f} MB; WAL {last.get('wal_mb', 0):.1f} MB)",
                f"whole run {slopes['db_mb']['all']} MB",
                "",
            )
        )
        out.append(
            (
                "Soak: descriptors / threads / reply p50, p99 (last interval) / unanswered / log warnings",
                f"{last.get('fds')} / {last.get('threads')} / {last.get('latency_p50_ms')}, "
                f"{last.get('latency_p99_ms')} ms / {soak['stalls']} / {soak['log_warnings']}",
                f"first interval: {soak['first'].get('fds')} / {soak['first'].get('threads')}",
                "",
            )
        )
    sentiment = (get("sentiment") or {}).get("figures")
    if sentiment:
        model, load = sentiment["model"], sentiment["telegram"]
        labelled = model["labelled"]
        out.append(
            (
                "Sentiment, our labelled set: clear comments labelled right (en de es fr it pt)",
                " ".join(f"{e['clear_right']:.2f}" for e in labelled.values()),
                "plain VADER " + " ".join(f"{e['plain_vader_clear_right']:.2f}" for e in labelled.values()),
                "",
            )
        )
        review = model.get("review_style")
        if review:
            out.append(
                (
                    "Sentiment, our review-style comments: clear right (held-out half) / negatives negative / positive",
                    f"{review['all']['clear_right']:.2f} ({review['held_out']['clear_right']:.2f}) / "
                    f"{review['all']['negatives_negative']:.2f} / {review['all']['negatives_positive']:.2f}",
                    "",
                    "",
                )
            )
        for key, what in (("product_reviews", "product-review snippets"), ("tweets", "tweets")):
            p = model["public"][key]
            out.append(
                (
                    f"Sentiment, held-out {what}: sign agreement / clear negatives negative / positive",
                    f"{p['ours']['sign_agreement']:.3f} / {p['ours']['clear_negatives_negative']:.3f} / "
                    f"{p['ours']['clear_negatives_positive']:.3f}",
                    f"plain VADER {p['plain_vader']['sign_agreement']:.3f} / "
                    f"{p['plain_vader']['clear_negatives_negative']:.3f} / "
                    f"{p['plain_vader']['clear_negatives_positive']:.3f}",
                    f"{p['ours']['sign_agreement'] / p['plain_vader']['sign_agreement']:.2f}",
                )
            )
        out.append(
            (
                "Sentiment: comments scored/s batched (one at a time); model load s (CPU s); memory",
                f"{model['comments_per_s_batched']:.0f} ({model['comments_per_s_one_at_a_time']:.0f}); "
                f"{model['load_s']:.2f} ({model['load_cpu_s']:.2f}); +{model['memory_mb']:.0f} MB",
                f"plain VADER {model['plain_vader_per_s']:.0f}/s",
                "",
            )
        )
        deferred = load["deferred_model"]
        out.append(
            (
                "Telegram burst with comments scored by the worker: turns/s; commit to score p50 / p99",
                f"{deferred['turns_per_s']:.0f}; {deferred['commit_to_score_p50_s'] * 1000:.0f} / "
                f"{deferred['commit_to_score_p99_s'] * 1000:.0f} ms",
                f"{load['inline_fixed']['turns_per_s']:.0f} turns/s, fixed inline score",
                f"{load['ratio']:.2f}",
            )
        )
    peak = (get("telegram") or {}).get("peak_rss_mb")
    if peak:
        out.append(("Peak memory of the process under the Telegram load", f"{peak:.0f} MB", "", ""))
    return out


TARGETS = """
## Targets set by the issues, met or explained

- Telegram turns >= 90% of the echo floor with 50 ms of API latency: met (about 1.5-2.4: the
  bot keeps 64 sends in flight where the echo bot handles 16 updates at a time).
- Telegram turns >= 75% of the echo floor with no latency: met, about 0.84-1.03 (median of
  five rounds; single rounds range 0.65-1.2 on this shared machine, whose speed drifts
  between phases, which is why the floor is measured before and after the bot and
  averaged). A typed survey turn makes one API
  call, like the echo: the question, the follow-up, the thanks. Until this run a typed score
  was also answered with an edit removing the question's keyboard (1.33 calls per turn,
  ratio about 0.65-0.7); the question is now tidied only if its keyboard is tapped later
  (docs/architecture.md, "One message per typed answer"). With the score pressed as a
  button, a turn makes 1.67 calls (callback answer, edit, follow-up, as the issue asks) and
  the ratio is about 0.55-0.8, reported beside it. Against the same echo bot on feedbackbot's
  aiohttp transport the ratio is about 0.4: part of the speed is that transport. Telegram
  itself lets a bot send about 30 messages/s.
- Slack turns >= 75% of the Bolt echo floor: not met (about 0.23-0.29). A turn makes 2.0 Web
  API calls (question; chat.update and follow-up; thanks; conversations.open and users.info
  once per newcomer) against the echo's one, and those two calls alone cost about what the
  echo's whole event does (about 0.5 ms of CPU). The Slack code is under 5% of the profile.
- Campaign >= 95% of the allowed rate, nothing lost or doubled, live replies within a second:
  met (about 99% of the allowed 30/s with the live replies, the campaign taking what they
  leave; no 429s; live replies p50 about 0.05 s, max about 0.25 s). The pacer holds each
  send's slot from its start until a second after its answer, so it runs at 30 per
  (1 s + round trip) with no 429s.
- Weekly digest < 50 ms and < 1.5x slower at 10x the history: met on a quiet machine (median
  about 40 ms, about 1x). The median follows the machine's phase: runs made while the shared
  host was busy gave 45-68 ms medians with the same 38 ms minimum, at about 1x as well.
- Weekly digest broken down by ten context keys (219 segment rows) < 100 ms at 1M responses
  and < 1.5x slower at 10x the history (issue 18): met in CPU time, and in wall time in 11 of
  12 rounds on the loaded machine (load 4-7 on 2 cores; no quiet machine was at hand): 1M
  medians 45-86 ms wall / 41-52 ms CPU with UTC weeks, 52-96 / 49-69 ms with India's (+5:30)
  and 45-106 / 40-63 ms with Berlin's, against 101-221 / 80-129 ms for the code before
  (same databases, alternately); growth 0.73-1.26x. Two more rounds after the last change at
  load 3.4-4.0: 43-75 ms wall / 36-65 ms CPU (before: 86-154 / 82-152 ms). At load 8-10 the
  wall time follows the machine (up to 173 ms) with the CPU time unchanged (47-71 ms).
  README "Benchmarks" has the table.
- Service turns against bare SQLite commits: reported, no target (with durability
  full: turns queued together share one commit, so one fsync, see `Store.run`).
- SIGKILL trials: no answer lost or stored twice, every conversation finished, every alert and
  invitation delivered: met. Messages sent twice are possible by design of Telegram's API (no
  idempotency key): a kill between Telegram accepting a message and the bot recording it makes
  the restart send it again (a handful in 150 kills).
- Soak (60 minutes, issue 21): RSS growth under 2 MB per 10 minutes in the last half hour:
  met (0.86 MB; 65 MB after start, 75 MB after an hour and 38,557 turns); descriptors (28) and
  threads (4) flat; database growing only with what is kept (responses, sessions, alerts,
  slimmed named messages) and with the two-day event-id window filling: 2.5 MB per 10 minutes
  at 10.7 turns/s, the outbox's text and the inbox flat. The machine was shared (load 4-11),
  which shows in latency only. Database size per 1,000 daily responses: `python -m
  bench.db_size` (README "Operations").
"""


def markdown(report: dict[str, Any], mode: str) -> str:
    lines = [
        f"# Benchmarks ({mode} run)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Each figure stands beside a floor measured in the same run on the same machine. The machine is",
        "shared and noisy: compare the ratios, not the absolutes across runs.",
        "",
        "| What | Figure | Floor | Ratio |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(report)]
    lines += TARGETS.splitlines()
    soak = (report.get("soak") or {}).get("figures")
    if soak:
        from bench.soak import markdown_section

        lines += markdown_section(soak)
    errors = {k: v["error"] for k, v in report.items() if isinstance(v, dict) and "error" in v}
    if errors:
        lines += ["", "## Benchmarks that failed", ""]
        lines += [f"- {k}: `{v.strip().splitlines()[-1] if v.strip() else v}`" for k, v in errors.items()]
    lines += ["", "## Raw output", ""]
    for name, value in report.items():
        if isinstance(value, dict):
            lines.append(f"- **{name}** (`python -m {value.get('command', '')}`, {value.get('seconds', 0):.0f} s)")
            lines += [f"  - {line}" for line in value.get("summary", [])]
    return "\n".join(lines) + "\n"


def main() -> None:
    if sys.argv[1:2] == ["soak"]:
        from bench.soak import main as soak_main

        soak_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: finishes in about 2 minutes")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"), help="where report.md and report.json go")
    parser.add_argument("--docs", action="store_true", help="also write docs/benchmarks.md")
    parser.add_argument("--only", action="append", choices=sorted(PLANS), help="run only these")
    parser.add_argument("--merge", action="store_true", help="keep the other results of the last report.json")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    report: dict[str, Any] = {}
    previous = Path(args.out) / "report.json"
    if args.merge and previous.exists():
        report = json.loads(previous.read_text(encoding="utf-8"))
    timeout = 300 if args.quick else 900
    background: dict[str, tuple[subprocess.Popen[str], list[str], float]] = {}
    for name, plans in PLANS.items():
        if args.only and name not in args.only:
            continue
        if name in BACKGROUND and not args.quick:
            print(f"starting {name} ({mode}) in the background...", flush=True)
            background[name] = (launch(plans[mode]), plans[mode], time.monotonic())
            continue
        print(f"running {name} ({mode})...", flush=True)
        budget = timeout if name != "soak" else float(plans[mode][plans[mode].index("--minutes") + 1]) * 60 + 300
        report[name] = run_one(name, plans[mode], timeout=budget)
        status = "error" if "error" in report[name] else "ok"
        print(f"  {name}: {status} in {report[name]['seconds']:.0f} s", flush=True)
    for name, (proc, argv, started) in background.items():
        report[name] = collect(proc, argv, started, timeout)
        print(f"  {name}: {'error' if 'error' in report[name] else 'ok'} in {report[name]['seconds']:.0f} s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(report, mode)
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    if args.docs:
        (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
