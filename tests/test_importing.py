"""Importing the MedlinePlus topics from ../shared/corpus into a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from encyclopedia.articles import load_folder, read_article
from encyclopedia.cli import cli
from encyclopedia.importing import CREDIT, ImportError_, import_medlineplus
from encyclopedia.search import Library
from tests.conftest import MEDLINEPLUS_JSON


def test_every_topic_becomes_a_valid_article(medlineplus):
    content, _ = medlineplus
    folder = load_folder(content)
    assert folder.errors == []
    assert len(folder.articles) == 1017
    a1c = folder.articles["a1c"]
    assert a1c.also_called == ("Glycohemoglobin", "HbA1C", "Hemoglobin A1C test")
    assert a1c.source == CREDIT and a1c.source_url == "https://medlineplus.gov/a1c.html"
    assert "blood sugar, level" in a1c.summary  # the producer's " ," is tidied


def test_related_topics_become_slugs(medlineplus):
    content, _ = medlineplus
    article, _ = read_article(content / "osteoporosis.md")
    assert article.related and all((content / f"{s}.md").exists() for s in article.related)


def test_imported_articles_are_searchable_with_their_credit(medlineplus, tmp_path):
    from encyclopedia import create_app

    content, index = medlineplus
    assert Library(index).search("HbA1C").hits[0].slug == "a1c"
    client = create_app({"content_dir": content, "index_dir": index}).test_client()
    html = client.get("/article/a1c").get_data(as_text=True)
    assert "Source:" in html and "MedlinePlus, National Library of Medicine" in html
    assert 'href="https://medlineplus.gov/a1c.html"' in html


def test_existing_files_are_never_overwritten_unless_asked(tmp_path: Path):
    target = tmp_path / "content"
    target.mkdir()
    mine = target / "a1c.md"
    mine.write_text("---\ntitle: A1C\n---\nThe librarian's own words.\n", encoding="utf-8")
    report = import_medlineplus(MEDLINEPLUS_JSON, target, limit=3)
    assert "librarian's own words" in mine.read_text()
    assert any("a1c.md exists" in reason for _, reason in report.skipped)
    import_medlineplus(MEDLINEPLUS_JSON, target, limit=3, overwrite=True)
    assert "librarian's own words" not in mine.read_text()


def test_skipped_topics_are_reported_with_a_reason(tmp_path: Path):
    source = tmp_path / "topics.json"
    source.write_text(
        json.dumps(
            [
                {"id": "1", "title": "Asthma", "content": "About asthma .", "language": "English"},
                {"id": "2", "title": "", "content": "x"},
                {"id": "3", "title": "Asma", "content": "Sobre el asma.", "language": "Spanish"},
                {"id": "4", "title": "Empty", "content": "  "},
                {"id": "5", "title": "ASTHMA", "content": "Again."},
            ]
        ),
        encoding="utf-8",
    )
    report = import_medlineplus(source, tmp_path / "out")
    assert report.written == ["asthma"]
    reasons = dict(report.skipped)
    assert reasons["topic 2"] == "no title"
    assert reasons["Asma"] == "language is Spanish"
    assert reasons["Empty"] == "no summary text"
    assert reasons["ASTHMA"] == "another topic has the same title"
    assert (tmp_path / "out" / "asthma.md").read_text().endswith("About asthma.\n")


@pytest.mark.parametrize("text", ["not json", "{}", "[1, 2]"])
def test_a_file_that_is_not_the_topics_json_is_a_clear_error(tmp_path: Path, text: str):
    source = tmp_path / "bad.json"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ImportError_):
        import_medlineplus(source, tmp_path / "out")
    result = CliRunner().invoke(
        cli, ["import-medlineplus", str(source), "--into", str(tmp_path / "out")]
    )
    assert result.exit_code == 1 and "Error:" in result.output


def test_cli_import_reports_what_it_wrote(tmp_path: Path):
    result = CliRunner().invoke(
        cli,
        [
            "import-medlineplus",
            str(MEDLINEPLUS_JSON),
            "--into",
            str(tmp_path / "out"),
            "--limit",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 5 articles" in result.output
