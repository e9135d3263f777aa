"""[routing] and [[routes]] in the configuration: parsed into routes, every mistake named by its key."""

from __future__ import annotations

from typing import Any

import pytest

from bot import config as config_mod
from bot.config import ConfigError

SECRETS = {"TELEGRAM_BOT_TOKEN": "t", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}


def base(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "telegram": {"enabled": True, "staff_chat_id": -1001},
        "slack": {"enabled": True, "staff_channel": "C0STAFF"},
        "surveys": [
            {"id": "nps", "kind": "nps", "product": "Acme"},
            {"id": "csat", "kind": "csat", "product": "Acme", "escalation": {"destinations": ["slack:C0CSAT"]}},
        ],
    }
    data.update(extra)
    return data


BILLING = {
    "name": "billing",
    "categories": ["detractor", "unsatisfied"],
    "words": ["invoice", "refund"],
    "context": {"plan": ["Pro", "team"], "region": "eu"},
    "destinations": ["slack:C0BILLING", "telegram:-100222"],
    "mention": {"slack": "<!subteam^S0BILL>", "telegram": "billing_lead"},
}


def test_routes_parse() -> None:
    app = {"name": "app", "destinations": ["telegram:-100333"], "surveys": ["nps"], "languages": ["de"]}
    app["platforms"] = ["slack"]
    cfg = config_mod.parse(base(routing={"match": "every"}, routes=[BILLING, app]), SECRETS)
    routing = cfg.routing
    assert routing.match == "every"
    billing, app = routing.routes
    assert billing.name == "billing"
    assert billing.destinations == ("slack:C0BILLING", "telegram:-100222")
    assert billing.context == {"plan": frozenset({"pro", "team"}), "region": frozenset({"eu"})}
    assert billing.mention == {"slack": "S0BILL", "telegram": "@billing_lead"}
    assert billing.words == ("invoice", "refund")
    assert app.surveys == {"nps"} and app.languages == {"de"} and app.platforms == {"slack"}
    assert routing.wait_for_comment_minutes == 10


def test_no_routes_keeps_the_survey_destinations() -> None:
    cfg = config_mod.parse(base(), SECRETS)
    assert cfg.routing.routes == () and cfg.routing.default == ()
    assert config_mod.default_route(cfg, "csat") == ("slack:C0CSAT",)
    assert config_mod.default_route(cfg, "nps") == ("telegram:-1001", "slack:C0STAFF")
    with_default = config_mod.parse(base(routing={"default": ["slack:C0ALL"]}), SECRETS)
    assert config_mod.default_route(with_default, "csat") == ("slack:C0ALL",)


def route(**changes: Any) -> dict[str, Any]:
    return {**BILLING, **changes}


def first(*routes: dict[str, Any]) -> dict[str, Any]:
    return base(routing={"match": "first"}, routes=list(routes))


TERMINAL = "'console:staff' is the terminal, which `feedbackbot run` serves only when no chat platform is enabled"
NO_SLACK = {
    **first(route(destinations=["slack:C1"], mention={})),
    "slack": {},
    "surveys": [{"id": "nps", "kind": "nps", "product": "Acme"}],
}


@pytest.mark.parametrize(
    ("data", "key", "problem"),
    [
        (base(routes=[BILLING]), "routing.match", 'is required with [[routes]]: "first"'),
        (base(routing={"match": "some"}, routes=[BILLING]), "routing.match", "expected one of 'first', 'every'"),
        (first(route(destinations=["console:staff"])), "routes[0].destinations[0]", TERMINAL),
        (NO_SLACK, "routes[0].destinations[0]", "'slack:C1' is on slack, which is not enabled"),
        (base(routing={"default": ["slack:C1", "whatsapp:1"]}), "routing.default[1]", "expected 'telegram:<chat id>'"),
        (first(route(name="default")), "routes[0].name", "is the default route's name"),
        (first(BILLING, route(name="Billing")), "routes[1].name", "is used by an earlier route"),
        (first(route(destinations=[])), "routes[0].destinations", "list at least one"),
        (first({"name": "x"}), "routes[0].destinations", "is required"),
        (first(route(surveys=["ces"])), "routes[0].surveys[0]", "no survey with id 'ces'"),
        (first(route(categories=["angry"])), "routes[0].categories[0]", "expected one of detractor"),
        (first(route(languages=["nl"])), "routes[0].languages[0]", "expected one of en, de"),
        (first(route(platforms=["email"])), "routes[0].platforms[0]", "expected one of telegram"),
        (first(route(words=[""])), "routes[0].words[0]", "expected a non-empty string"),
        (first(route(words=[])), "routes[0].words", "is empty"),
        (first(route(context=["plan"])), "routes[0].context", "expected a table"),
        (first(route(mention={"slack": "billing-team"})), "routes[0].mention.slack", "expected a Slack user group"),
        (first(route(mention={"telegram": "@ab"})), "routes[0].mention.telegram", "expected a Telegram @username"),
        (first(route(mention={"whatsapp": "x"})), "routes[0].mention.whatsapp", "unknown key"),
        (
            first(route(destinations=["slack:C0B"], mention={"telegram": "@billing_lead"})),
            "routes[0].mention.telegram",
            "this route sends nothing to telegram",
        ),
        (first(route(colour="red")), "routes[0].colour", "unknown key"),
        (base(routes={"name": "x"}, routing={"match": "first"}), "routes", "expected an array of tables"),
    ],
)
def test_route_mistakes_name_their_key(data: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_mod.parse(data, SECRETS)
    assert caught.value.key == key
    assert problem in caught.value.problem
