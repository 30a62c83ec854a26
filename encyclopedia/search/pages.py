"""What the article pages and the A–Z show, as typed data for the templates.

Pure functions of a build's catalog and stored pages: no engine, no web.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from encyclopedia.languages import ENGLISH, LANGUAGES, Language
from encyclopedia.normalize import slugify
from encyclopedia.search.documents import CatalogEntry, PageSection, StoredPage
from encyclopedia.search.errors import BadRequest

LETTERS = ENGLISH.letters


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
    summary_text: str  # plain: the page's meta description
    sections: tuple[PageSection, ...]
    related: tuple[CatalogEntry, ...]
    shares_names_with: tuple[CatalogEntry, ...]
    groups: tuple[tuple[str, str], ...] = ()  # each group's name and its shelf's key
    lang: str = ENGLISH.code
    translation_of: str | None = None
    # The same article in the other languages it is published in (hreflang, the switch).
    translations: tuple[CatalogEntry, ...] = ()

    @property
    def letter(self) -> str:
        """The A–Z section this article's title is filed under, as it appears in URLs."""
        return LANGUAGES[self.lang].initial(self.title).lower()


def letter_of(letter: str, language: Language = ENGLISH) -> str:
    """The A–Z section a URL names (BadRequest for one that is not a letter)."""
    normalised = letter.upper() if letter != "0-9" else letter
    if normalised not in language.letters:
        raise BadRequest("choose a letter from A to Z, or 0-9")
    return normalised


class SiteMap(Mapping[str, list[SiteMapEntry]]):
    """One language's A–Z: each letter's entries (a name, the articles it is the title
    of, those it is another name of), made when that letter is first asked for.

    Made from every name already folded and sorted (the suggestion table's rows: by key,
    titles first, then catalog order), so nothing is folded or sorted a second time; each
    name is filed under its key's section, and shown as its title spells it when it is
    one. A letter's names are the runs of rows whose keys fall in its section; counting
    each letter's entries is one pass over the keys. Making all letters at once took
    0.17 s of a worker's start at 50,000 articles; one letter takes a few milliseconds,
    when a patient first opens it. ``language``: its letters (Spanish has Ñ) and how
    titles sort."""

    def __init__(
        self,
        keys: Sequence[str],
        names_between: Callable[[int, int], Iterable[tuple[str, CatalogEntry, int]]],
        language: Language = ENGLISH,
    ):
        """``keys``: the sorted folded names; ``names_between(start, end)``: those rows
        as (key, article, the name's position among the article's names: 0 the title)."""
        self._language = language
        self._names_between = names_between
        self._runs: dict[str, list[tuple[int, int]]] = {letter: [] for letter in language.letters}
        self._counts = dict.fromkeys(language.letters, 0)
        self._made: dict[str, list[SiteMapEntry]] = {}
        self._lock = threading.Lock()
        section_of = language.section_of
        current: str | None = None
        start = 0
        previous: str | None = None
        for row, key in enumerate(keys):
            if key == previous:
                continue  # one entry per distinct key
            previous = key
            section = section_of(key)
            self._counts[section] += 1
            if section != current:
                if current is not None:
                    self._runs[current].append((start, row))
                current, start = section, row
        if current is not None:
            self._runs[current].append((start, len(keys)))

    def __getitem__(self, letter: str) -> list[SiteMapEntry]:
        found = self._made.get(letter)
        if found is None:
            runs = self._runs[letter]  # KeyError: not one of the language's letters
            with self._lock:
                found = self._made.get(letter)
                if found is None:
                    names = (row for run in runs for row in self._names_between(*run))
                    found = self._made[letter] = _entries(names, self._language)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def count(self, letter: str) -> int:
        """How many entries the letter has, without making them."""
        return self._counts[letter]


def _entries(
    names: Iterable[tuple[str, CatalogEntry, int]], language: Language
) -> list[SiteMapEntry]:
    """One letter's entries from its rows: one entry per key, its titles and the articles
    it is another name of, each sorted as the language sorts titles."""
    found: list[SiteMapEntry] = []
    sort_key = language.sort_key

    def by_title(entries: list[CatalogEntry]) -> tuple[CatalogEntry, ...]:
        # Nearly every name belongs to one article: nothing to sort.
        if len(entries) < 2:
            return tuple(entries)
        return tuple(sorted(entries, key=lambda e: sort_key(e.title)))

    def close(shown: str, titles: list, others: dict) -> None:
        titled = by_title(titles)
        see = by_title(
            [e for e in others.values() if e not in titled] if titled else [*others.values()]
        )
        found.append(SiteMapEntry(shown, titled, see))

    current: str | None = None
    shown = ""
    titles: list[CatalogEntry] = []
    others: dict[str, CatalogEntry] = {}
    for key, entry, position in names:
        if key != current:
            if current is not None:
                close(shown, titles, others)
            current, shown, titles, others = key, "", [], {}
        name = entry.names[position]
        if position == 0:
            shown = name  # a title's own spelling wins
            titles.append(entry)
        else:
            shown = shown or name
            others.setdefault(entry.slug, entry)
    if current is not None:
        close(shown, titles, others)
    return found


def site_map_page(
    letters: Mapping[str, list[SiteMapEntry]],
    letter: str,
    page: Any,
    size: int,
    language: Language = ENGLISH,
) -> SiteMapPage | None:
    """One page of a letter, or None past its last page (a page that is not a
    number is a :class:`BadRequest`)."""
    normalised = letter_of(letter, language)
    entries = letters[normalised]
    try:
        number = int(page) if page not in (None, "") else 1
    except (TypeError, ValueError):
        raise BadRequest("page must be a whole number") from None
    guides = tuple(
        (entries[at].name, entries[min(at + size, len(entries)) - 1].name)
        for at in range(0, len(entries), size)
    )
    if not 1 <= number <= max(1, len(guides)):  # a letter with no entries has one page
        return None
    at = (number - 1) * size
    return SiteMapPage(normalised, number, entries[at : at + size], guides)


def article_page(
    page: StoredPage,
    catalog: Mapping[str, CatalogEntry],
    named: Callable[[str], list[CatalogEntry]],
    versions: tuple[CatalogEntry, ...] = (),
) -> ArticlePage:
    """The page as stored in the index, with its related articles and the articles that
    share one of its other names (``named``: entries by name) looked up."""
    sharing: dict[str, CatalogEntry] = {}
    for name in page.also_called:
        for other in named(name):
            if other.slug != page.slug:
                sharing[other.slug] = other
    return ArticlePage(
        slug=page.slug,
        title=page.title,
        also_called=page.also_called,
        kind=page.kind,
        reviewed=page.reviewed,
        reviewed_by=page.reviewed_by,
        source=page.source,
        source_url=page.source_url,
        summary_html=page.summary_html,
        summary_text=page.summary_text,
        sections=page.sections,
        related=tuple(catalog[s] for s in page.related if s in catalog),
        shares_names_with=tuple(sharing.values()),
        groups=tuple((g, slugify(g)) for g in page.groups if slugify(g)),
        lang=page.lang,
        translation_of=page.translation_of,
        translations=tuple(v for v in versions if v.lang != page.lang),
    )
