"""Suggestions as you type: article titles and other names that start with, or nearly
start with, what has been typed.

Built once per published index: every name, folded, in one sorted list (prefix lookup
is a bisection), and every name again from each of its later words ("attack" finds
"Heart attack"). Typo tolerance from four letters compares what was typed with the
same number of letters of each name.
"""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from encyclopedia.normalize import fold
from encyclopedia.search.documents import CatalogEntry

LIMIT = 10


@dataclass(frozen=True)
class Suggestion:
    name: str
    slug: str
    title: str

    @property
    def url(self) -> str:
        return f"/article/{self.slug}"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "slug": self.slug, "url": self.url}


class SuggestionIndex:
    """Sorted keys and, beside them, which name of which article each is (one integer).

    At 50,000 articles there are 90,000 names and 150,000 inner word starts; a tuple per
    row cost 40 MB of a serving worker, parallel arrays cost a third of that.
    """

    _NAME_BITS = 16  # an article has fewer than 65,536 names
    _RANK_BIT = 1 << 48  # set for other names, so titles sort first

    def __init__(self, entries: list[CatalogEntry]):
        self._entries = list(entries)
        whole: list[tuple[str, int]] = []
        inner: list[tuple[str, int]] = []
        for number, entry in enumerate(self._entries):
            for position, name in enumerate(entry.names):
                folded = fold(name)
                if not folded:
                    continue
                code = (number << self._NAME_BITS) | position | (self._RANK_BIT if position else 0)
                whole.append((folded, code))
                words = folded.split()
                for start in range(1, len(words)):
                    inner.append((" ".join(words[start:]), code))
        # By key, then titles before other names, then in the order articles were given:
        # the code says all that, so plain tuple order sorts it with no key objects.
        whole.sort()
        inner.sort()
        self._whole_keys = [key for key, _ in whole]
        self._whole_codes = array("q", [code for _, code in whole])
        del whole
        self._inner_keys = [key for key, _ in inner]
        self._inner_codes = array("q", [code for _, code in inner])

    def _row(self, key: str, code: int) -> tuple[str, int, str, CatalogEntry]:
        rank = 1 if code & self._RANK_BIT else 0
        code &= self._RANK_BIT - 1
        entry = self._entries[code >> self._NAME_BITS]
        return key, rank, entry.names[code & ((1 << self._NAME_BITS) - 1)], entry

    def _prefixed(self, keys: list[str], codes: array, prefix: str, limit: int) -> list:
        found = []
        at = bisect.bisect_left(keys, prefix)
        while at < len(keys) and keys[at].startswith(prefix) and len(found) < limit * 4:
            found.append(self._row(keys[at], codes[at]))
            at += 1
        # Among names with the prefix: titles first, then the shortest (closest) names.
        return sorted(found, key=lambda r: (r[1], len(r[0]), r[0]))

    def suggest(self, text: str, limit: int = LIMIT) -> list[Suggestion]:
        typed = fold(text)
        if not typed:
            return []
        seen: set[tuple[str, str]] = set()
        out: list[Suggestion] = []

        def add(rows) -> None:
            for _, _, name, entry in rows:
                if len(out) >= limit:
                    return
                if (name, entry.slug) not in seen:
                    seen.add((name, entry.slug))
                    out.append(Suggestion(name, entry.slug, entry.title))

        add(self._prefixed(self._whole_keys, self._whole_codes, typed, limit))
        add(self._prefixed(self._inner_keys, self._inner_codes, typed, limit))
        if len(out) < limit and len(typed) >= 4:
            allowed = 1 if len(typed) <= 5 else 2
            width = len(typed)
            close = process.extract(
                typed,
                self._whole_keys,
                scorer=OSA.distance,
                processor=lambda s: s[:width],
                score_cutoff=allowed,
                limit=limit * 2,
            )
            add(
                sorted(
                    (self._row(self._whole_keys[i], self._whole_codes[i]) for _, _, i in close),
                    key=lambda r: (OSA.distance(typed, r[0][:width]), r[1], len(r[0])),
                )
            )
        return out
