"""Suggestions for a misspelled start ("pnue", "diabts"): the table of name starts gives
exactly what comparing every name gave, at a fraction of the cost."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import OSA

from encyclopedia.normalize import fold
from encyclopedia.search import Library
from encyclopedia.search.suggestions import SuggestionIndex
from encyclopedia.search.words import key_of_folded, name_key


@pytest.fixture(scope="module", params=["shipped", "medlineplus"])
def names(request) -> SuggestionIndex:
    """The shipped articles' names, and the 1,017 MedlinePlus topics' (3,000 names,
    many sharing a start: where ties between names are decided)."""
    if request.param == "shipped":
        return request.getfixturevalue("library").snapshot().suggestions
    _, index = request.getfixturevalue("medlineplus")
    return Library(index).snapshot().suggestions


def every_name(index: SuggestionIndex, typed: str, count: int) -> list[tuple[str, str]]:
    """The near misses as first written: each name's start compared, one by one."""
    keys = index.folded_names()
    allowed = 1 if len(typed) <= 5 else 2
    width = len(typed)
    close = process.extract(
        typed,
        keys,
        scorer=OSA.distance,
        processor=lambda s: s[:width],
        score_cutoff=allowed,
        limit=count,
    )
    rows = [index._row(keys[i], index._whole_codes[i]) for _, _, i in close]
    rows.sort(key=lambda r: (OSA.distance(typed, r[0][:width]), r[1], len(r[0])))
    return [(r[2], r[3].slug) for r in rows]


def test_misspelled_starts_find_what_comparing_every_name_found(names, library):
    index = names
    for typed in ("pnue", "astma", "diabts", "hart", "kyfoplasty", "ostoeporosis", "zzzz"):
        found = [(r[2], r[3].slug) for r in index.near_misses(typed, 20)]
        assert found == every_name(index, typed, 20), typed
    assert [s.name for s in library.suggest("pnue")][:1] == ["Pneumonia"]
    assert all(len(index.near_misses(t, 5)) <= 5 for t in ("pnue", "a" * 30))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_typo_of_any_name_gives_the_same_suggestions(names, data):
    index = names
    names = index.folded_names()
    name = data.draw(st.sampled_from(names))
    width = data.draw(st.integers(4, 16))
    typed = list(name[:width].ljust(4, "x"))
    at = data.draw(st.integers(0, len(typed) - 1))
    typed[at] = data.draw(st.sampled_from("aeioqxz"))
    typed = "".join(typed)
    count = data.draw(st.sampled_from([1, 5, 20]))
    found = [(r[2], r[3].slug) for r in index.near_misses(typed, count)]
    assert found == every_name(index, typed, count)


@given(st.text(max_size=40))
def test_folding_twice_changes_nothing_so_folded_names_key_the_same(name: str):
    """The name tables key the names they already hold folded without folding again."""
    assert fold(fold(name)) == fold(name)
    assert key_of_folded(fold(name)) == name_key(name)
