"""Message catalogs, one module per language, gathered into lookup tables.

English is the reference: the other catalogs define the same keys and placeholders."""

from __future__ import annotations

from importlib import import_module

SUPPORTED: tuple[str, ...] = ("en", "de", "es", "fr", "it", "pt")

MESSAGES: dict[str, dict[str, str]] = {}
NUMBER_WORDS: dict[str, dict[str, int]] = {}
YES_WORDS: dict[str, tuple[str, ...]] = {}
NO_WORDS: dict[str, tuple[str, ...]] = {}

for _lang in SUPPORTED:
    _module = import_module(f"{__name__}.{_lang}")
    MESSAGES[_lang] = _module.MESSAGES
    NUMBER_WORDS[_lang] = _module.NUMBER_WORDS
    YES_WORDS[_lang] = _module.YES_WORDS
    NO_WORDS[_lang] = _module.NO_WORDS


def normalise_language(code: str | None, default: str = "en") -> str:
    """Map what a platform reports ("pt-BR", "de_DE", "EN") to a supported catalog."""
    if code:
        base = code.replace("_", "-").split("-")[0].lower()
        if base in MESSAGES:
            return base
    return default if default in MESSAGES else "en"
