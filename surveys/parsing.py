"""Turning what people type into survey answers.

Buttons are the happy path, but plenty of people type instead: "8/10!", "acht", "⭐⭐⭐⭐",
"٨", "a solid 9 from me". Reading those is worth it, but the costs are lopsided: a wrong
parse silently records the wrong score (and may escalate a happy customer), while a failed
parse only costs one re-prompt. So whenever a message could mean two things, these rules
answer "ambiguous" or "none" and let the conversation ask again rather than guess.

The text comes straight from chat platforms, so nothing here may raise, whatever the
input (lone surrogates, control characters, megabyte pastes), and every step is bounded:
scoring looks only at the first ``INSPECT_LIMIT`` characters and uses linear-time patterns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from surveys.locales import NO_WORDS, NUMBER_WORDS, YES_WORDS, normalise_language

# A score is a short answer: anything past this many characters is not read at all.
INSPECT_LIMIT = 1000
# Number words alone ("eight") count only in messages of at most this many words; longer
# messages are comments that happen to contain "one" or "none", not scores.
WORD_ONLY_MAX_WORDS = 6
# Absurdly large numbers are quoted back as this (with their sign) instead of in full.
FOUND_CAP = 999_999_999


@dataclass(frozen=True)
class ParseResult:
    score: int | None  # set when ok
    error: str | None  # None when ok, else "none" | "range" | "ambiguous" | "decimal" | "empty"
    found: int | None = None  # for "range": the out-of-range number the person typed (to quote it back)
    # True when the score is not written as such in the message: rescaled ("4/5" on 0-10),
    # spelled out ("nine"), counted (stars) or in another script ("٨"). The conversation
    # then says what it recorded. Not part of equality: it describes how, not what.
    interpreted: bool = field(default=False, compare=False)


# --------------------------------------------------------------------------- normalising

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DIGIT_KEYCAPS = re.compile(r"(?:[0-9]\ufe0f?\u20e3)+")
_KEYCAP_TEN = "\U0001f51f"
_FILLED_STARS = ("⭐", "🌟", "★", "✭", "✮", "✯")
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_EDGE_CHARS = _WHITESPACE + _INVISIBLE


def _fold(text: str) -> str:
    """Case- and accent-insensitive form used for all word matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _prepare(text: str) -> str:
    """The first INSPECT_LIMIT characters, reduced to ASCII digits and folded words.

    Keycap emojis become plain digits, every Unicode decimal digit becomes its ASCII twin,
    control characters become spaces and invisible format characters disappear.
    """
    text = _SURROGATE.sub("\ufffd", text[:INSPECT_LIMIT])
    text = unicodedata.normalize("NFKC", text)
    text = text.replace(_KEYCAP_TEN, " 10 ")
    text = _DIGIT_KEYCAPS.sub(lambda m: " " + m.group().replace("\ufe0f", "").replace("\u20e3", "") + " ", text)
    out: list[str] = []
    for ch in text:
        if ch.isdecimal():
            digit = unicodedata.decimal(ch, -1)
            out.append(str(digit) if digit >= 0 else " ")
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append(" ")
        elif category != "Cf":
            out.append(ch)
    return _fold("".join(out))


def _is_blank(prepared: str) -> bool:
    return not prepared.strip(_EDGE_CHARS)


@lru_cache(maxsize=64)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Alternation of folded words/phrases on word boundaries, longest first."""
    alternatives = [r"\s+".join(re.escape(part) for part in w.split()) for w in sorted(words, key=len, reverse=True)]
    alternatives = [a for a in alternatives if a]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _phrase_key(matched: str) -> str:
    return " ".join(matched.split())


# --------------------------------------------------------------------------- scores

_NUMBER = re.compile(r"(?P<sign>[-\u2212])?(?P<int>[0-9]+)(?:[.,](?P<frac>[0-9]+))?(?P<pct>\s*%)?")
# What may stand between a numerator and its denominator, in any supported language.
_CONNECTOR = re.compile(r"\s*(?:[/\u2044\u2215]|out\s+of|of|over|von|aus|de|sur|sobre|su)\s*")
_ONLY_SPACE = re.compile(r"\s+")
_WORD_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_WORD_BEFORE = re.compile(r"(\w+)\s+$")
_WORD_AFTER = re.compile(r"\s+(\w+)")
# "one" as a pronoun rather than a number: "no one", "the one thing" (English only), and in
# any language "one of the best": "uno de los mejores", "un des meilleurs", "um dos melhores".
_PRONOUN_ONE_BEFORE = frozenset(
    {"no", "the", "this", "that", "which", "any", "every", "some", "each", "another", "other", "only", "last", "first"}
)
_PRONOUN_ONE_AFTER = frozenset(
    {"of", "de", "des", "du", "del", "di", "dei", "degli", "della", "delle", "do", "dos", "da", "das", "der", "von"}
)


@dataclass(frozen=True)
class _Atom:
    """One number as typed: digits or a number word, with where it sits in the text."""

    start: int
    end: int
    value: Fraction | None  # None: a decimal we refuse to read ("1,000", absurdly long fractions)
    found: int  # the whole-number part as typed, capped, for quoting back
    is_word: bool = False
    percent: bool = False
    huge: bool = False
    key: str = ""  # the folded number word, for words
    decimal: bool = False  # typed with a fraction part that is not zero ("7.5", "7,5")


@dataclass(frozen=True)
class _Value:
    """One reading of the message: the number on the scale, what to quote back if it is off
    the scale, and how it was arrived at."""

    value: Fraction
    found: int
    interpreted: bool = False  # rescaled or spelled out
    decimal: bool = False  # from a typed decimal


# None when the reading itself is ambiguous
_Reading = _Value | None


def _digit_atom(match: re.Match[str], text: str) -> _Atom:
    start = match.start()
    negative = False
    if match.group("sign"):
        before = text[:start]
        # "7-8" and "7 -8" are ranges, "A-3" a code: a minus is a sign only after a non-number.
        if before and before[-1].isalnum():
            start += 1
        elif before.rstrip()[-1:].isdigit():
            start += 1
        else:
            negative = True
    digits = match.group("int").lstrip("0") or "0"
    frac = match.group("frac") or ""
    percent = match.group("pct") is not None
    if len(digits) > len(str(FOUND_CAP)):
        found = -FOUND_CAP if negative else FOUND_CAP
        return _Atom(start, match.end(), Fraction(found), found, percent=percent, huge=True)
    whole = int(digits)
    value: Fraction | None = Fraction(whole)
    decimal = False
    if frac:
        significant = frac.rstrip("0")
        if not significant:
            # "8.0" is 8, but "1,000" / "10.000" are thousands, not decimals: refuse.
            value = value if len(frac) <= 2 else None
        elif len(significant) > 18:
            value = None
        else:
            value = Fraction(whole) + Fraction(int(significant), 10 ** len(significant))
            decimal = True
    if negative:
        whole = -whole
        value = -value if value is not None else None
    return _Atom(start, match.end(), value, whole, percent=percent, decimal=decimal)


_WordTable = tuple[dict[str, int], "re.Pattern[str] | None"]
# Per language: the catalogs it was built from (by identity), the folded words and their pattern.
_WORD_TABLES: dict[str, tuple[tuple[object, ...], _WordTable]] = {}


def _word_table(language: str) -> _WordTable:
    """Folding a language's number words took longer than reading a typed score, so the
    table is built once per language and rebuilt only if a catalog is replaced."""
    sources = tuple(NUMBER_WORDS.get(lang) for lang in (language, "en"))
    cached = _WORD_TABLES.get(language)
    if cached is not None and all(a is b for a, b in zip(cached[0], sources, strict=True)):
        return cached[1]
    table: dict[str, int] = {}
    for words in sources:
        for word, number in (words or {}).items():
            key = _phrase_key(_fold(word))
            if key and isinstance(number, int):
                table.setdefault(key, number)
    built = (table, _word_pattern(tuple(sorted(table))))
    _WORD_TABLES[language] = (sources, built)
    return built


def _word_atoms(text: str, language: str) -> list[_Atom]:
    table, pattern = _word_table(language)
    if pattern is None:
        return []
    atoms = []
    for match in pattern.finditer(text):
        key = _phrase_key(match.group())
        if key in table:
            number = table[key]
            atoms.append(_Atom(match.start(), match.end(), Fraction(number), number, is_word=True, key=key))
    return atoms


def _group(text: str, atoms: list[_Atom]) -> list[tuple[_Atom, _Atom | None]]:
    """Pair each numerator with the denominator that follows it ("8/10", "nine out of ten")."""
    groups: list[tuple[_Atom, _Atom | None]] = []
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        if (
            not atom.percent
            and i + 1 < len(atoms)
            and atom.end <= atoms[i + 1].start
            and _CONNECTOR.fullmatch(text, atom.end, atoms[i + 1].start)
        ):
            groups.append((atom, atoms[i + 1]))
            i += 2
        else:
            groups.append((atom, None))
            i += 1
    return groups


def _is_filler_word(text: str, atoms: list[_Atom], index: int) -> bool:
    """A standalone number word that is really an article or pronoun.

    "eine acht", "un huit": a word worth 1 right before another number word is an article.
    "no one", "the one thing", "one of them", "uno de los mejores": a pronoun.
    """
    atom = atoms[index]
    if atom.value == 1 and index + 1 < len(atoms) and atoms[index + 1].is_word:
        nxt = atoms[index + 1]
        if atom.end < nxt.start and _ONLY_SPACE.fullmatch(text, atom.end, nxt.start):
            return True
    if atom.key == "one":
        before = _WORD_BEFORE.search(text[max(0, atom.start - 32) : atom.start])
        if before and before.group(1) in _PRONOUN_ONE_BEFORE:
            return True
    if atom.value == 1:
        after = _WORD_AFTER.match(text, atom.end, min(len(text), atom.end + 32))
        if after and after.group(1) in _PRONOUN_ONE_AFTER:
            return True
    return False


def _read(numerator: _Atom, denominator: _Atom | None, low: int, high: int) -> _Reading:
    if numerator.value is None:
        return None
    word = numerator.is_word
    if numerator.percent:
        scale_top = Fraction(100)
    elif denominator is None:
        return _Value(numerator.value, numerator.found, word, numerator.decimal)
    else:
        den = denominator.value
        if den is None or denominator.huge or den <= 0 or den.denominator != 1:
            return None
        scale_top = den
    if numerator.huge or numerator.value < 0 or scale_top == high:
        return _Value(numerator.value, numerator.found, word, numerator.decimal)
    value = numerator.value * high / scale_top
    # Quote back what was typed if that is off the scale ("120%"), else what it came to ("6/5" is 12).
    found = numerator.found if not low <= numerator.found <= high else int(value)
    return _Value(value, found, True, numerator.decimal)


def parse_score(text: str, low: int, high: int, language: str = "en", *, stars: bool = False) -> ParseResult:
    """Read a typed score on the ``low``..``high`` scale.

    What counts as a number:

    * Digits anywhere in the first ``INSPECT_LIMIT`` characters, in any script ("٨", "۸",
      "८", "８" are 8), keycap emojis ("8️⃣", "🔟"), circled and other compatibility digits.
    * Number words from ``NUMBER_WORDS`` of the survey's language, then English, matched as
      whole words, ignoring case and accents. Words count only when the message has no
      digits, has at most ``WORD_ONLY_MAX_WORDS`` words (longer messages are comments that
      mention "one" or "none", so they give "none"), and is not using them as an article
      ("un huit" is 8) or as a pronoun ("no one", "the one thing", "one of them",
      "uno de los mejores").
    * Filled stars (⭐ 🌟 ★ ✭ ✮ ✯, hollow ☆ ignored) count as their number when ``stars`` is
      set, or when the message has no digits or usable number words. Next to a number, a
      single star is a unit ("5⭐" is 5), not a count of one.

    Fractions, "N out of M", "N of M" (and "von", "de", "sur", "su", "sobre") and "N%" are
    one number. If M equals ``high`` the answer is N; otherwise it is N rescaled to the
    scale, N * high / M, if that is a whole number ("4/5" on 0-10 is 8, "10/10" on 1-5 is
    5, "80%" on 1-5 is 4), and ambiguous if not ("7/9", "3/4" on 0-10).

    Then: every reading must agree, so "8, yes 8" is 8 but "7 or 8", "7-8" and "between 6
    and 7" are ambiguous; "7.5", "7,5" and "7.5/10" are "decimal" ("8.0" is 8, "1,000" is
    ambiguous, and so is a rescaled fraction that is not whole, "7/9");
    a minus right before digits and not after another number is a sign ("-3" is out of
    range, found -3), otherwise a dash. A whole number outside the scale is "range" with
    ``found`` set to what was typed, capped at ``FOUND_CAP`` (for a fraction its numerator,
    or what it rescales to if the numerator alone is on the scale: "6/5" on 0-10 is 12).
    No number at all is "none"; nothing but whitespace and invisible characters is "empty".
    A score read any other way than as its own ASCII digits on this scale is marked
    ``interpreted`` (see :class:`ParseResult`). Never raises.
    """
    text = text.lstrip(_EDGE_CHARS)
    prepared = _prepare(text)
    if _is_blank(prepared):
        return ParseResult(None, "empty" if len(text) <= INSPECT_LIMIT else "none")
    language = normalise_language(language)

    digit_atoms = [_digit_atom(m, prepared) for m in _NUMBER.finditer(prepared)]
    readings: list[_Reading] = []
    if digit_atoms:
        # Number words only help a digit as its denominator ("8 out of ten").
        atoms = sorted(digit_atoms + _word_atoms(prepared, language), key=lambda a: a.start)
        for numerator, denominator in _group(prepared, atoms):
            if not numerator.is_word or (denominator is not None and not denominator.is_word):
                readings.append(_read(numerator, denominator, low, high))
    elif len(_WORD_TOKEN.findall(prepared)) <= WORD_ONLY_MAX_WORDS:
        atoms = _word_atoms(prepared, language)
        for numerator, denominator in _group(prepared, atoms):
            if denominator is None and _is_filler_word(prepared, atoms, atoms.index(numerator)):
                continue
            readings.append(_read(numerator, denominator, low, high))

    star_count = sum(prepared.count(star) for star in _FILLED_STARS)
    if star_count and (stars or not readings) and not (star_count == 1 and readings):
        readings.append(_Value(Fraction(star_count), star_count, True))

    if not readings:
        return ParseResult(None, "none")
    found_by_value: dict[Fraction, int] = {}
    for reading in readings:
        if reading is None:
            return ParseResult(None, "ambiguous")
        found_by_value.setdefault(reading.value, reading.found)
    if len(found_by_value) > 1:
        return ParseResult(None, "ambiguous")
    ((value, found),) = found_by_value.items()
    if value.denominator != 1:
        # "7.5" asks for its own answer (whole numbers only); "7/9" rescaled is just unclear.
        return ParseResult(None, "decimal" if any(r and r.decimal for r in readings) else "ambiguous")
    score = int(value)
    if low <= score <= high:
        interpreted = any(r is not None and r.interpreted for r in readings) or not _typed_as_is(text, score)
        return ParseResult(score, None, interpreted=interpreted)
    return ParseResult(None, "range", max(-FOUND_CAP, min(FOUND_CAP, found)))


_ASCII_NUMBER = re.compile(r"(?<![0-9])[0-9]+(?![0-9])")


def _typed_as_is(text: str, score: int) -> bool:
    """Does the message show the score in plain ASCII digits ("8", "08", "8/10")? Then the
    customer's own message already says what was recorded."""
    return any(int(m.group()) == score for m in _ASCII_NUMBER.finditer(text[:INSPECT_LIMIT]) if len(m.group()) < 12)


def label_key(text: str) -> str:
    """A button label or a typed message reduced for comparison: folded, words only
    ("  Very satisfied! " and "very SATISFIED" are the same)."""
    prepared = _prepare(text.replace("’", "'"))
    return " ".join(_WORD_TOKEN.findall(prepared))


def parse_label(text: str, labels: Mapping[str, int]) -> int | None:
    """The score whose button label is the whole message ("Satisfied" on CSAT), or None.
    ``labels`` maps :func:`label_key` of each label to its score. Only the whole message
    counts: "not satisfied" is no label. Never raises."""
    if len(text) > INSPECT_LIMIT:
        return None
    key = label_key(text)
    return labels.get(key) if key else None


# --------------------------------------------------------------------------- yes / no

_YES_EMOJI = ("👍", "✅", "✔")
_NO_EMOJI = ("👎", "❌", "✖")
# Words that turn a following yes-word into a no: "not solved", "nicht gelöst", "pas résolu".
_NEGATORS = frozenset({"not", "never", "no", "nicht", "kein", "keine", "nie", "pas", "non", "nao", "nunca", "mai"})
_NEGATED_CONTRACTION = re.compile(r"\w+n['’]t")
_TOKEN_BEFORE = re.compile(r"(\S+)\s+$")


def _yes_no_tables(language: str) -> tuple[frozenset[str], frozenset[str]]:
    yes: set[str] = set()
    no: set[str] = set()
    for lang in (language, "en"):
        lang_yes = {_phrase_key(_fold(w)) for w in YES_WORDS.get(lang, ())} - {""}
        lang_no = {_phrase_key(_fold(w)) for w in NO_WORDS.get(lang, ())} - {""}
        contradictory = lang_yes & lang_no
        # The survey's language wins: an English word it reads the other way is not added.
        yes |= lang_yes - contradictory - no
        no |= lang_no - contradictory - yes
    return frozenset(yes), frozenset(no)


def parse_yes_no(text: str, language: str = "en") -> bool | None:
    """True / False for a typed yes or no (survey language, then English, or 👍 / 👎).

    None when there is neither, or both ("yes and no"). A yes-word right after a negation
    ("not solved", "nicht gelöst") counts as no. Single letters ("y", "n") count only as
    the whole message, since "y" is also Spanish for "and". Never raises.
    """
    prepared = _prepare(text.lstrip(_EDGE_CHARS))
    if _is_blank(prepared):
        return None
    yes_words, no_words = _yes_no_tables(normalise_language(language))
    said_yes = any(e in prepared for e in _YES_EMOJI)
    said_no = any(e in prepared for e in _NO_EMOJI)

    tokens = _WORD_TOKEN.findall(prepared)
    if len(tokens) == 1 and len(tokens[0]) == 1:
        said_yes |= tokens[0] in yes_words
        said_no |= tokens[0] in no_words

    pattern = _word_pattern(tuple(sorted(w for w in yes_words | no_words if len(w) > 1)))
    if pattern is not None:
        for match in pattern.finditer(prepared):
            key = _phrase_key(match.group())
            if key in no_words:
                said_no = True
            elif key in yes_words:
                before = _TOKEN_BEFORE.search(prepared[max(0, match.start() - 32) : match.start()])
                word = before.group(1).strip(".,;:!?") if before else ""
                if word in _NEGATORS or _NEGATED_CONTRACTION.fullmatch(word):
                    said_no = True
                else:
                    said_yes = True
    if said_yes == said_no:
        return None
    return said_yes


# --------------------------------------------------------------------------- comments

_LINE_BREAK = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){3,}")


def _fix_surrogates(text: str) -> str:
    """Join surrogate pairs that arrived as two code points; lone halves become U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _extends_cluster(ch: str) -> bool:
    """Would cutting right before ``ch`` tear it from the character it belongs to?"""
    code = ord(ch)
    return (
        unicodedata.category(ch).startswith("M")  # combining marks, variation selectors, keycap
        or ch == "\u200d"  # zero-width joiner
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences (subdivision flags)
    )


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _cut_point(text: str, limit: int) -> int:
    cut = limit
    while cut > 0 and (_extends_cluster(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    if cut > 0 and _is_regional_indicator(text[cut]) and _is_regional_indicator(text[cut - 1]):
        run = 0
        while run < cut and _is_regional_indicator(text[cut - 1 - run]):
            run += 1
        if run % 2:  # the cut would split a flag (a pair of regional indicators)
            cut -= 1
    # One enormous cluster (e.g. "zalgo" text) has no clean cut point: cut it anyway.
    return cut if cut > 0 else limit


def clean_comment(text: str, limit: int) -> tuple[str, bool]:
    """Comment text safe to store and show: (cleaned text, whether it was truncated).

    Surrounding whitespace and invisible characters go, control characters other than
    newline and tab go, line endings become "\\n", runs of three or more blank lines
    shrink to two, and the text is NFC-normalised. Lone surrogates become U+FFFD so the
    result always encodes as UTF-8. Text longer than ``limit`` characters is cut back to
    the nearest point that does not separate a character from its combining marks, emoji
    modifiers or joiners. Never raises.
    """
    text = _fix_surrogates(text)
    text = _LINE_BREAK.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _BLANK_LINES.sub("\n\n\n", text)
    text = text.strip(_EDGE_CHARS)
    limit = max(0, limit)
    if len(text) <= limit:
        return text, False
    if limit == 0:
        return "", True
    return text[: _cut_point(text, limit)].rstrip(_EDGE_CHARS), True
