"""Files written so that a crash never leaves half of one, private files, and the one
lock helper: the importer, the index publisher and the librarian editor all use these."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Generic, TypeVar


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str | bytes) -> None:
    """Readers see the old text (or bytes) or the new, never a part: write beside, flush,
    rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def private_folder(path: Path) -> Path:
    """``path`` made (or tightened) to mode 0700: the instance folder holds password
    hashes, the session secret and the audit log, which no other user may read."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty (or tightened) with mode 0600 for its owner alone. SQLite
    gives its -wal and -shm files the main file's mode, so this covers them too.

    An existing file is changed by name, never opened: closing any descriptor of a SQLite
    database drops every POSIX lock this process holds on it, and another connection
    then checkpointed and deleted the write-ahead log under a live one ("no such table"
    in the test suite's shared database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    return path


def private_secret(path: Path) -> str:
    """A random secret kept in ``path`` (mode 0600), made on first use. Several processes
    starting at once agree on one: the first to create the file wins, the rest read it."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    private_folder(path.parent)
    secret = secrets.token_urlsafe(48)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)  # fails if another process got there first
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return secret


class LockBusy(Exception):
    """Another holder kept the lock past the wait allowed."""


@contextlib.contextmanager
def held(path: Path, wait: float | None = None) -> Iterator[IO[str]]:
    """An exclusive ``flock`` on ``path`` for the block, across threads and processes.

    ``wait=None`` waits as long as it takes; otherwise :class:`LockBusy` after ``wait``
    seconds. The kernel drops an flock when its holder dies, even under ``kill -9``, so
    no stale lock can block the next holder. The one lock helper: the index's single
    writer and the editor's one-change-at-a-time both hold theirs through it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if wait is not None else 0))
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise LockBusy(str(path)) from None
                time.sleep(0.05)
        yield handle
    finally:
        handle.close()  # closing drops the flock


def is_held(path: Path) -> bool:
    """True while some holder has the lock on ``path`` (never waits)."""
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


T = TypeVar("T")
Stamp = tuple[int, int] | None  # a file's (mtime_ns, size), None when it is missing


class WatchedFile(Generic[T]):
    """A file librarians edit by hand (the thesaurus, the emergency words), as last read:
    read again when its modification time or size changes (one ``stat`` per call), and
    a read with errors keeps the last good value in force, so a typo never changes what
    patients get. ``read`` returns the value and its problems (each with a
    ``severity``); ``use`` makes what is served from a good read and the file's stamp."""

    def __init__(
        self,
        path: Path | None,
        read: Callable[[Path], tuple[T, list[Any]]],
        initial: T,
        use: Callable[[T, Stamp], T] = lambda value, _stamp: value,
    ):
        self.path = path
        self._read = read
        self._use = use
        self._seen: Stamp = None
        self.current = initial
        self.problems: list[Any] = []

    def get(self) -> T:
        if self.path is None:
            return self.current
        try:
            st = os.stat(self.path)
            seen: Stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            self._seen = seen
            value, problems = self._read(self.path)
            self.problems = problems
            if not any(p.severity == "error" for p in problems):
                self.current = self._use(value, seen)
        return self.current


def sha256_of(path: Path) -> str:
    """A file's sha256, read in 1 MiB blocks (model files and index segments are large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
