"""Writing a build's Whoosh index: a whole new one, or changes to an unpublished copy.

The callers (``publishing``, ``updating``) own the rules around writing: one writer at
a time, builds made aside and switched atomically. This module only turns documents
into segments, and undoes a half-written change when anything fails, so a crash never
leaves a partial commit behind in a folder that will be published.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from whoosh import index as whoosh_index

from encyclopedia.search.engine import fixes
from encyclopedia.search.engine.schema import build_schema


class Changes(Protocol):
    def add(self, document: dict[str, Any]) -> None: ...
    def replace(self, document: dict[str, Any]) -> None: ...
    def delete(self, slug: str) -> None: ...


class _Writer:
    def __init__(self, writer: Any):
        self._writer = writer

    def add(self, document: dict[str, Any]) -> None:
        self._writer.add_document(**document)

    def replace(self, document: dict[str, Any]) -> None:
        self._writer.update_document(**document)

    def delete(self, slug: str) -> None:
        self._writer.delete_by_term("slug", slug)


@contextmanager
def new_index(path: Path) -> Iterator[Changes]:
    """A new, empty index in the folder ``path``, committed when the block ends."""
    fixes.apply()
    index = whoosh_index.create_in(str(path), build_schema())
    with _committed(index, limitmb=256) as changes:
        yield changes


@contextmanager
def changing(path: Path) -> Iterator[Changes]:
    """Changes to the index in ``path``, committed together when the block ends."""
    fixes.apply()
    index = whoosh_index.open_dir(str(path))
    with _committed(index, limitmb=64) as changes:
        yield changes


@contextmanager
def _committed(index: Any, limitmb: int) -> Iterator[Changes]:
    writer = index.writer(limitmb=limitmb)
    try:
        yield _Writer(writer)
    except BaseException:
        writer.cancel()
        index.close()
        raise
    writer.commit()
    index.close()


def count(path: Path) -> int:
    """How many articles the index in ``path`` holds, read back as a reader would."""
    with whoosh_index.open_dir(str(path)).searcher() as searcher:
        return searcher.doc_count()
