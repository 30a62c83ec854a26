"""Writing a build's Whoosh index: a whole new one, or changes to an unpublished copy.

The callers (``publishing``, ``updating``) own the rules around writing: one writer at
a time, builds made aside and switched atomically. This module only turns documents
into segments, and undoes a half-written change when anything fails, so a crash never
leaves a partial commit behind in a folder that will be published.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME as _INDEX_NAME
from whoosh.index import TOC

from encyclopedia.search.engine import columns, fixes
from encyclopedia.search.engine.schema import build_schema

# Posting blocks are compressed (Whoosh's default, zlib). They were written without it
# for a while, to take decompression out of a worker's first searches at 50,000 articles
# (52-59 ms -> 42-45 ms at p95), at twice the index's size. Since the common words are
# read from the columns beside each segment (columns.py), the blocks left to decode are
# few and small: with columns, first searches measured 11.3-12.9 ms with zlib against
# 10.2-14.6 ms without (in process, 2026-12-03), and the index is 302 MB, not 542 MB.
_CODEC = W3Codec()


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
    columns.write(path)


@contextmanager
def changing(path: Path) -> Iterator[Changes]:
    """Changes to the index in ``path``, committed together when the block ends."""
    fixes.apply()
    index = whoosh_index.open_dir(str(path))
    with _committed(index, limitmb=64) as changes:
        yield changes


@contextmanager
def _committed(index: Any, limitmb: int) -> Iterator[Changes]:
    writer = index.writer(limitmb=limitmb, codec=_CODEC)
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


def join(path: Path, parts: Sequence[Path]) -> None:
    """Make the empty folder ``path`` one index of the ``parts`` (each a complete index
    in its own folder, built from consecutive runs of the same ordered documents), their
    segments kept as they are and in order, so document numbers run as if one writer had
    added everything.

    Why: one Whoosh writer analyses and writes every document in one process, and that
    was most of a 50,000-article reindex (150 s with the Markdown rendered in parallel);
    each part written by a process of its own uses every core for the index itself.
    Segments are Whoosh's unit of an index, so joining is moving files and writing a
    table of contents, not merging postings. The parts' folders are emptied."""
    segments: list[Any] = []
    schema = None
    for part in parts:
        toc = TOC.read(FileStorage(str(part)), _INDEX_NAME)
        if schema is not None and toc.schema.names() != schema.names():
            raise ValueError(f"{part} was written with another schema")
        schema = toc.schema
        for segment in toc.segments:
            segments.append(segment)
            for name in segment.list_files(FileStorage(str(part))):
                os.replace(part / name, path / name)
    ids = [segment.segment_id() for segment in segments]
    if len(set(ids)) != len(ids):  # Whoosh draws ids at random: never two alike, but check
        raise ValueError(f"two parts have a segment of the same id: {ids}")
    if schema is None:
        raise ValueError("no parts to join")
    TOC(schema, segments, 1).write(FileStorage(str(path)), _INDEX_NAME)
