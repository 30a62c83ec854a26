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

import functools
import io
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching import wrappers
from whoosh.reading import IndexReader, TermNotFound
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from encyclopedia.lru import LRUCache

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
POSITION_BITS = 24  # a document's positions fit in 24 bits: 16 million words

# Why a search was slower than it should be: each fallback from the fast path, counted.
SLOW_PATHS: Counter[str] = Counter()

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
            matcher = _matcher(leaf.reader, field, text)
            if matcher is None:
                return None
            docs: list[Any] = []
            tf: list[Any] = []
            for ids, weights, _ in _blocks(matcher, values=False):
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
            keys = _positions_in(leaf.reader, field, words[0], candidates)
            for number, word in enumerate(words[1:], start=1):
                if not len(keys):
                    break
                following = _positions_in(leaf.reader, field, word, candidates)
                keys = np.intersect1d(keys, following - number, assume_unique=True)
            return np.unique(keys >> POSITION_BITS)

        return self._get(("phrase", leaf.key, field, tuple(words)), load)


SHARED_CACHE = PostingCache()  # keyed by segment ids, which are unique to each segment


def _matcher(reader: IndexReader, field: str, text: str):
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return None
    # Deleted documents are taken out afterwards, per published version (see Ranker.live),
    # so that the arrays of a segment hold whichever deletions come later.
    while isinstance(matcher, wrappers.FilterMatcher):
        matcher = matcher.child
    return matcher


def values_in(
    reader: IndexReader,
    field: str,
    text: str,
    docnums: Sequence[int] | np.ndarray,
    cache: PostingCache | None = None,
) -> Iterator[tuple[np.ndarray, list[bytes]]]:
    """The term's encoded values (positions, characters) in those of ``docnums`` that
    hold it, a block at a time as (ids, values); blocks holding none are skipped
    undecoded. Snippets read the ten hits of a page this way rather than walking
    Whoosh's matcher posting by posting up to each of them."""
    wanted = np.unique(np.asarray(docnums, dtype=np.int64))
    leaves = reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
    for leaf, offset in leaves:
        # Each segment on its own, in its own numbers: a multi-segment matcher has no
        # blocks to read.
        mine = wanted[(wanted >= offset) & (wanted < offset + leaf.doc_count_all())] - offset
        if not len(mine):
            continue
        matcher = _matcher(leaf, field, text)
        if matcher is None:
            continue
        key = (_segment_key(leaf), field, text)
        for ids, _, values in _blocks(matcher, True, mine, cache, key):
            ids = np.asarray(ids, dtype=np.int64)
            chosen = np.flatnonzero(np.isin(ids, mine, assume_unique=True))
            if len(chosen):
                yield ids[chosen] + offset, [values[i] for i in chosen]


def _positions_in(reader: IndexReader, field: str, text: str, candidates: np.ndarray) -> np.ndarray:
    """The term's positions in the documents ``candidates`` (ascending), as sorted keys:
    document, then position."""
    decode = reader.schema[field].format.decoder("positions")
    found: list[np.ndarray] = []
    for ids, picked in values_in(reader, field, text, candidates):
        keys = _block_positions(ids, picked)
        if keys is None:
            SLOW_PATHS["positions decoded one by one"] += 1
            keys = np.array(
                [
                    (int(docnum) << POSITION_BITS) + p
                    for docnum, value in zip(ids, picked, strict=True)
                    for p in decode(value)
                ],
                dtype=np.int64,
            )
        found.append(keys)
    return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _blocks(
    matcher,
    values: bool,
    wanted: np.ndarray | None = None,
    cache: PostingCache | None = None,
    key: tuple = (),
):
    """A term's postings a block at a time (ids, weights, encoded values). ``wanted``:
    only blocks that may hold these documents; ``cache`` (with ``key``, naming the
    segment, field and term): keep decoded blocks with values there.

    Whoosh's own leaf matcher decodes postings in blocks of up to 128; reading the blocks
    directly is about five times faster than asking for each posting through the matcher
    interface, which matters for the first search of a common word at 50,000 articles.
    Any other matcher is read posting by posting.
    """
    if not all(hasattr(matcher, a) for a in ("_read_ids", "_read_weights", "_next_block")):
        SLOW_PATHS["postings read one by one"] += 1
        while matcher.is_active():
            yield [matcher.id()], [matcher.weight()], [matcher.value()] if values else None
            matcher.next()
        return
    raw = all(hasattr(matcher, a) for a in ("_read_data", "_byteids", "_blocklength", "_maxid"))
    after = -1  # the last id of the block before
    while matcher.is_active():
        if raw and wanted is not None:
            # Only some documents are wanted: a block that holds none of them (its ids
            # run from just after the previous block's last to its own last) is skipped
            # undecoded.
            last = matcher._maxid
            at = np.searchsorted(wanted, after, side="right")
            after = last
            if at >= len(wanted) or wanted[at] > last:
                matcher._next_block()
                continue
        if raw and values and cache is not None:
            # A block's data offset is unique in its segment's postings file.
            block = cache._get(
                ("block", *key, matcher._dataoffset), functools.partial(_Block.read, matcher)
            )
            yield block.ids, block.weights, block.values
        elif raw:
            ids, weights = _raw_ids_and_weights(matcher)
            if values:
                matcher._read_values()
            yield ids, weights, matcher._values if values else None
        else:
            matcher._read_ids()
            matcher._read_weights()
            if values:
                matcher._read_values()
            yield matcher._ids, matcher._weights, matcher._values if values else None
        matcher._next_block()


def _raw_ids_and_weights(matcher) -> tuple[np.ndarray, np.ndarray]:
    """The block's own tuple, decoded in numpy: Whoosh undoes the ids' delta coding one
    Python step a posting (840,000 steps over the benchmark's first searches at 50,000
    articles)."""
    if matcher._data is None:
        matcher._read_data()
    stored_ids, stored_weights = matcher._data[0], matcher._data[1]
    ids = np.asarray(stored_ids, dtype=np.int64)
    if not matcher._byteids:
        ids = np.cumsum(ids)
    if stored_weights is None or isinstance(stored_weights, float):
        weights = np.full(matcher._blocklength, stored_weights or 1.0)
    else:
        weights = np.asarray(stored_weights, dtype=np.float64)
    return ids, weights


@dataclass(frozen=True)
class _Block:
    """One block of a term's postings with their values, decoded: what snippets read
    for a page's hits. The hits of a common word's searches sit in the same few blocks,
    and unpacking each again (zlib, then a pickle of 128 values) was most of a warm
    search's snippet time at 4,000 articles."""

    ids: np.ndarray
    weights: np.ndarray
    values: tuple[bytes, ...]

    @classmethod
    def read(cls, matcher) -> _Block:
        ids, weights = _raw_ids_and_weights(matcher)
        matcher._read_values()
        return cls(ids, weights, tuple(matcher._values))

    @property
    def nbytes(self) -> int:
        # A bytes object costs its length and 33 bytes of header; 8 more for its slot.
        return self.ids.nbytes + self.weights.nbytes + sum(len(v) + 41 for v in self.values)


_PICKLE_2 = b"\x80\x02"


class _DataOnly(pickle.Unpickler):
    """Lists, tuples and numbers only: a pickle that names any class or function is
    refused here. Whoosh unpickles the same bytes without a guard wherever it reads them
    (and so does the one-by-one fallback), trusting the build as every reader must; a
    replica serves only a build whose every file matched the editor's manifest."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"positions never name {module}.{name}")


def _block_positions(ids: Sequence[int], values: Sequence[bytes]) -> np.ndarray | None:
    """A block's positions as sorted keys (document, then position), or None for values
    this does not recognise (the caller then decodes them one by one).

    Whoosh stores each posting's positions as a count and a pickle (protocol 2) of their
    deltas, as ints (names) or as (position, start, end) delta triples (the body, which
    keeps characters for snippets). Unpickling each one took most of a first phrase search
    at 50,000 articles (157,000 calls, 0.3 s over the benchmark's queries). A block's
    pickles, each stripped of its header and STOP, fit inside one list (MARK ... LIST):
    one ``pickle.loads`` a block, the same objects, and the deltas summed in numpy.
    Memo writes in the parts only overwrite each other; protocol 2 lists of fresh ints
    and tuples never read the memo back."""
    if not len(values) or not len(ids):
        return np.zeros(0, dtype=np.int64)
    parts = [b"\x80\x02("]
    for value in values:
        if not isinstance(value, bytes) or value[4:6] != _PICKLE_2:
            return None
        # Whoosh may store a value without its final STOP; a list's pickle ends with
        # APPEND(S) or EMPTY_LIST before it, never with a "." of its own.
        parts.append(value[6:-1] if value.endswith(b".") else value[6:])
    parts.append(b"l.")
    try:
        lists = _DataOnly(io.BytesIO(b"".join(parts))).load()  # nosec B301: see _DataOnly
    except Exception:  # anything unexpected: decode one by one instead
        return None
    if not isinstance(lists, list) or len(lists) != len(ids):
        return None
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = list(chain.from_iterable(lists))
    if not flat:
        return np.zeros(0, dtype=np.int64)
    try:
        deltas = np.array(flat, dtype=np.int64)
    except (TypeError, ValueError):
        return None
    if deltas.ndim == 2:  # (position, start, end) triples: the position delta is first
        deltas = deltas[:, 0]
    elif deltas.ndim != 1:
        return None
    summed = np.cumsum(deltas)
    # Each document's positions restart from 0: subtract the running sum at its start.
    ends = np.cumsum(counts)
    before = np.concatenate([[0], summed])[ends - counts]
    positions = summed - np.repeat(before, counts)
    docs = np.asarray(ids, dtype=np.int64) << POSITION_BITS
    return np.repeat(docs, counts) + positions


def _segment_key(reader: IndexReader) -> tuple[str, str, int]:
    """The segment's folder, id and size. A compound segment's reader (every segment a
    build writes) reads through an overlay made for that reader alone, whose folder is
    that of the storage beneath it: keyed by the overlay itself, each thread's searcher
    and each generation after an update had postings of its own, so a worker's threads
    each read every word again and every save made the whole cache cold."""
    storage = reader.storage()
    beneath = getattr(storage, "b", None)  # whoosh.filedb.filestore.OverlayStorage
    folder = getattr(storage, "folder", None) or getattr(beneath, "folder", None)
    return (str(folder or id(storage)), reader.segment().segment_id(), reader.doc_count_all())


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
            Leaf(reader, offset, _segment_key(reader))
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
