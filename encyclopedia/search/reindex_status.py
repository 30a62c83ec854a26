"""``index/reindex.json``: how far the running (or last) reindex got, for the dashboard
and ``/healthz``; "starting" the moment one is asked for, "stopped" if it died."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from pathlib import Path

from encyclopedia.files import write_atomically
from encyclopedia.search.builds import writer_running

STATUS = "reindex.json"


class StatusWriter:
    """``index/reindex.json``: how far the running (or last) reindex got, for the dashboard.

    Written only by the lock holder, atomically, at most twice a second.
    """

    def __init__(self, index_dir: Path, by: str):
        self.path = index_dir / STATUS
        self.data: dict = {
            "state": "running",
            "by": by,
            "pid": os.getpid(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "total": 0,
            "done": 0,
            "finished": None,
            "message": "reading the articles",
        }
        self._last = 0.0
        self._write()

    def _write(self) -> None:
        self._last = time.monotonic()
        # The status is a courtesy; a full disk must not fail the build over it.
        with contextlib.suppress(OSError):
            write_atomically(self.path, json.dumps(self.data))

    def start(self, total: int) -> None:
        self.data.update(total=total, message="building the new index")
        self._write()

    def advance(self) -> None:
        self.data["done"] += 1
        if time.monotonic() - self._last >= 0.5:
            self._write()

    def finish(self, state: str, message: str) -> None:
        self.data.update(
            state=state,
            message=message,
            finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        self._write()


START_GRACE = 60.0  # seconds a requested reindex may take to start (it may wait its turn)


def announce_reindex(index_dir: Path, by: str) -> None:
    """Say at once that a reindex was asked for ("starting"), before its process has
    started: otherwise the page shown right after the request still read the last run
    as finished and offered the button again. The reindex overwrites this when it
    holds the lock; :func:`reindex_status` calls it stopped if it never does."""
    index_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "state": "starting",
        "by": by,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "total": 0,
        "done": 0,
        "finished": None,
        "message": "starting: waiting for the reindex to begin",
    }
    write_atomically(index_dir / STATUS, json.dumps(data))


def reindex_status(index_dir: Path) -> dict | None:
    """The last status written, with ``state`` "stopped" when a reindex that says it is
    running no longer holds the lock (it was killed), or one asked for never started."""
    try:
        data = json.loads((index_dir / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("state") == "running" and not writer_running(index_dir):
        data["state"] = "stopped"
        data["message"] = "the reindex stopped before it finished; the live index is unchanged"
    if data.get("state") == "starting" and not writer_running(index_dir):
        try:
            asked = dt.datetime.fromisoformat(str(data.get("started")))
            waited = (dt.datetime.now(dt.UTC) - asked).total_seconds()
        except (TypeError, ValueError):
            waited = START_GRACE
        if waited >= START_GRACE:
            data["state"] = "stopped"
            data["message"] = "the reindex did not start (see reindex.log in the instance folder)"
    return data
