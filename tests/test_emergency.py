"""Searches that describe an emergency put the emergency number above the results; the
list is the librarians' file, checked by `check`, used as soon as it is saved."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from encyclopedia import create_app
from encyclopedia.search import Library, rebuild
from encyclopedia.search.emergency import read_emergency_words
from tests.conftest import SHIPPED_CONTENT, write_article


@pytest.mark.parametrize(
    "query",
    ["Crushing chest pain", "my dad has crushing chest pains", "I can't breathe", "suicide"],
)
def test_an_emergency_search_shows_the_number_first(client, query):
    html = client.get("/search", query_string={"q": query}).text
    assert 'class="care care-emergency" role="alert"' in html
    assert html.index("care-emergency") < html.index("</h1>")  # above the results
    assert client.get("/api/search", query_string={"q": query}).get_json()["emergency"] is True


@pytest.mark.parametrize("query", ["chest", "chestnut allergy", "breathing exercises", "asthma"])
def test_other_searches_do_not(client, query):
    assert "care-emergency" not in client.get("/search", query_string={"q": query}).text
    assert client.get("/api/search", query_string={"q": query}).get_json()["emergency"] is False


def test_the_shipped_list_has_no_problems():
    words, problems = read_emergency_words(SHIPPED_CONTENT / "emergency.yaml")
    assert problems == [] and len(words.phrases) > 20


def test_a_librarians_change_is_used_at_once_and_a_broken_one_is_not(tmp_path: Path, content):
    write_article(content, "asthma", "title: Asthma", "Wheezing.\n")
    rebuild(content, tmp_path / "index")
    library = Library(tmp_path / "index", emergency=content / "emergency.yaml")
    assert not library.search("blue lips").emergency
    (content / "emergency.yaml").write_text("phrases:\n  - blue lips\n")
    assert library.search("Blue lips in a baby").emergency
    (content / "emergency.yaml").write_text("phrases: [blue lips\n")  # not YAML
    assert library.search("blue lips").emergency  # the last good list stays in force
    _, problems = read_emergency_words(content / "emergency.yaml")
    assert problems and problems[0].line


@pytest.mark.parametrize(
    "text", ["phrases: notalist\n", "phrases:\n  - 42\n  - ''\n", "- a\n- b\n", "phrases: [x"]
)
def test_check_reports_a_bad_list(tmp_path: Path, text):
    content = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, content)
    (content / "emergency.yaml").write_text(text)
    from click.testing import CliRunner

    from encyclopedia.cli import cli

    result = CliRunner().invoke(
        cli, ["--content-dir", str(content), "--index-dir", str(tmp_path / "index"), "check"]
    )
    assert result.exit_code == 1 and "emergency.yaml" in result.output
    assert "Traceback" not in result.output


def test_a_search_version_changes_with_the_list(tmp_path: Path, content):
    write_article(content, "asthma", "title: Asthma", "Wheezing.\n")
    rebuild(content, tmp_path / "index")
    app = create_app({"content_dir": content, "index_dir": tmp_path / "index"})
    client = app.test_client()
    assert "care-emergency" not in client.get("/search?q=blue+lips").text
    (content / "emergency.yaml").write_text("phrases:\n  - blue lips\n")
    assert "care-emergency" in client.get("/search?q=blue+lips").text  # not the kept page
