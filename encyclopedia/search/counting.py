"""How many articles a query matches, without scoring them.

Asking Whoosh for ``len(results)`` makes it score every matching article, which is what
made a search slow: only the first page needs scores. The count is the same set algebra
over posting lists (a union for Or, an intersection for And), on bitsets of document
numbers cached per term; only phrases go through Whoosh's matcher. A bitset is a Python
int: union and intersection run in C, and at 50,000 articles one term costs 6 KB, where a
set of its document numbers would cost megabytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

TERM_CACHE_SIZE = 512


def bitset(docnums) -> int:
    bits = bytearray()
    for docnum in docnums:
        byte = docnum >> 3
        if byte >= len(bits):
            bits.extend(bytes(byte - len(bits) + 1))
        bits[byte] |= 1 << (docnum & 7)
    return int.from_bytes(bits, "little")


class Counter:
    """Counts for one published build; safe to share between threads."""

    def __init__(self, cache_size: int = TERM_CACHE_SIZE):
        self._cache: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def count(self, query: wq.Query, searcher: Searcher) -> int:
        return self.docs(query, searcher).bit_count()

    def docs(self, query: wq.Query, searcher: Searcher) -> int:
        if isinstance(query, wq.Term):
            return self._term(query.fieldname, query.text, searcher)
        if isinstance(query, wq.AndMaybe):
            return self.docs(query.a, searcher)
        if isinstance(query, wq.Or):
            found = 0
            for sub in query.subqueries:
                found |= self.docs(sub, searcher)
            return found
        if isinstance(query, wq.And):
            found = -1  # every bit set
            for sub in query.subqueries:
                found &= self.docs(sub, searcher)
                if not found:
                    break
            return max(found, 0)
        if query is wq.NullQuery:
            return 0
        return bitset(query.docs(searcher))  # phrases: positions need Whoosh's matcher

    def _term(self, field: str, text: str, searcher: Searcher) -> int:
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        try:
            # Postings of deleted documents are filtered out by the reader.
            found = bitset(searcher.reader().postings(field, text).all_ids())
        except TermNotFound:
            found = 0
        with self._lock:
            self._cache[key] = found
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return found
