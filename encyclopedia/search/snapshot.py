"""One published build, opened once and shared by every request of a process.

A snapshot holds the build's opened index, its catalog and vectors, and the tables
made from them on first use (the A–Z, the suggestion table, the planner's name keys
and spelling dictionary). Nothing in it changes after it is made; a new build is a new
snapshot (see ``Library.snapshot``).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path

import numpy as np

from encyclopedia.languages import DEFAULT
from encyclopedia.search import semantic, stored_tables
from encyclopedia.search.browse import Shelves, shelves_of
from encyclopedia.search.builds import collector_paused, read_catalog
from encyclopedia.search.documents import CatalogEntry
from encyclopedia.search.engine.reading import IndexUnavailable, OpenIndex
from encyclopedia.search.engine.schema import SCHEMA_VERSION
from encyclopedia.search.pages import SiteMap
from encyclopedia.search.spelling import Corrector
from encyclopedia.search.suggestions import SuggestionIndex
from encyclopedia.search.thesaurus import Thesaurus
from encyclopedia.search.wording import Wording, wording_for

log = logging.getLogger(__name__)


class Snapshot:
    """One published build, opened once. Searchers are per thread, reused across requests."""

    def __init__(self, path: Path, version: str | None = None, previous: Snapshot | None = None):
        """``previous``: the snapshot this one replaces. Entries of an article whose file
        digest is unchanged in the same build are taken from it rather than made again
        (50,000 made took 0.23 s of a save's time to being searchable)."""
        self.path = path
        self.version = version or path.name
        try:
            meta = read_catalog(path)
            probe = next((entry["slug"] for entry in meta["articles"]), None)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"the index in {path} cannot be opened: {exc}") from exc
        self.index = OpenIndex(path, probe)
        self.built: str = meta.get("built", "")
        # False for a build an older version wrote: it serves, but its stored HTML may
        # lack what the renderer now produces, so `reindex --if-missing` replaces it.
        self.current_format = meta.get("schema") == SCHEMA_VERSION
        # Within one build an entry is a function of its file's bytes, so an unchanged
        # digest is an unchanged entry (a full reindex is a new build: nothing is kept).
        known = previous.catalog if previous is not None and previous.path == path else {}
        with collector_paused():  # 50,000 entries, no cycles among them
            self.catalog: dict[str, CatalogEntry] = {}
            for entry in meta["articles"]:
                slug = entry["slug"]
                kept = known.get(slug)
                if kept is None or not kept.digest or kept.digest != entry.get("digest"):
                    kept = CatalogEntry.from_dict(entry)
                self.catalog[slug] = kept
        try:
            found = semantic.read_vectors(path, meta)
            if found and set(found[0].slugs) != set(self.catalog):
                raise ValueError("the vectors do not cover the same articles as the catalog")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"the vectors in {path} are damaged: {exc}") from exc
        self.vectors = semantic.VectorTable(*found) if found else None
        self._stored_tables = meta.get(stored_tables.TABLES_KEY)
        self._masks: dict[tuple[str, str | None], np.ndarray] = {}  # one bool per article
        self._tables: dict[str, Tables] = {}
        self._tables_lock = threading.Lock()

    def tables(self, code: str = DEFAULT) -> Tables:
        """The name tables of one language's articles, made on first use."""
        found = self._tables.get(code)
        if found is None:
            with self._tables_lock:
                found = self._tables.get(code)
                if found is None:
                    entries = [e for e in self.catalog.values() if e.lang == code]
                    stored = functools.partial(
                        stored_tables.read_table, self.path, self._stored_tables, code, entries
                    )
                    found = self._tables[code] = Tables(entries, wording_for(code), stored)
        return found

    @cached_property
    def _versions(self) -> dict[str, tuple[CatalogEntry, ...]]:
        """Each article that has a translation, and each translation: every language's
        version of it, the original first."""
        groups: dict[str, list[CatalogEntry]] = {}
        for entry in self.catalog.values():
            original = entry.translation_of
            if original and original in self.catalog:
                groups.setdefault(original, [self.catalog[original]]).append(entry)
        found: dict[str, tuple[CatalogEntry, ...]] = {}
        for versions in groups.values():
            for entry in versions:
                found[entry.slug] = tuple(versions)
        return found

    def versions_of(self, slug: str) -> tuple[CatalogEntry, ...]:
        """The article in every language it is published in (itself included), or none
        when it has no translation."""
        return self._versions.get(slug, ())

    # The tables' own shortcuts for the default language, which most callers ask about.
    @property
    def suggestions(self) -> SuggestionIndex:
        return self.tables().suggestions

    @property
    def site_map(self) -> SiteMap:
        return self.tables().site_map

    @property
    def name_keys(self) -> frozenset[str]:
        return self.tables().name_keys

    @property
    def shelves(self) -> Shelves:
        return self.tables().shelves

    def vector_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Each vector row's document number and each document's row (see
        :meth:`OpenIndex.numbering`): made per thread, from the searcher that ranks."""
        return self.index.numbering(self.vectors.slugs if self.vectors is not None else ())

    def vector_mask(self, lang: str, kind: str | None = None) -> np.ndarray:
        """Which vector rows are articles in ``lang`` (and of ``kind``): meaning may only
        add articles a search of that language (and kind) could have found."""
        key = (lang, kind)
        kept = self._masks.get(key)
        if kept is None:
            slugs = self.vectors.slugs if self.vectors is not None else ()
            catalog = self.catalog
            kept = np.array(
                [
                    catalog[s].lang == lang and (kind is None or catalog[s].kind == kind)
                    for s in slugs
                ],
                dtype=bool,
            )
            self._masks[key] = kept
        return kept

    def adopt_tables(self, previous: Snapshot) -> bool:
        """Take the previous snapshot's name tables (suggestions, names, A–Z, shelves,
        spelling) when this one's catalog names exactly the same things. A save that
        edits an article's text then costs its readers no rebuild: at 50,000 articles
        remaking them took about 1.2 s of the time from a save to its being searchable."""
        if len(previous.catalog) != len(self.catalog):
            return False
        with collector_paused():
            for slug, entry in self.catalog.items():
                before = previous.catalog.get(slug)
                if before is entry:
                    continue
                if before is None or _named(before) != _named(entry):
                    return False
        self._tables.update(previous._tables)
        return True

    def close(self) -> None:
        self.index.close()


class Tables:
    """One language's name tables: its suggestions, A–Z, shelves, the planner's name
    keys and spelling dictionary. Made from that language's catalog entries only, so an
    English search never corrects towards a Spanish name nor suggests one.

    Each is made of tens of thousands of small objects with no cycles: the collector,
    run again and again while they are made, took a third of a worker's warm-up at
    50,000 articles (2.1 s against 1.3 s without it)."""

    def __init__(
        self,
        entries: list[CatalogEntry],
        wording: Wording,
        stored: Callable[[], Mapping[str, np.ndarray] | None] | None = None,
    ):
        """``stored``: gives the suggestion table the build keeps for these entries, if
        any (see ``stored_tables``)."""
        self.entries = entries
        self.wording = wording
        self._stored = stored
        self._corrector: tuple[tuple[int, int], Corrector] | None = None

    def corrector(self, thesaurus: Thesaurus, *, keep: bool = True) -> Corrector:
        """The spelling dictionary: words of names, headings and the thesaurus. ``keep``
        False (a librarian's preview of a thesaurus entry) builds one without replacing
        the one patients' searches use."""
        cached = self._corrector
        if keep and cached is not None and cached[0] == thesaurus.version:
            return cached[1]
        fold = self.wording.fold
        with collector_paused():
            # Names come folded from the suggestion table (for a language whose sort key
            # is its folded name, the same strings); the few headings every article
            # shares ("Causes", "Symptoms") are folded once each, not 350,000 times.
            words: list[str] = []
            if self.wording.language.sorts_as_folded:
                for key in self.suggestions.folded_names():
                    words.extend(key.split())
            else:
                for entry in self.entries:
                    for text in entry.names:
                        words.extend(fold(text).split())
            headings: dict[str, list[str]] = {}
            for entry in self.entries:
                for text in entry.aliases:
                    words.extend(fold(text).split())
                for text in entry.headings:
                    split = headings.get(text)
                    if split is None:
                        split = headings[text] = fold(text).split()
                    words.extend(split)
            words.extend(thesaurus.words())
            corrector = Corrector(words, key=self.wording.word_key)
        if keep:
            self._corrector = (thesaurus.version, corrector)
        return corrector

    @cached_property
    def name_keys(self) -> frozenset[str]:
        """Every name's key, for the planner to recognise names in a query.

        Built from the suggestion table's folded names, so a key that is its folded name
        (most are) is that same string, not a copy: 7 MB at 50,000 articles."""
        suggestions = self.suggestions
        wording = self.wording
        with collector_paused():
            keys = set()
            for folded in suggestions.folded_names():
                key = wording.key_of_folded(folded)
                keys.add(folded if key == folded else key)
            # Hidden search aliases are names to the planner, not to suggestions or the A–Z.
            keys.update(wording.name_key(a) for entry in self.entries for a in entry.aliases)
            keys.discard("")
            return frozenset(keys)

    @cached_property
    def site_map(self) -> SiteMap:
        suggestions = self.suggestions
        with collector_paused():
            return SiteMap(
                suggestions.folded_names(), suggestions.names_between, self.wording.language
            )

    @cached_property
    def shelves(self) -> Shelves:
        with collector_paused():
            return shelves_of(self.entries, self.wording.language)

    @cached_property
    def suggestions(self) -> SuggestionIndex:
        with collector_paused():
            stored = self._stored() if self._stored is not None else None
            if stored is not None:
                try:
                    return SuggestionIndex(self.entries, self.wording.language, stored)
                except (KeyError, ValueError) as exc:  # UnicodeDecodeError among them
                    log.warning("the stored suggestion table is not used: %s", exc)
            return SuggestionIndex(self.entries, self.wording.language)


def _named(entry: CatalogEntry) -> tuple:
    return (
        entry.title,
        entry.also_called,
        entry.aliases,
        entry.headings,
        entry.kind,
        entry.groups,
        entry.lang,
        entry.translation_of,
    )


def open_with_retries(
    path: Path, version: str, attempts: int = 4, previous: Snapshot | None = None
) -> Snapshot:
    """Open a build, retrying briefly: a single-article update committing at that very
    moment replaces segment files between reading the table of contents and opening
    them. Only a build that fails every time is treated as damaged."""
    for attempt in range(attempts):
        try:
            return Snapshot(path, version, previous)
        except IndexUnavailable:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
