"""A read-only replica: fetches the editor's latest release with rsync and serves it.

``pull`` is one attempt, safe to run at any time and as often as wanted (``encyclopedia
replica follow`` runs it every few seconds):

1. read the editor's ``LATEST`` (unreachable: keep serving what we have, say so);
2. fetch that release into ``incoming/`` with rsync, hard-linking every file the build
   being served already has (``--link-dest``), so an update moves only its new segment;
3. prove the copy whole (every file's sha256 against the manifest) and usable (it opens,
   and holds as many articles as its catalog says) before anyone can read it;
4. switch: the build into ``builds/``, then ``site`` (a symlink to the build's site files:
   thesaurus, emergency words, About page, figures), then ``CURRENT``, each atomically;
5. remove builds older than the one before.

A failed attempt leaves the served build exactly as it was. What happened is kept in
``replica.json`` for ``/healthz``: the release served, the editor's latest, when each was
last seen, and the last error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from encyclopedia.config import REPLICA_SITE
from encyclopedia.files import write_atomically
from encyclopedia.search.builds import BUILDS, CURRENT, current_build, writer_lock
from encyclopedia.search.engine import writing
from encyclopedia.search.errors import IndexUnavailable
from encyclopedia.search.releases import LATEST, SITE, ReleaseInvalid, verify
from encyclopedia.search.snapshot import Snapshot

STATUS = "replica.json"
INCOMING = "incoming"
RSYNC_TIMEOUT = 60  # seconds without progress before rsync gives up (--timeout)


class PullFailed(Exception):
    """This attempt failed; the replica still serves its last good release."""


@dataclass(frozen=True)
class PullReport:
    release: str
    changed: bool
    seconds: float


def _rsync(source: str, target: Path, *extra: str) -> None:
    # --modify-window=-1: times compared to the nanosecond, not the second, so a file
    # rewritten within the same second is not taken for the one we have.
    command = [
        "rsync",
        "--archive",
        "--links",  # copied as links, so that verify() refuses them (never followed)
        "--delete",
        "--modify-window=-1",
        f"--timeout={RSYNC_TIMEOUT}",
        *extra,
    ]
    try:
        done = subprocess.run(
            [*command, source, str(target)],
            capture_output=True,
            text=True,
            timeout=RSYNC_TIMEOUT * 10,
            check=False,
        )
    except FileNotFoundError:
        raise PullFailed("rsync is not installed (apt-get install rsync)") from None
    except subprocess.TimeoutExpired:
        raise PullFailed(f"rsync from {source} took too long") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise PullFailed(f"rsync from {source} failed ({done.returncode}): {' '.join(said[-2:])}")


def _join(source: str, name: str) -> str:
    return source.rstrip("/") + "/" + name


def status(index_dir: Path) -> dict:
    try:
        return json.loads((index_dir / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _record(index_dir: Path, **changes: object) -> None:
    said = status(index_dir)
    said.update(changes)
    write_atomically(index_dir / STATUS, json.dumps(said, indent=1))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def pull(source: str, index_dir: Path) -> PullReport:
    """One attempt to serve the editor's latest release; see the module's docstring.
    ``source`` is an rsync address of the editor's ``index/releases`` folder:
    ``rsync://editor/releases``, ``editor:/srv/encyclopedia/index/releases`` or a path."""
    started = dt.datetime.now(dt.UTC)
    index_dir.mkdir(parents=True, exist_ok=True)
    # The writer lock: two pulls at once (a timer and a person) never share incoming/.
    with writer_lock(index_dir, wait=RSYNC_TIMEOUT):
        try:
            try:
                report = _pull_locked(source, index_dir)
            except OSError as exc:  # a full disk, a folder we may not write: said, not fatal
                shutil.rmtree(index_dir / INCOMING, ignore_errors=True)
                raise PullFailed(f"the release could not be stored: {exc}") from exc
        except PullFailed as exc:
            _record(index_dir, checked=_now(), error=str(exc))
            raise
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return PullReport(report[0], report[1], seconds)


def _pull_locked(source: str, index_dir: Path) -> tuple[str, bool]:
    with tempfile.TemporaryDirectory(dir=index_dir) as tmp:
        _rsync(_join(source, LATEST), Path(tmp) / LATEST)
        name = (Path(tmp) / LATEST).read_text(encoding="utf-8").strip()
    if not name or "/" in name or name.startswith("."):
        raise PullFailed(f"the editor's {LATEST} does not name a release: {name!r}")
    serving = status(index_dir).get("release")
    if name == serving and current_build(index_dir) == index_dir / BUILDS / name:
        _record(index_dir, checked=_now(), latest=name, error=None)
        return name, False
    incoming = index_dir / INCOMING / name
    incoming.parent.mkdir(exist_ok=True)
    for stale in incoming.parent.iterdir():  # an interrupted fetch of an older release
        if stale != incoming:
            shutil.rmtree(stale, ignore_errors=True)
    link_dest = current_build(index_dir)
    extra = [f"--link-dest={link_dest}"] if link_dest and link_dest.is_dir() else []
    _rsync(_join(source, name) + "/", incoming, *extra)
    try:
        try:
            verify(incoming)
        except ReleaseInvalid:
            # rsync judged a file unchanged by its size and time and linked ours; compare
            # contents once before calling the release damaged.
            _rsync(_join(source, name) + "/", incoming, "--checksum", *extra)
            verify(incoming)
        _opens(incoming)
    except (ReleaseInvalid, IndexUnavailable) as exc:
        shutil.rmtree(incoming, ignore_errors=True)
        raise PullFailed(f"release {name} refused: {exc}") from exc
    _switch(index_dir, incoming, name)
    _record(index_dir, checked=_now(), latest=name, release=name, switched=_now(), error=None)
    return name, True


def _opens(path: Path) -> None:
    """The copy opens as the web workers will open it, and counts right."""
    snapshot = Snapshot(path, "check")
    try:
        held = writing.count(path)
        if held != len(snapshot.catalog):
            raise IndexUnavailable(
                f"the index holds {held} articles, its catalog {len(snapshot.catalog)}"
            )
    finally:
        snapshot.close()


def _switch(index_dir: Path, incoming: Path, name: str) -> None:
    builds = index_dir / BUILDS
    builds.mkdir(exist_ok=True)
    previous = current_build(index_dir)
    target = builds / name
    if target.exists():
        shutil.rmtree(target)
    incoming.rename(target)
    link = index_dir / REPLICA_SITE
    temporary = index_dir / f".{REPLICA_SITE}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path(BUILDS) / name / SITE)
    os.replace(temporary, link)
    write_atomically(index_dir / CURRENT, name + "\n")
    keep = {target} | ({previous} if previous else set())
    for path in builds.iterdir():
        if path.is_dir() and path not in keep:
            shutil.rmtree(path, ignore_errors=True)
