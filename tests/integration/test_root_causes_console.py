"""Root causes and corrective actions in the terminal (issue 19): numbered cause choices
after /resolve, the typed forms, /action /actions /done, and the configuration's checks."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_mod
from tests.conftest import feedbackbot
from tests.integration.test_console_staff import in_order
from tests.integration.test_shell_cli import write_config


def test_numbered_causes_then_an_action_in_the_shell(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    script = (
        "/feedback\n2\nI was billed twice\n/resolve 1 refunded\n/cause 1 1\n"
        "/action 1 fix the invoice template owner:@maria due:2026-12-15\n/actions\n/done 1\n/actions\n"
        "/cause 1 weather\n/action 9 nothing\n/done 7\n"
    )
    result = feedbackbot("shell", "--config", cfg, "--user", "ann", "--name", "Ann", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    in_order(
        out,
        "Resolved by Ann",
        "Alert #1 is resolved. What was the root cause?",
        "[/cause 1 1] Billing error",
        "[/cause 1 6] Other",
        "cause: Billing error · refunded",
        "Alert #1: root cause Billing error.",
        "Corrective action recorded: #1 fix the invoice template · @maria · due 2026-12-15 · alerts #1",
        "Open corrective actions (1):",
        "Action #1 is done: fix the invoice template",
        "No open corrective actions.",
        "I don't know the cause “weather”. Choose one of: 1. Billing error (billing)",
        "There is no alert #9.",
        "There is no action #7.",
    )


def test_typed_cause_with_resolve_skips_the_picker(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    script = "/feedback\n1\nParcel came a week late\n/resolve 1 cause:late resent it\n"
    result = feedbackbot("shell", "--config", cfg, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "cause: Late delivery · resent it" in result.stdout
    assert "What was the root cause?" not in result.stdout


def base(causes: Any) -> dict[str, Any]:
    return {"escalation": {"causes": causes}, "surveys": [{"id": "nps", "kind": "nps", "product": "Acme"}]}


def test_configured_causes() -> None:
    cfg = config_mod.parse(base(["billing", {"id": "packaging", "name": "Damaged packaging", "de": "Verpackung"}]), {})
    [billing, packaging] = cfg.escalation.causes
    assert billing.name("it") == "Errore di fatturazione"
    assert packaging.name("de") == "Verpackung" and packaging.name("pt") == "Damaged packaging"
    assert config_mod.parse(base([]), {}).escalation.causes == ()
    assert len(config_mod.parse({"surveys": base([])["surveys"]}, {}).escalation.causes) == 6


@pytest.mark.parametrize(
    ("causes", "key", "words"),
    [
        (["weather"], "escalation.causes[0]", "not a built-in cause"),
        ([{"id": "Bad Id", "name": "x"}], "escalation.causes[0].id", "lowercase"),
        ([{"id": "packaging"}], "escalation.causes[0].name", "is required"),
        ([{"id": "packaging", "name": "x", "xx": "y"}], "escalation.causes[0].xx", "unknown key"),
        (["billing", "billing"], "escalation.causes[1]", "duplicate"),
        ("billing", "escalation.causes", "expected a list"),
    ],
)
def test_bad_causes_name_the_key(causes: Any, key: str, words: str) -> None:
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.parse(base(causes), {})
    assert key in str(err.value) and words in str(err.value)


def test_cause_report_chart_and_escalation_export(tmp_path: Path) -> None:
    """Four alerts resolved with three causes, one action: ``digest --causes`` (table, JSON,
    chart) and ``export --escalations`` (CSV, JSON Lines) from the same database."""
    cfg = str(write_config(tmp_path))
    script = (
        "/feedback\n2\nI was billed twice\n/resolve 1 refunded\n/cause 1 billing\n"
        "/feedback csat\n1\nlate parcel\n/resolve 2 cause:late\nyes\n"
        "/feedback\n0\nbilled wrong again\n/resolve 3 cause:billing\nno\n"
        "/feedback\n3\nmanual is useless\n/resolve 4 cause:missing_docs\n"
        "/action 1,3 fix the invoice template owner:@maria due:2026-01-20\n"
    )
    assert feedbackbot("shell", "--config", cfg, stdin=script).returncode == 0
    today = "--since", "2020-01-01"
    text = feedbackbot("digest", "--config", cfg, "--causes", *today, "--chart", str(tmp_path / "pareto.png"))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "4 alerts resolved" in lines[0]
    assert lines[2].split()[:6] == ["Billing", "error", "2", "50%", "50%", "+2"]
    assert "0% of 1" in lines[2]  # the one recovery answer for billing was no
    assert lines[3].split()[:5] == ["Late", "delivery", "1", "25%", "75%"] and "100% of 1" in lines[3]
    assert "Open corrective actions: 1 (1 overdue)" in text.stdout
    assert "#1 fix the invoice template · @maria · due 2026-01-20 OVERDUE · alerts #1, #3" in text.stdout
    assert (tmp_path / "pareto.png").read_bytes().startswith(b"\x89PNG")

    data = json.loads(feedbackbot("digest", "--config", cfg, "--causes", *today, "--format", "json").stdout)
    assert [(c["cause"], c["count"]) for c in data["causes"]] == [
        ("billing", 2),
        ("late_delivery", 1),
        ("missing_docs", 1),
    ]
    assert data["causes"][1]["cumulative_share"] == 0.75 and data["open_actions"][0]["overdue"] is True

    csv_out = feedbackbot("export", "--config", cfg, "--escalations")
    assert csv_out.returncode == 0, csv_out.stderr
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert [r["cause"] for r in rows] == ["billing", "late_delivery", "billing", "missing_docs"]
    assert rows[0]["route"] == "default" and rows[0]["destinations"] == "console:staff"
    assert rows[0]["resolved_at"].endswith("Z")
    assert rows[1]["recovered"] == "yes" and rows[2]["recovered"] == "no" and rows[3]["recovered"] == ""
    assert rows[0]["actions"] == "#1 fix the invoice template (@maria, due 2026-01-20, open)" == rows[2]["actions"]
    jsonl = feedbackbot("export", "--config", cfg, "--escalations", "--format", "jsonl", "--survey", "csat")
    [alert] = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert alert["alert"] == 2 and alert["cause"] == "late_delivery" and alert["recovered"] is True
    assert alert["first_reply_at"] is None and alert["actions"] == []


def test_the_readmes_worked_example(tmp_path: Path) -> None:
    """The README's example configuration and commands give the routes and the Pareto it
    shows (counts, shares and order; times differ). Its Slack and Telegram destinations
    become two terminal rooms here (mentions need those platforms)."""
    from tests.integration.test_shell_cli import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("**Worked example**", 1)[1]
    blocks = re.findall(r"```(?:toml)?\n(.*?)```", example, re.DOTALL)
    causes_line = next(line for line in blocks[0].splitlines() if line.startswith("causes = "))
    routing = blocks[0].split("[routing]", 1)[1]
    routing = re.sub(r'"slack:C0BILLING"', '"console:billing"', routing)
    routing = re.sub(r'"telegram:-100\d+"', '"console:logistics"', routing)
    routing = "[routing]" + "\n".join(line for line in routing.splitlines() if not line.startswith("mention"))
    commands = [line.split("  ->")[0].strip() for line in blocks[1].splitlines() if line.startswith("/")]
    table = blocks[2].splitlines()
    cfg = write_config(tmp_path, "\n" + routing)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"^causes = .*$", lambda m: causes_line, text, count=1, flags=re.MULTILINE), "utf-8")
    said = ["Billed twice", "Parcel a week late", "Charged twice again", "Box arrived crushed"]
    assert all(f"“{c}”" in " ".join(example.split()) for c in said)  # the complaints the README quotes
    script = "".join(f"/feedback\n2\n{c}\n" for c in said) + "\n".join(commands) + "\n/cause 4 3\n"
    shell = feedbackbot("shell", "--config", str(cfg), stdin=script)
    assert shell.returncode == 0, shell.stderr
    assert "Route: billing (comment mentions “billed”)" in shell.stdout
    assert "Route: logistics (comment mentions “parcel”)" in shell.stdout
    result = feedbackbot("digest", "--config", str(cfg), "--causes", "--since", "2020-01-01")
    assert result.returncode == 0, result.stderr
    got = result.stdout.splitlines()
    row = re.compile(r"^(.+?)\s+(\d+)\s+(\d+%)\s+(\d+%)\s+(\S+)")
    for shown, actual in zip(table[2:5], got[2:5], strict=True):
        expected, found = row.match(shown), row.match(actual)
        assert expected and found and expected.groups() == found.groups(), (shown, actual)
    by_route = re.compile(r"^(\S+)\s+(\d+)\s+(\S+)")
    at = table.index("BY ROUTE")
    assert got[at : at + 2] == table[at : at + 2]
    for shown, actual in zip(table[at + 2 : at + 4], got[at + 2 : at + 4], strict=True):
        expected, found = by_route.match(shown), by_route.match(actual)
        assert expected and found and expected.groups() == found.groups(), (shown, actual)
        assert shown.split()[-2:] == actual.split()[-2:]  # the top cause
    assert table[-1].strip() in result.stdout
    exported = feedbackbot("export", "--config", str(cfg), "--escalations")
    routes = [(r["route"], r["destinations"]) for r in csv.DictReader(io.StringIO(exported.stdout))]
    assert routes == [
        ("billing", "console:billing"),
        ("logistics", "console:logistics"),
        ("billing", "console:billing"),
        ("logistics", "console:logistics"),
    ]
