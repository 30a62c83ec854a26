"""The languages the encyclopedia's text can be in, and what differs between them: how
words fold, how names sort and which letters the A–Z has. Adding a language is a row
here (and its analyzer in ``search.engine.schema``), not changes across the code.

English folds every accent away and sorts as a printed index does. Spanish keeps ñ as a
letter of its own (so "año" and "ano" stay different words and "Ñ" has its own section,
after N), ignores the other accents ("balon" finds "balón") and files "Ch" and "Ll"
under C and L, as the Real Academia Española has since 1994. No Flask and no Whoosh.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from encyclopedia.normalize import fold as fold_english

DIGITS = "0-9"  # the A–Z section of names that start with a digit
ENYE = "ñ"
# After every "n" and before "o": a character that sorts above any letter a folded
# name holds ("n" then a space, a digit or a letter all come first).
_ENYE_KEY = "n\x7f"
_SPANISH_NON_WORD = re.compile(r"[^0-9a-zñ]+")
_APOSTROPHES = re.compile(r"[\u0027\u2019\u2018\u02bc`´]")


def _fold_keeping_enye(text: str) -> str:
    """:func:`normalize.fold`, except that ñ stays ñ (Ñ becomes ñ)."""
    if text.isascii():
        return fold_english(text)
    kept = text.replace("Ñ", "\0").replace("ñ", "\0").replace("N\u0303", "\0")
    kept = kept.replace("n\u0303", "\0")
    decomposed = unicodedata.normalize("NFKD", kept)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = _APOSTROPHES.sub("", stripped.casefold()).replace("\0", ENYE)
    return _SPANISH_NON_WORD.sub(" ", lowered).strip()


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47, as in lang="..." and hreflang
    name: str  # in English
    native_name: str  # in itself, as the language switch shows it
    letters: tuple[str, ...]  # the A–Z sections, in order
    fold: Callable[[str], str]  # case, accents and punctuation as this language ignores them
    collate: Callable[[str], str]  # a folded name as it sorts
    stop_words: frozenset[str]
    references: str  # the anchor of the references section, left out of search and reading
    read_in: str  # leads a link to an article's version in this language, in this language
    sorts_as_folded: bool = True  # collate() changes nothing: a sort key is a folded name

    def sort_key(self, name: str) -> tuple[str, str]:
        """Order names as a reader of this language expects; the text breaks ties."""
        return (self.collate(self.fold(name)), name)

    def initial(self, name: str) -> str:
        """The A–Z section a name is filed under."""
        return self.section_of(self.collate(self.fold(name)))

    def section_of(self, key: str) -> str:
        """The A–Z section of a name already folded and collated (the suggestion table's
        keys): the A–Z is made from 90,000 of them at 50,000 articles, and folding each
        name again took a tenth of a worker's warm-up."""
        if not key or key[0].isdigit():
            return DIGITS
        for prefix, letter in self._sections:
            if key.startswith(prefix):
                return letter
        return key[0].upper()

    @cached_property
    def _sections(self) -> tuple[tuple[str, str], ...]:
        """Each letter's collated form, longest first ("n\x7f" is Ñ before "n" is N)."""
        found = [(self.collate(self.fold(x)), x) for x in self.letters if x != DIGITS]
        return tuple(sorted((p for p in found if len(p[0]) > 1), key=lambda p: -len(p[0])))


# Folded as the Spanish text they are compared with is ("qué" is "que", "también"
# "tambien"), so the analyzer and the planner read the same list.
SPANISH_STOP_WORDS = frozenset(
    _fold_keeping_enye(word)
    for word in (
        "a al algo algunas algunos ante antes como con contra cual cuando de del desde "
        "donde durante e el ella ellas ellos en entre era es esa esas ese eso esos esta "
        "estas este esto estos fue ha hay la las le les lo los me mi mis mucho muy nada "
        "ni nos o otra otras otro otros para pero poco por porque que quien se ser si "
        "sin sobre son su sus también te tengo tiene todo todos tu tus un una unas uno "
        "unos y ya yo qué cómo cuál dónde"
    ).split()
)

ENGLISH = Language(
    code="en",
    name="English",
    native_name="English",
    letters=(*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", DIGITS),
    fold=fold_english,
    collate=lambda folded: folded,
    stop_words=frozenset(),  # the search's own list (search.words) serves English
    references="references",
    read_in="In English",
)
SPANISH = Language(
    code="es",
    name="Spanish",
    native_name="Español",
    letters=(*"ABCDEFGHIJKLMN", "Ñ", *"OPQRSTUVWXYZ", DIGITS),
    fold=_fold_keeping_enye,
    collate=lambda folded: folded.replace(ENYE, _ENYE_KEY),
    stop_words=SPANISH_STOP_WORDS,
    references="referencias",
    read_in="En español",
    sorts_as_folded=False,
)
LANGUAGES: dict[str, Language] = {language.code: language for language in (ENGLISH, SPANISH)}
# The anchors of a references section in any language: for checking an article, not
# for finding or reading it.
REFERENCE_ANCHORS = frozenset(language.references for language in LANGUAGES.values())
DEFAULT = ENGLISH.code
