"""The audit log: who did what to which article, when. Written in the same transaction as
the change it describes whenever there is one, so the log never claims a change that
did not happen."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from encyclopedia.librarian.database import Database


@dataclass(frozen=True)
class Entry:
    at: str
    who: str
    action: str
    slug: str | None
    detail: str

    def __str__(self) -> str:
        what = f" {self.slug}" if self.slug else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.at}  {self.who}  {self.action}{what}{detail}"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class AuditLog:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def add(
        db: sqlite3.Connection, who: str, action: str, slug: str | None = None, detail: str = ""
    ) -> None:
        """Record inside a transaction the caller already holds."""
        db.execute(
            "INSERT INTO audit (at, who, action, slug, detail) VALUES (?, ?, ?, ?, ?)",
            (now(), who, action, slug, detail),
        )

    def record(self, who: str, action: str, slug: str | None = None, detail: str = "") -> None:
        with self.db.write() as db:
            self.add(db, who, action, slug, detail)

    def recent(self, limit: int = 50, slug: str | None = None) -> list[Entry]:
        if slug:
            rows = self.db.read(
                "SELECT * FROM audit WHERE slug = ? ORDER BY id DESC LIMIT ?", (slug, limit)
            )
        else:
            rows = self.db.read("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [Entry(r["at"], r["who"], r["action"], r["slug"], r["detail"]) for r in rows]
