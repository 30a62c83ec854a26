"""The index folder: its layout, the single writer's lock, and finding what is published.

Layout::

    index/
      CURRENT          the name of the build being served (replaced atomically)
      builds/<name>/   complete indexes, each with its catalog.json
      write.lock       held (flock) by the one process allowed to write
      cache/           what a process may keep between starts (the hashed word lists)

Readers only ever follow ``CURRENT``, and ``CURRENT`` only ever names a build that was
finished, committed, reopened and counted. Whoosh's own ``LockError`` cannot happen
because each build folder has exactly one writer: the holder of ``write.lock``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from encyclopedia.articles import Problem
from encyclopedia.files import LockBusy, held, is_held

CURRENT = "CURRENT"
BUILDS = "builds"
LOCK = "write.lock"
CATALOG = "catalog.json"
CACHE = "cache"


class PublishRefused(Exception):
    """The content folder has errors, so nothing was published; the live index is unchanged."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} article problem(s); the index was not changed")
        self.problems = problems


class WriterBusy(Exception):
    """Another process is writing the index."""


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the single-writer lock. ``wait=None`` waits as long as it takes."""
    try:
        with held(index_dir / LOCK, wait) as handle:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()} {dt.datetime.now(dt.UTC).isoformat()}\n")
            handle.flush()
            yield
    except LockBusy:
        raise WriterBusy(
            "another reindex or update is running; try again when it finishes"
        ) from None


def writer_running(index_dir: Path) -> bool:
    """True while some process holds the writer lock."""
    return is_held(index_dir / LOCK)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a build's catalog is read into objects. Parsing
    50,000 entries makes hundreds of thousands of objects and no cycles, yet the collector
    ran again and again over them: 0.30-0.42 s a read, 0.09 s without it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_catalog(build: Path) -> dict:
    """A build's catalog.json (see :func:`collector_paused`). OSError, ValueError."""
    data = (build / CATALOG).read_bytes()
    with collector_paused():
        return json.loads(data)


def published(index_dir: Path) -> tuple[Path, str] | None:
    """The folder ``CURRENT`` names and the version it is at, or None before any publish.

    The first line names the build; a second line, if any, is the generation that
    single-article updates bump. The version covers both, so caches keyed on it see
    an update as a new publication.
    """
    try:
        lines = (index_dir / CURRENT).read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        return None
    name = lines[0].strip()
    if not name or "/" in name or name.startswith("."):
        return None
    generation = lines[1].strip() if len(lines) > 1 else ""
    return index_dir / BUILDS / name, f"{name}.{generation}" if generation else name


def current_build(index_dir: Path) -> Path | None:
    """The folder ``CURRENT`` names, or None when nothing has been published."""
    found = published(index_dir)
    return found[0] if found else None


def new_build_dir(index_dir: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = index_dir / BUILDS / f"{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def remove_stale_builds(index_dir: Path, keep: set[Path]) -> None:
    """Delete builds nobody will open again: crashed ones and all but the last superseded one.

    Called only under the writer lock. A reader that still has a deleted build open
    keeps reading it (POSIX keeps unlinked files alive while open).
    """
    builds = index_dir / BUILDS
    if not builds.is_dir():
        return
    for path in builds.iterdir():
        if path.is_dir() and path not in keep:
            shutil.rmtree(path, ignore_errors=True)
