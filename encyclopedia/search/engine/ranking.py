"""Ranking a query with whole posting lists at once, in numpy, from Whoosh's own index.

Whoosh scores a query by walking its posting lists one document at a time through a tree
of Python matcher objects. At 4,000 articles that made "high blood pressure" take 32 ms in
plain Whoosh and put the 95th percentile at 28 ms, twice the target, however the query
was planned. Here each term's postings are read from the same index once, kept as arrays,
and every document is scored at once with the same BM25F formula and the same statistics
(idf, average field length, the one-byte field lengths Whoosh stores), so the ranking is
Whoosh's: tests hold the top results, their scores and the count equal to what
``Searcher.search`` returns on real indexes.

Arrays are cached per segment. A Whoosh segment never changes once written (deletions
are kept beside it), so after an incremental update only the new, small segment is read;
the rest of the cache still holds. The cache is bounded by bytes.

Query types the planner does not build are scored by Whoosh's matchers, document by
document, so any query gives the right answer, only slower. The fast path leans on a
few of Whoosh's private names (the block reader, the lengths column, BM25F's per-field
B); each place that has to fall back counts it in :data:`SLOW_PATHS`, and the engine's
conformance tests fail when a planned query takes any of them, so a Whoosh release
that renames one is caught by the suite rather than by a slower site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from encyclopedia.lru import LRUCache
from encyclopedia.search.engine import columns
from encyclopedia.search.engine.blocks import (
    POSITION_BITS,
    SLOW_PATHS,
    matcher_of,
    positions_in,
    read_blocks,
    segment_key,
)

# A serving worker's largest cache, so it is what keeps one under its memory budget. Its
# bound follows the index it serves (PostingCache.fit): one pass of the benchmark's
# queries with lowercased names needed 34 MiB of arrays at 50,000 articles (about 0.7
# KiB an article), and a 32 MiB constant made every pass cold there (90 ms at p95,
# against 31.5 ms with room enough). So 2 KiB an article, three times that need, never
# under 32 MiB (small sites: every common word's arrays with room to spare) nor over
# 192 MiB (a worker's memory budget is 400 MB with the model). A rare word's arrays, the
# ones that drop out first, are the cheapest to read again.
CACHE_BYTES = 32 * 2**20
CACHE_BYTES_PER_ARTICLE = 2048
CACHE_MAX_BYTES = 192 * 2**20
# What an entry costs besides its arrays' data: three array headers, the Postings object,
# the key tuple and its term, the cache's own entry. Without it a cache full of rare
# words (a few bytes of data each) would have been a thousand times its budget.
ENTRY_OVERHEAD = 768


# Whoosh keeps each field length as one byte; this is the length each byte stands for.
# A zero byte means "no length": Whoosh's scorer then uses 1.
_LENGTH_OF_BYTE = np.array([byte_to_length(b) if b else 1 for b in range(256)], dtype=np.float64)


@dataclass(frozen=True)
class Postings:
    """One term's postings in one segment."""

    docs: np.ndarray  # segment-local document numbers, ascending
    tf: np.ndarray  # the term's weight (frequency) in each
    lengths: np.ndarray  # the field's length in each, as Whoosh stores it

    @property
    def nbytes(self) -> int:
        return self.docs.nbytes + self.tf.nbytes + self.lengths.nbytes


@dataclass(frozen=True)
class Leaf:
    reader: IndexReader
    offset: int
    # What the cache is keyed by: the segment's folder, id and size. The id alone is not
    # unique: Whoosh draws it from the ``random`` module, which anything in the process
    # may seed (hypothesis does, per example), and two builds then share ids.
    key: tuple[str, str, int]


@dataclass
class Scored:
    """Which documents a query matches, and their scores (zero where unmatched)."""

    matched: np.ndarray
    score: np.ndarray


@dataclass(frozen=True)
class Ranked:
    """The top documents of one query and how many it matches in all."""

    docnums: list[int]
    scores: list[float]
    total: int


def _nbytes(value: Any) -> int:
    return ENTRY_OVERHEAD + (0 if value is None else value.nbytes)


class PostingCache:
    """Posting arrays per segment, field and term; shared by every thread and snapshot."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self._arrays: LRUCache[Any] = LRUCache(max_bytes, size=_nbytes)

    def fit(self, articles: int) -> int:
        """Bound the cache by the size of the index being served (see CACHE_BYTES)."""
        wanted = min(CACHE_MAX_BYTES, max(CACHE_BYTES, articles * CACHE_BYTES_PER_ARTICLE))
        if wanted != self._arrays.max_size:
            self._arrays.resize(wanted)
        return wanted

    @property
    def max_bytes(self) -> int:
        return self._arrays.max_size

    def _get(self, key: tuple, load: Callable[[], Any]) -> Any:
        return self._arrays.get_or_load(key, load)

    @property
    def bytes(self) -> int:
        return self._arrays.size

    def __len__(self) -> int:
        return len(self._arrays)

    def lengths(self, leaf: Leaf, field: str) -> np.ndarray:
        return self._get(("len", leaf.key, field), lambda: field_lengths(leaf.reader, field))

    def postings(self, leaf: Leaf, field: str, text: str) -> Postings | None:
        def load() -> Postings | None:
            kept = columns.of(leaf.key)
            if kept is not None and (field, text) in kept.terms:
                found = kept.postings(field, text, leaf.reader.doc_frequency(field, text))
                if found is not None:
                    return Postings(found[0], found[1], self.lengths(leaf, field)[found[0]])
                SLOW_PATHS["columns disagree with the segment"] += 1
            matcher = matcher_of(leaf.reader, field, text)
            if matcher is None:
                return None
            docs: list[Any] = []
            tf: list[Any] = []
            for ids, weights, _ in read_blocks(matcher, values=False):
                docs.append(np.asarray(ids, dtype=np.int64))
                tf.append(np.asarray(weights, dtype=np.float64))
            found = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
            weights = np.concatenate(tf) if tf else np.zeros(0, dtype=np.float64)
            return Postings(found, weights, self.lengths(leaf, field)[found])

        return self._get(("post", leaf.key, field, text), load)

    def phrase_docs(self, leaf: Leaf, field: str, words: Sequence[str]) -> np.ndarray:
        """The segment's documents in which ``words`` follow one another, ascending.

        Positions are read only for documents that hold every word (known from the
        words' postings, which scoring reads anyway), and a block of postings with none of
        them is skipped by its last id without being decoded: a first "blood sugar" at
        50,000 articles decoded every position of "blood" before. Cached per phrase."""

        def load() -> np.ndarray:
            candidates: np.ndarray | None = None
            for word in words:
                postings = self.postings(leaf, field, word)
                if postings is None:
                    return np.zeros(0, dtype=np.int64)
                candidates = (
                    postings.docs
                    if candidates is None
                    else np.intersect1d(candidates, postings.docs, assume_unique=True)
                )
            if candidates is None or not len(candidates):
                return np.zeros(0, dtype=np.int64)
            keys = self._positions(leaf, field, words[0], candidates)
            for number, word in enumerate(words[1:], start=1):
                if not len(keys):
                    break
                following = self._positions(leaf, field, word, candidates)
                keys = np.intersect1d(keys, following - number, assume_unique=True)
            return np.unique(keys >> POSITION_BITS)

        return self._get(("phrase", leaf.key, field, tuple(words)), load)

    @staticmethod
    def _positions(leaf: Leaf, field: str, text: str, candidates: np.ndarray) -> np.ndarray:
        """From the segment's columns when it keeps the word, else from Whoosh's blocks."""
        kept = columns.of(leaf.key)
        if kept is not None and (field, text) in kept.terms:
            frequency = leaf.reader.doc_frequency(field, text)
            found = kept.positions(field, text, frequency, candidates)
            if found is not None:
                return found
            SLOW_PATHS["columns disagree with the segment"] += 1
        return positions_in(leaf.reader, field, text, candidates)


SHARED_CACHE = PostingCache()  # keyed by segment ids, which are unique to each segment


def field_lengths(reader: IndexReader, field: str) -> np.ndarray:
    count = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None else b""
        found = np.zeros(count, dtype=np.uint8)
        found[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[:count]
        return _LENGTH_OF_BYTE[found]
    except AttributeError:  # another codec: ask document by document
        SLOW_PATHS["field lengths read one by one"] += 1
        return np.array(
            [reader.doc_field_length(d, field, 1) for d in range(count)], dtype=np.float64
        )


class Ranker:
    """Ranks queries on one published version of the index."""

    def __init__(self, weighting: BM25F, cache: PostingCache):
        if not isinstance(getattr(weighting, "_field_B", None), dict):
            # Read for every term scored: without it no search could be answered.
            raise TypeError("this Whoosh's BM25F has no per-field B (_field_B)")
        self.weighting = weighting
        self.cache = cache

    def leaves(self, searcher: Searcher) -> list[Leaf]:
        return [
            Leaf(reader, offset, segment_key(reader))
            for reader, offset in searcher.reader().leaf_readers()
        ]

    def live(self, searcher: Searcher) -> np.ndarray:
        """Which document numbers are not deleted, for this searcher's own reader.

        Worked out per search, not per published version: each thread's searcher may
        have opened a later generation of the same build (an incremental update), and
        it costs microseconds.
        """
        live = np.ones(searcher.doc_count_all(), dtype=bool)
        for reader, offset in searcher.reader().leaf_readers():
            if not reader.has_deletions():
                continue
            deleted = getattr(reader, "deleted_docs_set", None)
            if deleted is None:
                kept = set(reader.all_doc_ids())
                deleted = [d for d in range(reader.doc_count_all()) if d not in kept]
            live[np.fromiter(deleted, dtype=np.int64) + offset] = False
        return live

    def holds(
        self, searcher: Searcher, docnum: int, fields: Sequence[str], terms: Iterable[str]
    ) -> set[str]:
        """Which of ``terms`` the document has in any of ``fields``, read from the same
        cached posting arrays the ranking just used (a search's own terms are there)."""
        for leaf in self.leaves(searcher):
            if leaf.offset <= docnum < leaf.offset + leaf.reader.doc_count_all():
                break
        else:
            return set()
        local = docnum - leaf.offset
        held = set()
        for term in terms:
            for field in fields:
                postings = self.cache.postings(leaf, field, term)
                if postings is None:
                    continue
                at = int(np.searchsorted(postings.docs, local))
                if at < len(postings.docs) and postings.docs[at] == local:
                    held.add(term)
                    break
        return held

    def rank(self, query: wq.Query, searcher: Searcher, limit: int) -> Ranked:
        """The top ``limit`` documents, best first, ties in document order as in Whoosh."""
        run = _Run(self, searcher)
        scored = run.score(query)
        matched = scored.matched & self.live(searcher)
        candidates = np.flatnonzero(matched)
        scores = scored.score[candidates]
        if len(candidates) > limit:
            # Everything scoring at least the limit-th best, ties included, then sorted.
            threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            keep = scores >= threshold
            candidates, scores = candidates[keep], scores[keep]
        order = np.lexsort((candidates, -scores))[:limit]
        return Ranked(
            [int(d) for d in candidates[order]],
            [float(s) for s in scores[order]],
            int(np.count_nonzero(matched)),
        )


class _Run:
    """One query's scoring: Whoosh's matcher semantics, over all documents at once."""

    def __init__(self, ranker: Ranker, searcher: Searcher):
        self.ranker = ranker
        self.cache = ranker.cache
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        self.leaves = ranker.leaves(searcher)

    def empty(self) -> Scored:
        return Scored(np.zeros(self.size, dtype=bool), np.zeros(self.size))

    def score(self, query: wq.Query) -> Scored:
        if query is wq.NullQuery:
            return self.empty()
        kind = type(query)
        if kind is wq.Term:
            return self.term(query.fieldname, query.text, query.boost)
        if kind is wq.Or and (query.scale or query.minmatch):
            return self.by_whoosh(query)
        if kind in (wq.Or, wq.And):
            subs = query.subqueries
            if not subs:
                return self.empty()
            if len(subs) == 1:  # Whoosh ignores the boost of a one-part Or/And
                return self.score(subs[0])
            parts = [self.score(sub) for sub in subs]
            if kind is wq.Or:
                matched = np.logical_or.reduce([p.matched for p in parts])
                score = _total(parts)
            else:
                matched = np.logical_and.reduce([p.matched for p in parts])
                score = np.where(matched, _total(parts), 0.0)
            if query.boost != 1.0:
                score = score * query.boost
            return Scored(matched, score)
        if kind is wq.AndMaybe:
            required, optional = self.score(query.a), self.score(query.b)
            extra = np.where(required.matched & optional.matched, optional.score, 0.0)
            return Scored(required.matched, np.where(required.matched, required.score + extra, 0.0))
        if kind is wq.Phrase and query.slop == 1:
            return self.phrase(query.fieldname, list(query.words), query.boost)
        return self.by_whoosh(query)

    def term(self, field: str, text: str, boost: float = 1.0) -> Scored:
        found = self.empty()
        if (field, text) not in self.searcher.reader():
            return found
        weighting = self.ranker.weighting
        scorable = self.searcher.schema[field].scorable
        idf = self.searcher.idf(field, text)
        average = self.searcher.avg_field_length(field) or 1
        b = weighting._field_B.get(field, weighting.B)
        k1 = weighting.K1
        for leaf in self.leaves:
            postings = self.cache.postings(leaf, field, text)
            if postings is None or not len(postings.docs):
                continue
            tf = postings.tf
            if not scorable:
                # A field without lengths (an ID such as the slug): Whoosh's BM25F scores
                # it by the term's weight alone (WeightScorer). Found by the conformance
                # suite: a librarian's preview had boosted its article four times too much.
                score = tf.copy()
            else:
                # whoosh.scoring.bm25, term for term, so the floating-point result is equal.
                score = idf * (
                    (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * postings.lengths / average))
                )
            if boost != 1.0:
                score = score * boost
            docs = postings.docs + leaf.offset
            found.matched[docs] = True
            found.score[docs] = score
        return found

    def phrase(self, field: str, words: list[str], boost: float) -> Scored:
        reader = self.searcher.reader()
        if not words or any((field, w) not in reader for w in words):
            return self.empty()
        matched = np.zeros(self.size, dtype=bool)
        for leaf in self.leaves:
            matched[self.cache.phrase_docs(leaf, field, words) + leaf.offset] = True
        # Whoosh scores a phrase as the sum of its words' scores, boosted.
        score = np.where(matched, _total([self.term(field, w) for w in words]), 0.0)
        if boost != 1.0:
            score = score * boost
        return Scored(matched, score)

    def by_whoosh(self, query: wq.Query) -> Scored:
        SLOW_PATHS[f"{type(query).__name__} scored by Whoosh's matchers"] += 1
        found = self.empty()
        matcher = query.matcher(self.searcher)
        while matcher.is_active():
            docnum = matcher.id()
            found.matched[docnum] = True
            found.score[docnum] = matcher.score()
            matcher.next()
        return found


def _total(parts: list[Scored]) -> np.ndarray:
    total = parts[0].score.copy()
    for part in parts[1:]:
        total += part.score
    return total
