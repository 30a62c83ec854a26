"""What a patient gets back for what they type, against the shipped articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from encyclopedia.search import Library, rebuild
from tests.conftest import write_article


def top(library: Library, query: str) -> str:
    results = library.search(query)
    assert results.hits, f"nothing found for {query!r}"
    return results.hits[0].slug


@pytest.mark.parametrize(
    "query",
    [
        "balloon kyphoplasty",
        "Osteoporosis - kyphoplasty",
        "kyphoplasty",
        "KYPHOPLASTY",
        "compression fracture - kyphoplasty",
        "Balloon Kyphoplasty",
    ],
)
def test_kyphoplasty_and_its_other_names_put_kyphoplasty_first(library: Library, query: str):
    assert top(library, query) == "kyphoplasty"


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("heart attack", "heart-attack"),
        ("myocardial infarction", "heart-attack"),
        ("Meniere disease", "menieres-disease"),
        ("meniere", "menieres-disease"),
        ("Ménière's disease", "menieres-disease"),
        ("alzheimers", "alzheimers-disease"),
        ("Alzheimer's", "alzheimers-disease"),
        ("5-HIAA test", "5-hiaa-test"),
        ("5-HIAA", "5-hiaa-test"),
        ("broken back", "compression-fractures-of-the-back"),
        ("slipped disc", "herniated-disk"),
        ("tummy ache", "abdominal-pain"),
        ("C-section", "cesarean-section"),
        ("COPD", "chronic-obstructive-pulmonary-disease"),
        ("anaemia", "anemia"),
        ("heart burn", "gastroesophageal-reflux-disease"),
        ("Sjogren", "sjogren-syndrome"),
        ("flu", "influenza"),
        ("strokes", "stroke"),
    ],
)
def test_names_patients_type_find_their_article_first(library: Library, query: str, slug: str):
    assert top(library, query) == slug


def test_hit_says_which_other_name_matched(library: Library):
    hit = library.search("balloon kyphoplasty").hits[0]
    assert (hit.title, hit.matched_name) == ("Kyphoplasty", "Balloon kyphoplasty")


def test_a_title_match_has_no_matched_name(library: Library):
    assert library.search("kyphoplasty").hits[0].matched_name is None


def test_a_name_shared_by_two_articles_finds_both_first(library: Library):
    slugs = [h.slug for h in library.search("bypass surgery").hits[:2]]
    assert sorted(slugs) == ["coronary-artery-bypass-surgery", "weight-loss-surgery"]


def test_snippet_highlights_the_words_as_written_not_their_stems(library: Library):
    snippet = library.search("compression fractures").hits[0].snippet
    assert "<mark" in snippet
    assert "fractures</mark>" in snippet or "fracture</mark>" in snippet
    assert "fractur</mark>" not in snippet


def test_accent_folding_highlights_the_accented_word(library: Library):
    hit = library.search("Meniere inner ear").hits[0]
    assert hit.slug == "menieres-disease"
    assert "<mark" in hit.snippet


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "*",
        "kypho*",
        "title:kyphoplasty",
        "AND",
        "OR NOT",
        "(",
        ")",
        "[a TO",
        "{",
        "-",
        " - ",
        "a^2",
        "~",
        "?",
        "\\",
        "'",
        "\x00\x01",
        "\ud800",
        "👍",
        "مرحبا",
        ":",
        "field:",
        "NOT kyphoplasty",
        "a AND (b OR",
        "*:*",
        "%",
        "<script>",
    ],
)
def test_query_language_characters_never_error(library: Library, query: str):
    results = library.search(query)
    assert results.total >= 0


def test_query_operators_are_just_words(library: Library):
    assert top(library, "kyphoplasty AND") == "kyphoplasty"
    assert top(library, "title:kyphoplasty") == "kyphoplasty"


def test_quoted_phrase_must_match_as_a_phrase(library: Library):
    phrase = library.search('"bone cement"')
    assert phrase.total >= 1
    assert {h.slug for h in phrase.hits} <= {
        "kyphoplasty",
        "vertebroplasty",
        "compression-fractures-of-the-back",
    }
    assert library.search('"cement bone"').total < phrase.total


def test_empty_and_blank_queries_return_nothing_without_error(library: Library):
    for query in ("", "   ", "\t\n", '""', "the of and"):
        assert library.search(query).total == 0


def test_very_long_query_is_cut_to_a_sane_length(library: Library):
    results = library.search("kyphoplasty " * 2000)
    assert len(results.query) <= 200
    assert results.hits[0].slug == "kyphoplasty"


def test_pagination_is_consistent(library: Library):
    first = library.search("disease", page=1, page_size=10)
    second = library.search("disease", page=2, page_size=10)
    assert first.total == second.total > 10
    assert len(first.hits) == 10
    assert not {h.slug for h in first.hits} & {h.slug for h in second.hits}
    beyond = library.search("disease", page=first.pages + 1)
    assert beyond.hits == () and beyond.total == first.total


def test_text_from_articles_is_escaped_in_snippets(content: Path, tmp_path: Path):
    write_article(
        content,
        "evil",
        "title: Evil <b>name</b>",
        'Summary with <script>alert("x")</script> and "><img src=x onerror=alert(1)> cement.\n',
    )
    rebuild(content, tmp_path / "index")
    hit = Library(tmp_path / "index").search("cement summary").hits[0]
    assert "<script" not in hit.snippet and "<img" not in hit.snippet


@pytest.mark.parametrize(
    "query",
    [
        "heart attack",
        "tummy ache",
        "hart attak",
        '"blood sugar" diet',
        "what is the treatment for high blood pressure",
        "bp",
        "zzqqxx",
        "type 2 diabetes in children",
    ],
)
def test_the_total_is_the_number_of_articles_whoosh_would_score(
    lexical_library: Library, library: Library, query: str
):
    """The total comes from the numpy ranking; it must equal what Whoosh's scoring finds,
    plus, when meaning is searched too, the articles only meaning found."""
    from whoosh import index as whoosh_index

    from encyclopedia.search.engine.compile import to_whoosh
    from encyclopedia.search.engine.schema import WEIGHTING
    from encyclopedia.search.query import build_query

    snapshot = lexical_library.snapshot()
    plan = lexical_library.plan(query)
    if plan.is_empty:
        assert lexical_library.search(query).total == 0
        assert library.search(query).total == 0
        return
    with whoosh_index.open_dir(str(snapshot.path)).searcher(weighting=WEIGHTING) as searcher:
        scored = len(searcher.search(to_whoosh(build_query(plan)), limit=None))
    assert snapshot.index.rank(build_query(plan), 10).total == scored
    assert lexical_library.search(query).total == scored
    found = library.search(query, 1, 50)
    by_meaning = [h for h in found.hits if "in other words" in " ".join(h.why)]
    assert found.total == scored + len(by_meaning)
