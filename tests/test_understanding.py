"""Search that understands patients: each behaviour, on the shipped articles."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from encyclopedia.cli import cli
from encyclopedia.search import Library, rebuild
from encyclopedia.search.spelling import american
from tests.conftest import SHIPPED_CONTENT, write_article


@pytest.fixture
def own_library(tmp_path: Path, content_copy: Path) -> Library:
    """A library over a private copy of the content, whose thesaurus a test may change."""
    rebuild(content_copy, tmp_path / "index")
    return Library(tmp_path / "index", thesaurus=content_copy / "thesaurus.yaml")


def test_a_misspelling_is_searched_as_corrected_and_says_so(library: Library):
    results = library.search("diabetis")
    assert results.searched == "diabetes"
    assert results.hits[0].slug in {"type-2-diabetes", "type-1-diabetes"}


def test_hart_attack_is_read_as_heart_attack(library: Library):
    results = library.search("hart attack")
    assert results.searched == "heart attack"
    assert results.hits[0].slug == "heart-attack"


def test_correction_neither_doubles_nor_drops_words(library: Library):
    results = library.search("osteoperosis kyphoplasty")
    assert results.searched == "osteoporosis kyphoplasty"


def test_exact_search_keeps_the_words_and_offers_did_you_mean(library: Library):
    results = library.search("diabetis", exact=True)
    assert results.searched is None
    assert results.did_you_mean == "diabetes"


def test_correctly_spelled_queries_are_not_corrected(library: Library):
    for query in ("asthma", "heart attack", "kyphoplasty risks", "vitamin d"):
        results = library.search(query)
        assert results.searched is None and results.did_you_mean is None, query


@pytest.mark.parametrize(
    ("british", "american_spelling"),
    [
        ("anaemia", "anemia"),
        ("oesophagus", "esophagus"),
        ("haemorrhage", "hemorrhage"),
        ("paediatric", "pediatric"),
        ("tumour", "tumor"),
        ("immunisation", "immunization"),
        ("paralysed", "paralyzed"),
        ("centre", "center"),
        ("diarrhoea", "diarrhea"),
        ("disc", "disk"),
        ("caesarean", "cesarean"),
        ("coeliac", "celiac"),
    ],
)
def test_british_and_american_spellings_meet(british: str, american_spelling: str):
    assert american(british) == american(american_spelling)


def test_british_spelling_finds_the_american_article(library: Library):
    assert library.search("caesarean section").hits[0].slug == "cesarean-section"
    assert library.search("oesophagus reflux").hits[0].slug == "gastroesophageal-reflux-disease"


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("gall stones", "gallstones"),
        ("kidneystones", "kidney-stones"),
        ("heart burn", "gastroesophageal-reflux-disease"),
    ],
)
def test_words_written_apart_or_together_meet(library: Library, query: str, slug: str):
    assert library.search(query).hits[0].slug == slug


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("what is lupus", "lupus"),
        ("symptoms of a stroke", "stroke"),
        ("how do you get lyme disease", "lyme-disease"),
    ],
)
def test_questions_find_the_article_about_their_subject(library: Library, query, slug):
    assert library.search(query).hits[0].slug == slug


def test_subject_and_part_lead_to_the_section(library: Library):
    hit = library.search("kyphoplasty risks").hits[0]
    assert hit.slug == "kyphoplasty" and hit.section == "Risks"
    assert hit.anchor == "risks"
    assert "cement" in hit.snippet  # from the Risks section, not the summary


def test_a_lay_term_says_what_it_was_translated_to(library: Library):
    hit = library.search("high bp").hits[0]
    assert hit.slug == "high-blood-pressure"
    assert hit.why == ("bp = blood pressure",)


def test_thesaurus_changes_take_effect_without_a_reindex(own_library: Library, content_copy: Path):
    assert own_library.search("zorbly").total == 0
    thesaurus = content_copy / "thesaurus.yaml"
    text = thesaurus.read_text(encoding="utf-8")
    thesaurus.write_text(
        text.replace("leads_to:\n", "leads_to:\n  zorbly: [kyphoplasty]\n"), encoding="utf-8"
    )
    os.utime(thesaurus, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    hit = own_library.search("zorbly").hits[0]
    assert hit.slug == "kyphoplasty" and hit.why == ("zorbly = kyphoplasty",)


def test_a_thesaurus_with_errors_is_reported_and_not_used(
    own_library: Library, content_copy: Path, tmp_path: Path
):
    thesaurus = content_copy / "thesaurus.yaml"
    assert own_library.search("high bp").hits[0].why
    thesaurus.write_text("same:\n  - [womb]\nleads_to: [oops\n", encoding="utf-8")
    # The last good thesaurus stays in force.
    assert own_library.search("high bp").hits[0].why
    result = CliRunner().invoke(
        cli, ["--content-dir", str(content_copy), "--index-dir", str(tmp_path / "index"), "check"]
    )
    assert result.exit_code == 1 and "thesaurus.yaml" in result.output


def test_thesaurus_entries_are_validated(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma")
    (content / "thesaurus.yaml").write_text(
        "same:\n  - [lonely]\n  - [a, b]\nleads_to:\n  bp: [blood pressure]\n  x: 5\ncolours: []\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["--content-dir", str(content), "--index-dir", str(tmp_path / "ix"), "check"]
    )
    assert "['lonely'] must be a list of two or more" in result.output
    assert "'x' must lead to a list of terms" in result.output
    assert "unknown part 'colours'" in result.output


def test_shipped_thesaurus_and_lay_words_are_valid():
    from encyclopedia.search.thesaurus import LAY_WORDS, read_thesaurus

    _, problems = read_thesaurus(SHIPPED_CONTENT / "thesaurus.yaml")
    assert problems == []
    lay, problems = read_thesaurus(LAY_WORDS)
    assert problems == [] and len(lay.entries) > 100


def test_a_content_folder_without_a_thesaurus_still_understands_lay_words(
    content_copy: Path, tmp_path: Path
):
    """A fresh folder (no thesaurus.yaml) gets the shipped lay words; the librarians'
    file adds to them, and an empty list drops a shipped entry."""
    (content_copy / "thesaurus.yaml").unlink()
    rebuild(content_copy, tmp_path / "fresh")
    thesaurus = content_copy / "thesaurus.yaml"
    library = Library(tmp_path / "fresh", thesaurus=thesaurus, semantic=False)
    # Shipped: "htn" leads to hypertension, another name of High blood pressure.
    assert library.search("htn").hits[0].slug == "high-blood-pressure"
    bare = Library(tmp_path / "fresh", thesaurus=thesaurus, semantic=False, lay_words=False)
    assert bare.search("htn").hits == ()
    thesaurus.write_text("leads_to:\n  htn: []\n  podagra: [gout]\n", encoding="utf-8")
    assert library.search("htn").hits == ()
    assert library.thesaurus.get().entries[("podagra",)] == ["gout"]
    assert library.thesaurus.get().entries[("tummy",)]  # the rest of the shipped words stay


def test_suggestions_complete_titles_and_other_names(library: Library):
    names = [(s.name, s.slug) for s in library.suggest("kypho")]
    assert names[0] == ("Kyphoplasty", "kyphoplasty")
    balloon = [(s.name, s.title) for s in library.suggest("balloon")]
    assert ("Balloon kyphoplasty", "Kyphoplasty") in balloon


def test_suggestions_match_later_words_and_tolerate_typos(library: Library):
    assert "Heart attack" in [s.name for s in library.suggest("attack")]
    assert "Kyphoplasty" in [s.name for s in library.suggest("kyphplasty")]
    assert library.suggest("kyp")[0].name == "Kyphoplasty"
    assert library.suggest("xqz") == []  # short and no prefix: no guessing


def test_suggestions_are_at_most_ten(library: Library):
    assert len(library.suggest("a")) == 10


def test_api_suggest_returns_names_with_their_articles(client):
    data = client.get("/api/suggest?q=menier").get_json()
    assert data["query"] == "menier"
    first = data["suggestions"][0]
    assert first == {
        "name": "Ménière disease",
        "title": "Ménière disease",
        "slug": "menieres-disease",
        "url": "/article/menieres-disease",
    }
    assert client.get("/api/suggest?q=").get_json()["suggestions"] == []


def test_results_page_says_showing_results_for_and_search_instead(client):
    html = client.get("/search?q=diabetis").get_data(as_text=True)
    assert "Showing results for <strong>diabetes</strong>" in html
    assert 'href="/search?q=diabetis&amp;exact=1"' in html
    exact = client.get("/search?q=diabetis&exact=1").get_data(as_text=True)
    assert "Did you mean" in exact and 'href="/search?q=diabetes"' in exact


def test_results_page_links_to_the_asked_section(client):
    html = client.get("/search?q=kyphoplasty+risks").get_data(as_text=True)
    assert 'href="/article/kyphoplasty#risks"' in html and "Kyphoplasty: Risks" in html


def test_api_reports_corrections(client):
    data = client.get("/api/search?q=diabetis").get_json()
    assert data["corrected_query"] == "diabetes" and data["did_you_mean"] is None


def test_no_query_form_ever_errors(library: Library):
    for query in (
        "of the",
        "the of a",
        "a of",
        "xxxxxxxx yyyyyyy",
        "zz" * 80,
        "ALL",
        "what is",
        "of of of",
        "-- of --",
        '"of the"',
        "héllo wörld",
    ):
        library.search(query)
        library.suggest(query)


@pytest.fixture(scope="module")
def medline_names(medlineplus):
    library = Library(medlineplus[1])
    return library.snapshot().suggestions, library.all_entries()


@pytest.mark.parametrize("prefix", ["a", "attack", "disease", "ca", "s", "type 2", "syn"])
def test_later_word_starts_find_every_name_with_such_a_word(medline_names, prefix: str):
    """Names found from a later word are looked up by (row, offset), not by a string of
    their own: checked here against every name of the 1,017 MedlinePlus topics."""
    from encyclopedia.normalize import fold

    index, entries = medline_names
    expected = {
        (name, entry.slug)
        for entry in entries
        for name in entry.names
        if any(" ".join(fold(name).split()[i:]).startswith(prefix) for i in range(1, 20))
    }
    rows = index.named_from_a_later_word(prefix)
    assert expected and {(name, entry.slug) for _, _, name, entry in rows} == expected


def test_the_name_table_finds_articles_by_folded_name_and_by_likeness(medline_names):
    index, entries = medline_names
    by_slug = {e.slug: e for e in entries}
    heart_attack = [e.slug for e in index.entries_named("heart attack")]
    assert heart_attack and all("Heart Attack" in by_slug[s].names for s in heart_attack)
    assert index.entries_named("heart attac") == []
    assert index.resembling("heart atack", limit=3)[0].slug in heart_attack
    assert index.resembling("zzzzqqqq") == [] and index.resembling("") == []


def test_cached_results_are_bounded_by_their_size_not_their_number(tmp_path: Path):
    index = tmp_path / "index"
    rebuild(SHIPPED_CONTENT, index)
    library = Library(index)
    library.kept_results.max_size = 60_000
    words = ["pain", "heart", "bone", "fever", "back", "blood", "child", "skin", "surgery"]
    for word in words:
        library.search(word, 1, 50)
    assert 0 < len(library.kept_results) < len(words) and library.kept_results.size <= 60_000
