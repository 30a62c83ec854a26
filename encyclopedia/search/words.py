"""How words and names are compared, the same everywhere: stop words, word and name keys.

Plain functions with no engine behind them: the planner, the catalog, the thesaurus and
the index's analyzer all use these, so "the same name" means one thing in all of them.
"""

from __future__ import annotations

from functools import lru_cache

from encyclopedia.normalize import fold
from encyclopedia.search.spelling import american

# Whoosh's English stop list, plus the words patients wrap around a subject
# ("what is lupus", "symptoms of a stroke" keeps "symptoms").
STOP_WORDS = frozenset(
    (
        "a an and are as at be by can for from have if in is it may not of on or that the "
        "this to us we when will with yet you your s t what whats which who how do does did "
        "i my me about am was were there their its why all get got"
    ).split()
)


@lru_cache(maxsize=1 << 16)  # a few thousand distinct words make 400,000 name words
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
    return key_of_folded(fold(name))


def key_of_folded(folded: str) -> str:
    """:func:`name_key` of a name already folded (folding twice changes nothing), for
    the tables that hold 90,000 folded names at 50,000 articles."""
    return " ".join(word_key(word) for word in folded.split())


@lru_cache(maxsize=1 << 16)
def spanish_word_key(word: str) -> str:
    """:func:`word_key` for Spanish: plurals folded ("fracturas" -> "fractura",
    "mujeres" -> "mujer", "presiones" -> "presion"); no variant spellings."""
    if len(word) > 4 and word.endswith("ces"):
        return word[:-3] + "z"  # "luces" -> "luz"
    if len(word) > 4 and word.endswith("es") and word[-3] in "lnrdj":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and word[-2] in "aeiou" and not word.endswith("is"):
        return word[:-1]
    return word
