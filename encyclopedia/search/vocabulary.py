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

import hashlib
import io
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from encyclopedia.files import write_atomically
from encyclopedia.normalize import fold

log = logging.getLogger(__name__)

_CACHE_FORMAT = "blake2b-8 of fold, 1"  # a new hash or rule is a new cache file
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


def word_hash(word: str) -> int:
    """A word's 64-bit hash, the same in every process (Python's ``hash`` of a string is
    salted per process), so the hashed lists can be kept on disk between starts."""
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


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
        return cls(np.fromiter((word_hash(fold(w)) for w in words), dtype=np.int64), ("given",))

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, word: str) -> bool:
        if not self._hashes.size:
            return False
        key = np.int64(word_hash(fold(word)))
        at = int(np.searchsorted(self._hashes, key))
        return at < self._hashes.size and self._hashes[at] == key

    def describe(self) -> str:
        if not self.sources:
            return "none: spelling is corrected from the articles' names alone"
        return f"{len(self):,} words from {', '.join(self.sources)}"


_LOADED: dict[tuple[Path, ...], Vocabulary] = {}


def load(files: tuple[Path, ...], cache: Path | None = None) -> Vocabulary:
    """The process's vocabulary from ``files`` (Settings.dictionaries), read once per
    process whatever ``cache`` is (a test suite opens hundreds of index folders); see
    :func:`read`. A process that has the lists already leaves them in a ``cache`` that
    lacks them, for the workers that start after it."""
    found = _LOADED.get(files)
    if found is None:
        found = _LOADED[files] = read(files, cache)
    elif cache is not None:
        stamp = _stamp(files)
        kept = _cache_file(cache, stamp)
        if not kept.exists() and _complete(found, stamp):
            _keep(kept, found)
    return found


def read(files: tuple[Path, ...], cache: Path | None = None) -> Vocabulary:
    """The vocabulary of ``files``; a missing or unreadable one is skipped (said once in
    the log), never an error.

    ``cache``: a folder where the hashed lists are kept, named by the lists' paths, sizes
    and times, so only the first process after a list changes reads 200,000 lines (0.3 s
    of every worker's start before). A cache that cannot be read or written is skipped."""
    stamp = _stamp(files)
    kept = _cache_file(cache, stamp) if cache is not None else None
    if kept is not None:
        try:
            hashes = np.load(kept, allow_pickle=False)
            if hashes.dtype == np.int64 and hashes.ndim == 1:
                read = [path.name for path, s in zip(files, stamp, strict=True) if s[1]]
                return Vocabulary(hashes, read)
        except (OSError, ValueError):
            pass
    found: list[np.ndarray] = []
    sources = []
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                found.append(np.fromiter(map(word_hash, _words(handle)), dtype=np.int64))
        except OSError as exc:
            log.warning(
                "word list %s not read (%s): fewer words protected from correction",
                path,
                exc.strerror or exc,
            )
            continue
        sources.append(path.name)
    vocabulary = Vocabulary(np.concatenate(found) if found else np.zeros(0, np.int64), sources)
    if kept is not None and _complete(vocabulary, stamp):
        _keep(kept, vocabulary)
    return vocabulary


def _stamp(files: tuple[Path, ...]) -> list[list[Any]]:
    """Each list's path, size and time (None for one that is not there)."""
    stamp: list[list[Any]] = []
    for path in files:
        try:
            st = path.stat()
            stamp.append([str(path), st.st_size, st.st_mtime_ns])
        except OSError:
            stamp.append([str(path), None, None])
    return stamp


def _cache_file(cache: Path, stamp: list[list[Any]]) -> Path:
    name = hashlib.sha256(json.dumps([_CACHE_FORMAT, stamp]).encode()).hexdigest()[:24]
    return cache / f"vocabulary-{name}.npy"


def _complete(vocabulary: Vocabulary, stamp: list[list[Any]]) -> bool:
    """Whether every list that is there was read (a list that failed is not cached)."""
    return len(vocabulary.sources) == sum(1 for s in stamp if s[1] is not None)


def _keep(kept: Path, vocabulary: Vocabulary) -> None:
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, vocabulary._hashes, allow_pickle=False)
        write_atomically(kept, buffer.getvalue())
        for old in kept.parent.glob("vocabulary-*.npy"):
            if old != kept:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.info("the word lists' cache %s is not kept: %s", kept, exc)
