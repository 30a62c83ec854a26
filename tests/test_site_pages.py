"""The About page and the other site files: written by librarians beside the articles,
checked like them, edited and versioned from the web, shown at once without a reindex."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from encyclopedia.cli import cli
from encyclopedia.site_files import SITE_FILES, check_folder
from tests.conftest import csrf_token


@pytest.mark.parametrize(
    "path", ["/", "/article/asthma", "/search?q=asthma", "/a-z/a", "/article/nope"]
)
def test_every_page_links_to_the_about_page(client, path: str):
    assert 'href="/about"' in client.get(path).text


def test_the_about_page_says_who_writes_how_articles_are_reviewed_and_privacy(client):
    response = client.get("/about")
    assert response.status_code == 200
    html = response.text
    for heading in ("Who writes the articles", "How articles are reviewed", "Your privacy"):
        assert f">{heading}</h2>" in html
    assert "no trackers" in html and "Last reviewed" not in html.split("<footer")[0]
    assert 'rel="canonical" href="http://localhost/about"' in html
    assert "<loc>http://localhost/about</loc>" in client.get("/sitemap.xml").text


def test_the_about_page_is_not_an_article(client):
    results = client.get("/api/search?q=about+this+encyclopedia").get_json()["results"]
    assert all(r["slug"] != "about" for r in results)
    assert '/article/about"' not in client.get("/a-z/a").text
    assert client.get("/article/about").status_code == 404


def page_form(client, key: str) -> tuple[str, str, str]:
    page = client.get(f"/librarian/files/{key}").text
    base = re.search(r'name="base" value="(\w*)"', page).group(1)
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    return csrf_token(page), base, text


def test_a_librarian_edits_the_about_page_and_patients_see_it_at_once(ann, desk):
    path = desk.extensions["settings"].about_path
    original = path.read_text()
    token, base, _ = page_form(ann, "about.md")

    broken = original.replace("title: About this encyclopedia\n", "")
    refused = ann.post(
        "/librarian/files/about.md", data={"csrf_token": token, "base": base, "text": broken}
    )
    assert refused.status_code == 422 and "the title is missing" in refused.text
    assert path.read_text() == original

    edited = original.replace("## Contact us", "## Contact us\n\nWrite to the librarians.")
    saved = ann.post(
        "/librarian/files/about.md",
        data={"csrf_token": token, "base": base, "text": edited, "note": "contact"},
    )
    assert saved.status_code == 303 and path.read_text() == edited
    assert "Write to the librarians." in desk.test_client().get("/about").text
    history = ann.get("/librarian/history/about.md").text
    assert "edited: contact" in history and "Edit the about page" in history
    assert "about page edited" in ann.get("/librarian/log").text

    stale = ann.post(
        "/librarian/files/about.md", data={"csrf_token": token, "base": base, "text": original}
    )
    assert stale.status_code == 409 and "Someone else changed the about page" in stale.text


def test_the_emergency_words_are_edited_from_the_web_and_used_at_once(ann, desk):
    assert "care-emergency" not in ann.get("/search?q=purple+toes").text
    token, base, text = page_form(ann, "emergency.yaml")
    text = text.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
    text = text.replace("phrases:\n", "phrases:\n  - purple toes\n", 1)
    saved = ann.post(
        "/librarian/files/emergency.yaml", data={"csrf_token": token, "base": base, "text": text}
    )
    assert saved.status_code == 303
    assert "care-emergency" in ann.get("/search?q=purple+toes").text


def test_unknown_site_files_and_the_signed_out_are_turned_away(ann, desk):
    assert ann.get("/librarian/files/secrets.txt").status_code == 404
    assert (
        ann.get("/librarian/files/thesaurus.yaml")
        .headers["Location"]
        .endswith("/librarian/thesaurus")
    )
    signed_out = desk.test_client().get("/librarian/files/about.md")
    assert signed_out.status_code in (302, 303)


def test_a_hand_broken_about_page_keeps_the_last_good_one_and_check_says_why(tmp_path: Path, desk):
    settings = desk.extensions["settings"]
    client = desk.test_client()
    assert "About this encyclopedia" in client.get("/about").text
    settings.about_path.write_text("---\ntitle: [\n---\nBroken.\n")
    assert "About this encyclopedia" in client.get("/about").text  # still the good one
    found = [p for p in check_folder(settings.content_dir) if "about.md" in p.path]
    assert found and found[0].severity == "error"
    result = CliRunner().invoke(
        cli, ["--content-dir", str(settings.content_dir), "--index-dir", str(tmp_path), "check"]
    )
    assert result.exit_code == 1 and "pages/about.md" in result.output


def test_without_an_about_file_the_page_is_a_clear_404(desk):
    desk.extensions["settings"].about_path.unlink()
    response = desk.test_client().get("/about")
    assert response.status_code == 404 and "has not been written yet" in response.text


def test_every_site_file_key_is_a_file_name_never_an_article_slug():
    from encyclopedia.articles import SLUG_PATTERN

    assert all("." in key and not SLUG_PATTERN.match(key) for key in SITE_FILES)


def test_a_site_file_that_cannot_be_read_or_written_is_a_clear_503(ann, desk):
    path = desk.extensions["settings"].about_path
    token, _, text = page_form(ann, "about.md")
    shutil.rmtree(path.parent)
    path.parent.write_text("a file where the pages folder should be")  # fails even for root
    saved = ann.post(
        "/librarian/files/about.md", data={"csrf_token": token, "base": "", "text": text}
    )
    assert saved.status_code == 503 and "could not write the file" in saved.text
    assert path.parent.read_text() == "a file where the pages folder should be"

    path.parent.unlink()
    path.mkdir(parents=True)  # a folder where the file should be
    unreadable = ann.get("/librarian/files/about.md")
    assert unreadable.status_code == 503 and "cannot be read" in unreadable.text
    assert desk.test_client().get("/about").status_code == 404  # never a 500
