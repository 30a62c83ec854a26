"""Spelling: variant spellings that should meet, and mistakes that should be corrected.

Variant spellings (British and American, "disc" and "disk") are folded to one form
inside the analyzer, for documents and queries alike, so "anaemia" and "anemia" are the
same term without a thesaurus entry for each word. Folding is symmetric, so a rule that
over-reaches ("ae" in a non-medical word) only merges two spellings; it cannot lose a
match.

Mistakes are corrected against a dictionary of the words in article names, section
headings and the thesaurus: the words patients are trying to type. Correcting against
every body word would "correct" towards rare words nobody searches for.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

_WHOLE_WORDS = {
    "disc": "disk",
    "discs": "disks",
    "mould": "mold",
    "moulds": "molds",
    "ageing": "aging",
    "grey": "gray",
    "coeliac": "celiac",
    "programme": "program",
    "sulphur": "sulfur",
    "tyre": "tire",
    "plough": "plow",
    "manoeuvre": "maneuver",
    "cheque": "check",
}
_OUR = re.compile(r"(?<=[mlbdvpi])our(s|ed|ing)?$")
_ISE = re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$")
_YSE = re.compile(r"(?<=[a-z]{3})ys(e|es|ed|ing)$")
_TRE = re.compile(r"(?<=[a-z][tb])re(s)?$")


# Every token indexed or searched passes here. 50,000 words is several times the
# vocabulary of 50,000 articles (6,500 body terms) and, filled with a stranger's made-up
# words, about 8 MB of a serving worker; 200,000 had been up to 30 MB.
@lru_cache(maxsize=50_000)
def american(word: str) -> str:
    """One spelling for words the English-speaking world spells two ways."""
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    if len(word) < 4 or not word.isalpha():
        return word
    if "ae" in word:  # anaemia, haemorrhage, paediatric, caesarean, leukaemia
        word = word.replace("ae", "e")
    if word.startswith("oe"):  # oesophagus, oedema, oestrogen
        word = "e" + word[2:]
    word = word.replace("oea", "ea").replace("foet", "fet")  # diarrhoea, dyspnoea, foetus
    if len(word) >= 5:
        word = _OUR.sub(r"or\1", word)  # tumour, behaviour, labour
        word = _TRE.sub(r"er\1", word)  # centre, litre, fibre
        word = _ISE.sub(r"iz\1", word)  # immunisation, organise
        word = _YSE.sub(r"yz\1", word)  # paralysed, analyse
    return word


@dataclass(frozen=True)
class Correction:
    wrong: str
    right: str
    distance: int


class Corrector:
    """Finds the dictionary words closest to a mistyped word (typo-tolerant from 4 letters)."""

    def __init__(self, words: Iterable[str], key: Callable[[str], str] = str):
        counts = Counter(w for w in words if len(w) >= 3 and w.isalpha())
        self.counts = counts
        self.words = list(counts)
        self.key = key
        self.keys = Counter()
        for word, count in counts.items():
            self.keys[key(word)] += count

    def __contains__(self, word: str) -> bool:
        """Known as written, or as another form of a known word ("aches" for "ache")."""
        return word in self.counts or self.key(word) in self.keys

    def count(self, word: str) -> int:
        return self.counts.get(word) or self.keys.get(self.key(word), 0)

    @staticmethod
    def allowed_distance(word: str) -> int:
        if len(word) < 4:
            return 0
        if len(word) <= 5:
            return 1
        if len(word) <= 8:
            return 2
        return 3

    def candidates(self, word: str, limit: int = 5) -> list[Correction]:
        """Closest words first; among equals, the more common and the more alike in length."""
        allowed = self.allowed_distance(word)
        if not allowed or not self.words:
            return []
        found = process.extract(
            word, self.words, scorer=OSA.distance, score_cutoff=allowed, limit=limit * 4
        )
        ranked = sorted(
            found,
            key=lambda m: (
                m[1],
                -math.log(self.counts[m[0]] + 1),
                abs(len(m[0]) - len(word)),
                m[0][:1] != word[:1],
                m[0],
            ),
        )
        return [Correction(word, right, int(distance)) for right, distance, _ in ranked[:limit]]
