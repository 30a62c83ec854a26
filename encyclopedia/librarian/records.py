"""The editor's records in SQLite: every version of every article (and of the
thesaurus), the trash, and the redirects left by renames. The only SQL about articles;
the schema is ``database.py``'s.

Writes take the connection of a transaction the caller holds (``Database.write``), so a
file and its records change together or not at all; reads take the database.
"""

from __future__ import annotations

import sqlite3

from encyclopedia.articles import digest_of
from encyclopedia.librarian.audit import now
from encyclopedia.librarian.database import Database

OUTSIDE = "(outside the editor)"  # the author of a version written by hand or an import


class Records:
    """Reading the records."""

    def __init__(self, db: Database):
        self.db = db

    def saved_by(self, slug: str, digest: str) -> tuple[str, str] | None:
        """Who saved this very text of ``slug`` last, and when."""
        rows = self.db.read(
            "SELECT author, at FROM revisions WHERE slug = ? AND digest = ? "
            "ORDER BY id DESC LIMIT 1",
            (slug, digest),
        )
        return (rows[0]["author"], rows[0]["at"]) if rows else None

    def versions(self, slug: str) -> list[sqlite3.Row]:
        """Oldest first."""
        return self.db.read("SELECT * FROM revisions WHERE slug = ? ORDER BY id", (slug,))

    def trash(self) -> list[sqlite3.Row]:
        """Newest first."""
        return self.db.read("SELECT * FROM trash ORDER BY id DESC")

    def trashed(self, item_id: int) -> sqlite3.Row | None:
        rows = self.db.read("SELECT * FROM trash WHERE id = ?", (item_id,))
        return rows[0] if rows else None

    def redirect(self, slug: str) -> str | None:
        """Where an old address now leads, after a rename."""
        rows = self.db.read("SELECT new FROM redirects WHERE old = ?", (slug,))
        return rows[0]["new"] if rows else None


def keep_outside_version(db: sqlite3.Connection, slug: str, text: str, digest: str) -> None:
    """Keep the version on disk if the history does not have it yet (a file written by
    hand or by the importer), so a save never loses the text it replaces."""
    row = db.execute(
        "SELECT digest FROM revisions WHERE slug = ? ORDER BY id DESC LIMIT 1", (slug,)
    ).fetchone()
    if row is None or row["digest"] != digest:
        db.execute(
            "INSERT INTO revisions (slug, text, digest, author, at, note, action) "
            "VALUES (?, ?, ?, ?, ?, '', 'outside')",
            (slug, text, digest, OUTSIDE, now()),
        )


def add_version(
    db: sqlite3.Connection, slug: str, text: str | None, who: str, note: str, action: str
) -> None:
    """One more version (``text`` None: a deletion)."""
    db.execute(
        "INSERT INTO revisions (slug, text, digest, author, at, note, action) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            slug,
            text,
            digest_of(text.encode("utf-8")) if text is not None else None,
            who,
            now(),
            note,
            action,
        ),
    )


def rename(db: sqlite3.Connection, old: str, new: str) -> None:
    """The history follows the article to its new address; the old address (and any
    that led to it) now leads there."""
    db.execute("UPDATE revisions SET slug = ? WHERE slug = ?", (new, old))
    db.execute("UPDATE redirects SET new = ? WHERE new = ?", (new, old))
    db.execute(
        "INSERT OR REPLACE INTO redirects (old, new, at) VALUES (?, ?, ?)", (old, new, now())
    )


def arrived(db: sqlite3.Connection, slug: str) -> None:
    """An article at an address ends any redirect from it."""
    db.execute("DELETE FROM redirects WHERE old = ?", (slug,))


def throw_away(
    db: sqlite3.Connection, slug: str, title: str, text: str, who: str, linked_from: list[str]
) -> None:
    """Into the trash, remembering which articles linked to it (to put the links back)."""
    db.execute(
        "INSERT INTO trash (slug, title, text, deleted_by, deleted_at, linked_from) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (slug, title, text, who, now(), " ".join(linked_from)),
    )


def take_out_of_trash(db: sqlite3.Connection, item_id: int) -> None:
    db.execute("DELETE FROM trash WHERE id = ?", (item_id,))
