"""A segment's common words as plain arrays, written beside the segment when it is built.

Why: a worker's first search of a common word reads its postings from Whoosh's blocks, a
pickle for every 128 postings and another for their positions when the query holds a
phrase. At 50,000 articles that decoding was over half of the first searches' time (the
ones at the 95th percentile, "diabetes type 2" or "physical therapy", took 60-90 ms).
Here the same postings are written once, at build time, as arrays in one file beside the
segment; a reader maps the file (its pages are shared by every worker) and slices it.

Only words in at least :data:`MIN_DOCS` of the segment's documents are kept: a rarer
word's postings fit in one or two of Whoosh's blocks and decode about as fast as they
are found here, and the common words are where the time went (about 2,500 of a 25,000
article segment's 78,000 words, holding 3.1 million of its postings).

The file is named for its segment (``MAIN_<id>.columns``), so Whoosh itself moves it when
the parts of a build are joined (``Segment.list_files``) and deletes it when a merge
drops its segment (``TOC._clean_files``). A segment without the file (one written by an
update, or a merge) or with a file that does not hold together is read from Whoosh's
blocks, as before: slower, never different. The engine's conformance tests hold the two
readings equal.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.reading import IndexReader

from encyclopedia.files import write_atomically
from encyclopedia.lru import LRUCache
from encyclopedia.search.engine import fixes
from encyclopedia.search.engine.blocks import (
    POSITION_BITS,
    matcher_of,
    positions_in,
    read_blocks,
)

log = logging.getLogger(__name__)

MIN_DOCS = 128  # one of Whoosh's posting blocks holds 128
SUFFIX = ".columns"
MAGIC = b"ENCYCOL1"
_HEADER = struct.Struct("<8sQ")  # magic, header length
_ALIGN = 8


class Columns:
    """One segment's kept postings, mapped read-only."""

    def __init__(self, path: Path, segment: str, doc_count: int):
        data = np.memmap(path, dtype=np.uint8, mode="r")
        magic, length = _HEADER.unpack(bytes(data[: _HEADER.size]))
        if magic != MAGIC:
            raise ValueError(f"{path.name} is not a columns file")
        header = json.loads(bytes(data[_HEADER.size : _HEADER.size + length]))
        if header["segment"] != segment or header["docs"] != doc_count:
            raise ValueError(f"{path.name} was written for another segment")
        arrays = {}
        for name, (offset, dtype, count) in header["arrays"].items():
            kind = np.dtype(dtype)
            if offset < 0 or offset + count * kind.itemsize > len(data):
                raise ValueError(f"{path.name} is shorter than its {name}")
            arrays[name] = data[offset : offset + count * kind.itemsize].view(kind)
        self.terms: dict[tuple[str, str], int] = {}
        for field, texts in header["fields"].items():
            for text in texts:
                self.terms[(field, text)] = len(self.terms)
        self.with_positions = frozenset(header["positions"])
        self._term_starts = arrays["term_starts"]
        self._docs = arrays["docs"]
        self._tf = arrays["tf"]
        self._position_starts = arrays["position_starts"]
        self._positions = arrays["positions"]
        if (
            len(self._term_starts) != len(self.terms) + 1
            or int(self._term_starts[-1]) != len(self._docs)
            or len(self._tf) != len(self._docs)
            or len(self._position_starts) != len(self._docs) + 1
            or int(self._position_starts[-1]) != len(self._positions)
            or (len(self._docs) and int(self._docs.max()) >= doc_count)
        ):
            raise ValueError(f"{path.name} does not hold together")

    def _range(self, field: str, text: str, doc_frequency: int) -> tuple[int, int] | None:
        number = self.terms.get((field, text))
        if number is None:
            return None
        start, end = int(self._term_starts[number]), int(self._term_starts[number + 1])
        # Whoosh's own count of the term's documents (deleted ones included, as here):
        # a file that disagrees is not used.
        return (start, end) if end - start == doc_frequency else None

    def postings(
        self, field: str, text: str, doc_frequency: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's documents (ascending) and weights, or None when not kept here."""
        found = self._range(field, text, doc_frequency)
        if found is None:
            return None
        start, end = found
        return self._docs[start:end].astype(np.int64), self._tf[start:end].astype(np.float64)

    def positions(
        self, field: str, text: str, doc_frequency: int, candidates: np.ndarray
    ) -> np.ndarray | None:
        """The term's positions in the documents ``candidates`` (ascending) as sorted
        keys (document, then position), or None when not kept here."""
        if field not in self.with_positions:
            return None
        found = self._range(field, text, doc_frequency)
        if found is None:
            return None
        start, end = found
        docs = self._docs[start:end]
        at = np.searchsorted(docs, candidates)
        inside = at < len(docs)
        held = np.zeros(len(candidates), dtype=bool)
        held[inside] = docs[at[inside]] == candidates[inside]
        postings = start + at[held]
        firsts = self._position_starts[postings].astype(np.int64)
        counts = self._position_starts[postings + 1].astype(np.int64) - firsts
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        # Each posting's run of positions, gathered in one index array.
        before = np.cumsum(counts) - counts
        where = np.repeat(firsts - before, counts) + np.arange(total, dtype=np.int64)
        owners = np.repeat(candidates[held].astype(np.int64), counts)
        return (owners << POSITION_BITS) + self._positions[where].astype(np.int64)


_OPEN: LRUCache[Any] = LRUCache(32)  # a few builds' segments; old builds' maps let go


def of(key: tuple[str, str, int]) -> Columns | None:
    """The columns of the segment ``key`` (its folder, id and document count, as the
    posting cache keys it), or None when it has none or they cannot be used."""

    def load() -> Columns | bool:
        folder, segment, doc_count = key
        path = Path(folder) / f"{segment}{SUFFIX}"
        try:
            return Columns(path, segment, doc_count)
        except FileNotFoundError:
            return False
        except Exception as exc:  # a damaged file: read Whoosh's blocks instead
            log.warning("not using %s: %r", path, exc)
            return False

    found = _OPEN.get_or_load(key, load)
    return found or None


# -- writing -----------------------------------------------------------------------------


def write(path: Path, min_docs: int = MIN_DOCS) -> None:
    """Columns for each segment of the index in ``path`` that has none yet."""
    fixes.apply()
    index = whoosh_index.open_dir(str(path))
    try:
        with index.reader() as reader:
            leaves = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
            for leaf in leaves:
                segment = leaf.segment().segment_id()
                target = path / f"{segment}{SUFFIX}"
                if not target.exists():
                    write_atomically(target, _segment_columns(leaf, segment, min_docs))
    finally:
        index.close()


def _segment_columns(reader: IndexReader, segment: str, min_docs: int) -> bytes:
    fields: dict[str, list[str]] = {}
    with_positions = []
    docs: list[np.ndarray] = []
    tf: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    for field in reader.schema.names():
        spec = reader.schema[field]
        if not spec.indexed:
            continue
        texts = [
            spec.from_bytes(raw)
            for raw, info in reader.iter_field(field)
            if info.doc_frequency() >= min_docs
        ]
        if not texts:
            continue
        fields[field] = texts
        keeps_positions = spec.format.supports("positions")
        if keeps_positions:
            with_positions.append(field)
        for text in texts:
            ids, weights = _postings(read_blocks(matcher_of(reader, field, text), values=False))
            docs.append(ids)
            tf.append(weights)
            if keeps_positions:
                keys = positions_in(reader, field, text, ids)
                owners = keys >> POSITION_BITS
                counts.append(
                    np.searchsorted(owners, ids, side="right") - np.searchsorted(owners, ids)
                )
                positions.append(keys & ((1 << POSITION_BITS) - 1))
            else:
                counts.append(np.zeros(len(ids), dtype=np.int64))
    all_docs = _joined(docs, np.int64)
    all_tf = _joined(tf, np.float64)
    term_starts = np.concatenate([[0], np.cumsum([len(d) for d in docs], dtype=np.int64)])
    position_starts = np.concatenate([[0], np.cumsum(_joined(counts, np.int64))])
    arrays = {
        "term_starts": _smallest(term_starts),
        "docs": all_docs.astype(np.int32),
        "tf": _float(all_tf),
        "position_starts": _smallest(position_starts),
        "positions": _smallest(_joined(positions, np.int64)),
    }
    header: dict[str, Any] = {
        "segment": segment,
        "docs": reader.doc_count_all(),
        "fields": fields,
        "positions": with_positions,
        "arrays": {},
    }
    # Offsets depend on the header's length, which depends on the offsets' digits:
    # place the arrays after a header padded to a generous fixed size.
    names = json.dumps(header, ensure_ascii=False).encode("utf-8")
    room = _aligned(_HEADER.size + len(names) + 64 * len(arrays) + 64)
    offset = room
    for name, array in arrays.items():
        header["arrays"][name] = [offset, array.dtype.str, len(array)]
        offset = _aligned(offset + array.nbytes)
    encoded = json.dumps(header, ensure_ascii=False).encode("utf-8")
    if _HEADER.size + len(encoded) > room:
        raise AssertionError("the columns header outgrew its room")
    out = bytearray(offset)
    out[: _HEADER.size] = _HEADER.pack(MAGIC, len(encoded))
    out[_HEADER.size : _HEADER.size + len(encoded)] = encoded
    for name, array in arrays.items():
        at = header["arrays"][name][0]
        out[at : at + array.nbytes] = array.tobytes()
    return bytes(out)


def _postings(blocks: Iterable[tuple[Any, Any, Any]]) -> tuple[np.ndarray, np.ndarray]:
    ids, weights = [], []
    for block_ids, block_weights, _ in blocks:
        ids.append(np.asarray(block_ids, dtype=np.int64))
        weights.append(np.asarray(block_weights, dtype=np.float64))
    return _joined(ids, np.int64), _joined(weights, np.float64)


def _joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _smallest(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in the narrowest of uint16, uint32, int64 that holds them."""
    top = int(values.max()) if len(values) else 0
    for kind in (np.uint16, np.uint32):
        if top <= np.iinfo(kind).max:
            return values.astype(kind)
    return values.astype(np.int64)


def _float(values: np.ndarray) -> np.ndarray:
    """float32 when every weight survives it (term counts do), float64 otherwise."""
    narrow = values.astype(np.float32)
    return narrow if np.array_equal(narrow.astype(np.float64), values) else values


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN
