"""Catalog consistency: a missing key or a mistyped placeholder only shows up as a crash (or a raw
"{product}") in front of a customer, in a language the developer may not read. These tests catch it
at build time instead."""

from __future__ import annotations

import re
import string

import pytest

from surveys.locales import MESSAGES, NO_WORDS, NUMBER_WORDS, SUPPORTED, YES_WORDS, normalise_language

OTHER_LANGUAGES = [lang for lang in SUPPORTED if lang != "en"]

# (language, key) pairs whose text may legitimately equal the English one even though it is long.
ALLOWED_IDENTICAL_TO_ENGLISH: set[tuple[str, str]] = set()

SLASH_COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_english_is_supported_and_every_language_is_loaded() -> None:
    assert "en" in SUPPORTED
    for table in (MESSAGES, NUMBER_WORDS, YES_WORDS, NO_WORDS):
        assert set(table) == set(SUPPORTED)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_same_keys_as_english(lang: str) -> None:
    missing = set(MESSAGES["en"]) - set(MESSAGES[lang])
    extra = set(MESSAGES[lang]) - set(MESSAGES["en"])
    assert not missing, f"{lang} lacks {sorted(missing)}"
    assert not extra, f"{lang} has unknown keys {sorted(extra)}"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_same_placeholders_as_english(lang: str) -> None:
    for key, english in MESSAGES["en"].items():
        assert placeholders(MESSAGES[lang][key]) == placeholders(english), f"{lang}.{key}"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_template_formats(lang: str) -> None:
    for key, template in MESSAGES[lang].items():
        values = {name: f"<{name}>" for name in placeholders(template)}
        rendered = template.format(**values)
        assert "{" not in rendered and "}" not in rendered, f"{lang}.{key}"
        assert rendered.strip(), f"{lang}.{key} is empty"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_slash_commands_are_kept(lang: str) -> None:
    for key, english in MESSAGES["en"].items():
        expected = sorted(SLASH_COMMAND.findall(english))
        assert sorted(SLASH_COMMAND.findall(MESSAGES[lang][key])) == expected, f"{lang}.{key}"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_long_sentences_are_translated(lang: str) -> None:
    untranslated = [
        key
        for key, english in MESSAGES["en"].items()
        if len(english) > 25 and MESSAGES[lang][key] == english and (lang, key) not in ALLOWED_IDENTICAL_TO_ENGLISH
    ]
    assert not untranslated, f"{lang} still has English text for {untranslated}"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_number_words_cover_zero_to_twenty(lang: str) -> None:
    """0-10 are scores; 11-20 are there so that "eleven" is out of range rather than unreadable."""
    words = NUMBER_WORDS[lang]
    assert set(words.values()) == set(range(21))
    for word, value in words.items():
        assert 0 <= value <= 20, f"{lang}: {word!r} -> {value}"
        assert word == word.strip().lower(), f"{lang}: {word!r} must be stripped and lowercase"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_yes_and_no_words(lang: str) -> None:
    yes, no = YES_WORDS[lang], NO_WORDS[lang]
    assert yes and no
    for word in (*yes, *no):
        assert word == word.strip().lower(), f"{lang}: {word!r} must be stripped and lowercase"
    assert len(set(yes)) == len(yes), f"{lang}: duplicate yes words"
    assert len(set(no)) == len(no), f"{lang}: duplicate no words"
    assert not set(yes) & set(no), f"{lang}: words both yes and no: {set(yes) & set(no)}"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pt-BR", "pt"),
        ("de_DE", "de"),
        ("EN", "en"),
        ("fr", "fr"),
        ("es-419", "es"),
        ("it-IT", "it"),
        (None, "en"),
        ("", "en"),
        ("xx", "en"),
    ],
)
def test_normalise_language(code: str | None, expected: str) -> None:
    assert normalise_language(code) == expected


def test_normalise_language_uses_the_given_default() -> None:
    assert normalise_language("xx", default="de") == "de"
    assert normalise_language(None, default="fr") == "fr"
    assert normalise_language("xx", default="zz") == "en"
