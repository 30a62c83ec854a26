"""Words that exist: general English and medical word lists, read from the system.

Why: the corrector's dictionary is the words of article names, so any word no name holds
looked like a typo of the nearest name. "achalasia" became "aphasia" and "uveitis"
"ileitis": real conditions turned into other articles' names, and the page said the
patient had mistyped. A word a dictionary knows is what the patient meant; it is only
corrected when the correction clearly explains the query better (query.py decides).

The lists are Debian packages, installed by ``make run`` and ``make test`` and read where
Debian puts them; nothing of theirs is copied into this project:

- ``wamerican``: SCOWL's American English words (Kevin Atkinson; permissive licence);
- ``hunspell-en-med``: OpenMedSpel and MTH-Med-Spel-Chek medical terms (GPL-3+, read at
  run time, not distributed).

Without them (another system, ``ENCYCLOPEDIA_DICTIONARIES=``) correction works as it
did before, from the names alone, and ``/healthz`` says which lists were read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from encyclopedia.normalize import fold

log = logging.getLogger(__name__)

MIN_LETTERS = 4  # the corrector leaves shorter words alone, so shorter ones need no check


def _words(lines: Iterable[str]) -> Iterable[str]:
    """The dictionary words of a word list or a Hunspell ``.dic`` file: one per line,
    with any affix flags after a slash; the ``.dic`` file's count line and its indented
    comment lines are not words."""
    for line in lines:
        if not line or line[0].isspace():
            continue
        word = line.split("/", 1)[0].strip()
        # fold(), as the planner reads a query, without its cost on ASCII lines.
        word = word.lower().replace("'", "") if word.isascii() else fold(word)
        if len(word) >= MIN_LETTERS and word.isalpha():
            yield word


class Vocabulary:
    """Membership in the word lists. Kept as sorted 64-bit hashes, not as strings: the
    200,000 words cost 1.6 MB of a serving worker instead of about 20 MB, and a hash
    collision between a typo and a real word is one chance in 10^13."""

    def __init__(self, hashes: np.ndarray, sources: Sequence[str] = ()):
        self._hashes = np.unique(hashes)
        self.sources = tuple(sources)

    @classmethod
    def of(cls, words: Iterable[str]) -> Vocabulary:
        """A vocabulary of these words (tests, and a site's own list)."""
        return cls(np.fromiter((hash(fold(w)) for w in words), dtype=np.int64), ("given",))

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, word: str) -> bool:
        if not self._hashes.size:
            return False
        key = np.int64(hash(fold(word)))
        at = int(np.searchsorted(self._hashes, key))
        return at < self._hashes.size and self._hashes[at] == key

    def describe(self) -> str:
        if not self.sources:
            return "none: spelling is corrected from the articles' names alone"
        return f"{len(self):,} words from {', '.join(self.sources)}"


@lru_cache(maxsize=4)
def load(files: tuple[Path, ...]) -> Vocabulary:
    """The process's vocabulary from ``files`` (Settings.dictionaries); a missing or
    unreadable one is skipped (said once in the log), never an error."""
    hashes: list[np.ndarray] = []
    sources = []
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                hashes.append(np.fromiter(map(hash, _words(handle)), dtype=np.int64))
        except OSError as exc:
            log.warning(
                "word list %s not read (%s): fewer words protected from correction",
                path,
                exc.strerror or exc,
            )
            continue
        sources.append(path.name)
    return Vocabulary(np.concatenate(hashes) if hashes else np.zeros(0, np.int64), sources)
