"""The one place that opens the published index and answers questions about it.

The web views, the command line and the benchmarks all ask a :class:`Library`; none
of them touches Whoosh. A library holds one :class:`Snapshot` per published build:
opened once, searched by many requests, and swapped for a new one the moment
``CURRENT`` changes, so a reindex is picked up without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from encyclopedia.articles import Article
from encyclopedia.config import Settings
from encyclopedia.lru import LRUCache
from encyclopedia.normalize import fold, initial, sort_key
from encyclopedia.search import fusion, semantic, tree
from encyclopedia.search.documents import CatalogEntry, file_digest, index_document
from encyclopedia.search.engine import snippets
from encyclopedia.search.engine.reading import IndexUnavailable, OpenIndex
from encyclopedia.search.engine.schema import analyze
from encyclopedia.search.publishing import (
    CATALOG,
    CURRENT,
    published,
    writer_running,
)
from encyclopedia.search.query import EXACT_NAME_BOOST, Planner, QueryPlan, build_query, clean_query
from encyclopedia.search.spelling import Corrector
from encyclopedia.search.suggestions import Suggestion, SuggestionIndex
from encyclopedia.search.thesaurus import Thesaurus, ThesaurusFile, on_top, phrase_key
from encyclopedia.search.words import STOP_WORDS, name_key, word_key

# Library's ``semantic`` argument hides the module's name inside __init__.
_load_embedder = semantic.load_embedder

log = logging.getLogger(__name__)
LETTERS = (*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0-9")
MAX_PAGE = 100
# Results pages are bounded by what they hold, not counted: an API page of 50 hits with
# snippets is 50 KB, and 2,048 of them would have been 100 MB of a worker.
RESULT_CACHE_BYTES = 8 * 2**20


class BadRequest(ValueError):
    """A parameter a person or program sent that cannot be used; the message says why."""


@dataclass(frozen=True)
class Hit:
    slug: str
    title: str
    url: str
    matched_name: str | None
    snippet: str  # HTML: escaped text with <mark> around matched words
    section: str | None = None  # the section the query asked about ("kyphoplasty risks")
    why: tuple[str, ...] = ()  # lay terms translated, words joined: in plain words

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "url": self.url,
            "matched_name": self.matched_name,
            "snippet": self.snippet,
            "section": self.section,
            "why": list(self.why),
        }


@dataclass(frozen=True)
class Results:
    query: str
    total: int
    page: int
    page_size: int
    hits: tuple[Hit, ...]
    searched: str | None = None  # the corrected query, when it was corrected
    did_you_mean: str | None = None
    # No hit matches well: the page says so plainly and the librarians see the search.
    weak: bool = False

    def memory(self) -> int:
        """Roughly what keeping these results costs, in bytes (within a fifth, measured
        against the objects' real sizes)."""
        return 1024 + sum(
            800
            + len(hit.snippet)
            + len(hit.title)
            + len(hit.slug)
            + len(hit.url)
            + len(hit.matched_name or "")
            + sum(len(word) for word in hit.why)
            for hit in self.hits
        )

    @property
    def pages(self) -> int:
        """Pages a person can reach (deep paging is capped at MAX_PAGE)."""
        return min(MAX_PAGE, max(1, -(-self.total // self.page_size)))

    def page_numbers(self, around: int = 3) -> list[int]:
        """The page links to show: the first, the last, and a few around this one."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        return sorted(n for n in shown if 1 <= n <= self.pages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "corrected_query": self.searched,
            "did_you_mean": self.did_you_mean,
            "weak": self.weak,
            "results": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True, slots=True)
class SiteMapEntry:
    """One line of the A–Z: a name, the articles it is the title of, and those it points to."""

    name: str
    articles: tuple[CatalogEntry, ...]  # this name is their title
    see: tuple[CatalogEntry, ...]  # this name is another name of these


@dataclass(frozen=True)
class SiteMapPage:
    """One page of a letter of the A–Z, and the guide names of every page of that letter.

    A letter is split into pages once it grows past a printed page's worth: at 50,000
    articles "A" had 18,000 entries, a 2.7 MB page that took 2.5 s to render, too much
    for a patient's phone and for a worker's memory. Like a printed dictionary, each
    page is named by its first and last entries, so a patient knows where to turn.
    """

    letter: str
    page: int
    entries: list[SiteMapEntry]
    guides: tuple[tuple[str, str], ...]  # first and last name of each page of the letter

    @property
    def pages(self) -> int:
        return max(1, len(self.guides))


@dataclass(frozen=True)
class ArticlePage:
    slug: str
    title: str
    also_called: tuple[str, ...]
    kind: str | None
    reviewed: str | None
    reviewed_by: str | None
    source: str | None
    source_url: str | None
    summary_html: str
    sections: tuple[dict[str, str], ...]
    related: tuple[CatalogEntry, ...]
    shares_names_with: tuple[CatalogEntry, ...]

    @property
    def letter(self) -> str:
        """The A–Z section this article's title is filed under, as it appears in URLs."""
        return initial(self.title).lower()


@dataclass
class Health:
    """What /healthz, ``check`` and the dashboard say about the served index.

    Two questions, kept apart on purpose: ``ready`` (this process can serve patients from
    a good index) is what a load balancer acts on; ``in_sync`` (the index is what
    ``content/`` describes) is the librarians' concern. One broken or not-yet-indexed file
    makes the index out of sync, never the site unready."""

    ready: bool
    in_sync: bool
    index_articles: int
    content_articles: int
    built: str | None
    build: str | None
    reindex_running: bool
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    error: str | None = None
    semantic: str = ""  # whether meaning is searched, and if not why

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def warnings(self) -> list[str]:
        """What is wrong but does not stop serving, in words."""
        said = []
        if self.ready and self.error:
            said.append(f"serving the last good build: {self.error}")
        for label, slugs in (
            (
                "not in the index (new, or refused as invalid: run 'encyclopedia check')",
                self.missing,
            ),
            ("changed since the last index update", self.stale),
            ("deleted from content/ but still in the index", self.extra),
        ):
            if slugs:
                said.append(f"{len(slugs)} article(s) {label}: {', '.join(slugs[:10])}")
        if self.semantic and not self.semantic.startswith("on"):
            said.append(self.semantic)
        return said


class Snapshot:
    """One published build, opened once. Searchers are per thread, reused across requests."""

    def __init__(self, path: Path, version: str | None = None):
        self.path = path
        self.version = version or path.name
        try:
            with open(path / CATALOG, encoding="utf-8") as handle:
                meta = json.load(handle)
            probe = next((entry["slug"] for entry in meta["articles"]), None)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"the index in {path} cannot be opened: {exc}") from exc
        self.index = OpenIndex(path, probe)
        self.built: str = meta.get("built", "")
        self.catalog: dict[str, CatalogEntry] = {
            entry["slug"]: CatalogEntry.from_dict(entry) for entry in meta["articles"]
        }
        try:
            found = semantic.read_vectors(path, meta)
            if found and set(found[0].slugs) != set(self.catalog):
                raise ValueError("the vectors do not cover the same articles as the catalog")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"the vectors in {path} are damaged: {exc}") from exc
        self.vectors = semantic.VectorTable(*found) if found else None

    def corrector(self, thesaurus: Thesaurus, *, keep: bool = True) -> Corrector:
        """The spelling dictionary: words of names, headings and the thesaurus. ``keep``
        False (a librarian's preview of a thesaurus entry) builds one without replacing
        the one patients' searches use."""
        cached = getattr(self, "_corrector", None)
        if keep and cached is not None and cached[0] == thesaurus.version:
            return cached[1]
        words: list[str] = []
        for entry in self.catalog.values():
            for text in (*entry.names, *entry.aliases, *entry.headings):
                words.extend(fold(text).split())
        words.extend(thesaurus.words())
        corrector = Corrector(words, key=word_key)
        if keep:
            self._corrector = (thesaurus.version, corrector)
        return corrector

    @cached_property
    def name_keys(self) -> frozenset[str]:
        """Every name's key, for the planner to recognise names in a query.

        Built from the suggestion table's folded names, so a key that is its folded name
        (most are) is that same string, not a copy: 7 MB at 50,000 articles."""
        keys = set()
        for folded in self.suggestions.folded_names():
            key = name_key(folded)
            keys.add(folded if key == folded else key)
        # Hidden search aliases are names to the planner, not to suggestions or the A–Z.
        keys.update(name_key(a) for entry in self.catalog.values() for a in entry.aliases)
        keys.discard("")
        return frozenset(keys)

    @cached_property
    def site_map(self) -> dict[str, list[SiteMapEntry]]:
        # name, articles titled so, articles also called so: lists, not dicts, because at
        # 50,000 articles there are 90,000 of them and the worker must stay small.
        grouped: dict[str, list[Any]] = {}
        for entry in self.catalog.values():
            for position, name in enumerate(entry.names):
                key = fold(name)
                if not key:
                    continue
                slot = grouped.get(key)
                if slot is None:
                    slot = grouped[key] = [name, [], []]
                if position == 0:
                    slot[0] = name  # a title's own spelling wins
                    slot[1].append(entry)
                else:
                    slot[2].append(entry)
        letters: dict[str, list[SiteMapEntry]] = {letter: [] for letter in LETTERS}
        for name, articles, others in grouped.values():
            titles = tuple(sorted(articles, key=lambda e: sort_key(e.title)))
            see = tuple(
                sorted(
                    {e.slug: e for e in others if e not in titles}.values(),
                    key=lambda e: sort_key(e.title),
                )
            )
            letters[initial(name)].append(SiteMapEntry(name, titles, see))
        for entries in letters.values():
            entries.sort(key=lambda e: sort_key(e.name))
        return letters

    def vector_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Each vector row's document number and each document's row (see
        :meth:`OpenIndex.numbering`): made per thread, from the searcher that ranks."""
        return self.index.numbering(self.vectors.slugs if self.vectors is not None else ())

    @cached_property
    def suggestions(self) -> SuggestionIndex:
        return SuggestionIndex(list(self.catalog.values()))

    def close(self) -> None:
        self.index.close()


def _letter(letter: str) -> str:
    normalised = letter.upper() if letter != "0-9" else letter
    if normalised not in LETTERS:
        raise BadRequest("choose a letter from A to Z, or 0-9")
    return normalised


def _planner(snapshot: Snapshot, thesaurus: Thesaurus, *, keep: bool = True) -> Planner:
    return Planner(
        known=snapshot.index.document_frequency,
        corrector=snapshot.corrector(thesaurus, keep=keep),
        name_keys=snapshot.name_keys,
        thesaurus=thesaurus,
    )


def _open_with_retries(path: Path, version: str, attempts: int = 4) -> Snapshot:
    """Open a build, retrying briefly: a single-article update committing at that very
    moment replaces segment files between reading the table of contents and opening
    them. Only a build that fails every time is treated as damaged."""
    for attempt in range(attempts):
        try:
            return Snapshot(path, version)
        except IndexUnavailable:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class Library:
    """Answers every question about the published encyclopedia."""

    def __init__(
        self,
        index_dir: Path,
        *,
        thesaurus: Path | None = None,
        max_query_length: int = 200,
        page_size: int = 10,
        max_page_size: int = 50,
        site_map_page_size: int = 500,
        semantic: bool | None = None,
        lay_words: bool = True,
        keep_results: bool = True,
    ):
        self.index_dir = Path(index_dir)
        # One embedder per process, or None and why (lexical only, said once in the log).
        self.embedder, self.semantic_status = _load_embedder(semantic)
        # The shipped lay words with the librarians' file on top (thesaurus.py).
        self.thesaurus = ThesaurusFile(Path(thesaurus) if thesaurus else None, shipped=lay_words)
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
        self._digests: dict[str, tuple[int, int, str]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Library:
        """The library the app, the command line and the benchmarks all use."""
        return cls(
            settings.index_dir,
            thesaurus=settings.thesaurus_path,
            max_query_length=settings.max_query_length,
            page_size=settings.page_size,
            max_page_size=settings.max_page_size,
            site_map_page_size=settings.site_map_page_size,
            semantic=settings.semantic,
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
                fresh = _open_with_retries(path, version)
                self.damage = None
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
        return f"{self.snapshot().version}/{self.thesaurus.get().version}"

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

    def plan(self, text: str, *, exact: bool = False) -> QueryPlan:
        """How a query will be read: corrections, thesaurus terms, names it contains."""
        return _planner(self.snapshot(), self.thesaurus.get()).plan(self.clean(text), exact=exact)

    def search(
        self, text: str, page: int = 1, page_size: int | None = None, *, exact: bool = False
    ) -> Results:
        """Search as a patient means it. ``exact`` searches what was typed, uncorrected."""
        size = page_size or self.page_size
        cleaned = clean_query(text or "", self.max_query_length)
        if not cleaned.strip(' "'):
            return Results(cleaned, 0, page, size, ())
        snapshot = self.snapshot()
        thesaurus = self.thesaurus.get()
        key = (snapshot.version, thesaurus.version, cleaned, page, size, exact)
        return self.kept_results.get_or_load(
            key, lambda: self._search(snapshot, thesaurus, cleaned, page, size, exact)
        )

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
        return self._search(
            self.snapshot(), thesaurus, cleaned, 1, size, False, named=named, keep=not leads_to
        )

    def _search(
        self,
        snapshot: Snapshot,
        thesaurus: Thesaurus,
        cleaned: str,
        page: int,
        size: int,
        exact: bool,
        *,
        named: str | None = None,
        keep: bool = True,
    ) -> Results:
        plan = _planner(snapshot, thesaurus, keep=keep).plan(cleaned, exact=exact)
        if plan.is_empty and named is None:
            return Results(cleaned, 0, page, size, (), None, plan.did_you_mean)
        query = build_query(plan) if not plan.is_empty else tree.NOTHING
        if named is not None:
            query = tree.AnyOf((query, tree.Term("slug", named, EXACT_NAME_BOOST)))
        # Scored with numpy over whole posting lists (engine/ranking.py): Whoosh's
        # ranking, without Whoosh's per-document matcher walk.
        ranked = snapshot.index.rank(query, max(page * size, fusion.POOL))
        vectors = snapshot.vectors if self.embedder is not None else None
        if vectors is not None:
            fused = fusion.fuse(
                ranked,
                # The words as typed, not as corrected: measured on the real-query sets
                # (2026-12-02), reading the corrected words too (best, mean or maximum
                # of both) lost 0.007-0.026 at 1 or 10 there, though it mended four
                # misspellings of the tuned set ("astma") that the words still find.
                vectors.similarity(self.embedder.query(_meaning_text(plan))),
                *snapshot.vector_rows(),
                exact=self._exact_docnums(plan, snapshot, named),
                corrected=bool(plan.corrections),
                words_required=bool(plan.phrases),
            )
        else:
            fused = fusion.lexical_only(ranked)
        shown = fused.docnums[(page - 1) * size : page * size]
        tokens = snapshot.index.body_tokens(shown, query)
        hits = [
            self._hit(
                snapshot.index.stored(docnum),
                plan,
                snapshot,
                tokens[docnum],
                by_meaning=docnum in fused.by_meaning,
            )
            for docnum in shown
        ]
        # A correction the ranking did not follow ("achalasia" is not "aphasia": meaning
        # put another article first) is offered, not imposed.
        followed = plan.corrections and not fused.overruled_correction
        return Results(
            cleaned,
            fused.total,
            page,
            size,
            tuple(hits),
            plan.searched if followed else None,
            plan.did_you_mean or (plan.searched if plan.corrections and not followed else None),
            fused.weak,
        )

    def _exact_docnums(
        self, plan: QueryPlan, snapshot: Snapshot, named: str | None = None
    ) -> frozenset[int]:
        """Articles the query names exactly as typed (a title or other name): they come
        first whatever meaning says. Not after a correction, which may be wrong."""
        found = snapshot.index.matching("slug", named) if named else set()
        if plan.corrections:
            return frozenset(found)
        for boost in plan.boosts:
            if boost.weight >= 1.0 and boost.reason is None:
                found.update(snapshot.index.matching("name_keys", boost.key))
        return frozenset(found)

    def _hit(
        self,
        hit: dict,
        plan: QueryPlan,
        snapshot: Snapshot,
        tokens: list[Any],
        *,
        by_meaning: bool = False,
    ) -> Hit:
        slug = hit["slug"]
        entry = snapshot.catalog.get(slug)
        # A handful of names per hit: worked out here, not kept for 50,000 articles.
        names = {name_key(n) for n in entry.names} if entry else set()
        # Boosts come strongest first: the first one naming this article says why it
        # was found (the name it matched, and any translation that led there).
        strongest = next((b for b in plan.boosts if b.key in names), None)
        matched_key = strongest.key if strongest else None
        why = [strongest.reason] if strongest and strongest.reason else []
        if by_meaning:
            why.append("it is about what you asked, in other words")
        section = _asked_section(plan, matched_key, hit["page"]["sections"])
        if section:
            snippet = snippets.section_snippet(section, plan.all_terms)
            url = f"/article/{slug}#{section['anchor']}"
        else:
            snippet = snippets.body_snippet(hit["body"], tokens, hit["page"]["summary_text"])
            url = f"/article/{slug}"
        return Hit(
            slug=slug,
            title=hit["title"],
            url=url,
            matched_name=_matched_name(matched_key, plan.all_terms, entry),
            snippet=snippet,
            section=section["heading"] if section else None,
            why=tuple(dict.fromkeys(why)),
        )

    # -- pages -----------------------------------------------------------------------
    def article(self, slug: str) -> ArticlePage | None:
        snapshot = self.snapshot()
        if slug not in snapshot.catalog:
            return None
        stored = snapshot.index.document(slug)
        if stored is None:
            return None
        return _article_page(stored["page"], snapshot.catalog[slug].also_called, snapshot)

    def preview(self, article: Article) -> ArticlePage:
        """The page an article will have once published, rendered by the same code as the
        public page; related titles and shared names come from the index when it opens."""
        page = index_document(article)["page"]
        try:
            snapshot: Snapshot | None = self.snapshot()
        except IndexUnavailable:
            snapshot = None
        return _article_page(page, article.also_called, snapshot)

    def warm(self) -> None:
        """Open the published build and make the tables a first search, suggestion or A–Z
        page would otherwise make while a patient waits (3.4 s at 50,000 articles, 0.24 s
        at 4,000). A serving process calls this before taking requests, so a new
        or recycled worker is never cold."""
        snapshot = self.snapshot()
        _planner(snapshot, self.thesaurus.get())
        for table in ("site_map", "suggestions"):
            getattr(snapshot, table)
        snapshot.vector_rows()  # for this thread; each other thread makes its own once

    def suggest(self, text: str, limit: int = 10) -> list[Suggestion]:
        """Names that start with, or closely match, what has been typed so far."""
        cleaned = clean_query(text or "", self.max_query_length)
        return self.snapshot().suggestions.suggest(cleaned, limit)

    def letters(self) -> dict[str, int]:
        """Each A–Z section with how many entries it has."""
        return {letter: len(entries) for letter, entries in self.snapshot().site_map.items()}

    def site_map(self, letter: str) -> list[SiteMapEntry]:
        return self.snapshot().site_map[_letter(letter)]

    def site_map_page(self, letter: str, page: Any = 1) -> SiteMapPage | None:
        """One page of a letter, or None past its last page (a page that is not a
        number is a :class:`BadRequest`)."""
        normalised = _letter(letter)
        entries = self.snapshot().site_map[normalised]
        try:
            number = int(page) if page not in (None, "") else 1
        except (TypeError, ValueError):
            raise BadRequest("page must be a whole number") from None
        size = self.site_map_page_size
        guides = tuple(
            (entries[at].name, entries[min(at + size, len(entries)) - 1].name)
            for at in range(0, len(entries), size)
        )
        if not 1 <= number <= max(1, len(guides)):  # a letter with no entries has one page
            return None
        at = (number - 1) * size
        return SiteMapPage(normalised, number, entries[at : at + size], guides)

    def close_matches(self, text: str, limit: int = 5) -> list[CatalogEntry]:
        """Articles whose names look like ``text``: for a mistyped address or an empty search."""
        snapshot = self.snapshot()
        wanted = fold(text.replace("-", " "))
        if not wanted:
            return []
        found = {entry.slug: entry for entry in snapshot.suggestions.resembling(wanted, limit)}
        if len(found) < limit:
            for hit in self.search(text.replace("-", " "), 1, limit).hits:
                found.setdefault(hit.slug, snapshot.catalog[hit.slug])
        return list(found.values())[:limit]

    def all_entries(self) -> list[CatalogEntry]:
        return sorted(self.snapshot().catalog.values(), key=lambda e: sort_key(e.title))

    # -- health --------------------------------------------------------------------
    def health(self, content_dir: Path) -> Health:
        """Compare what is served with what is in ``content/``: an edit that never reached
        the index shows up here as stale, a new file as missing, a deleted one as extra."""
        on_disk = {p.stem: p for p in Path(content_dir).glob("*.md") if p.is_file()}
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
            )
        catalog = snapshot.catalog
        missing = sorted(set(on_disk) - set(catalog))
        extra = sorted(set(catalog) - set(on_disk))
        stale = [
            slug
            for slug in sorted(set(on_disk) & set(catalog))
            if self._digest(on_disk[slug]) != catalog[slug].digest
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
        )

    def _semantic_health(self, snapshot: Snapshot) -> str:
        if self.embedder is None:
            return self.semantic_status
        if snapshot.vectors is None:
            return "lexical only: this build has no vectors (reindex with the model installed)"
        return f"on: {semantic.MODEL_ID}, {len(snapshot.vectors)} articles"

    def _digest(self, path: Path) -> str:
        """A file's digest, recomputed only when its size or modification time changes."""
        try:
            st = path.stat()
        except OSError:
            return ""
        known = self._digests.get(path.name)
        if known and known[:2] == (st.st_mtime_ns, st.st_size):
            return known[2]
        try:
            digest = file_digest(path)
        except OSError:
            return ""
        self._digests[path.name] = (st.st_mtime_ns, st.st_size, digest)
        return digest


def _meaning_text(plan: QueryPlan) -> str:
    """What the model reads: the words as typed (not corrected: a correction may be wrong,
    and the model reads misspellings well), then what the thesaurus says they mean, so
    "nph" reaches the model as "normal pressure hydrocephalus" too."""
    meanings = [
        " ".join(alternative.words)
        for slot in plan.slots
        for alternative in slot.alternatives[1:]
        if alternative.reason
    ]
    return "; ".join([plan.text, *dict.fromkeys(meanings)])


def _article_page(
    page: dict[str, Any], also_called: tuple[str, ...], snapshot: Snapshot | None
) -> ArticlePage:
    slug = page["slug"]
    catalog = snapshot.catalog if snapshot else {}
    sharing: dict[str, CatalogEntry] = {}
    if snapshot is not None:
        for name in also_called:
            for other in snapshot.suggestions.entries_named(fold(name)):
                if other.slug != slug:
                    sharing[other.slug] = other
    return ArticlePage(
        slug=slug,
        title=page["title"],
        also_called=tuple(page["also_called"]),
        kind=page.get("kind"),
        reviewed=page.get("reviewed"),
        reviewed_by=page.get("reviewed_by"),
        source=page.get("source"),
        source_url=page.get("source_url"),
        summary_html=page["summary_html"],
        sections=tuple(page["sections"]),
        related=tuple(catalog[s] for s in page["related"] if s in catalog),
        shares_names_with=tuple(sharing.values()),
    )


def _matched_name(key: str | None, terms: frozenset[str], entry: CatalogEntry | None) -> str | None:
    """The other name a hit was found through, if the title alone would not explain it."""
    if entry is None or not entry.also_called:
        return None
    if key is not None:
        if name_key(entry.title) == key:
            return None
        for name in entry.also_called:
            if name_key(name) == key:
                return name
    if not terms or terms <= set(analyze(entry.title)):
        return None
    best: tuple[int, str] | None = None
    for name in entry.also_called:
        tokens = set(analyze(name))
        if terms <= tokens:
            extra = len(tokens - terms)
            if best is None or extra < best[0]:
                best = (extra, name)
    return best[1] if best else None


def _asked_section(
    plan: QueryPlan, matched_key: str | None, sections: list[dict[str, str]]
) -> dict[str, str] | None:
    """The section a query names besides the article ("kyphoplasty risks" -> Risks)."""
    if not sections or matched_key is None:
        return None
    named = set(matched_key.split())
    wanted = {word_key(w) for w in fold(plan.searched).split() if w not in STOP_WORDS} - named
    if not wanted:
        return None
    for section in sections:
        if section.get("anchor") == "references":
            continue
        heading = {word_key(w) for w in fold(section["heading"]).split()}
        if wanted & heading:
            return section
    return None
