"""Customer-facing wording: the catalog for the person's language, with the survey's
overrides on top, so operators can reword any message without touching code."""

from __future__ import annotations

import string
from collections.abc import Mapping

from surveys.kinds import SurveyDefinition
from surveys.locales import MESSAGES


class _Lenient(dict[str, object]):
    """Leaves unknown placeholders visible instead of crashing on an operator's typo."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def text(language: str, key: str, survey: SurveyDefinition | None = None, /, **values: object) -> str:
    """Render one message. Survey overrides win: ``texts.<lang>.<key>``, then
    ``texts.all.<key>`` (one override for every language), then the catalog."""
    template = _template(language, key, survey)
    params: dict[str, object] = {}
    if survey is not None:
        # Only wording in this language is spliced in: a task given in another language
        # falls back to the catalog's own phrase (see SurveyDefinition).
        params["product"] = survey.product_in(language)
        params["task"] = survey.task_in(language) or _template(language, "default_task", survey)
    params.update(values)
    return template.format_map(_Lenient(params))


def _template(language: str, key: str, survey: SurveyDefinition | None) -> str:
    if survey is not None:
        for scope in (language, "all"):
            override: Mapping[str, str] = survey.texts.get(scope, {})
            if key in override:
                return override[key]
    catalog = MESSAGES.get(language, MESSAGES["en"])
    return catalog.get(key) or MESSAGES["en"][key]


def template_problem(template: str) -> str | None:
    """Why an operator's wording would fail when rendered, or None. Checked when the config is
    loaded: a stray brace must be a config error naming the key, not a crash mid-survey."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return f"{exc}; write a literal brace as {{{{ or }}}}"
    for name, spec, conv in fields:
        if not name.isidentifier():
            return f"placeholder {{{name}}} is not a name like {{product}}; write a literal brace as {{{{ or }}}}"
        if spec or conv:
            shown = f"{name}!{conv}" if conv else name
            return f"placeholder {{{shown}{':' + spec if spec else ''}}} has a format; write it as {{{name}}}"
    return None
