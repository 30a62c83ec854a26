"""Suggestions as you type: article titles and other names that start with, or nearly
start with, what has been typed.

Built once per published index: every name, folded, in one sorted list (prefix lookup
is a bisection), and every name again from each of its later words ("attack" finds
"Heart attack"). Typo tolerance from four letters compares what was typed with the
same number of letters of each name.
"""

from __future__ import annotations

import bisect
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
    def __init__(self, entries: list[CatalogEntry]):
        whole: list[tuple[str, int, str, CatalogEntry]] = []
        inner: list[tuple[str, int, str, CatalogEntry]] = []
        for entry in entries:
            for position, name in enumerate(entry.names):
                folded = fold(name)
                if not folded:
                    continue
                rank = 0 if position == 0 else 1  # titles before other names
                whole.append((folded, rank, name, entry))
                words = folded.split()
                for start in range(1, len(words)):
                    inner.append((" ".join(words[start:]), rank, name, entry))
        whole.sort(key=lambda row: (row[0], row[1]))
        inner.sort(key=lambda row: (row[0], row[1]))
        self._whole = whole
        self._whole_keys = [row[0] for row in whole]
        self._inner = inner
        self._inner_keys = [row[0] for row in inner]

    @staticmethod
    def _prefixed(keys: list[str], rows: list, prefix: str, limit: int) -> list:
        found = []
        start = bisect.bisect_left(keys, prefix)
        for row in rows[start:]:
            if not row[0].startswith(prefix) or len(found) >= limit * 4:
                break
            found.append(row)
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

        add(self._prefixed(self._whole_keys, self._whole, typed, limit))
        add(self._prefixed(self._inner_keys, self._inner, typed, limit))
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
                    (self._whole[i] for _, _, i in close),
                    key=lambda r: (OSA.distance(typed, r[0][:width]), r[1], len(r[0])),
                )
            )
        return out
