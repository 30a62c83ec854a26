"""Whoosh's posting blocks read directly, a block at a time, in numpy.

Whoosh's leaf matcher hands out postings one at a time through a tree of Python objects,
and decodes each block's ids, weights and positions with a Python step a posting. The
ranking (``ranking.py``) and the columns written beside each segment (``columns.py``)
both read the blocks here instead: the same bytes, decoded whole. These functions lean on
a few of Whoosh's private names; each place that cannot use them falls back to Whoosh's
own matcher and counts it in :data:`SLOW_PATHS`, which the engine's conformance tests
hold at zero for every planned query.
"""

from __future__ import annotations

import functools
import io
import pickle
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh.matching import wrappers
from whoosh.reading import IndexReader, TermNotFound

if TYPE_CHECKING:  # the cache that keeps decoded blocks; it reads its words through here
    from encyclopedia.search.engine.ranking import PostingCache

POSITION_BITS = 24  # a document's positions fit in 24 bits: 16 million words

# Why a search was slower than it should be: each fallback from the fast path, counted.
SLOW_PATHS: Counter[str] = Counter()


def matcher_of(reader: IndexReader, field: str, text: str):
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
        matcher = matcher_of(leaf, field, text)
        if matcher is None:
            continue
        key = (segment_key(leaf), field, text)
        for ids, _, values in read_blocks(matcher, True, mine, cache, key):
            ids = np.asarray(ids, dtype=np.int64)
            chosen = np.flatnonzero(np.isin(ids, mine, assume_unique=True))
            if len(chosen):
                yield ids[chosen] + offset, [values[i] for i in chosen]


def positions_in(reader: IndexReader, field: str, text: str, candidates: np.ndarray) -> np.ndarray:
    """The term's positions in the documents ``candidates`` (ascending), as sorted keys:
    document, then position."""
    decode = reader.schema[field].format.decoder("positions")
    found: list[np.ndarray] = []
    for ids, picked in values_in(reader, field, text, candidates):
        keys = block_positions(ids, picked)
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


def read_blocks(
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
                ("block", *key, matcher._dataoffset), functools.partial(Block.read, matcher)
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
class Block:
    """One block of a term's postings with their values, decoded: what snippets read
    for a page's hits. The hits of a common word's searches sit in the same few blocks,
    and unpacking each again (zlib, then a pickle of 128 values) was most of a warm
    search's snippet time at 4,000 articles."""

    ids: np.ndarray
    weights: np.ndarray
    values: tuple[bytes, ...]

    @classmethod
    def read(cls, matcher) -> Block:
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


def block_positions(ids: Sequence[int], values: Sequence[bytes]) -> np.ndarray | None:
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


def segment_key(reader: IndexReader) -> tuple[str, str, int]:
    """The segment's folder, id and size. A compound segment's reader (every segment a
    build writes) reads through an overlay made for that reader alone, whose folder is
    that of the storage beneath it: keyed by the overlay itself, each thread's searcher
    and each generation after an update had postings of its own, so a worker's threads
    each read every word again and every save made the whole cache cold."""
    storage = reader.storage()
    beneath = getattr(storage, "b", None)  # whoosh.filedb.filestore.OverlayStorage
    folder = getattr(storage, "folder", None) or getattr(beneath, "folder", None)
    return (str(folder or id(storage)), reader.segment().segment_id(), reader.doc_count_all())
