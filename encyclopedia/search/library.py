"""The one place the rest of the site asks about the published encyclopedia.

The web views, the command line and the benchmarks all ask a :class:`Library`; none of
them touches the engine. A library holds one :class:`Snapshot` per published build,
swapped for a new one the moment ``CURRENT`` changes (so a reindex is picked up without
a restart), keeps searches' results per version, and hands the work to the modules
that own it: ``results`` (searching), ``pages`` (articles and the A–Z), ``health``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from encyclopedia.articles import Article, ContentFolder
from encyclopedia.config import DICTIONARIES, Settings
from encyclopedia.languages import DEFAULT, LANGUAGES
from encyclopedia.lru import LRUCache
from encyclopedia.normalize import fold
from encyclopedia.search import releases, semantic, vocabulary
from encyclopedia.search import results as searching
from encyclopedia.search.browse import ShelfPage, Shelves, shelf_page
from encyclopedia.search.builds import (
    CACHE,
    CURRENT,
    collector_paused,
    published,
    writer_running,
)
from encyclopedia.search.documents import CatalogEntry, StoredPage, stored_page
from encyclopedia.search.emergency import EmergencyFile
from encyclopedia.search.errors import BadRequest, IndexUnavailable
from encyclopedia.search.health import Health
from encyclopedia.search.pages import (
    ArticlePage,
    SiteMapEntry,
    SiteMapPage,
    article_page,
    letter_of,
    site_map_page,
)
from encyclopedia.search.query import QueryPlan, Stages, clean_query
from encyclopedia.search.replica import status as replica_status
from encyclopedia.search.results import MAX_PAGE, Results, planner
from encyclopedia.search.snapshot import Snapshot, open_with_retries
from encyclopedia.search.suggestions import Suggestion
from encyclopedia.search.thesaurus import Thesaurus, ThesaurusFile, on_top, phrase_key
from encyclopedia.search.wording import wording_for
from encyclopedia.site_files import THESAURI

# Library's ``semantic`` argument hides the module's name inside __init__.
_load_embedder = semantic.load_embedder

log = logging.getLogger(__name__)
# Results pages are bounded by what they hold, not counted: an API page of 50 hits with
# snippets is 50 KB, and 2,048 of them would have been 100 MB of a worker.
RESULT_CACHE_BYTES = 8 * 2**20


class Library:
    """Answers every question about the published encyclopedia."""

    def __init__(
        self,
        index_dir: Path,
        *,
        thesaurus: Path | None = None,
        max_query_length: int = Settings.max_query_length,
        page_size: int = Settings.page_size,
        max_page_size: int = Settings.max_page_size,
        site_map_page_size: int = Settings.site_map_page_size,
        semantic: bool | None = None,
        lay_words: bool = True,
        keep_results: bool = True,
        emergency: Path | None = None,
        dictionaries: Sequence[Path] = DICTIONARIES,
        without: Collection[str] = (),
    ):
        """``without``: planner stages left out ("correction", "names"), for the
        ablation in bench/relevance.py; patients always get every stage."""
        self.index_dir = Path(index_dir)
        # Real words, which spelling correction leaves alone (vocabulary.py).
        self.vocabulary = vocabulary.load(
            tuple(Path(p) for p in dictionaries), self.index_dir / CACHE
        )
        unknown = set(without) - {"correction", "names"}
        if unknown:
            raise ValueError(f"no such stage: {', '.join(sorted(unknown))}")
        self.stages = Stages(self.vocabulary, "correction" not in without, "names" not in without)
        # One embedder per process, or None and why (lexical only, said once in the log).
        self.embedder, self.semantic_status = _load_embedder(semantic)
        # Each language's shipped lay words with the librarians' file on top
        # (thesaurus.py); the other languages' files sit beside the English one.
        self.thesauri = {
            code: ThesaurusFile(
                Path(thesaurus).with_name(THESAURI[code]) if thesaurus else None,
                shipped=lay_words,
                wording=wording_for(code),
            )
            for code in LANGUAGES
        }
        self.thesaurus = self.thesauri[DEFAULT]
        self.emergency = EmergencyFile(Path(emergency) if emergency else None)
        self.max_query_length = max_query_length
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.site_map_page_size = max(1, site_map_page_size)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._seen: tuple[int, int, int] | None = None
        self.damage: str | None = None  # why the published build could not be served
        # Results per (index version, thesaurus version, query, page, size, exact): what
        # the response cache cannot replay (a signed-in librarian, the JSON and the HTML
        # of one search, a page's other encoding) is searched once per publication.
        # bench/caches.py: 0.80 of lookups hit, each saving a search; 2.5 MB. Off
        # (keep_results=False) for the benchmarks, which time searches themselves.
        self.kept_results: LRUCache[Results] = LRUCache(
            RESULT_CACHE_BYTES if keep_results else 0, size=Results.memory
        )
        self._folders: dict[Path, ContentFolder] = {}  # health() compares with each

    @classmethod
    def from_settings(cls, settings: Settings) -> Library:
        """The library the app, the command line and the benchmarks all use."""
        return cls(
            settings.index_dir,
            thesaurus=settings.thesaurus_path,
            emergency=settings.emergency_path,
            max_query_length=settings.max_query_length,
            page_size=settings.page_size,
            max_page_size=settings.max_page_size,
            site_map_page_size=settings.site_map_page_size,
            semantic=settings.semantic,
            dictionaries=settings.dictionaries,
        )

    # -- opening -------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The current build, reopened only when ``CURRENT`` has changed (one stat call)."""
        try:
            st = os.stat(self.index_dir / CURRENT)
            seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            seen = None
        snapshot = self._snapshot
        if snapshot is not None and seen == self._seen:
            return snapshot
        with self._lock:
            if self._snapshot is not None and seen == self._seen:
                return self._snapshot
            found = published(self.index_dir)
            if found is None:
                raise IndexUnavailable(
                    f"no index has been built in {self.index_dir}; run 'encyclopedia reindex'"
                )
            path, version = found
            try:
                fresh = open_with_retries(path, version, previous=snapshot)
                self.damage = None
                if snapshot is not None:
                    fresh.adopt_tables(snapshot)
            except IndexUnavailable as exc:
                # A damaged build (a disk error, a hand edit) must not take the site
                # down: serve the newest older build that opens, and say so.
                log.error("%s; serving an older build until the next reindex", exc)
                fresh = self._fallback(path, exc)
                self.damage = str(exc)
            self._snapshot, self._seen = fresh, seen
            return fresh

    def _fallback(self, broken: Path, error: IndexUnavailable) -> Snapshot:
        builds = sorted(
            (p for p in broken.parent.iterdir() if p.is_dir() and p != broken), reverse=True
        )
        for candidate in builds:
            try:
                return Snapshot(candidate)
            except IndexUnavailable:
                continue
        raise error

    @property
    def version(self) -> str:
        return self.snapshot().version

    @property
    def search_version(self) -> str:
        """What search results depend on: the published index and the thesaurus (which
        changes without a reindex). A cache of results pages is keyed on it."""
        thesauri = "/".join(str(t.get().version) for t in self.thesauri.values())
        return f"{self.snapshot().version}/{thesauri}/{self.emergency.get().version}"

    @property
    def built(self) -> dt.datetime | None:
        """When the served build was made: the Last-Modified of pages that depend on it."""
        try:
            return dt.datetime.fromisoformat(self.snapshot().built)
        except ValueError:
            return None

    # -- search --------------------------------------------------------------------
    def parse_page(self, page: Any, page_size: Any = None) -> tuple[int, int]:
        """Validate paging parameters from a URL or the command line."""
        try:
            number = int(page) if page not in (None, "") else 1
        except (TypeError, ValueError):
            raise BadRequest("page must be a whole number") from None
        if not 1 <= number <= MAX_PAGE:
            raise BadRequest(f"page must be between 1 and {MAX_PAGE}")
        try:
            size = int(page_size) if page_size not in (None, "") else self.page_size
        except (TypeError, ValueError):
            raise BadRequest("limit must be a whole number") from None
        if not 1 <= size <= self.max_page_size:
            raise BadRequest(f"limit must be between 1 and {self.max_page_size}")
        return number, size

    def clean(self, text: str) -> str:
        """A query as it will be searched and shown back: no control characters, cut short."""
        return clean_query(text or "", self.max_query_length)

    def language(self, lang: str | None) -> str:
        """A language code from a URL or the command line (BadRequest for one the site
        does not have), the default for None or empty."""
        if not lang:
            return DEFAULT
        if lang not in LANGUAGES:
            raise BadRequest(f"lang must be one of: {', '.join(LANGUAGES)}")
        return lang

    def plan(self, text: str, *, exact: bool = False, lang: str = DEFAULT) -> QueryPlan:
        """How a query will be read: corrections, thesaurus terms, names it contains."""
        return planner(
            self.snapshot(), self.thesauri[self.language(lang)].get(), stages=self.stages
        ).plan(self.clean(text), exact=exact)

    def search(
        self,
        text: str,
        page: int = 1,
        page_size: int | None = None,
        *,
        exact: bool = False,
        kind: str | None = None,
        lang: str = DEFAULT,
    ) -> Results:
        """Search as a patient means it, among the articles in ``lang``. ``exact``
        searches what was typed, uncorrected; ``kind`` keeps only articles of that kind
        (a kind no article has is a BadRequest, so a mistyped filter says so instead of
        finding nothing)."""
        size = page_size or self.page_size
        lang = self.language(lang)
        cleaned = clean_query(text or "", self.max_query_length)
        snapshot = self.snapshot()
        kinds = snapshot.tables(lang).shelves.kinds
        if kind and kind not in kinds:
            known = ", ".join(kinds) or "none"
            raise BadRequest(f"kind must be one of the kinds articles have: {known}")
        if not cleaned.strip(' "'):
            return Results(cleaned, 0, page, size, (), kind=kind or None, lang=lang)
        thesaurus = self.thesauri[lang].get()
        key = (snapshot.version, lang, thesaurus.version, cleaned, page, size, exact, kind or None)
        found = self.kept_results.get_or_load(
            key,
            lambda: searching.search(
                snapshot,
                self.embedder,
                thesaurus,
                cleaned,
                page,
                size,
                exact,
                kind=kind or None,
                stages=self.stages,
            ),
        )
        if self.emergency.get().match(cleaned):
            return dataclasses.replace(found, emergency=True)
        return found

    def preview_search(
        self, text: str, *, named: str | None = None, leads_to: str | None = None, size: int = 5
    ) -> Results:
        """What ``text`` would find after a librarian's fix, shown before it is saved.

        ``named``: the article is taken as named by the whole query, as it will be once
        the text is its other name or hidden alias (the exact-name boost and "named
        first" rule every search applies). ``leads_to``: the thesaurus also has the entry
        text -> leads_to. Through the same planner, ranker and fusion as every search;
        never cached, and the patients' spelling dictionary is left as it is."""
        cleaned = clean_query(text or "", self.max_query_length)
        if not cleaned.strip(' "'):
            return Results(cleaned, 0, 1, size, ())
        thesaurus = self.thesaurus.get()
        if leads_to:
            entry = Thesaurus({phrase_key(cleaned): [leads_to]}, version=(-1, -1))
            thesaurus = on_top(thesaurus, entry)
        return searching.search(
            self.snapshot(),
            self.embedder,
            thesaurus,
            cleaned,
            1,
            size,
            False,
            named=named,
            keep=not leads_to,
            stages=self.stages,
        )

    # -- pages -----------------------------------------------------------------------
    def article(self, slug: str) -> ArticlePage | None:
        snapshot = self.snapshot()
        if slug not in snapshot.catalog:
            return None
        stored = snapshot.index.document(slug)
        if stored is None:
            return None
        page = StoredPage.from_dict(stored["page"])
        return article_page(
            page,
            snapshot.catalog,
            snapshot.tables(page.lang).suggestions.entries_named,
            snapshot.versions_of(slug),
        )

    def preview(self, article: Article) -> ArticlePage:
        """The page an article will have once published, rendered by the same code as the
        public page; related titles and shared names come from the index when it opens."""
        page = stored_page(article)
        try:
            snapshot = self.snapshot()
        except IndexUnavailable:
            return article_page(page, {}, lambda _: [])
        return article_page(
            page,
            snapshot.catalog,
            snapshot.tables(page.lang).suggestions.entries_named,
            snapshot.versions_of(article.translation_of or article.slug),
        )

    def versions_of(self, slug: str) -> tuple[CatalogEntry, ...]:
        """The article in every language it is published in (itself included), or none
        when it has no translation."""
        return self.snapshot().versions_of(slug)

    def warm(self) -> None:
        """Open the published build and make the tables a first search, suggestion or A–Z
        page would otherwise make while a patient waits (3.4 s at 50,000 articles, 0.24 s
        at 4,000). A serving process calls this before taking requests, so a new
        or recycled worker is never cold."""
        snapshot = self.snapshot()
        for code, thesaurus in self.thesauri.items():
            tables = snapshot.tables(code)
            if not tables.entries and code != DEFAULT:
                continue
            planner(snapshot, thesaurus.get())
            for table in ("site_map", "suggestions", "shelves"):
                getattr(tables, table)
            with collector_paused():  # see Tables
                tables.suggestions.warm()
        snapshot.vector_rows()  # for this thread; each other thread makes its own once

    def suggest(self, text: str, limit: int = 10, *, lang: str = DEFAULT) -> list[Suggestion]:
        """Names in ``lang`` that start with, or closely match, what has been typed."""
        cleaned = clean_query(text or "", self.max_query_length)
        return self.snapshot().tables(self.language(lang)).suggestions.suggest(cleaned, limit)

    def letters(self, lang: str = DEFAULT) -> dict[str, int]:
        """Each A–Z section of a language with how many entries it has."""
        site_map = self.snapshot().tables(self.language(lang)).site_map
        return {letter: site_map.count(letter) for letter in site_map}

    def site_map(self, letter: str, lang: str = DEFAULT) -> list[SiteMapEntry]:
        lang = self.language(lang)
        return self.snapshot().tables(lang).site_map[letter_of(letter, LANGUAGES[lang])]

    def site_map_page(self, letter: str, page: Any = 1, lang: str = DEFAULT) -> SiteMapPage | None:
        """One page of a letter, or None past its last page (a page that is not a
        number is a :class:`BadRequest`)."""
        lang = self.language(lang)
        return site_map_page(
            self.snapshot().tables(lang).site_map,
            letter,
            page,
            self.site_map_page_size,
            LANGUAGES[lang],
        )

    def close_matches(self, text: str, limit: int = 5, lang: str = DEFAULT) -> list[CatalogEntry]:
        """Articles whose names look like ``text``: for a mistyped address or an empty search."""
        snapshot = self.snapshot()
        wanted = text.replace("-", " ")
        if not fold(wanted):
            return []
        suggestions = snapshot.tables(self.language(lang)).suggestions
        found = {entry.slug: entry for entry in suggestions.resembling(wanted, limit)}
        if len(found) < limit:
            for hit in self.search(wanted, 1, limit, lang=lang).hits:
                found.setdefault(hit.slug, snapshot.catalog[hit.slug])
        return list(found.values())[:limit]

    def shelves(self, lang: str = DEFAULT) -> Shelves:
        """The kinds and groups patients browse by."""
        return self.snapshot().tables(self.language(lang)).shelves

    def shelf_page(self, by: str, key: str, page: Any = 1, lang: str = DEFAULT) -> ShelfPage | None:
        """One page of a kind's (``by="kind"``) or a group's shelf; None when there is no
        such shelf or page (a page that is not a number is a BadRequest)."""
        shelves = self.shelves(lang)
        shelf = (shelves.kinds if by == "kind" else shelves.groups).get(key)
        return shelf_page(shelf, page, self.site_map_page_size) if shelf else None

    def all_entries(self, lang: str | None = None) -> list[CatalogEntry]:
        """Every article (of ``lang`` when given), by title."""
        entries = self.snapshot().catalog.values()
        if lang is not None:
            entries = [e for e in entries if e.lang == lang]
        return sorted(entries, key=lambda e: LANGUAGES[e.lang].sort_key(e.title))

    # -- health --------------------------------------------------------------------
    def health(self, content_dir: Path, *, replica: bool = False) -> Health:
        """Compare what is served with what is in ``content/`` (see health.py); on a
        replica, which has no articles of its own, with the editor's latest release."""
        if replica:
            return self._replica_health()
        folder = self._folders.get(Path(content_dir))
        if folder is None:
            folder = self._folders[Path(content_dir)] = ContentFolder(Path(content_dir))
        on_disk = folder.digests()
        running = writer_running(self.index_dir)
        try:
            snapshot = self.snapshot()
        except IndexUnavailable as exc:
            return Health(
                False,
                False,
                0,
                len(on_disk),
                None,
                None,
                running,
                error=str(exc),
                semantic=self.semantic_status,
                vocabulary=self.vocabulary.describe(),
            )
        catalog = snapshot.catalog
        missing = sorted(set(on_disk) - set(catalog))
        extra = sorted(set(catalog) - set(on_disk))
        stale = [
            slug
            for slug in sorted(set(on_disk) & set(catalog))
            if on_disk[slug] != catalog[slug].digest
        ]
        return Health(
            True,
            not (missing or extra or stale or self.damage),
            len(catalog),
            len(on_disk),
            snapshot.built,
            snapshot.version,
            running,
            missing,
            stale,
            extra,
            error=self.damage,
            semantic=self._semantic_health(snapshot),
            vocabulary=self.vocabulary.describe(),
            releases=releases.status(self.index_dir) if releases.enabled() else None,
        )

    def _replica_health(self) -> Health:
        said = replica_status(self.index_dir)
        try:
            snapshot = self.snapshot()
        except IndexUnavailable as exc:
            return Health(False, False, 0, 0, None, None, False, error=str(exc), replica=said)
        serving = said.get("release")
        return Health(
            True,
            bool(serving) and serving == said.get("latest") and not said.get("error"),
            len(snapshot.catalog),
            len(snapshot.catalog),
            snapshot.built,
            snapshot.version,
            False,
            error=self.damage,
            semantic=self._semantic_health(snapshot),
            vocabulary=self.vocabulary.describe(),
            replica=said,
        )

    def _semantic_health(self, snapshot: Snapshot) -> str:
        if self.embedder is None:
            return self.semantic_status
        if snapshot.vectors is None:
            return "lexical only: this build has no vectors (reindex with the model installed)"
        return f"on: {semantic.MODEL_ID}, {len(snapshot.vectors)} articles"
