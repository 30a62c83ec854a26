"""Building an index aside and publishing it with one atomic switch.

Layout of the index folder::

    index/
      CURRENT          the name of the build being served (replaced atomically)
      builds/<name>/   complete Whoosh indexes, each with its catalog.json
      write.lock       held (flock) by the one process allowed to write

Readers only ever follow ``CURRENT``, and ``CURRENT`` only ever names a build that was
finished, committed, reopened and counted. A build that crashes half-way is a folder
nobody points at; the next writer deletes it. The lock is an ``flock``, which the
kernel drops when its holder dies, even under ``kill -9``, so no stale lock can block
the next run. Whoosh's own ``LockError`` cannot happen because each build folder has
exactly one writer: the process that created it.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from encyclopedia.articles import (
    SLUG_PATTERN,
    Article,
    Folder,
    Neighbour,
    Neighbours,
    Problem,
    load_folder,
)
from encyclopedia.files import LockBusy, held, is_held, write_atomically
from encyclopedia.search import semantic
from encyclopedia.search.documents import catalog_entry, file_digest, index_document
from encyclopedia.search.engine import writing
from encyclopedia.search.engine.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
BUILDS = "builds"
LOCK = "write.lock"
CATALOG = "catalog.json"
STATUS = "reindex.json"

Progress = Callable[[Article], None]


class PublishRefused(Exception):
    """The content folder has errors, so nothing was published; the live index is unchanged."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} article problem(s); the index was not changed")
        self.problems = problems


class WriterBusy(Exception):
    """Another process is writing the index."""


@dataclass
class BuildReport:
    build: str
    articles: int
    seconds: float
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


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


def _new_build_dir(index_dir: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = index_dir / BUILDS / f"{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def _remove_stale_builds(index_dir: Path, keep: set[Path]) -> None:
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
    catalog = []
    articles = sorted(folder.articles.values(), key=lambda a: a.slug)
    with writing.new_index(path) as index:
        for article, document in zip(articles, _documents(articles, processes), strict=True):
            index.add(document)
            # The digest of the bytes that were parsed, not of the file now: an edit saved
            # while the build runs must look stale, so the catch-up pass applies it.
            digest = folder.digests.get(article.slug) or file_digest(
                content_dir / f"{article.slug}.md"
            )
            catalog.append(catalog_entry(article, digest).to_dict())
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
            path, meta, [a.slug for a in articles], texts, embedder, _old_vectors(previous)
        )
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
    path = _new_build_dir(index_dir)
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
    _remove_stale_builds(index_dir, keep={path} | ({previous} if previous else set()))
    return BuildReport(
        build=path.name,
        articles=count,
        seconds=0.0,
        skipped=errors,
        warnings=[p for p in folder.problems if p.severity != "error"],
    )


class StatusWriter:
    """``index/reindex.json``: how far the running (or last) reindex got, for the dashboard.

    Written only by the lock holder, atomically, at most twice a second.
    """

    def __init__(self, index_dir: Path, by: str):
        self.path = index_dir / STATUS
        self.data: dict = {
            "state": "running",
            "by": by,
            "pid": os.getpid(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "total": 0,
            "done": 0,
            "finished": None,
            "message": "reading the articles",
        }
        self._last = 0.0
        self._write()

    def _write(self) -> None:
        self._last = time.monotonic()
        # The status is a courtesy; a full disk must not fail the build over it.
        with contextlib.suppress(OSError):
            write_atomically(self.path, json.dumps(self.data))

    def start(self, total: int) -> None:
        self.data.update(total=total, message="building the new index")
        self._write()

    def advance(self) -> None:
        self.data["done"] += 1
        if time.monotonic() - self._last >= 0.5:
            self._write()

    def finish(self, state: str, message: str) -> None:
        self.data.update(
            state=state,
            message=message,
            finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        self._write()


START_GRACE = 60.0  # seconds a requested reindex may take to start (it may wait its turn)


def announce_reindex(index_dir: Path, by: str) -> None:
    """Say at once that a reindex was asked for ("starting"), before its process has
    started: otherwise the page shown right after the request still read the last run
    as finished and offered the button again. The reindex overwrites this when it
    holds the lock; :func:`reindex_status` calls it stopped if it never does."""
    index_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "state": "starting",
        "by": by,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "total": 0,
        "done": 0,
        "finished": None,
        "message": "starting: waiting for the reindex to begin",
    }
    write_atomically(index_dir / STATUS, json.dumps(data))


def reindex_status(index_dir: Path) -> dict | None:
    """The last status written, with ``state`` "stopped" when a reindex that says it is
    running no longer holds the lock (it was killed), or one asked for never started."""
    try:
        data = json.loads((index_dir / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("state") == "running" and not writer_running(index_dir):
        data["state"] = "stopped"
        data["message"] = "the reindex stopped before it finished; the live index is unchanged"
    if data.get("state") == "starting" and not writer_running(index_dir):
        try:
            asked = dt.datetime.fromisoformat(str(data.get("started")))
            waited = (dt.datetime.now(dt.UTC) - asked).total_seconds()
        except (TypeError, ValueError):
            waited = START_GRACE
        if waited >= START_GRACE:
            data["state"] = "stopped"
            data["message"] = "the reindex did not start (see reindex.log in the instance folder)"
    return data


@dataclass
class UpdateReport:
    slug: str
    action: str  # "added", "updated", "removed" or "unchanged"
    seconds: float


def _refuse_non_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise PublishRefused(
            [
                Problem(
                    slug,
                    "not a slug: lowercase letters, digits and hyphens, the file name without .md",
                    field="slug",
                )
            ]
        )


def update_articles(
    content_dir: Path, index_dir: Path, slugs: list[str], *, wait: float | None = None
) -> list[UpdateReport]:
    """Bring some articles of the published index in line with their files, without a
    rebuild: one writer, one commit, however many slugs (a rename touches several).

    Under the writer lock, so it waits for a full reindex in progress and then applies
    to the build that reindex published: an edit saved during a rebuild is never lost.
    Raises :class:`PublishRefused` when a file has errors; the index is then unchanged.
    """
    for slug in slugs:
        _refuse_non_slug(slug)
    started = time.perf_counter()
    with writer_lock(index_dir, wait=wait):
        build = current_build(index_dir)
        if build is None:
            raise PublishRefused(
                [Problem(str(index_dir), "no index is published yet; run reindex")]
            )
        actions = apply_updates(build, content_dir, list(dict.fromkeys(slugs)))
        # Rewriting CURRENT (same build, next generation) is what tells every reader to
        # reopen; one stat per request notices it.
        write_atomically(index_dir / CURRENT, f"{build.name}\n{time.time_ns()}\n")
    seconds = time.perf_counter() - started
    return [UpdateReport(slug, action, seconds) for slug, action in actions]


def update_after_save(
    content_dir: Path, index_dir: Path, slugs: list[str], *, wait: float
) -> threading.Thread | None:
    """Bring saved files into the index: now, or, when a full reindex holds the writer
    lock past ``wait`` seconds, as soon as it lets go. A save never fails because the
    writer is busy: the file is already on disk, the reindex's own catch-up applies what
    was saved before it publishes, and the returned thread (already started) applies what
    came after. Returns None when the update was made now.

    The editor and the load benchmark both save through this, so what the benchmark
    measures is what a librarian gets. Raises PublishRefused (the file has errors) and
    OSError as :func:`update_articles` does, when updating now."""
    try:
        update_articles(content_dir, index_dir, slugs, wait=wait)
        return None
    except WriterBusy:
        later = threading.Thread(
            target=_update_when_free, args=(content_dir, index_dir, slugs), daemon=True
        )
        later.start()
        return later


def _update_when_free(content_dir: Path, index_dir: Path, slugs: list[str]) -> None:
    try:
        update_articles(content_dir, index_dir, slugs, wait=None)
    except Exception:  # a thread has no caller to tell; the health check shows it stale
        log.exception("index update for %s after a reindex failed", slugs)


def update_article(
    content_dir: Path, index_dir: Path, slug: str, *, wait: float | None = None
) -> UpdateReport:
    """One article: see :func:`update_articles`."""
    return update_articles(content_dir, index_dir, [slug], wait=wait)[0]


def changed_since_build(build: Path, content_dir: Path) -> list[str]:
    """Slugs whose file differs from what ``build`` holds: edited, added or removed."""
    meta = json.loads((build / CATALOG).read_text(encoding="utf-8"))
    indexed = {entry["slug"]: entry.get("digest", "") for entry in meta["articles"]}
    on_disk = {p.stem: p for p in content_dir.glob("*.md") if SLUG_PATTERN.match(p.stem)}
    changed = [slug for slug in indexed if slug not in on_disk]
    for slug, path in on_disk.items():
        try:
            if indexed.get(slug) != file_digest(path):
                changed.append(slug)
        except OSError:
            changed.append(slug)
    return sorted(changed)


def apply_updates(
    build: Path, content_dir: Path, slugs: list[str], *, skip_invalid: bool = False
) -> list[tuple[str, str]]:
    """Apply files to ``build`` (caller holds the writer lock). Removals go first, so a
    rename (old slug gone, new slug with the same title) is not refused as a duplicate."""
    if not slugs:
        return []
    meta = json.loads((build / CATALOG).read_text(encoding="utf-8"))
    catalog = {entry["slug"]: entry for entry in meta["articles"]}
    paths = {slug: content_dir / f"{slug}.md" for slug in slugs}
    present = [slug for slug in slugs if paths[slug].exists()]
    folder = load_folder(content_dir, paths=[paths[slug] for slug in present])
    actions: list[tuple[str, str]] = []
    with writing.changing(build) as index:
        for slug in slugs:
            if slug not in present:
                if slug in catalog:
                    index.delete(slug)
                    catalog.pop(slug)
                    actions.append((slug, "removed"))
                else:
                    actions.append((slug, "unchanged"))
        for slug in present:
            article = folder.articles.get(slug)
            try:
                if article is None:
                    mine = [p for p in folder.errors if Path(p.path).stem == slug]
                    raise PublishRefused(mine or folder.errors)
                _check_against_catalog(article, catalog, paths[slug])
            except PublishRefused:
                if skip_invalid:
                    actions.append((slug, "unchanged"))
                    continue
                raise
            action = "updated" if slug in catalog else "added"
            index.replace(index_document(article))
            catalog[slug] = catalog_entry(article, folder.digests[slug]).to_dict()
            actions.append((slug, action))
    meta["articles"] = sorted(catalog.values(), key=lambda entry: entry["slug"])
    _update_vectors(build, meta, folder, [s for s, a in actions if a in ("added", "updated")])
    write_atomically(build / CATALOG, json.dumps(meta, ensure_ascii=False))
    semantic.remove_unused_vectors(build, meta)
    return actions


def _old_vectors(build: Path | None) -> tuple[semantic.Rows, Any] | None:
    """A build's vectors to reuse, or None when it has none (or they cannot be read)."""
    if build is None:
        return None
    try:
        meta = json.loads((build / CATALOG).read_text(encoding="utf-8"))
        return semantic.read_vectors(build, meta)
    except (OSError, ValueError, KeyError):
        return None


def _update_vectors(build: Path, meta: dict, folder: Folder, changed: list[str]) -> None:
    """Keep a build's vectors in step with its catalog: only changed articles are embedded.
    A build made without vectors stays without; one whose vectors cannot be kept in step
    (no model in this process) loses them, since a stale vector would rank wrongly."""
    if semantic.VECTORS_KEY not in meta:
        return
    embedder, reason = semantic.load_embedder()
    old = _old_vectors(build)
    if embedder is None or old is None:
        log.warning("this build's vectors are dropped: %s", reason)
        meta.pop(semantic.VECTORS_KEY)
        return
    slugs = [entry["slug"] for entry in meta["articles"]]
    texts = {slug: semantic.article_text(folder.articles[slug]) for slug in changed}
    meta[semantic.VECTORS_KEY] = semantic.write_vectors(build, meta, slugs, texts, embedder, old)


class _Published:
    """A related slug exists if the build has it or its file is in the folder."""

    def __init__(self, catalog: dict, folder: Path):
        self.catalog, self.folder = catalog, folder

    def __contains__(self, slug: object) -> bool:
        return slug in self.catalog or (self.folder / f"{slug}.md").exists()


def _check_against_catalog(article: Article, catalog: dict, path: Path) -> None:
    """The rules between articles (articles.Neighbours), against the build's catalog."""
    neighbours = Neighbours(
        (
            Neighbour(e["slug"], e["title"], (e["title"], *e.get("also_called", ())))
            for e in catalog.values()
        ),
        _Published(catalog, path.parent),
    )
    problems = [
        Problem(str(path), clash.message(lambda slug: f"{slug}.md"), field=clash.field)
        for clash in neighbours.clashes(article.slug, article.title, article.names, article.related)
        if clash.severity == "error"
    ]
    if problems:
        raise PublishRefused(problems)
