"""Releases: what the editor publishes for read-only replicas, and how a copy is checked.

A release is an immutable folder beside the builds::

    index/releases/
      LATEST                 the name of the newest complete release (replaced atomically)
      <version>/             the build's files, hard-linked (no copy, no extra disk)
      <version>/site/        what a replica needs besides the index: the thesaurus, the
                             emergency words, the About page and the figures
      <version>/MANIFEST.json  every file's size and sha256, written last

Why hard links of the build and not the build itself: a single-article update writes
new segments into the live build, so the live folder changes under a copier; a release
never does (Whoosh writes each segment file once; the catalog and vectors are replaced
by rename, so the linked old ones stay as they were). Why a manifest: a replica must be
able to prove a transfer whole before serving it. Replicas fetch releases with rsync
(``replica.py``), an established tool, not a protocol of ours.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from encyclopedia.files import sha256_of, write_atomically
from encyclopedia.media import FOLDER as MEDIA
from encyclopedia.search.builds import WriterBusy, published, writer_lock
from encyclopedia.site_files import SITE_FILES, path_of

log = logging.getLogger(__name__)

RELEASES = "releases"
LATEST = "LATEST"
MANIFEST = "MANIFEST.json"
SITE = "site"
KEEP = 3  # releases kept: a replica part-way through fetching one still finds it
_SKIPPED = {"MAIN_WRITELOCK"}  # Whoosh's empty lock file: a replica never writes


class ReleaseInvalid(Exception):
    """A release (or a copy of one) is incomplete, altered or not a release."""


@dataclass(frozen=True)
class Release:
    path: Path
    version: str
    files: int
    bytes: int


def _files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path


def site_sources(content_dir: Path) -> dict[str, Path]:
    """The files a replica needs besides the index, by their place under ``site/`` (the
    same place they have under content/, so a replica reads them as the editor does)."""
    found = {}
    for key in SITE_FILES:
        path = path_of(content_dir, key)
        if path.is_file():
            found[SITE_FILES[key].relative] = path
    media = content_dir / MEDIA
    if media.is_dir():
        for path in sorted(media.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                found[f"{MEDIA}/{path.name}"] = path
    return found


def _site_digest(sources: Mapping[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sha256_of(sources[name]).encode() + b"\0")
    return digest.hexdigest()[:12]


def latest(index_dir: Path) -> str | None:
    try:
        name = (index_dir / RELEASES / LATEST).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def enabled() -> bool:
    """Whether this node publishes releases for replicas (ENCYCLOPEDIA_RELEASES=1): the
    editor node does; a single machine need not spend the disk."""
    from encyclopedia.config import Settings

    return Settings.from_env().releases


def after_publication(index_dir: Path, content_dir: Path) -> Release | None:
    """A release of what was just published, when this node makes them. Called by every
    writer (reindex, update, a site file or figure saved) under the writer lock. A release
    that cannot be made is logged, never raised: the publication itself has succeeded,
    and ``encyclopedia release`` or the next publication makes it."""
    if not enabled():
        return None
    try:
        return export(index_dir, content_dir)
    except (OSError, ReleaseInvalid) as exc:
        log.error("no release made for the replicas: %s", exc)
        return None


def after_site_change(index_dir: Path, content_dir: Path) -> Release | None:
    """A site file or a figure changed, the index did not: a new release carries it.
    When a writer holds the lock, it will make the release when it finishes."""
    if not enabled():
        return None
    try:
        with writer_lock(index_dir, wait=0):
            return after_publication(index_dir, content_dir)
    except WriterBusy:
        return None


def status(index_dir: Path) -> dict[str, object]:
    """For the editor's /healthz: the newest release, and whether it is of the build being
    served (a release that failed leaves the replicas behind until the next one)."""
    name = latest(index_dir)
    found = published(index_dir)
    current = found[1] if found else None
    return {
        "latest": name,
        "of_published_build": bool(name and current and name.startswith(f"{current}-")),
    }


def export(index_dir: Path, content_dir: Path) -> Release:
    """Make a release of the published build and the site files; called under the writer
    lock after each publication, so the build cannot change while it is linked. A release
    of the same build and site files already made is returned as it is."""
    found = published(index_dir)
    if found is None:
        raise ReleaseInvalid(f"nothing is published in {index_dir}")
    build, version = found
    sources = site_sources(content_dir)
    name = f"{version}-{_site_digest(sources)}"
    releases = index_dir / RELEASES
    target = releases / name
    if (target / MANIFEST).is_file():
        # Made before (a site file changed and was changed back): it is the newest again.
        if latest(index_dir) != name:
            write_atomically(releases / LATEST, name + "\n")
        return _describe(target)
    previous = _previous_digests(releases)
    staging = releases / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / SITE).mkdir(parents=True)
    try:
        for path in build.iterdir():
            if path.is_file() and path.name not in _SKIPPED:
                os.link(path, staging / path.name)
        for relative, source in sources.items():
            (staging / SITE / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, staging / SITE / relative)
        manifest = {
            "version": name,
            "build": build.name,
            "files": {
                str(path.relative_to(staging)): _entry(path, previous) for path in _files(staging)
            },
        }
        write_atomically(staging / MANIFEST, json.dumps(manifest, indent=1))
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    write_atomically(releases / LATEST, name + "\n")
    _prune(releases, keep=name)
    return _describe(target)


def _entry(path: Path, previous: Mapping[tuple[int, int, int], str]) -> dict:
    """Size and digest; a file linked from an earlier release (same inode, size and
    time) keeps its digest, so a one-article update hashes only the new segment."""
    st = path.stat()
    key = (st.st_ino, st.st_size, st.st_mtime_ns)
    return {"size": st.st_size, "sha256": previous.get(key) or sha256_of(path)}


def _previous_digests(releases: Path) -> dict[tuple[int, int, int], str]:
    name = latest(releases.parent)
    if not name:
        return {}
    root = releases / name
    try:
        files = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    known = {}
    for relative, entry in files.items():
        try:
            st = (root / relative).stat()
        except OSError:
            continue
        known[(st.st_ino, st.st_size, st.st_mtime_ns)] = entry["sha256"]
    return known


def _prune(releases: Path, keep: str) -> None:
    ordered = sorted(
        (p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime_ns,
    )
    for path in ordered[:-KEEP]:
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def _describe(root: Path) -> Release:
    manifest = read_manifest(root)
    files = manifest["files"]
    return Release(root, manifest["version"], len(files), sum(f["size"] for f in files.values()))


def read_manifest(root: Path) -> dict:
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict) or not isinstance(manifest["version"], str):
            raise TypeError("not a manifest")
        for relative, entry in files.items():
            if Path(relative).is_absolute() or ".." in Path(relative).parts:
                raise ValueError(f"{relative!r} is outside the release")
            int(entry["size"]), str(entry["sha256"])
    except FileNotFoundError:
        raise ReleaseInvalid(f"{root.name} has no {MANIFEST}: not a complete release") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseInvalid(f"{root.name}/{MANIFEST} cannot be read: {exc}") from exc
    return manifest


def verify(root: Path) -> dict:
    """The manifest of a complete, unaltered copy of a release; ReleaseInvalid saying what
    is missing, extra or different otherwise."""
    manifest = read_manifest(root)
    files = manifest["files"]
    # A release is plain files only: a link could make a replica serve (as a figure)
    # or read (as its thesaurus) a file of its own machine.
    linked = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_symlink())
    if linked:
        raise ReleaseInvalid(f"links are not allowed in a release: {', '.join(linked[:5])}")
    present = {str(p.relative_to(root)) for p in _files(root)}
    missing = sorted(set(files) - present)
    if missing:
        raise ReleaseInvalid(f"{len(missing)} file(s) missing: {', '.join(missing[:5])}")
    extra = sorted(present - set(files))
    if extra:
        raise ReleaseInvalid(f"{len(extra)} file(s) not in the manifest: {', '.join(extra[:5])}")
    for relative, entry in files.items():
        path = root / relative
        if path.stat().st_size != int(entry["size"]) or sha256_of(path) != entry["sha256"]:
            raise ReleaseInvalid(f"{relative} differs from the editor's (size or sha256)")
    return manifest
