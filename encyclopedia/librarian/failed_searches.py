"""Searches that found nothing or needed a correction: what patients looked for and the
encyclopedia did not understand, so librarians can teach it.

Only the query text and counts are kept, never who searched, from where or at what time
(the day of the last occurrence only). Queries that look like they carry a person's
details (an email address, a phone or record number) are not kept at all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from encyclopedia.librarian.database import Database
from encyclopedia.normalize import fold

# Health questions do not need long numbers or an @; personal details do.
_PERSONAL = re.compile(r"@|\d[\d\s().-]{5,}\d|\b\d{6,}\b")
MAX_KEPT_LENGTH = 100


@dataclass(frozen=True)
class FailedSearch:
    query: str
    kind: str  # "no results" or "corrected"
    corrected_to: str | None
    count: int
    last_day: str


def keepable(query: str) -> str | None:
    """The form a query is tallied under, or None if it should not be kept."""
    text = " ".join(query.split())
    if not text or len(text) > MAX_KEPT_LENGTH or _PERSONAL.search(text):
        return None
    if not fold(text):
        return None
    return text.casefold()


class FailedSearches:
    def __init__(self, db: Database):
        self.db = db

    def record(self, query: str, kind: str, corrected_to: str | None = None) -> None:
        text = keepable(query)
        if text is None:
            return
        with self.db.write() as db:
            db.execute(
                "INSERT INTO failed_searches (query, kind, corrected_to, count, last_day) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (query) DO UPDATE SET "
                "count = count + 1, kind = excluded.kind, "
                "corrected_to = excluded.corrected_to, last_day = excluded.last_day",
                (text, kind, corrected_to, dt.date.today().isoformat()),
            )

    def top(self, limit: int = 100) -> list[FailedSearch]:
        rows = self.db.read(
            "SELECT * FROM failed_searches ORDER BY count DESC, query LIMIT ?", (limit,)
        )
        return [
            FailedSearch(r["query"], r["kind"], r["corrected_to"], r["count"], r["last_day"])
            for r in rows
        ]

    def get(self, query: str) -> FailedSearch | None:
        rows = self.db.read("SELECT * FROM failed_searches WHERE query = ?", (query,))
        if not rows:
            return None
        r = rows[0]
        return FailedSearch(r["query"], r["kind"], r["corrected_to"], r["count"], r["last_day"])

    def dismiss(self, query: str) -> bool:
        with self.db.write() as db:
            return db.execute("DELETE FROM failed_searches WHERE query = ?", (query,)).rowcount > 0
