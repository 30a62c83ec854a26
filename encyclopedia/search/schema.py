"""The Whoosh schema and the one analyzer every text field and every query shares.

Accent folding comes before stemming so "Ménière" and "Meniere" reach the stemmer as
the same word. Digits and one-letter words are kept ("5-HIAA", "type 1 diabetes",
"vitamin D"); the few one-letter words that carry nothing are stop words instead.
"""

from __future__ import annotations

from functools import cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from encyclopedia.normalize import fold
from encyclopedia.search.spelling import VariantSpellingFilter, american

# Whoosh's English stop list, plus the words patients wrap around a subject
# ("what is lupus", "symptoms of a stroke" keeps "symptoms").
STOP_WORDS = frozenset(
    (
        "a an and are as at be by can for from have if in is it may not of on or that the "
        "this to us we when will with yet you your s t what whats which who how do does did "
        "i my me about am was were there their its why all get got"
    ).split()
)

SCHEMA_VERSION = 4


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


def analyze(text: str) -> list[str]:
    """The index terms a piece of text becomes."""
    return [token.text for token in text_analyzer()(text)]


def word_key(word: str) -> str:
    """One folded word as names are compared: variant spelling unified, plural folded.

    Only plurals are folded, not stems: Porter stemming makes "Alcoholism" the same
    name as "Alcohol" and "ICE" the same as "IC", and an exact name must stay exact.
    """
    word = american(word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_key(name: str) -> str:
    """A name reduced so that case, accents, punctuation, spelling variants and plurals
    do not matter.

    Stop words are kept on purpose: "Heart attack" and "Attack of the heart" are not
    the same name.
    """
    return " ".join(word_key(word) for word in fold(name).split())


def build_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        slug=ID(stored=True, unique=True),
        title=STORED(),
        # Every name of the article, title included, one per line; phrases inside a
        # name must match, so names are indexed with positions.
        names=TEXT(analyzer=analyzer, phrase=True),
        # Each name's key as one term, for exact-name matches ("balloon kyphoplasty").
        name_keys=KEYWORD(commas=True, scorable=True, lowercase=False),
        # Character offsets are stored so snippets need not re-analyse the body.
        body=TEXT(analyzer=analyzer, stored=True, phrase=True, chars=True),
        kind=ID(stored=True),
        # Everything an article page shows, so serving a page never reads content/.
        page=STORED(),
    )
