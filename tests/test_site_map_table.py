"""The A–Z is made from the suggestion index's sorted names (no second fold and sort of
90,000 names at a worker's start); it must be exactly the A–Z the plain definition gives:
every name folded, grouped, filed under its letter and sorted."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encyclopedia.normalize import fold, initial, sort_key
from encyclopedia.search import LETTERS, Library
from encyclopedia.search.documents import CatalogEntry
from encyclopedia.search.pages import SiteMap, SiteMapEntry
from encyclopedia.search.suggestions import SuggestionIndex


def plain_site_map(catalog: list[CatalogEntry]) -> dict[str, list[SiteMapEntry]]:
    """The A–Z by its definition (how it was made until 2026-12-03)."""
    grouped: dict[str, list[Any]] = {}
    for entry in catalog:
        for position, name in enumerate(entry.names):
            key = fold(name)
            if not key:
                continue
            slot = grouped.setdefault(key, [name, [], []])
            if position == 0:
                slot[0] = name
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


def made(catalog: list[CatalogEntry]) -> dict[str, list[SiteMapEntry]]:
    """The A–Z as a worker makes it, every letter, with each letter's count checked."""
    table = SuggestionIndex(catalog)
    site_map = SiteMap(table.folded_names(), table.names_between)
    letters = dict(site_map.items())
    assert {letter: site_map.count(letter) for letter in site_map} == {
        letter: len(entries) for letter, entries in letters.items()
    }
    return letters


@pytest.mark.parametrize("corpus", ["shipped", "medlineplus"])
def test_the_a_to_z_is_the_plain_definitions(corpus: str, request):
    if corpus == "shipped":
        snapshot = request.getfixturevalue("library").snapshot()
    else:
        snapshot = Library(request.getfixturevalue("medlineplus")[1]).snapshot()
    # The English A–Z is made of the English articles only (the shipped content has
    # Spanish ones too, with an A–Z of their own: test_translations.py).
    catalog = [e for e in snapshot.catalog.values() if e.lang == "en"]
    assert snapshot.site_map == plain_site_map(catalog) == made(catalog)
    assert sum(map(len, snapshot.site_map.values())) > len(catalog)


names = st.sampled_from(
    [
        "Heart attack",
        "heart-attack",
        "MI",
        "Mi",
        "Ménière",
        "Meniere",
        "5-HIAA",
        "!!",
        "Zoster",
        "Ángel",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(names, st.lists(names, max_size=3)), max_size=8))
def test_shared_and_clashing_names_file_as_the_definition_says(articles):
    catalog = [
        CatalogEntry(f"a{i}", title, tuple(others), None, "")
        for i, (title, others) in enumerate(articles)
    ]
    assert made(catalog) == plain_site_map(catalog)
