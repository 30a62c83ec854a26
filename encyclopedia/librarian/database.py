"""The librarians' SQLite database: accounts, article history, trash, redirects, the audit
log and the failed-searches tally. Articles themselves stay files in ``content/``.

SQLite in WAL mode, because gunicorn runs several worker processes that all read it and
any of them may write; a write takes ``BEGIN IMMEDIATE`` so two writers queue instead of
failing half-way. ``synchronous=NORMAL`` never corrupts the database; a power cut can
lose the last commit, and the editor then finds the file on disk ahead of the history
and records it before the next save. One connection per thread, as sqlite3 requires.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from encyclopedia.files import private_file, private_folder

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS librarians (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    password TEXT NOT NULL,
    created TEXT NOT NULL
);
-- Every version of every article the editor has seen, oldest first. ``text`` is NULL for
-- a deletion. Renames move an article's rows to its new slug.
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    text TEXT,
    digest TEXT,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_by_slug ON revisions (slug, id);
CREATE TABLE IF NOT EXISTS trash (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    deleted_by TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    -- Articles whose related lists named this one: restoring puts the links back.
    linked_from TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS redirects (
    old TEXT PRIMARY KEY,
    new TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    slug TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
-- "Was this page helpful?": two counts per article, nothing about who answered.
CREATE TABLE IF NOT EXISTS helpful (
    slug TEXT PRIMARY KEY,
    yes INTEGER NOT NULL DEFAULT 0,
    no INTEGER NOT NULL DEFAULT 0
);
-- Query text and counts only: no time of day, no address, nothing about who searched.
CREATE TABLE IF NOT EXISTS failed_searches (
    query TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    corrected_to TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    last_day TEXT NOT NULL
);
-- A replica's counts on their way to the editor (tallies.py): moved here in one
-- transaction, deleted once the editor has them.
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    made TEXT NOT NULL
);
-- On the editor: replicas' batches already added, so one sent twice counts once.
CREATE TABLE IF NOT EXISTS received_batches (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
"""


class Database:
    """One SQLite file, opened lazily per thread."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        private_file(private_folder(path.parent) / path.name)
        # executescript runs in its own transaction; every statement is IF NOT EXISTS.
        db = self.connection()
        db.executescript(SCHEMA)
        self._migrate(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Bring a database made by an older version up to this schema, in place."""
        columns = {row[1] for row in db.execute("PRAGMA table_info(trash)")}
        if "linked_from" not in columns:  # version 1
            db.execute("ALTER TABLE trash ADD COLUMN linked_from TEXT NOT NULL DEFAULT ''")

    def connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # autocommit mode: transactions are opened explicitly by write().
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            self._local.db = db
        return db

    def read(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction that either lands whole or not at all."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
