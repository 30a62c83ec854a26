"""Browsing by kind and by group, and filtering results by kind: from the articles'
front matter (and the MedlinePlus importer's groups) to the pages a patient reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from encyclopedia.articles import read_article
from encyclopedia.importing import import_medlineplus
from encyclopedia.search import BadRequest, Library, rebuild
from encyclopedia.search.browse import shelves_of
from encyclopedia.search.documents import CatalogEntry
from tests.conftest import write_article


def entry(slug: str, kind: str | None, *groups: str) -> CatalogEntry:
    return CatalogEntry(slug, slug.replace("-", " ").capitalize(), (), kind, "", groups=groups)


def test_shelves_are_ordered_and_a_group_is_one_shelf_however_it_is_written():
    shelves = shelves_of(
        [
            entry("zoster", "condition", "Infections", "Skin, Hair and Nails"),
            entry("a1c", "test", "Diagnostic Tests"),
            entry("asthma", "condition", "Lungs and Breathing"),
            entry("orphan", None),
            entry("gout", "arthropathy"),
        ]
    )
    assert list(shelves.kinds) == ["condition", "test", "arthropathy"]
    assert [e.slug for e in shelves.kinds["condition"].entries] == ["asthma", "zoster"]
    assert shelves.kinds["arthropathy"].label == "Arthropathy"
    assert list(shelves.groups) == [
        "diagnostic-tests",
        "infections",
        "lungs-and-breathing",
        "skin-hair-and-nails",
    ]
    assert shelves.groups["skin-hair-and-nails"].label == "Skin, Hair and Nails"


def test_front_matter_groups_are_kept_once_each(content: Path):
    write_article(
        content,
        "asthma",
        "title: Asthma\nkind: condition\n"
        'groups: [Lungs and Breathing, lungs and breathing, "Ear, Nose and Throat"]',
    )
    index = content.parent / "index"
    rebuild(content, index)
    library = Library(index)
    assert list(library.shelves().groups) == ["ear-nose-and-throat", "lungs-and-breathing"]
    page = library.article("asthma")
    assert page.groups == (
        ("Lungs and Breathing", "lungs-and-breathing"),
        ("Ear, Nose and Throat", "ear-nose-and-throat"),
    )


def test_the_medlineplus_importer_keeps_each_topics_groups(tmp_path: Path):
    topics = [
        {
            "title": "A1C",
            "url": "https://medlineplus.gov/a1c.html",
            "content": "A1C is a blood test.",
            "synonyms": ["HbA1C"],
            "groups": ["Diagnostic Tests", "Diabetes Mellitus", "Diagnostic Tests"],
        }
    ]
    source = tmp_path / "topics.json"
    source.write_text(json.dumps(topics))
    import_medlineplus(source, tmp_path / "content")
    article, _ = read_article(tmp_path / "content" / "a1c.md")
    assert article.groups == ("Diagnostic Tests", "Diabetes Mellitus")


def test_the_browse_pages_list_every_kind_and_group_of_the_shipped_articles(client, library):
    html = client.get("/browse").text
    shelves = library.shelves()
    assert len(shelves.kinds) == 5 and len(shelves.groups) >= 15
    for shelf in (*shelves.kinds.values(), *shelves.groups.values()):
        label = shelf.label.replace("'", "&#39;")
        assert f'>{label}</a> <span class="count">({len(shelf.entries)})' in html
    tests = client.get("/browse/kind/test").text
    assert "<h1>Tests</h1>" in tests and 'href="/article/a1c-test"' in tests
    assert 'href="/article/asthma"' not in tests
    lungs = client.get("/browse/group/lungs-and-breathing").text
    assert 'href="/article/asthma"' in lungs and "· Conditions" in lungs
    assert 'href="/browse"' in client.get("/").text


def test_an_article_links_to_its_kind_and_groups(client):
    html = client.get("/article/kyphoplasty").text
    shelves = re.search(r'<p class="article-shelves">(.*?)</p>', html, re.S).group(1)
    assert 'href="/browse/kind/procedure">Procedures and surgery</a>' in shelves
    assert 'href="/browse/group/bones-joints-and-muscles">Bones, Joints and Muscles</a>' in shelves
    data = client.get("/api/articles/kyphoplasty").get_json()
    assert data["groups"] == ["Bones, Joints and Muscles", "Surgery and Rehabilitation"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/browse/group/no-such-group", 404),
        ("/browse/shelf/tests", 404),
        ("/browse/kind/test?page=two", 400),
        ("/browse/kind/test?page=0", 400),
        ("/browse/kind/test?page=-3", 400),
    ],
)
def test_browse_addresses_that_lead_nowhere_say_so(client, path: str, status: int):
    assert client.get(path).status_code == status


def test_a_page_past_the_end_of_a_shelf_goes_to_its_last_page(client):
    response = client.get("/browse/kind/test?page=9")
    assert response.status_code == 302 and response.headers["Location"] == "/browse/kind/test"


def test_results_are_filtered_by_kind_in_the_page_and_the_api(client, library):
    everything = library.search("blood")
    kinds = {library.article(h.slug).kind for h in everything.hits}
    assert len(kinds) > 1
    tests = library.search("blood", kind="test")
    assert tests.hits and all(library.article(h.slug).kind == "test" for h in tests.hits)
    assert tests.total < everything.total and tests.kind == "test"
    # The order among tests is the unfiltered order among tests.
    unfiltered = [h.slug for h in library.search("blood", 1, 50).hits]
    assert [h.slug for h in tests.hits] == [
        s for s in unfiltered if s in {h.slug for h in tests.hits}
    ]

    html = client.get("/search?q=blood&kind=test").text
    nav = re.search(r'<nav class="kind-filter".*?</nav>', html, re.S).group(0)
    assert '<span aria-current="page">Tests</span>' in nav
    assert 'href="/search?q=blood">All articles</a>' in nav
    assert 'rel="canonical" href="http://localhost/search?q=blood&amp;kind=test"' in html
    api = client.get("/api/search?q=blood&kind=test").get_json()
    assert api["kind"] == "test" and [r["slug"] for r in api["results"]] == [
        h.slug for h in tests.hits
    ]


def test_an_unknown_kind_is_a_clear_400_and_a_filter_that_finds_nothing_says_so(client, library):
    with pytest.raises(BadRequest, match="kind must be one of"):
        library.search("blood", kind="tset")
    assert client.get("/search?q=blood&kind=tset").status_code == 400
    api = client.get("/api/search?q=blood&kind=tset")
    assert api.status_code == 400 and "kind must be one of" in api.get_json()["message"]
    empty = client.get("/search?q=kyphoplasty&kind=test").text
    assert (
        "No tests matched." in empty and 'href="/search?q=kyphoplasty">Search all articles' in empty
    )


def test_a_filtered_search_that_finds_nothing_is_not_counted_as_failed(ann, desk):
    ann.get("/search?q=kyphoplasty&kind=test")
    ann.get("/search?q=zzqqxx")
    searches = ann.get("/librarian/searches").text
    assert "zzqqxx</th>" in searches and "kyphoplasty</th>" not in searches
