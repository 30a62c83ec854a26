"""One least-recently-used cache, bounded by a total size, for every in-memory cache.

Rendered pages, search results and posting arrays all need the same thing: keep what
was used last, drop the oldest past a budget, be safe between a worker's threads, and
never hold the lock while the value is computed (a slow search must not stall the
others). Each cache says what "size" means for its values: bytes, or 1 for a count.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class Counts:
    """Hits and misses of a cache, kept across the caches of successive versions: what
    ``bench/caches.py`` reports to say whether a cache earns its memory."""

    __slots__ = ("hits", "misses")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0

    @property
    def hit_rate(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0


class LRUCache(Generic[V]):
    def __init__(
        self, max_size: int, size: Callable[[V], int] = lambda _: 1, counts: Counts | None = None
    ):
        self.max_size = max_size
        self._size_of = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.counts = counts or Counts()

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        """The cached value, or ``load()``'s, kept. Two threads missing the same key at
        once may both load it; the first one stored is kept, both are returned."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.counts.hits += 1
                return self._values[key]
            self.counts.misses += 1
        value = load()
        self.put(key, value)
        return value

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                self.counts.hits += 1
            else:
                self.counts.misses += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` unless ``key`` is already kept (the first value stored wins)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return
            self._values[key] = value
            self._size += self._size_of(value)
            # A value over the whole budget on its own is not kept.
            while self._size > self.max_size and self._values:
                _, dropped = self._values.popitem(last=False)
                self._size -= self._size_of(dropped)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._size = 0

    def resize(self, max_size: int) -> None:
        """A new bound; values past it are dropped, least recently used first."""
        with self._lock:
            self.max_size = max_size
            while self._size > self.max_size and self._values:
                _, dropped = self._values.popitem(last=False)
                self._size -= self._size_of(dropped)

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[Hashable]:
        with self._lock:
            return iter(list(self._values))


class PerVersion(Generic[V]):
    """An :class:`LRUCache` for one version of what its values depend on (the published
    index, the thesaurus); asked for another version, it starts afresh.

    A new cache, not a cleared one: a value of the old version still being made lands
    in the old cache, which nothing reads any more.
    """

    def __init__(self, max_size: int, size: Callable[[V], int] = lambda _: 1):
        self.max_size = max_size
        self._size_of = size
        self.version: Hashable | None = None
        self.counts = Counts()
        self.current: LRUCache[V] = LRUCache(max_size, size, self.counts)
        self._lock = threading.Lock()

    def of(self, version: Hashable) -> LRUCache[V]:
        with self._lock:
            if version != self.version:
                self.current = LRUCache(self.max_size, self._size_of, self.counts)
                self.version = version
            return self.current
