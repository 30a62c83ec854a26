"""Single-article updates: the published build brought in line with a few files, in
place, by the one writer, without a rebuild (a librarian's save, ``encyclopedia update``),
and the same step that catches a new build up with saves made while it was built."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
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
from encyclopedia.files import write_atomically
from encyclopedia.languages import DEFAULT as DEFAULT_LANGUAGE
from encyclopedia.search import releases, semantic, stored_tables
from encyclopedia.search.builds import (
    CATALOG,
    CURRENT,
    PublishRefused,
    WriterBusy,
    collector_paused,
    current_build,
    read_catalog,
    writer_lock,
)
from encyclopedia.search.documents import catalog_entry, file_digest, index_document
from encyclopedia.search.engine import writing

log = logging.getLogger(__name__)


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
        # Tens of thousands of catalog entries and checks, no cycles: the collector ran
        # over them again and again (the check against the catalog: 0.35 s, 0.14 without).
        with collector_paused():
            actions = apply_updates(build, content_dir, list(dict.fromkeys(slugs)))
        # Rewriting CURRENT (same build, next generation) is what tells every reader to
        # reopen; one stat per request notices it.
        write_atomically(index_dir / CURRENT, f"{build.name}\n{time.time_ns()}\n")
        releases.after_publication(index_dir, content_dir)
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
    meta = read_catalog(build)
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
    meta = read_catalog(build)
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
    stored_tables.write_tables(build, meta)
    write_atomically(build / CATALOG, json.dumps(meta, ensure_ascii=False))
    semantic.remove_unused_vectors(build, meta)
    stored_tables.remove_unused_tables(build, meta)
    return actions


def old_vectors(build: Path | None) -> tuple[semantic.Rows, Any] | None:
    """A build's vectors to reuse, or None when it has none (or they cannot be read)."""
    if build is None:
        return None
    try:
        meta = read_catalog(build)
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
    old = old_vectors(build)
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
            Neighbour(
                e["slug"],
                e["title"],
                (),  # names are only for notices, which an update does not look for
                e.get("lang", DEFAULT_LANGUAGE),
                e.get("translation_of"),
            )
            for e in catalog.values()
        ),
        _Published(catalog, path.parent),
        notices=False,  # only errors refuse an update
    )
    problems = [
        Problem(str(path), clash.message(lambda slug: f"{slug}.md"), field=clash.field)
        for clash in neighbours.clashes_of(article)
        if clash.severity == "error"
    ]
    if problems:
        raise PublishRefused(problems)
