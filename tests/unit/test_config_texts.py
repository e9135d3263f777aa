"""Config texts per language (issue 14, item 13): ``product`` and ``task`` may be given per
language, and no question ever splices text of another language into a sentence (the German
CES question used to read "Acme hat es mir leicht gemacht, solve my problem.")."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from bot import config as config_mod
from bot.config import ConfigError
from surveys.locales import MESSAGES, SUPPORTED
from surveys.texts import text

KEYS_WITH_PRODUCT_OR_TASK = sorted(
    key for key, template in MESSAGES["en"].items() if "{product}" in template or "{task}" in template
)


def surveys_config(survey: str, bot: str = "") -> Any:
    return config_mod.parse(tomllib.loads(f"{bot}\n[[surveys]]\n{survey}"), {})


def test_a_plain_task_is_not_spliced_into_other_languages() -> None:
    cfg = surveys_config('id = "ces"\nkind = "ces"\nproduct = "Acme"\ntask = "solve my problem"')
    survey = cfg.surveys["ces"]
    assert text("en", "question_ces", survey) == "How much do you agree: Acme made it easy for me to solve my problem."
    german = text("de", "question_ces", survey)
    assert german == (
        "Wie sehr stimmst du dieser Aussage zu: Acme hat es mir leicht gemacht, das zu bekommen, was ich brauchte."
    )
    for language in SUPPORTED:
        if language != "en":
            assert "solve my problem" not in text(language, "question_ces", survey), language


def test_a_plain_task_is_in_the_default_language() -> None:
    cfg = surveys_config(
        'id = "ces"\nkind = "ces"\nproduct = "Acme"\ntask = "mein Problem zu lösen"',
        bot='[bot]\ndefault_language = "de"',
    )
    survey = cfg.surveys["ces"]
    assert text("de", "question_ces", survey).endswith("Acme hat es mir leicht gemacht, mein Problem zu lösen.")
    assert text("en", "question_ces", survey).endswith("made it easy for me to get what I needed.")


def test_task_per_language() -> None:
    cfg = surveys_config(
        'id = "ces"\nkind = "ces"\nproduct = "Acme"\n'
        'task = { en = "solve my problem", de = "mein Problem zu lösen", fr = "résoudre mon problème" }'
    )
    survey = cfg.surveys["ces"]
    assert text("en", "question_ces", survey).endswith("made it easy for me to solve my problem.")
    assert text("de", "question_ces", survey).endswith("hat es mir leicht gemacht, mein Problem zu lösen.")
    assert "résoudre mon problème" in text("fr", "question_ces", survey)
    # A language without its own task gets the catalog's wording, never another language's task.
    italian = text("it", "question_ces", survey)
    assert MESSAGES["it"]["default_task"] in italian
    assert "solve my problem" not in italian and "Problem zu lösen" not in italian


def test_product_per_language_with_a_name_for_the_rest() -> None:
    cfg = surveys_config(
        'id = "csat"\nkind = "csat"\nproduct = { all = "Acme", en = "Acme support", de = "dem Acme-Support" }'
    )
    survey = cfg.surveys["csat"]
    assert text("en", "question_csat", survey) == "How satisfied are you with Acme support?"
    assert text("de", "question_csat", survey) == "Wie zufrieden bist du mit dem Acme-Support?"
    assert text("es", "question_csat", survey) == MESSAGES["es"]["question_csat"].format(product="Acme")
    # Staff see the name that stands for every language.
    assert survey.product == "Acme"


@pytest.mark.parametrize("language", SUPPORTED)
@pytest.mark.parametrize("key", KEYS_WITH_PRODUCT_OR_TASK)
def test_no_customer_text_splices_another_languages_wording(language: str, key: str) -> None:
    """Every message with {product} or {task}, in every language, for a survey whose product
    and task are given in English and German only (plus a name for the rest)."""
    cfg = surveys_config(
        'id = "ces"\nkind = "ces"\n'
        'product = { all = "Acme", en = "the Acme app", de = "die Acme-App" }\n'
        'task = { en = "return a parcel", de = "ein Paket zurückzuschicken" }'
    )
    survey = cfg.surveys["ces"]
    rendered = text(language, key, survey, text="x", name="Ann")
    foreign = {"en": ("the Acme app", "return a parcel"), "de": ("die Acme-App", "ein Paket zurückzuschicken")}
    for other, phrases in foreign.items():
        if other != language:
            for phrase in phrases:
                assert phrase not in rendered, (language, key, rendered)


@pytest.mark.parametrize(
    ("survey", "key", "fragment"),
    [
        ('product = { en = "Acme support", de = "Acme-Support" }', "surveys[0].product", "all"),
        ('product = { xx = "Acme", all = "Acme" }', "surveys[0].product.xx", "expected a language"),
        ('product = { all = 3 }', "surveys[0].product.all", "expected a string"),
        ('product = "Acme"\ntask = { all = "solve it" }', "surveys[0].task.all", "expected a language"),
        ('product = "Acme"\ntask = { en = "" }', "surveys[0].task.en", "empty"),
        ('product = "Acme"\ntask = 3', "surveys[0].task", "expected a string or a table"),
    ],
)
def test_per_language_mistakes_name_the_key(survey: str, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        surveys_config(f'id = "s"\nkind = "ces"\n{survey}')
    assert caught.value.key == key and fragment in caught.value.problem, str(caught.value)


def test_product_may_list_every_language_without_all() -> None:
    names = ", ".join(f'{lang} = "Acme {lang}"' for lang in SUPPORTED)
    cfg = surveys_config(f'id = "nps"\nkind = "nps"\nproduct = {{ {names} }}')
    survey = cfg.surveys["nps"]
    for language in SUPPORTED:
        assert f"Acme {language}" in text(language, "question_nps", survey)


def test_the_shipped_example_asks_every_language_in_its_own_words() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    cfg = config_mod.load(example, env={})
    ces, csat = cfg.surveys["ces"], cfg.surveys["csat"]
    assert text("de", "question_ces", ces).endswith("Acme hat es mir leicht gemacht, mein Problem zu lösen.")
    for language in SUPPORTED:
        if language == "en":
            continue
        assert "solve my problem" not in text(language, "question_ces", ces), language
        assert "Acme support" not in text(language, "question_csat", csat), language
        assert "Acme support" not in text(language, "thanks", csat), language
    assert text("en", "thanks", csat) == "Thank you! Your feedback helps us make Acme support better."
