"""The command line a librarian uses, run through click's runner and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from encyclopedia.cli import cli
from encyclopedia.search.builds import current_build
from tests.conftest import write_article


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_search_prints_ranked_titles(shipped_index):
    _, index = shipped_index
    result = run("--index-dir", str(index), "search", "balloon", "kyphoplasty")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "result(s) for 'balloon kyphoplasty'" in lines[0]
    assert lines[1].strip().startswith("1. Kyphoplasty  (Balloon kyphoplasty → Kyphoplasty)")


def test_search_json_is_the_same_as_the_api(shipped_index, client):
    _, index = shipped_index
    result = run("--index-dir", str(index), "search", "--json", "--limit", "5", "heart attack")
    assert result.exit_code == 0
    api = client.get("/api/search?q=heart+attack&limit=5").get_json()
    assert json.loads(result.output) == api


def test_search_bad_page_is_a_clear_error(shipped_index):
    result = run("--index-dir", str(shipped_index[1]), "search", "--page", "x", "asthma")
    assert result.exit_code != 0 and "page must be a whole number" in result.output


def test_environment_variables_choose_the_folders(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma")
    env = {"ENCYCLOPEDIA_CONTENT_DIR": str(content), "ENCYCLOPEDIA_INDEX_DIR": str(tmp_path / "ix")}
    assert run("reindex", env=env).exit_code == 0
    assert (tmp_path / "ix" / "CURRENT").exists()
    assert "1. Asthma" in run("search", "asthma", env=env).output


def test_reindex_refuses_a_folder_with_errors_and_says_why(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma")
    write_article(content, "broken", "related: [nowhere]")
    args = ["--content-dir", str(content), "--index-dir", str(tmp_path / "ix")]
    result = run(*args, "reindex")
    assert result.exit_code == 1
    assert "broken.md" in result.output and "[title]" in result.output
    assert "the index was not changed" in result.output
    assert not (tmp_path / "ix" / "CURRENT").exists()
    skipped = run(*args, "reindex", "--skip-invalid")
    assert skipped.exit_code == 0
    assert "left out:" in skipped.output and "Published 1 articles" in skipped.output


def test_check_lists_problems_and_exits_non_zero(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma\ncolour: blue")
    args = ["--content-dir", str(content), "--index-dir", str(tmp_path / "ix")]
    result = run(*args, "check")
    assert result.exit_code == 1  # no index yet
    assert "unknown field 'colour'" in result.output
    run(*args, "reindex")
    assert run(*args, "check").exit_code == 0
    write_article(content, "bad", "title: [unclosed")
    result = run(*args, "check")
    assert result.exit_code == 1 and "bad.md:2" in result.output


def test_check_notices_edits_that_never_reached_the_index(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma")
    args = ["--content-dir", str(content), "--index-dir", str(tmp_path / "ix")]
    run(*args, "reindex")
    write_article(content, "asthma", "title: Asthma", "Changed.\n")
    result = run(*args, "check")
    assert result.exit_code == 1 and "changed since the last reindex: asthma" in result.output


def test_reindex_if_missing_keeps_an_existing_index(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma")
    args = ["--content-dir", str(content), "--index-dir", str(tmp_path / "ix")]
    run(*args, "reindex")
    before = (tmp_path / "ix" / "CURRENT").read_text()
    result = run(*args, "reindex", "--if-missing")
    assert "already published" in result.output
    assert (tmp_path / "ix" / "CURRENT").read_text() == before


def test_reindex_if_missing_replaces_a_build_of_an_older_format(tmp_path: Path, content: Path):
    """A build whose stored HTML an older version rendered is rebuilt by `make run`."""
    write_article(content, "asthma", "title: Asthma")
    args = ["--content-dir", str(content), "--index-dir", str(tmp_path / "ix")]
    run(*args, "reindex")
    build = current_build(tmp_path / "ix")
    meta = json.loads((build / "catalog.json").read_text())
    meta["schema"] = 1
    (build / "catalog.json").write_text(json.dumps(meta))
    result = run(*args, "reindex", "--if-missing")
    assert "older version; rebuilding" in result.output
    rebuilt = current_build(tmp_path / "ix")
    assert rebuilt != build
    assert json.loads((rebuilt / "catalog.json").read_text())["schema"] > 1


def test_runs_as_python_dash_m(shipped_index):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "encyclopedia",
            "--index-dir",
            str(shipped_index[1]),
            "search",
            "meniere",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "Ménière disease" in result.stdout


def test_whoosh_imports_without_warnings():
    """The chosen Whoosh distribution must import cleanly on this Python (see README)."""
    code = (
        "import whoosh.index, whoosh.fields, whoosh.query, whoosh.highlight, "
        "whoosh.analysis, whoosh.searching, whoosh.writing, whoosh.lang.porter"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_serve_on_a_taken_port_says_so_and_how_to_choose_another(shipped_index):
    import socket

    content, index = shipped_index
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for production in ([], ["--production"]):
            result = CliRunner().invoke(
                cli,
                [
                    *("--content-dir", str(content), "--index-dir", str(index), "serve"),
                    *("--port", str(port), *production),
                ],
            )
            assert result.exit_code == 1, result.output
            assert f"port {port} on 127.0.0.1 is already in use" in result.output
            assert f"PORT={port + 1}" in result.output
            assert "Serving on" not in result.output and "Traceback" not in result.output
