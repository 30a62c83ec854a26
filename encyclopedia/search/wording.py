"""How one language's words are compared, and where its text is indexed.

English has the rules of :mod:`.words` and the fields ``names`` and ``body``; Spanish
has its own folding (ñ kept), plural rule, stop words and fields analysed by Snowball's
Spanish stemmer (``engine.schema``). Everything that reads a query or a name in a
language (the planner, the name tables, the thesaurus, snippets) asks its wording, so a
third language is a row in :data:`WORDINGS` and its analyzer, not changes across the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from encyclopedia.languages import DEFAULT, ENGLISH, LANGUAGES, SPANISH, Language
from encyclopedia.normalize import fold
from encyclopedia.search.engine.schema import TEXT_FIELDS, analyzer_for
from encyclopedia.search.words import STOP_WORDS, spanish_word_key, word_key


@dataclass(frozen=True)
class Wording:
    language: Language
    fold: Callable[[str], str]
    word_key: Callable[[str], str]
    stop_words: frozenset[str]

    @property
    def code(self) -> str:
        return self.language.code

    @cached_property
    def names_field(self) -> str:
        return TEXT_FIELDS[self.code][0]

    @cached_property
    def body_field(self) -> str:
        return TEXT_FIELDS[self.code][1]

    @cached_property
    def name_keys_field(self) -> str:
        return TEXT_FIELDS[self.code][2]

    def key_of_folded(self, folded: str) -> str:
        return " ".join(self.word_key(word) for word in folded.split())

    def name_key(self, name: str) -> str:
        """A name as compared with other names: see :func:`words.name_key`."""
        return self.key_of_folded(self.fold(name))

    def analyze(self, text: str) -> list[str]:
        """The index terms ``text`` becomes in this language's fields."""
        return [token.text for token in analyzer_for(self.code)(text)]


ENGLISH_WORDS = Wording(ENGLISH, fold, word_key, STOP_WORDS)
SPANISH_WORDS = Wording(SPANISH, SPANISH.fold, spanish_word_key, SPANISH.stop_words)
WORDINGS: dict[str, Wording] = {w.code: w for w in (ENGLISH_WORDS, SPANISH_WORDS)}
if set(WORDINGS) != set(LANGUAGES) or set(TEXT_FIELDS) != set(LANGUAGES):
    raise ImportError("every language needs its wording and its fields")


def wording_for(code: str | None) -> Wording:
    """The wording of a language code (the default language's for None)."""
    return WORDINGS[code or DEFAULT]
