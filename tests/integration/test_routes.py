"""Routing rules through the real service and store, in the terminal: each alert goes to the
department whose route matches (first or every match), held while the comment a route needs
is on its way, says which route sent it and why, and keeps the route in the export."""

from __future__ import annotations

import csv
import io
import itertools
import json
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot import config as config_mod
from bot.bootstrap.runtime import Runtime
from bot.services.export import export_escalations
from bot.services.invitations import InviteRequest
from surveys.model import Inbound
from tests import reads
from tests.conftest import ROOT, Clock

NOON = 1_767_268_800.0  # 2026-01-01T12:00Z, outside quiet hours
_ids = itertools.count()

BILLING = {
    "name": "billing",
    "categories": ["detractor", "unsatisfied"],
    "words": ["invoice", "refund", "charged twice"],
    "destinations": ["console:billing"],
}
APP = {"name": "app", "context": {"product": "app"}, "destinations": ["console:product"]}


def configured(
    match: str, *routes: dict[str, Any], privacy: dict[str, Any] | None = None, **routing: Any
) -> config_mod.Config:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["privacy"].update(privacy or {})
    data["routing"] = {"match": match, **routing}
    data["routes"] = list(routes)
    return config_mod.parse(data, {})


def customer(user: str, text: str | None = None, command: str | None = None) -> Inbound:
    return Inbound(f"c{next(_ids)}", "console", user, user, display_name=user.title(), text=text, command=command)


async def answer(
    rt: Runtime, user: str, score: str, comment: str | None, context: dict[str, str] | None = None
) -> None:
    if context:
        await rt.inviter.invite(InviteRequest("nps", "console", user, context=context))
    else:
        await rt.service.handle(customer(user, command="feedback"))
    await rt.service.handle(customer(user, score))
    if comment is not None:
        await rt.service.handle(customer(user, comment))


async def alerts_in(rt: Runtime, chat: str) -> list[dict[str, Any]]:
    """The alert posts and edits queued to one console room."""
    rows = await reads.payloads(rt.store, chat)
    return [r for r in rows if str(r.get("ref_key") or r.get("edit_of") or "").startswith("alert:")]


async def escalations(rt: Runtime) -> list[dict[str, Any]]:
    return await reads.escalations(rt.store)


async def open_runtime(tmp_path: Path, cfg: config_mod.Config, clock: Clock) -> Runtime:
    return await Runtime.open(cfg, clock=clock, db_path=str(tmp_path / "bot.db"), sentiment=lambda t, lang: -0.6)


async def test_first_match_routes_each_alert_to_its_department(tmp_path: Path) -> None:
    clock = Clock(NOON)
    rt = await open_runtime(tmp_path, configured("first", BILLING, APP), clock)
    try:
        # Billing words: held until the comment arrives, then posted to billing alone.
        await answer(rt, "ann", "2", None)
        assert await alerts_in(rt, "billing") == [] and await alerts_in(rt, "staff") == []
        [held] = await escalations(rt)
        assert held["routed_at"] is None
        await rt.service.handle(customer("ann", "I was charged twice on my invoice"))
        [posted] = await alerts_in(rt, "billing")
        assert posted["edit_of"] is None and "I was charged twice" in posted["text"]
        assert "Route: billing (score detractor, comment mentions “invoice”)" in posted["text"]
        assert await alerts_in(rt, "staff") == [] and await alerts_in(rt, "product") == []
        # The app's product context: the app team; billing is tried first and does not match.
        await answer(rt, "bea", "3", "The app crashes when I open it", context={"product": "app"})
        [app_alert] = await alerts_in(rt, "product")
        assert "Route: app (product=app)" in app_alert["text"]
        # Nothing matches: the default route (the survey's destinations, here the staff room).
        await answer(rt, "cem", "1", "Too slow")
        [fallback] = await alerts_in(rt, "staff")
        assert "Route: default (no route matched)" in fallback["text"]
        rows = await escalations(rt)
        assert [r["route"] for r in rows] == ["billing", "app", "default"]
        assert [r["route_destinations"] for r in rows] == ["console:billing", "console:product", "console:staff"]
        assert json.loads(rows[0]["route_why"]) == [["billing", [["category", "detractor"], ["words", "invoice"]]]]
        # Staff act on the alert where it was posted; edits go there too.
        staff = Inbound(
            "s1", "console", "bob", "billing", display_name="Bob", command="claim", args="1", is_private=False
        )
        staff = replace(staff, is_staff=True)
        await rt.service.handle(staff)
        edits = await alerts_in(rt, "billing")
        assert len(edits) == 2 and edits[1]["edit_of"] == posted["ref_key"] and "Claimed by Bob" in edits[1]["text"]
        # The export names each alert's route.
        out = io.StringIO()
        await export_escalations(rt.store, out, "csv", None, None, None)
        exported = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert [(r["alert"], r["route"], r["destinations"]) for r in exported] == [
            ("1", "billing", "console:billing"),
            ("2", "app", "console:product"),
            ("3", "default", "console:staff"),
        ]
    finally:
        await rt.close()


async def test_every_match_sends_to_each_matching_department(tmp_path: Path) -> None:
    clock = Clock(NOON)
    rt = await open_runtime(tmp_path, configured("every", APP, BILLING), clock)
    try:
        await answer(rt, "ann", "0", "Refund me, the app is broken", context={"product": "app"})
        [to_app] = await alerts_in(rt, "product")
        [to_billing] = await alerts_in(rt, "billing")
        assert "Route: app (product=app)" in to_app["text"]
        assert "Route: billing (score detractor, comment mentions “refund”)" in to_billing["text"]
        [row] = await escalations(rt)
        assert row["route"] == "app, billing"
        assert row["route_destinations"] == "console:product, console:billing"
    finally:
        await rt.close()


async def test_the_route_line_keeps_context_values_where_the_alert_may_show_them(tmp_path: Path) -> None:
    """Only the context key is stored with the route; the value comes from the response's
    context, so anonymous mode (and erasure, which redacts that context) hold on the route line."""
    clock = Clock(NOON)
    cfg = configured("first", APP, privacy={"anonymous": True, "identifying_context": ["customer"]})
    rt = await open_runtime(tmp_path, cfg, clock)
    try:
        await answer(rt, "ann", "3", "Crashes", context={"product": "app", "customer": "Ann Lee"})
        alert = (await alerts_in(rt, "product"))[-1]
        assert "Route: app (product=app)" in alert["text"] and "Ann Lee" not in alert["text"]
        [row] = await escalations(rt)
        assert json.loads(row["route_why"]) == [["app", [["context", "product"]]]]
    finally:
        await rt.close()
    anonymous = configured(
        "first",
        {**APP, "context": {"customer": "ann lee"}},
        privacy={"anonymous": True, "identifying_context": ["customer"]},
    )
    rt = await open_runtime(tmp_path / "b", anonymous, Clock(NOON))
    try:
        await answer(rt, "ann", "3", "Crashes", context={"customer": "Ann Lee"})
        alert = (await alerts_in(rt, "product"))[-1]
        assert "Route: app (customer)" in alert["text"] and "Ann Lee" not in alert["text"]
    finally:
        await rt.close()


async def test_a_held_alert_goes_out_when_the_wait_is_over_or_the_customer_leaves(tmp_path: Path) -> None:
    clock = Clock(NOON)
    rt = await open_runtime(tmp_path, configured("first", BILLING, wait_for_comment_minutes=5), clock)
    try:
        await answer(rt, "ann", "2", None)
        clock.advance(4 * 60)
        await rt.service.remind_escalations()
        assert await alerts_in(rt, "staff") == []
        clock.advance(2 * 60)
        await rt.service.remind_escalations()
        [late] = await alerts_in(rt, "staff")
        assert "Route: default (no route matched)" in late["text"] and "waiting for a comment" in late["text"]
        # A comment after that edits the alert where it is; the route stays.
        await rt.service.handle(customer("ann", "wrong invoice"))
        edits = await alerts_in(rt, "staff")
        assert len(edits) == 2 and edits[1]["edit_of"] == late["ref_key"]
        assert await alerts_in(rt, "billing") == []
        # Leaving the survey decides at once: no comment, no words.
        await answer(rt, "bea", "1", None)
        await rt.service.handle(customer("bea", command="cancel"))
        assert len(await alerts_in(rt, "staff")) == 3
        assert [r["route"] for r in await escalations(rt)] == ["default", "default"]
    finally:
        await rt.close()


async def test_a_held_alert_is_never_reminded_before_it_is_posted(tmp_path: Path) -> None:
    clock = Clock(NOON)
    rt = await open_runtime(tmp_path, configured("first", BILLING, wait_for_comment_minutes=120), clock)
    try:
        await answer(rt, "ann", "2", None)
        clock.advance(45 * 60)  # past remind_unclaimed_minutes (30), still within the wait
        assert await rt.service.remind_escalations() == 0
        assert [r for r in await reads.outbox(rt.store) if r["chat_id"] in ("staff", "billing")] == []
    finally:
        await rt.close()


async def test_without_routes_alerts_go_where_they_always_went(tmp_path: Path) -> None:
    clock = Clock(NOON)
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    rt = await open_runtime(tmp_path, config_mod.parse(data, {}), clock)
    try:
        await answer(rt, "ann", "2", None)
        [alert] = await alerts_in(rt, "staff")
        assert "Route:" not in alert["text"]
        [row] = await escalations(rt)
        assert row["route"] == "default" and row["routed_at"] is not None
    finally:
        await rt.close()


ROUTES_TOML = """
[routing]
match = "first"
default_mention = { }

[[routes]]
name = "billing"
categories = ["detractor", "unsatisfied"]
words = ["invoice", "refund"]
destinations = ["console:billing"]

[[routes]]
name = "app"
context = { product = "app" }
destinations = ["console:product"]
"""


def test_routes_test_prints_where_and_why(tmp_path: Path) -> None:
    from tests.integration.test_shell_cli import feedbackbot, write_config

    cfg = str(write_config(tmp_path, ROUTES_TOML))
    result = feedbackbot(
        "routes",
        "test",
        "--config",
        cfg,
        "--survey",
        "nps",
        "--score",
        "3",
        "--comment",
        "The app crashes on login",
        "--context",
        "product=app",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Alert: survey nps · score 3 (detractor) · language en · platform console",
        "Context: product=app",
        "Comment: 'The app crashes on login'",
        "Mode: first match",
        "1. billing: no (words: none of invoice, refund)",
        "2. app: MATCH on context product=app",
        "-> app: console:product",
    ]
    assert not (tmp_path / "bot.db").exists()  # nothing stored, nothing opened

    billing = feedbackbot(
        "routes",
        "test",
        "--config",
        cfg,
        "--survey",
        "csat",
        "--score",
        "2",
        "--comment",
        "Refund, please",
        "--language",
        "de",
    )
    assert "1. billing: MATCH on category unsatisfied, words refund" in billing.stdout
    assert "2. app: not tried (first match already found)" in billing.stdout

    default = feedbackbot("routes", "test", "--config", cfg, "--survey", "nps", "--score", "9")
    assert "Note: this score alone opens no alert" in default.stdout
    assert "No route matched: the default route takes it." in default.stdout
    assert "-> default: console:staff" in default.stdout

    for bad, message in [
        (["--survey", "web"], "unknown survey 'web' for --survey (known: nps, csat, ces)"),
        (["--survey", "csat", "--score", "9"], "--score 9 is not on the csat scale (1-5)"),
        (["--survey", "nps", "--context", "product"], "--context expects KEY=VALUE, got 'product'"),
        (["--survey", "nps", "--language", "nl"], "--language expects one of en, de, es, fr, it, pt, got 'nl'"),
    ]:
        wrong = feedbackbot("routes", "test", "--config", cfg, *bad)
        assert wrong.returncode == 2 and wrong.stderr.strip() == f"feedbackbot: {message}", wrong.stderr
        assert "Traceback" not in wrong.stderr


def test_a_route_to_a_destination_run_does_not_serve_is_refused(tmp_path: Path) -> None:
    from tests.integration.test_shell_cli import feedbackbot, write_config

    cfg = str(write_config(tmp_path, ROUTES_TOML.replace('"console:product"', '"slack:C0PRODUCT"')))
    (tmp_path / "ok").mkdir()
    fine = feedbackbot("check-config", "--config", str(write_config(tmp_path / "ok", ROUTES_TOML)))
    assert fine.returncode == 0, fine.stderr
    assert fine.stdout.splitlines()[-1] == "Routes (first match, then the default route): billing, app."
    result = feedbackbot("check-config", "--config", cfg)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "feedbackbot: configuration error: routes[1].destinations[0]: "
        "'slack:C0PRODUCT' is on slack, which is not enabled"
    )
