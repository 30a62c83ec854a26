"""Whatever a librarian types into front matter, nothing breaks: every value becomes a
validation message naming the file (and the line and field where there is one), and the
other articles stay published.

Property-based: hypothesis writes arbitrary front matter (wrong types, nested mappings,
huge strings, impossible dates, YAML that does not parse) into one file of a real site and
drives ``check``, ``update``, ``reindex --skip-invalid``, the dashboard and its "With
problems" filter, and the article's edit and history pages.
"""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encyclopedia.articles import KNOWN_FIELDS, ArticleError, parse_article
from encyclopedia.cli import cli
from encyclopedia.search import Library
from tests.conftest import SHIPPED_CONTENT, librarian_site, sign_in

KEPT = ("kyphoplasty", "osteoporosis", "vertebroplasty", "compression-fractures-of-the-back")
FIELDS = sorted(KNOWN_FIELDS)

dates = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    dates,
    st.integers(0, 50_000).map(lambda n: "x" * n),  # huge strings
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
# Lines as a person types them, unquoted: "reviewed: 2025-02-30", "title: [a", "kind: {".
raw_lines = st.builds(
    lambda name, text: f"{name}: {text}",
    st.sampled_from([*FIELDS, "other"]),
    dates | st.text(alphabet=string.printable.replace("\r", "").replace("\n", ""), max_size=30),
)
front_matters = st.one_of(
    st.dictionaries(st.sampled_from([*FIELDS, "other"]), values, min_size=1).map(
        lambda meta: yaml.safe_dump(meta, allow_unicode=True)
    ),
    st.lists(raw_lines, min_size=1, max_size=6).map("\n".join),
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("any-front-matter")
    content = root / "content"
    content.mkdir()
    shutil.copytree(SHIPPED_CONTENT / "media", content / "media")  # their figures
    for slug in KEPT:  # without their related links, which name articles left out here
        text = (SHIPPED_CONTENT / f"{slug}.md").read_text(encoding="utf-8")
        kept = [line for line in text.splitlines() if not line.startswith("related:")]
        (content / f"{slug}.md").write_text("\n".join(kept) + "\n", encoding="utf-8")
    app = librarian_site(content, root)
    index = app.extensions["settings"].index_dir
    client = app.test_client()
    assert sign_in(client).status_code == 303
    return content, index, client


def run(content: Path, index: Path, *args: str):
    result = CliRunner().invoke(
        cli, ["--content-dir", str(content), "--index-dir", str(index), *args]
    )
    # A command may fail (exit 1 with a message); it must never raise.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(front=front_matters)
def test_no_front_matter_breaks_a_command_or_a_page(site, front: str):
    content, index, client = site
    path = content / "broken.md"
    path.write_text(f"---\n{front}\n---\nA summary.\n\n## Section\nText.\n", encoding="utf-8")
    try:
        parse_article(path.read_text(encoding="utf-8"), path)
        usable = True
    except ArticleError as exc:
        usable = False
        for problem in exc.problems:
            assert problem.path == str(path) and problem.message
            if problem.field in KNOWN_FIELDS and problem.line is not None:
                # The line named is the field's own line in the file.
                line = path.read_text(encoding="utf-8").split("\n")[problem.line - 1]
                assert line.startswith(problem.field), (problem, line)

    checked = run(content, index, "check")
    assert usable or "broken.md" in checked.output
    run(content, index, "update", "broken")
    run(content, index, "reindex", "--skip-invalid")
    for url in (
        "/librarian",
        "/librarian?show=problems",
        "/librarian/edit/broken",
        "/librarian/history/broken",
    ):
        status = client.get(url).status_code
        assert status in (200, 404), (url, status)
    library = Library(index, semantic=False)
    assert {hit.slug for hit in library.search("kyphoplasty").hits} >= {"kyphoplasty"}
    assert library.article("osteoporosis") is not None


def test_an_impossible_date_is_one_message_naming_file_line_and_field(site):
    """The bug as found: ``reviewed: 2025-02-30`` took down check, update and reindex."""
    content, index, client = site
    path = content / "broken.md"
    for day in ("2025-02-30", "2025-13-45"):
        path.write_text(f"---\ntitle: Broken\nreviewed: {day}\n---\nA summary.\n")
        checked = run(content, index, "check")
        assert f"broken.md:3: error [reviewed]: '{day}' is not a real date" in checked.output
        assert run(content, index, "update", "broken").exit_code == 1
        assert run(content, index, "reindex", "--skip-invalid").exit_code == 0
        assert client.get("/librarian?show=problems").status_code == 200
        assert client.get("/librarian/edit/broken").status_code == 200
    path.unlink()
