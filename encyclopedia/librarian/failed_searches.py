"""Searches that found nothing, nothing good, or needed a correction: what patients looked
for and the encyclopedia did not understand, so librarians can teach it.

Only the query text and counts are kept, never who searched, from where or at what time
(the day of the last occurrence only). Queries that look like they carry a person's
details (an email address, a phone or record number) are not kept at all.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import re
import threading
import time
from dataclasses import dataclass

from encyclopedia.librarian.database import Database
from encyclopedia.normalize import fold

# Health questions do not need long numbers or an @; personal details do.
_PERSONAL = re.compile(r"@|\d[\d\s().-]{5,}\d|\b\d{6,}\b")
MAX_KEPT_LENGTH = 100


@dataclass(frozen=True)
class FailedSearch:
    query: str
    kind: str  # "no results", "weak results" (nothing matched well) or "corrected"
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
    """Counts are gathered in memory and written at most every ``flush_every`` seconds (and
    before any read, and at exit), so a busy search page does not queue on SQLite's
    single writer: one transaction carries many searches."""

    def __init__(self, db: Database, flush_every: float = 2.0):
        self.db = db
        self.flush_every = flush_every
        self._pending: dict[str, list] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self._timer: threading.Timer | None = None
        atexit.register(self._flush_quietly)

    def record(self, query: str, kind: str, corrected_to: str | None = None) -> None:
        text = keepable(query)
        if text is None:
            return
        with self._lock:
            entry = self._pending.setdefault(text, [kind, corrected_to, 0])
            entry[0], entry[1], entry[2] = kind, corrected_to, entry[2] + 1
            due = time.monotonic() - self._last_flush >= self.flush_every
            if not due and self._timer is None:
                # Counts do not wait for the next failed search, which may never come:
                # a replica's are read from SQLite by the process that sends them on.
                self._timer = threading.Timer(self.flush_every, self._flush_quietly)
                self._timer.daemon = True
                self._timer.start()
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = time.monotonic()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not pending:
            return
        today = dt.date.today().isoformat()
        try:
            with self.db.write() as db:
                db.executemany(
                    "INSERT INTO failed_searches (query, kind, corrected_to, count, last_day) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (query) DO UPDATE SET "
                    "count = count + excluded.count, kind = excluded.kind, "
                    "corrected_to = excluded.corrected_to, last_day = excluded.last_day",
                    [(q, k, c, n, today) for q, (k, c, n) in pending.items()],
                )
        except BaseException:
            with self._lock:  # keep the counts for the next attempt
                for query, (kind, corrected, count) in pending.items():
                    entry = self._pending.setdefault(query, [kind, corrected, 0])
                    entry[2] += count
            raise

    def _flush_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.flush()

    def top(self, limit: int = 100) -> list[FailedSearch]:
        self.flush()
        rows = self.db.read(
            "SELECT * FROM failed_searches ORDER BY count DESC, query LIMIT ?", (limit,)
        )
        return [
            FailedSearch(r["query"], r["kind"], r["corrected_to"], r["count"], r["last_day"])
            for r in rows
        ]

    def get(self, query: str) -> FailedSearch | None:
        self.flush()
        rows = self.db.read("SELECT * FROM failed_searches WHERE query = ?", (query,))
        if not rows:
            return None
        r = rows[0]
        return FailedSearch(r["query"], r["kind"], r["corrected_to"], r["count"], r["last_day"])

    def dismiss(self, query: str) -> bool:
        self.flush()
        with self.db.write() as db:
            return db.execute("DELETE FROM failed_searches WHERE query = ?", (query,)).rowcount > 0
