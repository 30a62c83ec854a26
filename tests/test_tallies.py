"""Patients' tallies from replicas reach the editor once each, through outages and resends
(librarian/tallies.py, web/internal.py), over real HTTP and real SQLite."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server

from encyclopedia import create_app
from encyclopedia.librarian.database import Database
from encyclopedia.librarian.failed_searches import FailedSearches
from encyclopedia.librarian.feedback import Feedback
from encyclopedia.librarian.tallies import TalliesRefused, delivered, receive, send, take_batch

TOKEN = "a-shared-token-for-the-tests"


def counts(db: Database) -> tuple[dict, dict]:
    failed = {r["query"]: r["count"] for r in db.read("SELECT query, count FROM failed_searches")}
    helpful = {r["slug"]: (r["yes"], r["no"]) for r in db.read("SELECT slug, yes, no FROM helpful")}
    return failed, helpful


def replica_db(tmp_path: Path) -> Database:
    db = Database(tmp_path / "replica.sqlite3")
    searches = FailedSearches(db)
    for _ in range(3):
        searches.record("zzqx blorf", "no results")
    searches.record("hart atack", "corrected", "heart attack")
    searches.flush()
    feedback = Feedback(db)
    feedback.record("asthma", True)
    feedback.record("asthma", False)
    feedback.record("stroke", True)
    return db


def test_a_batch_moves_the_counts_and_waits_until_delivered(tmp_path: Path):
    db = replica_db(tmp_path)
    batch = take_batch(db)
    assert counts(db) == ({}, {})  # moved, not copied: a count is in one place
    assert take_batch(db) == batch  # not delivered yet: the same batch again
    delivered(db, batch["id"])
    assert take_batch(db) is None


def test_the_editor_adds_a_batch_once(tmp_path: Path):
    batch = take_batch(replica_db(tmp_path))
    editor = Database(tmp_path / "editor.sqlite3")
    own = FailedSearches(editor)
    own.record("zzqx blorf", "no results")  # the editor's own patients count too
    own.flush()
    assert receive(editor, batch) is True
    assert receive(editor, batch) is False  # sent again after a lost answer
    failed, helpful = counts(editor)
    assert failed == {"zzqx blorf": 4, "hart atack": 1}
    assert helpful == {"asthma": (1, 1), "stroke": (1, 0)}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_anything_that_is_not_a_batch_is_refused_and_adds_nothing(tmp_path_factory, junk):
    editor = Database(tmp_path_factory.mktemp("editor") / "editor.sqlite3")
    try:
        receive(editor, junk)
    except TalliesRefused:
        pass
    else:
        pytest.fail(f"accepted {junk!r}")
    assert counts(editor) == ({}, {})


def test_negative_counts_are_refused(tmp_path: Path):
    editor = Database(tmp_path / "editor.sqlite3")
    with pytest.raises(TalliesRefused, match="negative"):
        receive(editor, {"id": "x" * 16, "failed": [], "helpful": [["asthma", -5, 0]]})


@pytest.fixture
def editor_server(tmp_path: Path, shipped_index):
    content, index = shipped_index
    app = create_app(
        {
            "content_dir": content,
            "index_dir": index,
            "instance_dir": tmp_path / "editor-instance",
            "replica_token": TOKEN,
            "TESTING": True,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_replica_sends_its_tallies_over_http_through_an_outage(editor_server, tmp_path):
    app, url = editor_server
    db = replica_db(tmp_path)
    with pytest.raises(OSError):
        send(db, "http://127.0.0.1:9", TOKEN, timeout=2)  # the editor is down
    assert db.read("SELECT count(*) AS n FROM outbox")[0]["n"] == 1  # kept for later
    assert send(db, url, TOKEN) == 1
    editor = app.extensions["workspace"].db
    assert counts(editor)[0] == {"zzqx blorf": 3, "hart atack": 1}
    assert send(db, url, TOKEN) == 0  # nothing left
    assert counts(editor)[0] == {"zzqx blorf": 3, "hart atack": 1}
    later = FailedSearches(db)
    later.record("another", "no results")
    later.flush()
    with pytest.raises(OSError, match="403"):
        send(db, url, "the wrong token")
    assert db.read("SELECT count(*) AS n FROM outbox")[0]["n"] == 1


def test_the_endpoint_refuses_strangers_and_bad_batches(editor_server, shipped_index, tmp_path):
    app, _ = editor_server
    client = app.test_client()
    good = {
        "id": "b" * 32,
        "failed": [["zzqx", "no results", None, 2, "2026-12-03"]],
        "helpful": [],
    }
    assert client.post("/internal/tallies", json=good).status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/internal/tallies", json=good, headers=wrong).status_code == 403
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/internal/tallies", data="not json", headers=auth).status_code == 400
    assert client.post("/internal/tallies", json={"id": 3}, headers=auth).status_code == 400
    first = client.post("/internal/tallies", json=good, headers=auth)
    assert first.status_code == 200 and first.json == {"added": True}
    assert client.post("/internal/tallies", json=good, headers=auth).json == {"added": False}
    content, index = shipped_index
    closed = create_app({"content_dir": content, "index_dir": index, "TESTING": True})
    assert closed.test_client().post("/internal/tallies", json=good).status_code == 404


def test_failed_searches_reach_sqlite_without_another_search(tmp_path: Path):
    db = Database(tmp_path / "db.sqlite3")
    searches = FailedSearches(db, flush_every=0.1)
    searches.record("first", "no results")  # flushed at once: none for 0.1 s before
    searches.record("zzqx", "no results")  # waits for the timer, not for a next search
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "zzqx" not in counts(db)[0]:
        time.sleep(0.05)
    assert counts(db)[0] == {"first": 1, "zzqx": 1}


def test_a_batch_the_editor_calls_malformed_is_dropped_not_left_blocking(editor_server, tmp_path):
    app, url = editor_server
    db = replica_db(tmp_path)
    bad = {"id": "c" * 32, "failed": [], "helpful": [["asthma", -1, 0]]}
    with db.write() as conn:
        conn.execute(
            "INSERT INTO outbox (id, payload, made) VALUES (?, ?, ?)",
            (bad["id"], json.dumps(bad), "2000-01-01T00:00:00+00:00"),
        )
    with pytest.raises(OSError, match="dropped"):
        send(db, url, TOKEN)
    assert send(db, url, TOKEN) == 1  # the good counts behind it still arrive
    assert counts(app.extensions["workspace"].db)[0] == {"zzqx blorf": 3, "hart atack": 1}
