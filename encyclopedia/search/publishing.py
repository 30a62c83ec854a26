"""A full reindex: a complete build made aside and published with one atomic switch.

A build that crashes half-way is a folder nobody points at (see ``builds.py`` for the
layout and the lock); the next writer deletes it. Saves made while a build runs are
applied to it before it is published (``updating.apply_updates``).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from encyclopedia.articles import Article, Folder, Problem, load_folder
from encyclopedia.files import write_atomically
from encyclopedia.search import releases, semantic, stored_tables
from encyclopedia.search.builds import (
    CATALOG,
    CURRENT,
    PublishRefused,
    current_build,
    new_build_dir,
    remove_stale_builds,
    writer_lock,
)
from encyclopedia.search.documents import catalog_entry, file_digest, index_document
from encyclopedia.search.engine import writing
from encyclopedia.search.engine.schema import SCHEMA_VERSION
from encyclopedia.search.reindex_status import StatusWriter
from encyclopedia.search.updating import apply_updates, changed_since_build, old_vectors

log = logging.getLogger(__name__)

Progress = Callable[[Article], None]


@dataclass
class BuildReport:
    build: str
    articles: int
    seconds: float
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _die_with_parent() -> None:
    """A rendering worker ends when the reindex that started it does, even under kill -9,
    instead of lingering as an orphan (Linux prctl PR_SET_PDEATHSIG; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call took effect
        os._exit(1)


def _documents(articles: list[Article], processes: int) -> Iterator[dict]:
    """Index documents in order. With more than one process, Markdown is rendered in a
    pool while this process writes, which is how a reindex uses every core."""
    if processes <= 1 or len(articles) < 64:
        yield from map(index_document, articles)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a threaded web process
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_die_with_parent) as pool:
        yield from pool.map(index_document, articles, chunksize=32)


# From this many articles a build with several processes writes one index part per
# process and joins them (engine.writing.join); below it, one writer with the Markdown
# rendered in a pool. A part is a segment, and a search reads each segment's postings
# separately, so a small site keeps one.
PARTS_FROM = 2000
_REPORT_EVERY = 50  # articles between a part's progress messages


def _write_part(path: Path, articles: list[Article], messages: Any) -> None:
    """In a process of its own: one part of the index, saying how far it got."""
    _die_with_parent()
    try:
        done = 0
        with writing.new_index(path) as index:
            for article in articles:
                index.add(index_document(article))
                done += 1
                if done == _REPORT_EVERY:
                    messages.put(("done", done))
                    done = 0
        messages.put(("done", done))
        messages.put(("finished", None))
    except BaseException as exc:  # the parent raises it; a traceback here is for the log
        log.exception("writing the index part in %s failed", path)
        messages.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise


def _write_in_parts(
    path: Path, articles: list[Article], processes: int, progress: Progress | None
) -> None:
    """The index of ``articles`` in ``path``, written as ``processes`` parts at once and
    joined. Any part failing (or its process dying) fails the build."""
    context = multiprocessing.get_context("spawn")  # no fork of a threaded web process
    messages = context.Queue()
    size = -(-len(articles) // processes)
    chunks = [articles[at : at + size] for at in range(0, len(articles), size)]
    parts = [path / f".part-{number}" for number in range(len(chunks))]
    workers = []
    try:
        for part, chunk in zip(parts, chunks, strict=True):
            part.mkdir()
            worker = context.Process(target=_write_part, args=(part, chunk, messages))
            worker.start()
            workers.append(worker)
        reported = 0
        finished = 0
        while finished < len(workers):
            try:
                kind, value = messages.get(timeout=1.0)
            except queue.Empty:
                dead = [w for w in workers if w.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"a process writing the index ended with code {dead[0].exitcode}"
                    ) from None
                continue
            if kind == "failed":
                raise RuntimeError(f"writing the index failed: {value}")
            if kind == "finished":
                finished += 1
            elif progress:
                # Parts run side by side: the count is exact, the order is the parts'.
                for article in articles[reported : reported + value]:
                    progress(article)
                reported += value
        for worker in workers:
            worker.join()
        writing.join(path, parts)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
        messages.close()
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)


def build_into(
    path: Path,
    folder: Folder,
    content_dir: Path,
    progress: Progress | None = None,
    processes: int = 1,
    previous: Path | None = None,
) -> int:
    """Write a complete index of ``folder.articles`` into the empty folder ``path``, with
    the articles' vectors when the model is here (reusing ``previous`` build's vectors of
    articles whose text has not changed)."""
    articles = sorted(folder.articles.values(), key=lambda a: a.slug)
    # The digest of the bytes that were parsed, not of the file now: an edit saved while
    # the build runs must look stale, so the catch-up pass applies it.
    catalog = [
        catalog_entry(
            article,
            folder.digests.get(article.slug) or file_digest(content_dir / f"{article.slug}.md"),
        ).to_dict()
        for article in articles
    ]
    if processes > 1 and len(articles) >= PARTS_FROM:
        _write_in_parts(path, articles, processes, progress)
    else:
        with writing.new_index(path) as index:
            for article, document in zip(articles, _documents(articles, processes), strict=True):
                index.add(document)
                if progress:
                    progress(article)
    meta = {
        "schema": SCHEMA_VERSION,
        "built": dt.datetime.now(dt.UTC).isoformat(),
        "articles": catalog,
    }
    embedder, _ = semantic.load_embedder()
    if embedder is not None:
        texts = {a.slug: semantic.article_text(a) for a in articles}
        meta[semantic.VECTORS_KEY] = semantic.write_vectors(
            path, meta, [a.slug for a in articles], texts, embedder, old_vectors(previous)
        )
    stored_tables.write_tables(path, meta)
    write_atomically(path / CATALOG, json.dumps(meta, ensure_ascii=False))
    # Prove the build opens and holds what it should before anyone can see it.
    held = writing.count(path)
    if held != len(catalog):
        raise RuntimeError(f"the new index holds {held} articles, expected {len(catalog)}")
    return len(catalog)


def rebuild(
    content_dir: Path,
    index_dir: Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
    wait: float | None = None,
    processes: int = 1,
    by: str = "",
) -> BuildReport:
    """Read ``content_dir``, build a fresh index beside the live one, then switch to it.

    Raises :class:`PublishRefused` when any article has an error (unless
    ``skip_invalid``), leaving the served index exactly as it was.
    """
    started = time.perf_counter()
    with writer_lock(index_dir, wait=wait):
        status = StatusWriter(index_dir, by)
        try:
            report = _rebuild_locked(
                content_dir, index_dir, status, skip_invalid, progress, on_start, processes
            )
        except PublishRefused as exc:
            status.finish("failed", f"{len(exc.problems)} article problem(s); nothing changed")
            raise
        except BaseException as exc:
            status.finish("failed", f"{type(exc).__name__}: {exc}; the live index is unchanged")
            raise
        report.seconds = time.perf_counter() - started
        left_out = {p.path for p in report.skipped}
        status.finish(
            "done",
            f"published {report.articles} articles in {report.seconds:.1f} s"
            + (f"; {len(left_out)} file(s) left out for their errors" if left_out else ""),
        )
    return report


def _rebuild_locked(
    content_dir: Path,
    index_dir: Path,
    status: StatusWriter,
    skip_invalid: bool,
    progress: Progress | None,
    on_start: Callable[[int], None] | None,
    processes: int,
) -> BuildReport:
    # Read content under the lock, so an edit saved while we waited is included.
    folder = load_folder(content_dir)
    errors = folder.errors
    if errors and not skip_invalid:
        raise PublishRefused(errors)
    if not folder.articles:
        raise PublishRefused(errors or [Problem(str(content_dir), "there are no articles")])
    status.start(len(folder.articles))
    if on_start:
        on_start(len(folder.articles))

    def counted(article: Article) -> None:
        status.advance()
        if progress:
            progress(article)

    previous = current_build(index_dir)
    path = new_build_dir(index_dir)
    try:
        count = build_into(path, folder, content_dir, counted, processes, previous)
        # Saves that landed while the build ran (the editor does not wait for a full
        # rebuild) are applied to the new build before anyone sees it.
        caught_up = apply_updates(
            path, content_dir, changed_since_build(path, content_dir), skip_invalid=True
        )
        count += sum(1 if a == "added" else -1 if a == "removed" else 0 for _, a in caught_up)
        write_atomically(index_dir / CURRENT, path.name + "\n")
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    remove_stale_builds(index_dir, keep={path} | ({previous} if previous else set()))
    releases.after_publication(index_dir, content_dir)
    return BuildReport(
        build=path.name,
        articles=count,
        seconds=0.0,
        skipped=errors,
        warnings=[p for p in folder.problems if p.severity != "error"],
    )
