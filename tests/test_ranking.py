"""The numpy ranking must be Whoosh's ranking: same documents, same order, same scores,
same count, on real indexes, including after incremental updates (deletions and new
segments) and with a cache too small to hold anything."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from whoosh import query as wq

from bench.run import QUERIES
from encyclopedia.search import Library
from encyclopedia.search.evaluation import load_cases
from encyclopedia.search.library import _planner
from encyclopedia.search.publishing import update_articles
from encyclopedia.search.query import WEIGHTING, build_query
from encyclopedia.search.ranking import PostingCache, Ranker, _lengths
from encyclopedia.search.schema import analyze
from tests.conftest import SHIPPED_CONTENT
from tests.relevance.test_relevance import HERE

RELEVANCE = sorted(
    {case.query for name in ("queries.yaml", "heldout.yaml") for case in load_cases(HERE / name)}
)


def assert_same_as_whoosh(ranker: Ranker, searcher, query: wq.Query, limit: int = 20) -> int:
    expected = searcher.search(query, limit=limit)
    ranked = ranker.rank(query, searcher, limit)
    assert ranked.docnums == [hit.docnum for hit in expected], query
    for ours, theirs in zip(ranked.scores, [hit.score for hit in expected], strict=True):
        assert math.isclose(ours, theirs, rel_tol=1e-9), query
    assert ranked.total == len(expected), query  # len() makes Whoosh score everything
    return ranked.total


def planned(library: Library, text: str) -> wq.Query | None:
    snapshot = library.snapshot()
    plan = _planner(snapshot, library.thesaurus.get()).plan(library.clean(text))
    return None if plan.is_empty else build_query(plan)


@pytest.fixture(scope="module")
def medline_library(medlineplus) -> Library:
    return Library(medlineplus[1], thesaurus=SHIPPED_CONTENT / "thesaurus.yaml")


def test_every_benchmark_and_relevance_query_ranks_as_whoosh_ranks_it(medline_library):
    snapshot = medline_library.snapshot()
    searcher = snapshot.searcher()
    ranker = Ranker(WEIGHTING, PostingCache())
    found = 0
    queries = [q for q in dict.fromkeys([*QUERIES, *RELEVANCE]) if planned(medline_library, q)]
    assert len(queries) > 300
    for text in queries:
        found += assert_same_as_whoosh(ranker, searcher, planned(medline_library, text))
    assert found > 10_000  # the queries really match articles: this compares rankings


@pytest.mark.parametrize(
    "query",
    [
        wq.Phrase("body", ["blood", "sugar"]),
        wq.Phrase("body", analyze("high blood pressure")),
        wq.Phrase("names", ["heart", "attack"], boost=8.0),
        wq.Phrase("body", ["blood", "nosuchword"]),
        wq.And([wq.Term("body", "blood"), wq.Term("names", analyze("diabetes")[0])], boost=0.8),
        wq.And([wq.Term("body", "blood")], boost=0.5),  # Whoosh ignores a lone part's boost
        wq.AndMaybe(wq.Term("body", "pain"), wq.Term("names", "back", boost=3.0)),
        wq.Or([wq.Term("body", "asthma"), wq.Term("body", "nosuchword")]),
        wq.Prefix("body", "diabet"),  # not planned by us: scored through Whoosh's matcher
        wq.Or([wq.Term("body", "cough"), wq.Term("body", "fever")], scale=0.9),
        wq.NullQuery,
    ],
    ids=repr,
)
def test_each_kind_of_query_ranks_as_whoosh_ranks_it(medline_library, query):
    searcher = medline_library.snapshot().searcher()
    ranker = Ranker(WEIGHTING, PostingCache())
    if query is wq.NullQuery:
        assert ranker.rank(query, searcher, 10).total == 0
        return
    assert_same_as_whoosh(ranker, searcher, query, limit=50)


def test_a_phrase_matches_exactly_the_articles_whoosh_finds(medline_library):
    searcher = medline_library.snapshot().searcher()
    ranker = Ranker(WEIGHTING, PostingCache())
    for text in ("blood sugar", "physical therapy", "family history", "high blood pressure"):
        query = wq.Phrase("body", analyze(text))
        whoosh_docs = set(query.docs(searcher))
        ranked = ranker.rank(query, searcher, 10_000)
        assert set(ranked.docnums) == whoosh_docs
        assert len(whoosh_docs) > 5


def test_stored_field_lengths_are_read_as_whoosh_reads_them(medline_library):
    searcher = medline_library.snapshot().searcher()
    for reader, _ in searcher.reader().leaf_readers():
        for field in ("names", "body"):
            lengths = _lengths(reader, field)
            expected = [reader.doc_field_length(d, field, 1) for d in range(reader.doc_count_all())]
            assert lengths.tolist() == expected


def test_a_tiny_cache_evicts_and_still_ranks_right(medline_library):
    searcher = medline_library.snapshot().searcher()
    cache = PostingCache(max_bytes=4096)
    ranker = Ranker(WEIGHTING, cache)
    for text in QUERIES[:15]:
        query = planned(medline_library, text)
        if query is not None:
            assert_same_as_whoosh(ranker, searcher, query)
    assert len(cache) > 0 and cache.bytes <= 4096


def test_after_incremental_updates_deleted_articles_are_gone_and_ranking_holds(
    tmp_path: Path, medlineplus
):
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(medlineplus[0], content)
    shutil.copytree(medlineplus[1], index)
    # By words alone: this compares the numpy ranking with Whoosh's.
    library = Library(index, thesaurus=SHIPPED_CONTENT / "thesaurus.yaml", semantic=False)
    assert library.search_uncached("asthma").hits[0].slug == "asthma"  # warm the cache
    # An edit (old copy deleted, a new segment added) and a deletion.
    asthma = content / "asthma.md"
    asthma.write_text(asthma.read_text() + "\nWheezequalityword appears here.\n")
    (content / "hives.md").unlink()
    update_articles(content, index, ["asthma", "hives"])
    library.snapshot()  # pick up the new version
    snapshot = library.snapshot()
    searcher = snapshot.searcher()
    assert len(searcher.reader().leaf_readers()) > 1
    assert any(r.has_deletions() for r, _ in searcher.reader().leaf_readers())
    for text in [*QUERIES, "hives", "wheezequalityword", "asthma"]:
        query = planned(library, text)
        if query is not None:
            assert_same_as_whoosh(snapshot.ranker, searcher, query)
    assert [h.slug for h in library.search_uncached("wheezequalityword").hits] == ["asthma"]
    assert "hives" not in [h.slug for h in library.search_uncached("hives").hits]
    assert library.search_uncached("asthma").total == len(
        searcher.search(planned(library, "asthma"), limit=None)
    )


def test_the_posting_cache_counts_what_an_entry_costs_besides_its_data(medline_library):
    """A cache of rare words (a few bytes of data each) must not hold thousands of them:
    each entry's objects cost far more than its arrays."""
    from encyclopedia.search.ranking import ENTRY_OVERHEAD

    searcher = medline_library.snapshot().searcher()
    budget = 20 * ENTRY_OVERHEAD
    cache = PostingCache(max_bytes=budget)
    ranker = Ranker(WEIGHTING, cache)
    reader = searcher.reader()
    rare = [t.decode() for t, _ in zip(reader.lexicon("body"), range(400), strict=False)]
    for word in rare:
        ranker.rank(wq.Term("body", word), searcher, 5)
    assert 0 < len(cache) <= 20 and cache.bytes <= budget


def test_two_builds_whose_segments_share_an_id_do_not_share_cached_postings(tmp_path: Path):
    """Whoosh draws segment ids from ``random``; seeded alike (hypothesis seeds it per
    example), two builds get the same id. The shared posting cache must tell them apart:
    it once served one build's postings for the other and failed with an IndexError."""
    import random

    from encyclopedia.search import rebuild
    from tests.conftest import write_article

    libraries = []
    for name, slugs in (("one", ("a-one", "a-two", "a-three")), ("two", ("b-one",))):
        content = tmp_path / name / "content"
        content.mkdir(parents=True)
        for number, slug in enumerate(slugs):
            write_article(content, slug, f"title: Bone {name} {number}", "Bone bone bone.\n")
        random.seed(7)
        rebuild(content, tmp_path / name / "index")
        libraries.append(Library(tmp_path / name / "index", semantic=False))
    first, second = libraries
    assert len(first.search("bone").hits) == 3
    assert [hit.slug for hit in second.search("bone").hits] == ["b-one"]
