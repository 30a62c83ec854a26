"""'Was this page helpful?': per article, how many patients said yes and how many no.

Counts only: no time, no address, no cookie, nothing that could tell who answered. The
librarians see the counts on the dashboard, the articles most often unhelpful first.
"""

from __future__ import annotations

from dataclasses import dataclass

from encyclopedia.librarian.database import Database


@dataclass(frozen=True)
class Answers:
    slug: str
    yes: int
    no: int


class Feedback:
    def __init__(self, db: Database):
        self.db = db

    def record(self, slug: str, helpful: bool) -> None:
        column = "yes" if helpful else "no"  # one of two fixed names, never user text
        with self.db.write() as db:
            db.execute("INSERT OR IGNORE INTO helpful (slug) VALUES (?)", (slug,))
            db.execute(f"UPDATE helpful SET {column} = {column} + 1 WHERE slug = ?", (slug,))  # nosec B608

    def counts(self) -> dict[str, Answers]:
        rows = self.db.read("SELECT slug, yes, no FROM helpful")
        return {r["slug"]: Answers(r["slug"], r["yes"], r["no"]) for r in rows}

    def least_helpful(self, limit: int = 5) -> list[Answers]:
        rows = self.db.read(
            "SELECT slug, yes, no FROM helpful WHERE no > 0 ORDER BY no - yes DESC, no DESC, "
            "slug LIMIT ?",
            (limit,),
        )
        return [Answers(r["slug"], r["yes"], r["no"]) for r in rows]
