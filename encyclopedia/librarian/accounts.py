"""Librarian accounts: names and argon2id password hashes, nothing else."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from encyclopedia.librarian.database import Database

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte password is an attack


class AccountError(ValueError):
    """A name or password that cannot be used, with the reason in plain words."""


@dataclass(frozen=True)
class Librarian:
    name: str
    created: str


class Accounts:
    def __init__(self, db: Database, hasher: PasswordHasher | None = None):
        self.db = db
        # argon2id with the library's current defaults (RFC 9106 low-memory profile).
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _decoy(self) -> str:
        """Verifying against this when a name is unknown makes a wrong name take as long
        as a wrong password, so timing does not reveal which names exist. Made on first
        use: hashing takes 64 MB for a moment, which a worker that only serves patients
        should never pay."""
        return self.hasher.hash("decoy password that matches nothing")

    @staticmethod
    def check_name(name: str) -> str:
        if not NAME_PATTERN.match(name):
            raise AccountError(
                "a librarian name is 2 to 40 letters, digits, dots, hyphens or underscores, "
                "starting with a letter or digit"
            )
        return name

    @staticmethod
    def check_password(password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError(f"the password must be at most {MAX_PASSWORD} characters")
        return password

    def add(self, name: str, password: str) -> Librarian:
        self.check_name(name)
        self.check_password(password)
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        hashed = self.hasher.hash(password)
        with self.db.write() as db:
            if db.execute("SELECT 1 FROM librarians WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"there is already a librarian called {name!r}")
            db.execute(
                "INSERT INTO librarians (name, password, created) VALUES (?, ?, ?)",
                (name, hashed, created),
            )
        return Librarian(name, created)

    def get(self, name: str) -> Librarian | None:
        rows = self.db.read("SELECT name, created FROM librarians WHERE name = ?", (name,))
        return Librarian(rows[0]["name"], rows[0]["created"]) if rows else None

    def all(self) -> list[Librarian]:
        rows = self.db.read("SELECT name, created FROM librarians ORDER BY name COLLATE NOCASE")
        return [Librarian(r["name"], r["created"]) for r in rows]

    def remove(self, name: str) -> None:
        with self.db.write() as db:
            if db.execute("DELETE FROM librarians WHERE name = ?", (name,)).rowcount == 0:
                raise AccountError(f"there is no librarian called {name!r}")

    def set_password(self, name: str, password: str) -> None:
        self.check_password(password)
        hashed = self.hasher.hash(password)
        with self.db.write() as db:
            changed = db.execute(
                "UPDATE librarians SET password = ? WHERE name = ?", (hashed, name)
            ).rowcount
            if changed == 0:
                raise AccountError(f"there is no librarian called {name!r}")

    def verify(self, name: str, password: str) -> Librarian | None:
        """The librarian, if the password is theirs; None otherwise, whatever the reason."""
        if len(password) > MAX_PASSWORD:
            return None
        rows = self.db.read(
            "SELECT name, password, created FROM librarians WHERE name = ?", (name,)
        )
        stored = rows[0]["password"] if rows else self._decoy
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        if self.hasher.check_needs_rehash(stored):
            # Parameters move on; a successful sign-in is the only time we hold the password.
            with self.db.write() as db:
                db.execute(
                    "UPDATE librarians SET password = ? WHERE name = ?",
                    (self.hasher.hash(password), rows[0]["name"]),
                )
        return Librarian(rows[0]["name"], rows[0]["created"])
