"""A short run of the load test (bench/load.py runs it for 60 s): searches, suggestions
and article reads through gunicorn while full reindexes and librarian saves run, with
no errors and the same answers before and after."""

from __future__ import annotations

from bench import load


def test_serving_stays_correct_during_reindexes_and_saves(capsys):
    assert load.main(["--seconds", "8", "--clients", "6"]) == 0
    output = capsys.readouterr().out
    assert "errors: 0 requests, 0 saves, 0 reindexes" in output
    assert "same articles before and after: yes" in output
