"""A short run of the load test (bench/load.py runs it for 60 s): searches, suggestions
and article reads through gunicorn while full reindexes and librarian saves run, with
no errors and the same answers before and after. Run as the documented command is, by
words alone (ENCYCLOPEDIA_SEMANTIC=0): what is checked is serving while builds and saves
write, and with meaning it took 37 s instead of 20 (embedding the topics); searches with meaning
during an update's commit are tested in test_semantic.py."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def test_serving_stays_correct_during_reindexes_and_saves():
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--seconds", "4", "--clients", "6"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ENCYCLOPEDIA_SEMANTIC": "0"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "errors: 0 requests, 0 saves, 0 reindexes" in run.stdout
    assert "same articles before and after: yes" in run.stdout
