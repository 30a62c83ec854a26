"""What patients write back on a replica (failed searches, "helpful?" answers), carried
to the editor, where librarians read them, without losing or doubling a count.

A replica moves its counts into an outbox batch in one transaction (so each count is
either still in its tallies or in the batch, never in neither), sends the batch to the
editor's ``/internal/tallies``, and deletes it only once the editor has answered that it
has it. The editor adds a batch once: its id is remembered, so a batch sent again (the
answer was lost, the replica restarted) is not counted twice. Either side may restart
at any point; counts wait in SQLite until they are delivered.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

from encyclopedia.librarian.database import Database

MAX_BATCH_BYTES = 1_000_000  # the editor refuses more; a replica's batch is far smaller
_ROWS = 5000  # per batch, so a long outage does not make one enormous request


class TalliesRefused(ValueError):
    """A batch that is not one (wrong shape or types): nothing of it was added."""


def take_batch(db: Database) -> dict[str, Any] | None:
    """The batch waiting to be sent, made from the current counts if none waits; None
    when there is nothing to send."""
    with db.write() as conn:
        row = conn.execute("SELECT payload FROM outbox ORDER BY made LIMIT 1").fetchone()
        if row is not None:
            return json.loads(row["payload"])
        failed = conn.execute(
            "SELECT query, kind, corrected_to, count, last_day FROM failed_searches "
            "ORDER BY query LIMIT ?",
            (_ROWS,),
        ).fetchall()
        helpful = conn.execute(
            "SELECT slug, yes, no FROM helpful ORDER BY slug LIMIT ?", (_ROWS,)
        ).fetchall()
        if not failed and not helpful:
            return None
        batch = {
            "id": uuid.uuid4().hex,
            "failed": [list(r) for r in failed],
            "helpful": [list(r) for r in helpful],
        }
        conn.executemany("DELETE FROM failed_searches WHERE query = ?", [(r[0],) for r in failed])
        conn.executemany("DELETE FROM helpful WHERE slug = ?", [(r[0],) for r in helpful])
        conn.execute(
            "INSERT INTO outbox (id, payload, made) VALUES (?, ?, ?)",
            (batch["id"], json.dumps(batch), dt.datetime.now(dt.UTC).isoformat()),
        )
    return batch


def delivered(db: Database, batch_id: str) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM outbox WHERE id = ?", (batch_id,))


def _checked(batch: Any) -> dict[str, Any]:
    try:
        if not isinstance(batch, dict) or not isinstance(batch["id"], str):
            raise TypeError("not a batch")
        if not 8 <= len(batch["id"]) <= 64:
            raise ValueError("a batch id is 8 to 64 characters")
        failed = [
            (str(q), str(k), None if c is None else str(c), int(n), str(d)[:10])
            for q, k, c, n, d in batch["failed"]
        ]
        helpful = [(str(s), int(y), int(n)) for s, y, n in batch["helpful"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise TalliesRefused(f"not a batch of tallies: {exc}") from None
    if any(n < 0 for *_, n, _ in failed) or any(y < 0 or n < 0 for _, y, n in helpful):
        raise TalliesRefused("counts cannot be negative")
    return {"id": batch["id"], "failed": failed, "helpful": helpful}


def receive(db: Database, batch: Any) -> bool:
    """Add a replica's batch to the editor's counts; False when it was added before."""
    checked = _checked(batch)
    with db.write() as conn:
        seen = conn.execute("SELECT 1 FROM received_batches WHERE id = ?", (checked["id"],))
        if seen.fetchone():
            return False
        conn.execute(
            "INSERT INTO received_batches (id, at) VALUES (?, ?)",
            (checked["id"], dt.datetime.now(dt.UTC).isoformat()),
        )
        conn.executemany(
            "INSERT INTO failed_searches (query, kind, corrected_to, count, last_day) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (query) DO UPDATE SET "
            "count = count + excluded.count, kind = excluded.kind, "
            "corrected_to = excluded.corrected_to, "
            "last_day = max(last_day, excluded.last_day)",
            checked["failed"],
        )
        conn.executemany(
            "INSERT INTO helpful (slug, yes, no) VALUES (?, ?, ?) ON CONFLICT (slug) DO "
            "UPDATE SET yes = yes + excluded.yes, no = no + excluded.no",
            checked["helpful"],
        )
    return True


def send(db: Database, editor_url: str, token: str, timeout: float = 10.0) -> int:
    """Deliver waiting batches to the editor; returns how many were delivered. A failure
    leaves the batch in the outbox for the next attempt and raises OSError."""
    if not editor_url.startswith(("http://", "https://")):
        raise OSError(f"ENCYCLOPEDIA_EDITOR_URL must be an http(s) address, not {editor_url!r}")
    sent = 0
    while (batch := take_batch(db)) is not None:
        request = urllib.request.Request(  # nosec B310 - http(s) only, checked above
            editor_url.rstrip("/") + "/internal/tallies",
            data=json.dumps(batch).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 400:
                # Not a batch to the editor: kept, it would block every later one.
                delivered(db, batch["id"])
                raise OSError("the editor refused a batch as malformed; it was dropped") from None
            raise OSError(f"the editor refused the tallies: {exc.code} {exc.reason}") from None
        delivered(db, batch["id"])
        sent += 1
    return sent
