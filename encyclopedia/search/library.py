"""The one place that opens the published index and answers questions about it.

The web views, the command line and the benchmarks all ask a :class:`Library`; none
of them touches Whoosh. A library holds one :class:`Snapshot` per published build:
opened once, searched by many requests, and swapped for a new one the moment
``CURRENT`` changes, so a reindex is picked up without a restart.
"""

from __future__ import annotations

import difflib
import html
import json
import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from whoosh import highlight
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from encyclopedia.normalize import fold, initial, sort_key
from encyclopedia.search.documents import CatalogEntry, file_digest
from encyclopedia.search.publishing import (
    CATALOG,
    CURRENT,
    current_build,
    writer_running,
)
from encyclopedia.search.query import build_query, clean_query, plan_query
from encyclopedia.search.schema import analyze, name_key

LETTERS = (*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0-9")
MAX_PAGE = 100


class _EarlySentenceScorer(highlight.FragmentScorer):
    """More distinct matched words first; among equals, the earlier sentence.

    Whoosh's own scorer leaves ties to chance and so often quotes the end of an
    article; the opening sentences are the ones that say what the article is about.
    """

    def __call__(self, fragment: highlight.Fragment) -> float:
        distinct = len(fragment.matched_terms)
        return distinct * 100 + len(fragment.matches) - fragment.startchar / 1_000_000


class IndexUnavailable(Exception):
    """No index has been published, or the published one cannot be opened."""


class BadRequest(ValueError):
    """A parameter a person or program sent that cannot be used; the message says why."""


@dataclass(frozen=True)
class Hit:
    slug: str
    title: str
    url: str
    matched_name: str | None
    snippet: str  # HTML: escaped text with <mark> around matched words

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "url": self.url,
            "matched_name": self.matched_name,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class Results:
    query: str
    total: int
    page: int
    page_size: int
    hits: tuple[Hit, ...]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "results": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True)
class SiteMapEntry:
    """One line of the A–Z: a name, the articles it is the title of, and those it points to."""

    name: str
    letter: str
    articles: tuple[CatalogEntry, ...]  # this name is their title
    see: tuple[CatalogEntry, ...]  # this name is another name of these


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
    healthy: bool
    index_articles: int
    content_articles: int
    built: str | None
    build: str | None
    reindex_running: bool
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Snapshot:
    """One published build, opened once. Searchers are per thread, reused across requests."""

    def __init__(self, path: Path):
        self.path = path
        self.version = path.name
        try:
            with open(path / CATALOG, encoding="utf-8") as handle:
                meta = json.load(handle)
            self.index = whoosh_index.open_dir(str(path))
        except (OSError, ValueError, whoosh_index.IndexError) as exc:
            raise IndexUnavailable(f"the index in {path} cannot be opened: {exc}") from exc
        except Exception as exc:  # Whoosh raises many kinds on a damaged folder.
            raise IndexUnavailable(f"the index in {path} cannot be opened: {exc!r}") from exc
        self.built: str = meta.get("built", "")
        self.catalog: dict[str, CatalogEntry] = {
            entry["slug"]: CatalogEntry.from_dict(entry) for entry in meta["articles"]
        }
        self._local = threading.local()

    def searcher(self) -> Searcher:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self.index.searcher()
            self._local.searcher = searcher
        return searcher

    @cached_property
    def names_by_key(self) -> dict[str, list[tuple[str, CatalogEntry]]]:
        table: dict[str, list[tuple[str, CatalogEntry]]] = {}
        for entry in self.catalog.values():
            for name in entry.names:
                table.setdefault(name_key(name), []).append((name, entry))
        return table

    @cached_property
    def site_map(self) -> dict[str, list[SiteMapEntry]]:
        grouped: dict[str, dict[str, Any]] = {}
        for entry in self.catalog.values():
            for position, name in enumerate(entry.names):
                key = fold(name)
                if not key:
                    continue
                slot = grouped.setdefault(key, {"name": name, "articles": [], "see": []})
                if position == 0:
                    slot["name"] = name  # a title's own spelling wins
                    slot["articles"].append(entry)
                else:
                    slot["see"].append(entry)
        letters: dict[str, list[SiteMapEntry]] = {letter: [] for letter in LETTERS}
        for slot in grouped.values():
            titles = tuple(sorted(slot["articles"], key=lambda e: sort_key(e.title)))
            see = tuple(
                sorted(
                    {e.slug: e for e in slot["see"] if e not in titles}.values(),
                    key=lambda e: sort_key(e.title),
                )
            )
            letter = initial(slot["name"])
            letters[letter].append(SiteMapEntry(slot["name"], letter, titles, see))
        for entries in letters.values():
            entries.sort(key=lambda e: sort_key(e.name))
        return letters

    @cached_property
    def folded_names(self) -> dict[str, list[CatalogEntry]]:
        table: dict[str, list[CatalogEntry]] = {}
        for entry in self.catalog.values():
            for name in entry.names:
                table.setdefault(fold(name), []).append(entry)
        return table

    def close(self) -> None:
        self.index.close()


class Library:
    """Answers every question about the published encyclopedia."""

    def __init__(
        self,
        index_dir: Path,
        *,
        max_query_length: int = 200,
        page_size: int = 10,
        max_page_size: int = 50,
    ):
        self.index_dir = Path(index_dir)
        self.max_query_length = max_query_length
        self.page_size = page_size
        self.max_page_size = max_page_size
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._seen: tuple[int, int, int] | None = None

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
            path = current_build(self.index_dir)
            if path is None:
                raise IndexUnavailable(
                    f"no index has been built in {self.index_dir}; run 'encyclopedia reindex'"
                )
            fresh = Snapshot(path)
            self._snapshot, self._seen = fresh, seen
            return fresh

    @property
    def version(self) -> str:
        return self.snapshot().version

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

    def search(self, text: str, page: int = 1, page_size: int | None = None) -> Results:
        size = page_size or self.page_size
        cleaned = clean_query(text or "", self.max_query_length)
        plan = plan_query(cleaned)
        if plan.is_empty:
            return Results(cleaned, 0, page, size, ())
        snapshot = self.snapshot()
        searcher = snapshot.searcher()
        results = searcher.search(build_query(plan), limit=page * size, terms=True)
        # Whole sentences read better than windows cut mid-phrase.
        results.fragmenter = highlight.SentenceFragmenter(maxchars=320, charlimit=None)
        results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
        results.scorer = _EarlySentenceScorer()
        hits = []
        for hit in results[(page - 1) * size : page * size]:
            slug = hit["slug"]
            entry = snapshot.catalog.get(slug)
            snippet = hit.highlights("body", top=2) or _summary_snippet(hit)
            hits.append(
                Hit(
                    slug=slug,
                    title=hit["title"],
                    url=f"/article/{slug}",
                    matched_name=_matched_name(plan.key, plan.all_terms, entry),
                    snippet=snippet,
                )
            )
        return Results(cleaned, len(results), page, size, tuple(hits))

    # -- pages -----------------------------------------------------------------------
    def article(self, slug: str) -> ArticlePage | None:
        snapshot = self.snapshot()
        if slug not in snapshot.catalog:
            return None
        stored = snapshot.searcher().document(slug=slug)
        if stored is None:
            return None
        page = stored["page"]
        entry = snapshot.catalog[slug]
        sharing: dict[str, CatalogEntry] = {}
        for name in entry.also_called:
            for other in snapshot.folded_names.get(fold(name), ()):
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
            related=tuple(snapshot.catalog[s] for s in page["related"] if s in snapshot.catalog),
            shares_names_with=tuple(sharing.values()),
        )

    def letters(self) -> dict[str, int]:
        """Each A–Z section with how many entries it has."""
        return {letter: len(entries) for letter, entries in self.snapshot().site_map.items()}

    def site_map(self, letter: str) -> list[SiteMapEntry]:
        normalised = letter.upper() if letter != "0-9" else letter
        if normalised not in LETTERS:
            raise BadRequest("choose a letter from A to Z, or 0-9")
        return self.snapshot().site_map[normalised]

    def close_matches(self, text: str, limit: int = 5) -> list[CatalogEntry]:
        """Articles whose names look like ``text``: for a mistyped address or an empty search."""
        snapshot = self.snapshot()
        wanted = fold(text.replace("-", " "))
        if not wanted:
            return []
        found: dict[str, CatalogEntry] = {}
        for name in difflib.get_close_matches(wanted, snapshot.folded_names, n=limit, cutoff=0.6):
            for entry in snapshot.folded_names[name]:
                found.setdefault(entry.slug, entry)
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
            return Health(False, 0, len(on_disk), None, None, running, error=str(exc))
        catalog = snapshot.catalog
        missing = sorted(set(on_disk) - set(catalog))
        extra = sorted(set(catalog) - set(on_disk))
        stale = []
        for slug in sorted(set(on_disk) & set(catalog)):
            try:
                if file_digest(on_disk[slug]) != catalog[slug].digest:
                    stale.append(slug)
            except OSError:
                stale.append(slug)
        healthy = not (missing or extra or stale)
        return Health(
            healthy,
            len(catalog),
            len(on_disk),
            snapshot.built,
            snapshot.version,
            running,
            missing,
            stale,
            extra,
        )


def _summary_snippet(hit: Any) -> str:
    """Used when the match was in a name, not the body: the summary says what the article is."""
    text = hit["page"]["summary_text"]
    if len(text) > 220:
        text = text[:220].rsplit(" ", 1)[0] + " …"
    return html.escape(text)


def _matched_name(key: str, terms: frozenset[str], entry: CatalogEntry | None) -> str | None:
    """The other name a hit was found through, if the title alone would not explain it."""
    if entry is None or not entry.also_called:
        return None
    if key and name_key(entry.title) == key:
        return None
    for name in entry.also_called:
        if key and name_key(name) == key:
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
