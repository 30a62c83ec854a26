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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from encyclopedia.languages import ENGLISH, Language
from encyclopedia.search.documents import CatalogEntry

LIMIT = 10


@dataclass(frozen=True)
class Suggestion:
    name: str
    slug: str
    title: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "slug": self.slug}


class SuggestionIndex:
    """Every name of every article, folded and sorted, with which name of which article
    each is (one integer): what suggestions, exact folded-name lookups and "did you
    mean" pages for a mistyped address all read.

    At 50,000 articles there are 90,000 names and 150,000 inner word starts. A tuple per
    row cost 40 MB of a serving worker; parallel arrays cost a third of that, and an
    inner word start kept as (row, offset) rather than a string of its own saves 13 MB
    more. The same table answers :meth:`entries_named` and :meth:`resembling`, which had
    been two more dictionaries of the same names (18 MB).
    """

    _NAME_BITS = 16  # an article has fewer than 65,536 names
    _RANK_BIT = 1 << 48  # set for other names, so titles sort first
    _OFFSET_BITS = 16  # an inner word starts fewer than 65,536 characters into a name
    # Near misses keep a table of name starts per width up to this (tables 4 to 12 cost
    # under 1 MB together at 50,000 articles); a longer prefix is compared name by name.
    _MAX_TABLE_WIDTH = 12

    def __init__(
        self,
        entries: list[CatalogEntry],
        language: Language = ENGLISH,
        stored: Mapping[str, np.ndarray] | None = None,
    ):
        """``language``: the entries' language, whose folding and collation key every name
        and everything typed (Spanish: ñ kept, and sorted after n). ``stored``: the same
        table as :meth:`stored` gave it for these very entries (the build keeps it, see
        ``stored_tables``), read instead of made: folding and sorting 90,000 names took
        0.9 s of a new worker's start at 50,000 articles. ValueError if it does not fit."""
        self._entries = list(entries)
        self.language = language
        self._start_tables: dict[int, tuple[list[str], array]] = {}
        if stored is not None:
            self._read(stored)
            return
        whole: list[tuple[str, int]] = []
        for number, entry in enumerate(self._entries):
            for position, name in enumerate(entry.names):
                folded = self.key(name)
                if not folded:
                    continue
                code = (number << self._NAME_BITS) | position | (self._RANK_BIT if position else 0)
                whole.append((folded, code))
        # By key, then titles before other names, then in the order articles were given:
        # the code says all that, so plain tuple order sorts it with no key objects.
        whole.sort()
        self._whole_keys = [key for key, _ in whole]
        self._whole_codes = array("q", [code for _, code in whole])
        del whole
        inner: list[tuple[str, int, int]] = []
        for row, key in enumerate(self._whole_keys):
            at = key.find(" ")
            while at >= 0 and at + 1 < len(key) and at + 1 < 1 << self._OFFSET_BITS:
                inner.append(
                    (key[at + 1 :], self._whole_codes[row], (row << self._OFFSET_BITS) | (at + 1))
                )
                at = key.find(" ", at + 1)
        inner.sort()  # the same order as whole names: by key, then by code
        self._inner_refs = array("q", [ref for _, _, ref in inner])

    _SEPARATOR = "\x00"  # folding keeps no control character, so no key holds it

    def stored(self) -> dict[str, np.ndarray] | None:
        """The table as plain arrays (no pickle: a replica reads what the editor wrote),
        or None when a key cannot be kept this way."""
        if any(self._SEPARATOR in key for key in self._whole_keys):
            return None
        blob = self._SEPARATOR.join(self._whole_keys).encode("utf-8")
        return {
            "count": np.array([len(self._whole_keys), len(self._entries)], dtype=np.int64),
            "keys": np.frombuffer(blob, dtype=np.uint8),
            "codes": np.frombuffer(self._whole_codes, dtype=np.int64),
            "inner": np.frombuffer(self._inner_refs, dtype=np.int64),
        }

    def _read(self, stored: Mapping[str, np.ndarray]) -> None:
        count, entries = (int(n) for n in stored["count"])
        blob = stored["keys"].tobytes().decode("utf-8")
        keys = blob.split(self._SEPARATOR) if count else []
        codes = np.asarray(stored["codes"], dtype=np.int64)
        inner = np.asarray(stored["inner"], dtype=np.int64)
        # Which table was stored for which articles is the caller's check (a digest of
        # every name); this one only keeps a row from pointing outside the table.
        rows = (codes & (self._RANK_BIT - 1)) >> self._NAME_BITS
        if (
            entries != len(self._entries)
            or len(keys) != count
            or len(codes) != count
            or (count and (int(rows.min()) < 0 or int(rows.max()) >= entries))
            or (len(inner) and int((inner >> self._OFFSET_BITS).max()) >= count)
        ):
            raise ValueError("the stored suggestion table does not fit these articles")
        names = np.fromiter((len(e.names) for e in self._entries), np.int64, entries)
        if count and ((codes & ((1 << self._NAME_BITS) - 1)) >= names[rows]).any():
            raise ValueError("the stored suggestion table names a name an article lacks")
        self._whole_keys = keys
        self._whole_codes = array("q", codes.tobytes())
        self._inner_refs = array("q", inner.tobytes())

    def _inner_key(self, at: int) -> str:
        ref = self._inner_refs[at]
        return self._whole_keys[ref >> self._OFFSET_BITS][ref & ((1 << self._OFFSET_BITS) - 1) :]

    def _inner_row(self, at: int) -> int:
        return self._inner_refs[at] >> self._OFFSET_BITS

    def _row(self, key: str, code: int) -> tuple[str, int, str, CatalogEntry]:
        rank = 1 if code & self._RANK_BIT else 0
        code &= self._RANK_BIT - 1
        entry = self._entries[code >> self._NAME_BITS]
        return key, rank, entry.names[code & ((1 << self._NAME_BITS) - 1)], entry

    def _prefixed(
        self,
        count: int,
        key_at: Callable[[int], str],
        row_at: Callable[[int], int],
        prefix: str,
        limit: int,
    ) -> list:
        found = []
        at = bisect.bisect_left(range(count), prefix, key=key_at)
        while at < count and len(found) < limit * 4:
            key = key_at(at)
            if not key.startswith(prefix):
                break
            found.append(self._row(key, self._whole_codes[row_at(at)]))
            at += 1
        # Among names with the prefix: titles first, then the shortest (closest) names.
        return sorted(found, key=lambda r: (r[1], len(r[0]), r[0]))

    def named_from_a_later_word(
        self, prefix: str, limit: int = 10**6
    ) -> list[tuple[str, int, str, CatalogEntry]]:
        """Names in which a word after the first starts with ``prefix`` ("attack" finds
        "Heart attack"), as (key, row, name, entry)."""
        return self._prefixed(
            len(self._inner_refs), self._inner_key, self._inner_row, prefix, limit
        )

    def key(self, text: str) -> str:
        """A name or what was typed as this table compares it: folded, then collated."""
        return self.language.collate(self.language.fold(text))

    def entries_named(self, name: str) -> list[CatalogEntry]:
        """The articles one of whose names is ``name`` (folded), titles first."""
        folded = self.key(name)
        keys = self._whole_keys
        found = []
        at = bisect.bisect_left(keys, folded)
        while at < len(keys) and keys[at] == folded:
            found.append(self._row(folded, self._whole_codes[at])[3])
            at += 1
        return found

    def resembling(self, text: str, limit: int = 5, cutoff: float = 0.6) -> list[CatalogEntry]:
        """Articles with a name most like ``text`` (similarity as difflib's ratio, at least
        ``cutoff``), best first: for an address that names no article.

        rapidfuzz, not difflib: difflib took 0.3 s over 90,000 names at 50,000 articles,
        and every mistyped or probing address paid it.
        """
        typed = self.key(text)
        if not typed:
            return []
        close = process.extract(
            typed, self._whole_keys, scorer=fuzz.ratio, score_cutoff=cutoff * 100, limit=limit * 4
        )
        found: dict[str, CatalogEntry] = {}
        for _, _, row in sorted(close, key=lambda c: (-c[1], c[2])):
            entry = self._row("", self._whole_codes[row])[3]
            found.setdefault(entry.slug, entry)
        return list(found.values())[:limit]

    def near_misses(self, typed: str, count: int) -> list[tuple[str, int, str, CatalogEntry]]:
        """The ``count`` names whose start is nearest ``typed`` (one typo allowed in up
        to 5 letters, two beyond), as (key, row, name, entry): nearest first, then titles,
        then the shortest.

        Names are compared by their first ``len(typed)`` letters. Sorted names that share
        those letters are neighbours, so each distinct start is compared once and stands
        for its run of names: at 50,000 articles 90,000 names are 1,100 starts of 4
        letters, and a misspelled prefix ("hart", "pnue") took 25 ms against every name
        and takes well under 1 ms against the starts."""
        allowed = 1 if len(typed) <= 5 else 2
        width = len(typed)
        keys = self._whole_keys
        if width <= self._MAX_TABLE_WIDTH:
            starts, first_rows = self._starts(width)
            close = process.extract(
                typed, starts, scorer=OSA.distance, score_cutoff=allowed, limit=None
            )
            rows: list[tuple[int, int]] = []  # (distance, row), in the order taken below
            for _, distance, at in sorted(close, key=lambda c: (c[1], c[2])):
                end = first_rows[at + 1] if at + 1 < len(first_rows) else len(keys)
                rows.extend((int(distance), row) for row in range(first_rows[at], end))
                if len(rows) >= count:
                    break
            rows = rows[:count]
        else:  # a long prefix: rare, and every width would be another table
            close = process.extract(
                typed,
                keys,
                scorer=OSA.distance,
                processor=lambda s: s[:width],
                score_cutoff=allowed,
                limit=count,
            )
            rows = [(int(distance), at) for _, distance, at in close]
        found = [(distance, self._row(keys[row], self._whole_codes[row])) for distance, row in rows]
        found.sort(key=lambda f: (f[0], f[1][1], len(f[1][0])))
        return [row for _, row in found]

    def warm(self) -> None:
        """Make the tables of the widths patients type most (about 12 ms each at 50,000
        articles), so no one waits for them."""
        for width in (4, 5, 6):
            self._starts(width)

    def _starts(self, width: int) -> tuple[list[str], array]:
        """Each distinct first ``width`` letters of the sorted names, and the row where
        its run of names begins; made once per width, when first asked for."""
        table = self._start_tables.get(width)
        if table is None:
            starts: list[str] = []
            first_rows = array("q")
            last = None
            for row, key in enumerate(self._whole_keys):
                start = key[:width]
                if start != last:
                    starts.append(start)
                    first_rows.append(row)
                    last = start
            table = self._start_tables[width] = (starts, first_rows)
        return table

    def names_between(self, start: int, end: int) -> Iterator[tuple[str, CatalogEntry, int]]:
        """The names of rows ``start`` to ``end`` as (its folded key, its article, its
        position among the article's names: 0 for the title), by key, then titles first,
        then in catalog order: what the A–Z is made from (pages.SiteMap), without folding
        and sorting 90,000 names a second time."""
        entries, name_mask = self._entries, (1 << self._NAME_BITS) - 1
        keys, codes = self._whole_keys, self._whole_codes
        for row in range(start, end):
            code = codes[row] & (self._RANK_BIT - 1)
            yield keys[row], entries[code >> self._NAME_BITS], code & name_mask

    def folded_names(self) -> list[str]:
        """Every name, folded, in order (a name shared by two articles twice)."""
        return self._whole_keys

    def suggest(self, text: str, limit: int = LIMIT) -> list[Suggestion]:
        typed = self.key(text)
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

        whole = self._whole_keys
        add(self._prefixed(len(whole), whole.__getitem__, int, typed, limit))
        add(self.named_from_a_later_word(typed, limit))
        if len(out) < limit and len(typed) >= 4:
            add(self.near_misses(typed, limit * 2))
        return out
