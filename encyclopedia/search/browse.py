"""Browsing by kind (conditions, tests, ...) and by group (Lungs and Breathing, ...):
shelves made from a build's catalog, as typed data for the templates.

Pure functions of the catalog: no engine, no web. A shelf is paged like a letter of
the A–Z, so a kind with 40,000 imported topics is still a page a phone can open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from encyclopedia.languages import ENGLISH, Language
from encyclopedia.normalize import slugify
from encyclopedia.search.documents import CatalogEntry
from encyclopedia.search.errors import BadRequest


def translatable(text: str) -> str:
    """Marks interface text for the message catalogues (``pybabel extract -k
    translatable``); the web layer translates it when it shows it."""
    return text


# How each kind the articles use is named as a shelf; a kind not here is shown as
# written, capitalised. The search filter uses the same names.
KIND_LABELS = {
    "condition": translatable("Conditions"),
    "symptom": translatable("Symptoms"),
    "injury": translatable("Injuries"),
    "test": translatable("Tests"),
    "procedure": translatable("Procedures and surgery"),
    "topic": translatable("Health topics"),
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind[:1].upper() + kind[1:])


@dataclass(frozen=True)
class Shelf:
    key: str  # its part of the address: the kind, or the group's slug
    label: str
    entries: tuple[CatalogEntry, ...]  # by title


@dataclass(frozen=True)
class Shelves:
    kinds: dict[str, Shelf]  # in KIND_LABELS order, then by name
    groups: dict[str, Shelf]  # by label


def shelves_of(catalog: Iterable[CatalogEntry], language: Language = ENGLISH) -> Shelves:
    """The kinds and groups of one language's articles, each sorted as that language
    sorts."""
    sort_key = language.sort_key
    kinds: dict[str, list[CatalogEntry]] = {}
    groups: dict[str, tuple[str, list[CatalogEntry]]] = {}
    for entry in catalog:
        if entry.kind:
            kinds.setdefault(entry.kind, []).append(entry)
        for group in entry.groups:
            key = slugify(group)
            if key:
                groups.setdefault(key, (group, []))[1].append(entry)
    order = list(KIND_LABELS)

    def by_title(entries: list[CatalogEntry]) -> tuple[CatalogEntry, ...]:
        return tuple(sorted(entries, key=lambda e: sort_key(e.title)))

    return Shelves(
        kinds={
            kind: Shelf(kind, kind_label(kind), by_title(kinds[kind]))
            for kind in sorted(
                kinds, key=lambda k: (order.index(k) if k in order else len(order), k)
            )
        },
        groups={
            key: Shelf(key, label, by_title(entries))
            for key, (label, entries) in sorted(groups.items(), key=lambda g: sort_key(g[1][0]))
        },
    )


@dataclass(frozen=True)
class ShelfPage:
    shelf: Shelf
    page: int
    pages: int
    entries: tuple[CatalogEntry, ...]


def shelf_page(shelf: Shelf, page: Any, size: int) -> ShelfPage | None:
    """One page of a shelf, or None past its last page (a page that is not a number, or
    is below 1, is a :class:`BadRequest`)."""
    try:
        number = int(page) if page not in (None, "") else 1
    except (TypeError, ValueError):
        raise BadRequest("page must be a whole number") from None
    if number < 1:
        raise BadRequest("page must be 1 or more")
    pages = max(1, -(-len(shelf.entries) // size))
    if number > pages:
        return None
    at = (number - 1) * size
    return ShelfPage(shelf, number, pages, shelf.entries[at : at + size])
