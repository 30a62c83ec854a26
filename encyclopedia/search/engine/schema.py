"""The Whoosh schema, its scoring and the one analyzer every text field and query shares.

Accent folding comes before stemming so "Ménière" and "Meniere" reach the stemmer as
the same word. Digits and one-letter words are kept ("5-HIAA", "type 1 diabetes",
"vitamin D"); the few one-letter words that carry nothing are stop words instead.
"""

from __future__ import annotations

from functools import cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.scoring import BM25F
from whoosh.support.charset import accent_map

from encyclopedia.languages import ENGLISH, SPANISH
from encyclopedia.search.spelling import american
from encyclopedia.search.words import STOP_WORDS

# The format of a build: the fields, and the HTML stored in them (5: care callouts,
# figures; 6: a language's own fields). `reindex --if-missing` rebuilds a build of
# another format.
SCHEMA_VERSION = 6
# Each language's fields for its names, its text and its name keys, the first two
# analysed by its own analyzer (:func:`analyzer_for`): an article's words go to its
# language's fields only, so a search in one language never matches another's words
# or names and needs no filter.
TEXT_FIELDS: dict[str, tuple[str, str, str]] = {
    ENGLISH.code: ("names", "body", "name_keys"),
    SPANISH.code: ("names_es", "body_es", "name_keys_es"),
}
# BM25F, except that the name keys are not length-normalised: an article with many
# other names must get the same boost for an exact name as one with a single name.
WEIGHTING = BM25F(**{f"{fields[2]}_B": 0.0 for fields in TEXT_FIELDS.values()})


class VariantSpellingFilter(Filter):
    """Whoosh filter applying :func:`american` to every token."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens):
        for token in tokens:
            token.text = american(token.text)
            yield token


@cache
def text_analyzer() -> Analyzer:
    return (
        RegexTokenizer(r"\w+")
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | VariantSpellingFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(cachesize=50000)
    )


class _FoldKeepingEnye(Filter):
    """Spanish: accents the stemmer left (ü) folded away, ñ kept as its own letter."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens):
        for token in tokens:
            if not token.text.isascii():
                token.text = SPANISH.fold(token.text).replace(" ", "")
            yield token


@cache
def analyzer_for(code: str) -> Analyzer:
    """The analyzer for text in a language (``languages.LANGUAGES``). Spanish: accents
    folded but ñ kept (so "balón" and "balon" are one term while "año" and "ano" stay
    two), then Snowball's Spanish stemmer. Folding comes first: the stemmer strips
    suffixes by their accents, so "densitometría" and "densitometria", as patients type
    it, had become two stems ("densitometr", "densitometri")."""
    if code == ENGLISH.code:
        return text_analyzer()
    if code == SPANISH.code:
        return (
            RegexTokenizer(r"\w+")
            | LowercaseFilter()
            | _FoldKeepingEnye()
            | StopFilter(stoplist=SPANISH.stop_words, minsize=1)
            | StemFilter(lang="spanish", cachesize=50000)
        )
    raise KeyError(f"no analyzer for the language {code!r}")


def analyze(text: str) -> list[str]:
    """The index terms a piece of text becomes."""
    return [token.text for token in text_analyzer()(text)]


def build_schema() -> Schema:
    text_fields = {}
    for code, (names, body, name_keys) in TEXT_FIELDS.items():
        analyzer = analyzer_for(code)
        # Every name of the article, title included, one per line; phrases inside a
        # name must match, so names are indexed with positions.
        text_fields[names] = TEXT(analyzer=analyzer, phrase=True)
        # Character offsets are stored so snippets need not re-analyse the body.
        text_fields[body] = TEXT(analyzer=analyzer, stored=True, phrase=True, chars=True)
        # Each name's key as one term, for exact-name matches ("balloon kyphoplasty").
        text_fields[name_keys] = KEYWORD(commas=True, scorable=True, lowercase=False)
    return Schema(
        slug=ID(stored=True, unique=True),
        title=STORED(),
        kind=ID(stored=True),
        lang=ID(stored=True),
        # Everything an article page shows, so serving a page never reads content/.
        page=STORED(),
        **text_fields,
    )
