"""``feedbackbot routes test``: where an alert would go and why, without a database or a platform.

The same :func:`surveys.routes.decide` the escalation desk uses, fed with the facts typed on
the command line, so an operator can try a configuration before customers do.
"""

from __future__ import annotations

from typing import TextIO

from bot.config import Config, default_route, served_platforms
from surveys import routes
from surveys.kinds import SCALES, classify
from surveys.locales import SUPPORTED


class RouteTestError(ValueError):
    """A mistake in what was typed (an unknown survey, a score off the scale)."""


def routes_test(
    cfg: Config,
    out: TextIO,
    *,
    survey: str,
    score: int | None,
    comment: str,
    context: dict[str, str],
    language: str | None,
    platform: str | None,
) -> int:
    """Print the alert's facts, every route tried (matched on what, or why not) and the
    destinations it would reach."""
    definition = cfg.surveys.get(survey)
    if definition is None:
        raise RouteTestError(f"unknown survey {survey!r} for --survey (known: {', '.join(cfg.surveys)})")
    scale = SCALES[definition.kind]
    if score is not None and score not in scale:
        raise RouteTestError(f"--score {score} is not on the {definition.kind.value} scale ({scale.low}-{scale.high})")
    lang = language or cfg.bot.default_language
    if lang not in SUPPORTED:
        raise RouteTestError(f"--language expects one of {', '.join(SUPPORTED)}, got {lang!r}")
    served = served_platforms(cfg.telegram.enabled, cfg.slack.enabled)
    where = platform or next(p for p in ("telegram", "slack", "console") if p in served)
    if where not in routes.CUSTOMER_PLATFORMS:
        raise RouteTestError(f"--platform expects one of {', '.join(routes.CUSTOMER_PLATFORMS)}, got {where!r}")
    category = classify(definition.kind, score) if score is not None else None
    facts = routes.RouteFacts(
        survey=survey,
        category=category,
        context=context,
        language=lang,
        platform=where,
        comment=comment,
    )
    shown_score = "skipped" if score is None else f"{score} ({category})"
    shown_context = ", ".join(f"{k}={v}" for k, v in context.items()) or "none"
    print(f"Alert: survey {survey} · score {shown_score} · language {lang} · platform {where}", file=out)
    print(f"Context: {shown_context}", file=out)
    print(f"Comment: {comment!r}" if comment else "Comment: none", file=out)
    if score is not None and score not in definition.escalation_scores():
        print(
            "Note: this score alone opens no alert (see escalation.scores); a negative comment still would.",
            file=out,
        )
    if not cfg.routing.routes:
        print("No [[routes]] are configured: every alert takes the default route.", file=out)
    decision = routes.decide(
        cfg.routing.routes, cfg.routing.match, facts, list(default_route(cfg, survey)), final=True
    )
    for line in routes.explain(decision, facts):
        print(line, file=out)
    if decision.names == (routes.DEFAULT_ROUTE,):
        for platform_name, group in sorted(cfg.routing.default_mention.items()):
            print(f"   mentions {group} on {platform_name}", file=out)
    return 0
