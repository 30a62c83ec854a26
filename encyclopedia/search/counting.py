"""How many articles a query matches, without scoring them.

Asking Whoosh for ``len(results)`` makes it score every matching article, which is what
made a search slow: only the first page needs scores. The count is the same set algebra
over posting lists (a union for Or, an intersection for And), on sets of document
numbers that are cached per term; only phrases go through Whoosh's matcher.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

TERM_CACHE_SIZE = 512


class Counter:
    """Counts for one published build; safe to share between threads."""

    def __init__(self, cache_size: int = TERM_CACHE_SIZE):
        self._cache: OrderedDict[tuple[str, str], frozenset[int]] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def count(self, query: wq.Query, searcher: Searcher) -> int:
        return len(self.docs(query, searcher))

    def docs(self, query: wq.Query, searcher: Searcher) -> frozenset[int] | set[int]:
        if isinstance(query, wq.Term):
            return self._term(query.fieldname, query.text, searcher)
        if isinstance(query, wq.AndMaybe):
            return self.docs(query.a, searcher)
        if isinstance(query, wq.Or):
            found: set[int] = set()
            for sub in query.subqueries:
                found |= self.docs(sub, searcher)
            return found
        if isinstance(query, wq.And):
            sets = sorted((self.docs(sub, searcher) for sub in query.subqueries), key=len)
            return set.intersection(set(sets[0]), *sets[1:]) if sets else set()
        if query is wq.NullQuery:
            return set()
        return set(query.docs(searcher))  # phrases: positions need Whoosh's matcher

    def _term(self, field: str, text: str, searcher: Searcher) -> frozenset[int]:
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        try:
            # Postings of deleted documents are filtered out by the reader.
            found = frozenset(searcher.reader().postings(field, text).all_ids())
        except TermNotFound:
            found = frozenset()
        with self._lock:
            self._cache[key] = found
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return found
