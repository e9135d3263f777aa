"""Theme extraction: tokenising, stop words, adjacent-word bigrams, document frequency, ranking."""

from __future__ import annotations

import unicodedata

import pytest

from surveys.stopwords import STOP_WORDS, language_code, stop_words
from surveys.themes import terms, themes

# --------------------------------------------------------------------------- terms of one comment


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # Stop words ("the", "was") and generic words ("really", "fine") go; "delivery was slow"
        # is no bigram because "was" sat between the two words.
        ("The delivery was really slow, otherwise fine.", "en", {"delivery", "slow"}),
        ("Slow delivery", "en", {"slow", "delivery", "slow delivery"}),
        # Punctuation and line breaks end a phrase; a single hyphen joins one.
        ("slow, expensive", "en", {"slow", "expensive"}),
        ("slow\nexpensive", "en", {"slow", "expensive"}),
        ("user-friendly checkout", "en", {"user", "friendly", "checkout", "user friendly", "friendly checkout"}),
        # Numbers, number-led tokens and words under 3 letters are dropped and break phrases.
        ("Waited 10 days, 24h support, 2nd refund, UI ok", "en", {"waited", "days", "support", "refund"}),
        ("Delivery 3 days late", "en", {"delivery", "days", "late", "days late"}),
        # Case, apostrophes: contractions are stop words, a possessive 's is cut, curly quotes too.
        ("DON'T like the Customer’s Portal", "en", {"customer", "portal", "customer portal"}),
        # Accents are letters; decomposed input (NFD) matches like composed text.
        (unicodedata.normalize("NFD", "Café très crémeux"), "fr", {"café", "crémeux"}),
        # French and Italian elisions lose their prefix, and the elided word breaks a phrase.
        ("L'application plante", "fr", {"application", "plante", "application plante"}),
        ("Consegna lenta dell'app", "it", {"consegna", "lenta", "app", "consegna lenta"}),
        ("", "en", set()),
        ("!!! ... 123", "en", set()),
    ],
)
def test_terms(text: str, language: str, expected: set[str]) -> None:
    assert terms(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Die Lieferung war langsam", "de", {"lieferung", "langsam"}),
        ("La entrega fue muy lenta", "es", {"entrega", "lenta"}),
        ("La livraison était très lente", "fr", {"livraison", "lente"}),
        ("La consegna è stata molto lenta", "it", {"consegna", "lenta"}),
        ("A entrega foi muito demorada", "pt", {"entrega", "demorada"}),
        ("Das Produkt ist wirklich super", "de", set()),  # only stop and generic words
        # Each comment uses its own language's list: "die" is an article in German only.
        ("Die App", "de", {"app"}),
        ("Die App", "en", {"die", "app", "die app"}),
        # Regional tags map to the base language; unknown languages use English.
        ("A entrega foi muito demorada", "pt-BR", {"entrega", "demorada"}),
        ("The delivery was slow", "xx", {"delivery", "slow"}),
        ("The delivery was slow", "", {"delivery", "slow"}),
    ],
)
def test_terms_per_language(text: str, language: str, expected: set[str]) -> None:
    assert terms(text, language) == expected


# --------------------------------------------------------------------------- themes across comments


def test_themes_hand_computed() -> None:
    comments = [
        ("Slow delivery, otherwise fine.", "en"),  # slow, delivery, "slow delivery"
        ("The delivery was slow.", "en"),  # delivery, slow
        ("Very slow delivery and the app crashes", "en"),  # slow, delivery, "slow delivery", app, crashes,
        #                                                   "app crashes"
        ("Delivery was slow again; the app crashes", "en"),  # delivery, slow, app, crashes, "app crashes"
    ]
    # delivery 4, slow 4, "slow delivery" 2, app 2, crashes 2, "app crashes" 2.
    # "app" and "crashes" only ever appear as "app crashes" (2 = 2), so the phrase replaces them;
    # "slow" and "delivery" also appear apart (4 > 2), so they stay next to "slow delivery".
    # Ties are alphabetical: "delivery" before "slow", "app crashes" before "slow delivery".
    assert themes(comments) == [("delivery", 4), ("slow", 4), ("app crashes", 2), ("slow delivery", 2)]


def test_each_term_counts_once_per_comment() -> None:
    comments = [("Refund! Refund! REFUND!", "en"), ("Still waiting for my refund", "en")]
    assert themes(comments) == [("refund", 2)]


def test_only_stop_words_gives_no_themes() -> None:
    comments = [("It was really very good, thanks!", "en")] * 3 + [("Es war wirklich sehr gut, danke!", "de")] * 3
    assert themes(comments, min_count=1) == []


@pytest.mark.parametrize(
    ("comments", "expected"),
    [
        # "customer" always in "customer support" (3 = 3): suppressed. "support" also alone (4): kept.
        (
            [("Customer support was helpful", "en")] * 3 + [("Support took ages", "en")],
            [("support", 4), ("customer support", 3), ("helpful", 3)],
        ),
        # Both words always together: only the phrase.
        ([("Login broken", "en"), ("login broken again", "en")], [("login broken", 2)]),
        # The phrase is rarer than each word: nothing suppressed.
        (
            [("login broken", "en"), ("login fails", "en"), ("broken login", "en")],
            [("login", 3), ("broken", 2)],
        ),
    ],
)
def test_bigram_suppresses_equally_frequent_words(
    comments: list[tuple[str, str]], expected: list[tuple[str, int]]
) -> None:
    assert themes(comments) == expected


def test_themes_across_languages() -> None:
    comments = [
        ("Die Lieferung war langsam", "de"),
        ("Lieferung kam beschädigt an", "de"),
        ("L'application plante souvent", "fr"),
        ("Franchement, l'application plante", "fr"),
        ("La entrega fue lenta", "es"),
    ]
    # lieferung 2; "application plante" 2 (application 2 and plante 2 suppressed); the rest once.
    assert themes(comments) == [("application plante", 2), ("lieferung", 2)]


@pytest.mark.parametrize(
    ("min_count", "expected"),
    [
        (1, [("delivery", 3), ("refund", 2), ("app", 1)]),
        (2, [("delivery", 3), ("refund", 2)]),
        (3, [("delivery", 3)]),
        (4, []),
    ],
)
def test_min_count(min_count: int, expected: list[tuple[str, int]]) -> None:
    comments = [("delivery; refund", "en"), ("delivery, refund", "en"), ("delivery. app", "en")]
    assert themes(comments, min_count=min_count) == expected


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (0, []),
        (1, [("alpha", 2)]),
        (3, [("alpha", 2), ("beta", 2), ("gamma", 2)]),  # ties broken alphabetically
        (10, [("alpha", 2), ("beta", 2), ("gamma", 2)]),
    ],
)
def test_top_and_alphabetical_ties(top: int, expected: list[tuple[str, int]]) -> None:
    comments = [("gamma, beta, alpha", "en"), ("alpha; gamma; beta", "en")]
    assert themes(comments, top=top) == expected


@pytest.mark.parametrize("comments", [[], [("", "en")], [("   ", "de"), ("42", "fr")]])
def test_empty_input(comments: list[tuple[str, str]]) -> None:
    assert themes(comments) == []


def test_themes_accepts_a_generator() -> None:
    assert themes(("slow app", "en") for _ in range(2)) == [("slow app", 2)]


# --------------------------------------------------------------------------- stop lists


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "it", "pt"])
def test_stop_lists_are_normalised_and_substantial(language: str) -> None:
    words = STOP_WORDS[language]
    assert len(words) >= 150
    for word in words:
        assert word == unicodedata.normalize("NFC", word).lower(), word
        assert "’" not in word


@pytest.mark.parametrize(
    "word",
    "product service really very just get got would could also even thing things bit lot".split(),
)
def test_generic_feedback_words_are_english_stop_words(word: str) -> None:
    assert word in STOP_WORDS["en"]


@pytest.mark.parametrize("word", ["delivery", "price", "support", "app", "slow", "refund", "login", "checkout"])
def test_theme_words_are_not_stop_words(word: str) -> None:
    assert word not in STOP_WORDS["en"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de", "de"), ("pt-BR", "pt"), ("fr_CA", "fr"), ("EN", "en"), ("xx", "en"), ("", "en"), (None, "en")],
)
def test_language_codes(code: str | None, expected: str) -> None:
    assert language_code(code) == expected
    assert stop_words(code) is STOP_WORDS[expected]


def test_negated_words_are_not_themes() -> None:
    # The issue's digest: "Nothing special" from promoters became the theme "special".
    comments = [("Nothing special", "en")] * 3 + [("Rien de spécial", "fr")] * 2 + [("Nada de especial", "pt")] * 2
    assert themes(comments) == []
    assert terms("The app is not slow, delivery was late", "en") == {"app", "delivery", "late"}
    assert terms("Kein Problem mit der Lieferung", "de") == {"lieferung"}
    # A negation ends at its word: the rest of the comment still counts.
    assert terms("No issues, but the refund took weeks", "en") == {"refund", "weeks"}
    assert terms("Not bad at all, but delivery was slow", "en") == {"delivery", "slow"}


def test_inflected_forms_are_one_theme_shown_in_the_commonest_form() -> None:
    comments = [
        ("The app crashes", "en"),
        ("It crashes on start", "en"),
        ("Crashing all the time", "en"),
        ("Lieferung zu spät", "de"),
        ("Die Lieferungen kommen zu spät", "de"),
    ]
    assert themes(comments) == [("crashes", 3), ("lieferung", 2), ("spät", 2)]



def test_stemming_is_safe_from_several_threads_at_once() -> None:
    """Digests are composed on worker threads, several at once: a Snowball stemmer shared
    between threads corrupted its work (IndexError in the digest benchmark)."""
    import itertools
    from concurrent.futures import ThreadPoolExecutor

    import snowballstemmer

    from surveys.themes import stem

    letters = "abcdefghilmnoprstu"
    words = ["".join(chars) + suffix for chars in itertools.product(letters, repeat=3) for suffix in ("ing", "ations")]
    reference = snowballstemmer.stemmer("english")
    expected = {word: reference.stemWord(word) for word in words}
    chunks = [words[start::8] for start in range(8)]

    def run(chunk: list[str]) -> list[tuple[str, str]]:
        return [(word, stem(word, "en")) for word in chunk]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for chunk in pool.map(run, chunks) for pair in chunk]
    assert len(results) == len(words)
    assert all(stemmed == expected[word] for word, stemmed in results)
