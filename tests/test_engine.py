"""The engine's conformance suite: what ``encyclopedia.search.engine`` must do, whatever
is inside it.

The fast ranker must rank as Whoosh's own ``Searcher.search`` does (same documents,
order, scores and count) for every query tree the planner builds, after incremental
updates and with a cache too small to hold anything; and it must do so on the fast
path: a Whoosh release that renames a private name the ranker reads fails here, not
silently in a slower site. The small index is built from the shipped articles, so the
suite runs without the outside corpus; the 1,017 MedlinePlus topics add breadth when
the corpus is there.
"""

from __future__ import annotations

import math
import random
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as whoosh_index

from encyclopedia.search import Library, rebuild, tree
from encyclopedia.search.engine import blocks, ranking, snippets
from encyclopedia.search.engine.compile import to_whoosh
from encyclopedia.search.engine.ranking import ENTRY_OVERHEAD, PostingCache, Ranker
from encyclopedia.search.engine.reading import OpenIndex
from encyclopedia.search.engine.schema import WEIGHTING, analyze
from encyclopedia.search.evaluation import load_cases
from encyclopedia.search.query import build_query
from encyclopedia.search.updating import update_articles
from tests.conftest import SHIPPED_CONTENT, write_article
from tests.relevance.test_relevance import HERE

RELEVANCE = sorted(
    {case.query for name in ("queries.yaml", "heldout.yaml") for case in load_cases(HERE / name)}
)
# What patients type that the relevance sets do not: quotes, stop words only, names of
# one letter, long questions, misspellings, thesaurus phrases.
MORE = [
    '"high blood pressure"',
    '"heart attack" symptoms',
    "the",
    "ALL",
    "vitamin d",
    "what are the symptoms of a stroke in women over fifty",
    "diabetis",
    "tummy ache",
    "gall stones",
    "brain tumour",
    "type 2 diabetes",
]


def whoosh_searcher(build: Path):
    """Whoosh's own searcher on the same build: the reference ranking."""
    return whoosh_index.open_dir(str(build)).searcher(weighting=WEIGHTING)


def assert_ranks_as_whoosh(index: OpenIndex, reference, query: tree.Node, limit: int = 20) -> int:
    slow = sum(blocks.SLOW_PATHS.values())
    ranked = index.rank(query, limit)
    assert sum(blocks.SLOW_PATHS.values()) == slow, dict(blocks.SLOW_PATHS)
    expected = reference.search(to_whoosh(query), limit=limit)
    assert ranked.docnums == [hit.docnum for hit in expected], query
    for ours, theirs in zip(ranked.scores, [hit.score for hit in expected], strict=True):
        assert math.isclose(ours, theirs, rel_tol=1e-9), query
    assert ranked.total == len(expected), query  # len() makes Whoosh score everything
    return ranked.total


def planned(library: Library, text: str) -> tree.Node | None:
    plan = library.plan(text)
    return None if plan.is_empty else build_query(plan)


def conforms(library: Library, texts: list[str]) -> tuple[int, int]:
    """(queries compared, articles they matched in all)."""
    snapshot = library.snapshot()
    reference = whoosh_searcher(snapshot.path)
    compared = found = 0
    for text in dict.fromkeys(texts):
        query = planned(library, text)
        if query is not None:
            found += assert_ranks_as_whoosh(snapshot.index, reference, query)
            compared += 1
    reference.close()
    return compared, found


def test_every_planned_query_ranks_as_whoosh_ranks_it_on_the_fast_path(lexical_library):
    compared, found = conforms(lexical_library, [*RELEVANCE, *MORE])
    assert compared > 250
    assert found > 1_000  # the queries really match articles: this compares rankings


def test_the_same_on_the_medlineplus_topics(medlineplus):
    library = Library(medlineplus[1], thesaurus=SHIPPED_CONTENT / "thesaurus.yaml", semantic=False)
    compared, found = conforms(library, [*RELEVANCE, *MORE])
    assert compared > 250 and found > 10_000


BODY = tree.Term("body", "blood")
EACH_KIND = [
    tree.Phrase("body", ("blood", "sugar")),
    tree.Phrase("body", tuple(analyze("high blood pressure"))),
    tree.Phrase("names", ("heart", "attack"), 8.0),
    tree.Phrase("body", ("blood", "nosuchword")),
    tree.AllOf((BODY, tree.Term("names", analyze("diabetes")[0])), 0.8),
    tree.AllOf((BODY,), 0.5),  # Whoosh ignores a lone part's boost
    tree.AnyOf((BODY,), 2.0),
    tree.Required(tree.Term("body", "pain"), tree.Term("names", "back", 3.0)),
    tree.Required(tree.Phrase("body", ("blood", "pressur")), tree.NOTHING),
    tree.AnyOf((tree.Term("body", "asthma"), tree.Term("body", "nosuchword"))),
    tree.AnyOf((tree.NOTHING, tree.Term("name_keys", "asthma", 60.0))),
    tree.Term("slug", "asthma"),
]


@pytest.mark.parametrize("query", EACH_KIND, ids=repr)
def test_each_kind_of_node_ranks_as_whoosh_ranks_it(lexical_library, query):
    snapshot = lexical_library.snapshot()
    with whoosh_searcher(snapshot.path) as reference:
        assert_ranks_as_whoosh(snapshot.index, reference, query, limit=50)


def test_nothing_matches_nothing(lexical_library):
    assert lexical_library.snapshot().index.rank(tree.NOTHING, 10).total == 0


def test_a_phrase_matches_exactly_the_articles_whoosh_finds(lexical_library):
    snapshot = lexical_library.snapshot()
    with whoosh_searcher(snapshot.path) as reference:
        for text in ("blood sugar", "physical therapy", "family history", "blood pressure"):
            query = tree.Phrase("body", tuple(analyze(text)))
            whoosh_docs = set(to_whoosh(query).docs(reference))
            assert set(snapshot.index.rank(query, 10_000).docnums) == whoosh_docs
            assert whoosh_docs


def test_stored_field_lengths_are_read_as_whoosh_reads_them(lexical_library):
    slow = sum(blocks.SLOW_PATHS.values())
    with whoosh_searcher(lexical_library.snapshot().path) as reference:
        for reader, _ in reference.reader().leaf_readers():
            for field in ("names", "body", "names_es", "body_es"):
                lengths = ranking.field_lengths(reader, field)
                # None: an article in another language, which has no text in the field
                # (and so is never scored in it); read here as Whoosh's default, 1.
                expected = [
                    reader.doc_field_length(d, field, 1) or 1 for d in range(reader.doc_count_all())
                ]
                assert lengths.tolist() == expected
    assert sum(blocks.SLOW_PATHS.values()) == slow


def test_a_tiny_cache_evicts_and_still_ranks_right(lexical_library):
    snapshot = lexical_library.snapshot()
    cache = PostingCache(max_bytes=4096)
    ranker = Ranker(WEIGHTING, cache)
    with whoosh_searcher(snapshot.path) as reference:
        for text in MORE:
            query = planned(lexical_library, text)
            if query is None:
                continue
            expected = reference.search(to_whoosh(query), limit=20)
            ranked = ranker.rank(to_whoosh(query), reference, 20)
            assert ranked.docnums == [hit.docnum for hit in expected]
    assert len(cache) > 0 and cache.bytes <= 4096


def test_the_posting_cache_counts_what_an_entry_costs_besides_its_data(lexical_library):
    """A cache of rare words (a few bytes of data each) must not hold thousands of them:
    each entry's objects cost far more than its arrays."""
    budget = 20 * ENTRY_OVERHEAD
    cache = PostingCache(max_bytes=budget)
    ranker = Ranker(WEIGHTING, cache)
    with whoosh_searcher(lexical_library.snapshot().path) as reference:
        rare = [
            t.decode() for t, _ in zip(reference.reader().lexicon("body"), range(400), strict=False)
        ]
        for word in rare:
            ranker.rank(to_whoosh(tree.Term("body", word)), reference, 5)
    assert 0 < len(cache) <= 20 and cache.bytes <= budget


def test_a_weighting_without_per_field_b_is_refused_when_the_ranker_is_made():
    """Every term's score reads BM25F's per-field B; a Whoosh without it must fail loudly
    at start-up, not on every search."""
    from whoosh.scoring import BM25F

    weighting = BM25F()
    del weighting._field_B
    with pytest.raises(TypeError, match="per-field B"):
        Ranker(weighting, PostingCache())


def test_after_incremental_updates_deleted_articles_are_gone_and_ranking_holds(
    tmp_path: Path, shipped_index
):
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(shipped_index[0], content)
    shutil.copytree(shipped_index[1], index)
    library = Library(index, thesaurus=content / "thesaurus.yaml", semantic=False)
    assert library.search("asthma").hits[0].slug == "asthma"  # warm the cache
    # An edit (old copy deleted, a new segment added) and a deletion.
    asthma = content / "asthma.md"
    asthma.write_text(asthma.read_text() + "\nWheezequalityword appears here.\n")
    removed = next(p.stem for p in sorted(content.glob("*.md")) if p.stem != "asthma")
    (content / f"{removed}.md").unlink()
    update_articles(content, index, ["asthma", removed])
    snapshot = library.snapshot()
    with whoosh_searcher(snapshot.path) as reference:
        assert len(reference.reader().leaf_readers()) > 1
        assert any(r.has_deletions() for r, _ in reference.reader().leaf_readers())
        for text in [*MORE, removed.replace("-", " "), "wheezequalityword", "asthma"]:
            query = planned(library, text)
            if query is not None:
                assert_ranks_as_whoosh(snapshot.index, reference, query)
    assert [h.slug for h in library.search("wheezequalityword").hits] == ["asthma"]
    assert removed not in [h.slug for h in library.search(removed.replace("-", " ")).hits]
    # Snippets read the values of a page's hits block by block, segment by segment, and
    # keep the blocks: the same values as Whoosh's matcher gives, read fresh or kept.
    with whoosh_searcher(snapshot.path) as reference:
        reader = reference.reader()
        docnums = sorted(snapshot.index.rank(planned(library, "asthma attack"), 30).docnums)
        cache = PostingCache()
        compared = 0
        for word in ("asthma", "attack", "wheezequalityword", "nosuchword"):
            expected = {}
            if ("body", word) in reader:
                matcher = reader.postings("body", word)
                for docnum in docnums:
                    if matcher.is_active() and matcher.id() < docnum:
                        matcher.skip_to(docnum)
                    if matcher.is_active() and matcher.id() == docnum:
                        expected[docnum] = matcher.value()
            for kept in (None, cache, cache):
                found = {
                    int(d): v
                    for ids, values in blocks.values_in(reader, "body", word, docnums, kept)
                    for d, v in zip(ids, values, strict=True)
                }
                assert found == expected, word
            compared += len(expected)
        assert compared > 5 and cache.bytes > 0


def test_two_builds_whose_segments_share_an_id_do_not_share_cached_postings(tmp_path: Path):
    """Whoosh draws segment ids from ``random``; seeded alike (hypothesis seeds it per
    example), two builds get the same id. The shared posting cache must tell them apart:
    it once served one build's postings for the other and failed with an IndexError."""
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


def test_every_thread_and_every_generation_reads_from_one_posting_cache(
    tmp_path: Path, shipped_index
):
    """A worker's threads each have a searcher, and an update opens a new generation of
    the same build: the postings of a segment already read are read again by neither.
    Keyed by the reader's own overlay storage, each did (found 2026-12-03)."""
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(shipped_index[0], content)
    shutil.copytree(shipped_index[1], index)
    library = Library(index, thesaurus=content / "thesaurus.yaml", semantic=False)
    query = planned(library, "asthma attack")
    first = library.snapshot().index

    def segments_read() -> set[tuple]:
        return {key[1] for key in ranking.SHARED_CACHE._arrays._values if len(key) > 1}

    def segments_of(index: OpenIndex) -> set[tuple]:
        return {leaf.key for leaf in index._ranker.leaves(index._searcher())}

    first.rank(query, 10)
    entries = len(ranking.SHARED_CACHE)
    other = threading.Thread(target=first.rank, args=(query, 10))
    other.start()
    other.join()
    assert len(ranking.SHARED_CACHE) == entries  # the other thread read nothing again
    old = segments_of(first)
    assert old <= segments_read()
    asthma = content / "asthma.md"
    asthma.write_text(asthma.read_text() + "\nA new sentence about an attack.\n")
    update_articles(content, index, ["asthma"])
    after = library.snapshot().index
    assert after is not first
    kept = segments_of(after) & old
    assert kept  # the build's own segment, with the old asthma marked deleted
    before = segments_read()
    after.rank(query, 10)
    # The kept segment's postings were not read again under another key: every entry
    # added is the new segment's.
    added = segments_read() - before
    assert added and not added & kept and added <= segments_of(after)


def test_opening_an_index_does_not_copy_it_onto_the_heap(medlineplus):
    """The fix to Whoosh's mapped files is applied when an index opens (see fixes.py)."""
    import tracemalloc

    library = Library(medlineplus[1], semantic=False)
    library.search("asthma")  # warm: imports, tables
    build = library.snapshot().path
    tracemalloc.start()
    opened = OpenIndex(build, "asthma")
    opened.rank(tree.Term("body", "asthma"), 10)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    opened.close()
    # The index is 6 MB on disk; copying its postings alone would be several MB.
    assert used < 1_500_000, f"{used / 1e6:.1f} MB allocated to open one index"


def test_terms_in_says_which_words_a_document_holds_as_a_search_would(
    tmp_path: Path, shipped_index
):
    """OpenIndex.terms_in (the lexical "is this a good answer" check) agrees with the
    postings on every live document, also after a deletion (it had read past the end)."""
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(shipped_index[0], content)
    shutil.copytree(shipped_index[1], index)
    (content / "5-hiaa-test.md").unlink()
    update_articles(content, index, ["5-hiaa-test"])
    opened = Library(index, semantic=False).snapshot().index
    live = opened.matching("lang", "en") | opened.matching("lang", "es")
    words = ["pain", "fractur", "zzzz", "hiaa", "asthma", "5"]
    for docnum in sorted(live):
        held = opened.terms_in(docnum, words, ("names", "body"))
        expected = {
            w for w in words if any(docnum in opened.matching(f, w) for f in ("names", "body"))
        }
        assert held == expected, docnum


def test_the_posting_cache_is_bounded_by_the_index_it_serves(lexical_library):
    """Not a constant: 32 MiB had made every pass cold at 50,000 articles."""
    lexical_library.snapshot()  # opening a build fits the shared cache to it
    assert ranking.SHARED_CACHE.max_bytes == ranking.CACHE_BYTES  # 62 articles: the floor
    cache = PostingCache()
    assert cache.fit(50_000) == 50_000 * ranking.CACHE_BYTES_PER_ARTICLE
    assert cache.fit(10**7) == ranking.CACHE_MAX_BYTES
    assert cache.fit(10) == ranking.CACHE_BYTES
    # Shrinking drops what no longer fits, least recently used first.
    small = PostingCache(max_bytes=10_000)
    for n in range(8):
        small._get(("k", n), lambda: None)  # each entry costs ENTRY_OVERHEAD bytes
    small._arrays.resize(3 * ranking.ENTRY_OVERHEAD)
    assert len(small) == 3 and small.bytes <= 3 * ranking.ENTRY_OVERHEAD
    assert ("k", 7) in small._arrays and ("k", 0) not in small._arrays


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 70_000), min_size=1, max_size=40, unique=True).map(sorted),
        min_size=1,
        max_size=130,
    )
)
def test_a_block_of_positions_decodes_as_whoosh_decodes_it(documents):
    """Whoosh's own encodings (names keep positions, the body positions and characters),
    through the one-unpickle-a-block decoder, give what Whoosh's decoder gives."""
    ids = list(range(3, 3 + 2 * len(documents), 2))
    for encoding in (formats.Positions(), formats.Characters()):
        if isinstance(encoding, formats.Characters):
            values = [encoding.encode([(p, 5 * p, 5 * p + 4) for p in ps]) for ps in documents]
        else:
            values = [encoding.encode(ps) for ps in documents]
        # Whoosh may keep a value without its final STOP byte: both forms must decode.
        for stored in (values, [v[:-1] if v.endswith(b".") else v for v in values]):
            expected = [
                (docnum << blocks.POSITION_BITS) + p
                for docnum, value in zip(ids, stored, strict=True)
                for p in encoding.decode_positions(value)
            ]
            assert blocks.block_positions(ids, stored).tolist() == expected


def test_something_not_a_pickle_is_left_to_whoosh_to_decode():
    assert blocks.block_positions([1], [b"\x00\x00\x00\x01garbage"]) is None
    assert blocks.block_positions([1, 2], [formats.Positions().encode([4])]) is None


def test_phrases_on_a_large_index_match_what_whoosh_finds_on_the_fast_path(medlineplus):
    """Blocks of common words are skipped unread where no document holds every word of
    the phrase: the same documents as Whoosh's own phrase matcher, on 1,017 topics."""
    library = Library(medlineplus[1], thesaurus=SHIPPED_CONTENT / "thesaurus.yaml", semantic=False)
    snapshot = library.snapshot()
    slow = sum(blocks.SLOW_PATHS.values())
    with whoosh_searcher(snapshot.path) as reference:
        for text in (
            "blood sugar",
            "high blood pressure",
            "family history",
            "physical therapy",
            "type 2 diabetes",
            "you may need",
            "bone marrow transplant",
            "pain in the lower back",
        ):
            for field in ("body", "names"):
                query = tree.Phrase(field, tuple(analyze(text)))
                expected = set(to_whoosh(query).docs(reference))
                assert set(snapshot.index.rank(query, 100_000).docnums) == expected, text
    assert sum(blocks.SLOW_PATHS.values()) == slow, dict(blocks.SLOW_PATHS)


def sentence_as_specified(text: str, start: int, end: int, maxchars: int) -> tuple[int, int]:
    """The snippet's sentence as first written (searching the text for each mark)."""
    marks = (". ", "! ", "? ", "\n")
    left = max((i + len(m) for m in marks if (i := text.rfind(m, 0, start)) >= 0), default=0)
    right = min((i + 1 for m in marks if (i := text.find(m, end)) >= 0), default=len(text))
    if right - left > maxchars:
        left = max(left, start - maxchars // 2)
        right = min(right, left + maxchars)
    return left, right


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab .!?\n", max_size=400),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 12)), max_size=6),
    st.integers(20, 80),
)
def test_a_snippets_sentences_are_found_as_specified(text, words, maxchars):
    fragmenter = snippets.SentenceFragmenter(maxchars)
    bounds = snippets._Boundaries(text)
    for start, width in words:
        start = min(start, len(text))
        end = min(start + width, len(text))
        expected = sentence_as_specified(text, start, end, maxchars)
        assert fragmenter._within(bounds, start, end) == expected


def test_the_block_decoder_reads_data_and_names_nothing():
    """A pickle that names a function is not run by the block decoder."""
    calls = b"\x80\x02cbuiltins\nprint\nq\x00X\x02\x00\x00\x00hiq\x01\x85q\x02Rq\x03."
    assert blocks.block_positions([1], [b"\x00\x00\x00\x01" + calls]) is None
