"""Recurring themes in free-text comments: the most frequent meaningful words and two-word phrases.

Rules, in order:

1. **Normalise**: Unicode NFC (so a decomposed "é" matches the stop lists), typographic
   apostrophes become ``'``, then lowercase.
2. **Tokenise**: runs of letters and digits (any script, accents included) with apostrophes
   allowed *inside* a word ("don't", "l'application"). Tokens that start with a digit are
   numbers or quantities ("10", "2024", "24h", "3rd") and are dropped. French and Italian
   elisions lose their prefix ("l'application" -> "application", "dell'app" -> "app"), English
   a possessive "'s" ("customer's" -> "customer"); the elided word counts as a removed stop word.
3. **Meaningful tokens** are at least 3 characters long and not in the comment language's stop
   list (:mod:`surveys.stopwords`; unknown languages use English).
4. **Bigrams** join two meaningful tokens that were *adjacent in the original text*: separated
   only by spaces/tabs or a single hyphen ("user-friendly"). A removed token (stop word, short
   word, number) or any punctuation or line break between them breaks the phrase, so
   "delivery was slow" yields no "delivery slow" and "slow, expensive" no "slow expensive".
   Word order is kept ("slow delivery" and "delivery slow" are different phrases).
5. **Document frequency**: each word or phrase counts at most once per comment.
6. **Suppression**: a word is dropped when a bigram containing it has the same count, i.e. every
   comment mentioning the word used it in that phrase, so the phrase says more.
7. Terms below ``min_count`` are dropped; the rest are ranked by count, most frequent first,
   ties broken alphabetically, and the first ``top`` are returned.
8. **Negation**: a word right after a negating word of its language ("nothing special",
   "not slow", "rien de spécial" counting "de" as part of the negation, "kein Problem") is
   not a theme: the comment is not about it. It also breaks a phrase.
9. **Stemming** (Snowball, all six languages): words and phrases are counted by their stems,
   so "crash", "crashes" and "crashing" are one theme, shown in its most frequent form
   (ties alphabetical).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import snowballstemmer

from surveys.stopwords import language_code, stop_words

# Letters and digits of any script (\w without "_"), with inner apostrophes.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# What may separate the two words of a phrase: horizontal whitespace, or one hyphen.
_JOINER = re.compile(r"[^\S\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+|[-\u2010\u2011]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})

# Elided articles, prepositions and pronouns written before an apostrophe.
_ELISIONS: dict[str, frozenset[str]] = {
    "fr": frozenset("c d j l m n s t qu jusqu lorsqu puisqu quoiqu presqu".split()),
    "it": frozenset("c d l m n s t v un all dall dell nell sull coll quell quest bell sant com cos dov mezz".split()),
}

MIN_TOKEN_CHARS = 3

_SNOWBALL = {"en": "english", "de": "german", "es": "spanish", "fr": "french", "it": "italian", "pt": "portuguese"}

# Words that negate the next meaningful word. Elided or short words between them ("rien de
# spécial", "nada de especial") do not end the negation.
NEGATORS: dict[str, frozenset[str]] = {
    "en": frozenset("not no nothing never none nor without isn't wasn't aren't don't doesn't didn't hardly".split()),
    "de": frozenset("nicht kein keine keinen keinem keiner nichts nie niemals ohne".split()),
    "es": frozenset("no nada nunca ningún ninguna ninguno sin tampoco".split()),
    "fr": frozenset("pas rien jamais aucun aucune sans ni".split()),
    "it": frozenset("non niente nulla mai nessun nessuna nessuno senza".split()),
    "pt": frozenset("não nada nunca nenhum nenhuma sem nem".split()),
}
# What may stand between a negator and its word: "de" in "rien de spécial", "so" in "not so bad".
_NEGATION_BRIDGE = frozenset("de di da d so too very that particularly really all at".split())


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str, language: str) -> str:
    """The Snowball stem of each word of a term (a word or a two-word phrase), remembered:
    the same words and phrases recur across a period's comments (half of a digest's time at
    volume went into stemming them again)."""
    lang = language_code(language)
    name = _SNOWBALL.get(lang)
    if name is None:
        return word
    return " ".join(_stem_word(part, name) for part in word.split(" "))


@functools.lru_cache(maxsize=1 << 16)
def _stem_word(word: str, algorithm: str) -> str:
    """One word's stem, remembered. A Snowball stemmer keeps the word it is working on in
    the instance, so one shared between threads (digests are composed on worker threads,
    several at once) corrupts its work and raises IndexError; a fresh one per new word is
    cheap, and the cache makes repeats free."""
    return str(snowballstemmer.stemmer(algorithm).stemWord(word))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES).lower()


def _strip_clitics(token: str, language: str) -> tuple[str, bool]:
    """The token without an elided prefix or English possessive, and whether a prefix was cut
    (an elided word is a removed stop word, so it breaks a phrase like any other)."""
    elided = False
    elisions = _ELISIONS.get(language)
    if elisions and "'" in token:
        prefix, _, rest = token.partition("'")
        if prefix in elisions:
            token, elided = rest, True
    if language == "en" and token.endswith("'s"):
        token = token[:-2]
    return token, elided


def terms(text: str, language: str = "en") -> set[str]:
    """The distinct meaningful words and adjacent-word bigrams of one comment (rules 1-4)."""
    lang = language_code(language)
    stops = stop_words(lang)
    text = _normalise(text)
    found: set[str] = set()
    previous: str | None = None  # last token, if meaningful
    previous_end = 0
    negators = NEGATORS.get(lang, NEGATORS["en"])
    negated = False  # the next meaningful word is negated
    for match in _TOKEN.finditer(text):
        token = match.group()
        # Elisions and possessives need an apostrophe: most tokens have none.
        token, elided = _strip_clitics(token, lang) if "'" in token else (token, False)
        if token in negators:
            negated, previous, previous_end = True, None, match.end()
            continue
        meaningful = len(token) >= MIN_TOKEN_CHARS and not token[0].isdigit() and token not in stops
        if negated and meaningful:
            negated, previous, previous_end = False, None, match.end()
            continue  # "nothing special": not a complaint about "special"
        if negated and token not in _NEGATION_BRIDGE and not elided:
            negated = False
        if meaningful:
            found.add(token)
            if previous is not None and not elided and _JOINER.fullmatch(text, previous_end, match.start()):
                found.add(f"{previous} {token}")
        previous = token if meaningful else None
        previous_end = match.end()
    return found


def themes(comments: Iterable[tuple[str, str]], top: int = 5, min_count: int = 2) -> list[tuple[str, int]]:
    """The ``top`` most frequent themes of ``(comment text, language code)`` pairs as
    ``(term, number of comments)``, most frequent first, ties alphabetical.

    Terms are single words and two-word phrases, counted once per comment; a word is left out
    when a phrase containing it is exactly as frequent. See the module docstring for details.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for text, language in comments:
        stems: dict[str, str] = {}
        for term in terms(text, language):
            key = stem(term, language)
            if key not in stems or term < stems[key]:
                stems[key] = term
        for key, term in stems.items():
            counts[key] += 1
            seen = forms.get(key)
            if seen is None:
                seen = forms[key] = Counter()
            seen[term] += 1

    covered: set[str] = set()
    for term, count in counts.items():
        if " " in term:
            covered.update(word for word in term.split(" ") if counts[word] == count)

    ranked = sorted(
        ((_shown(forms[key]), count) for key, count in counts.items() if count >= min_count and key not in covered),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked[: max(top, 0)]


def _shown(forms: Counter[str]) -> str:
    """The most frequent surface form of a stem (ties alphabetical)."""
    return min(forms.items(), key=lambda item: (-item[1], item[0]))[0]
