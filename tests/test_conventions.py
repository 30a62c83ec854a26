"""What the outside world parses: robots.txt, the sitemap, the Atom feed, OpenSearch,
JSON-LD and the content API, read back with real parsers (ElementTree, feedparser,
json), and the addresses people type."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from encyclopedia import create_app
from encyclopedia.search import rebuild
from encyclopedia.web import conventions
from tests.conftest import write_article

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def test_robots_names_the_sitemap_and_keeps_crawlers_out_of_searches(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert {"Disallow: /librarian/", "Disallow: /search", "Disallow: /api/"} <= set(lines)


def test_the_sitemap_lists_every_article_and_a_to_z_page_with_lastmod(client, library):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root}
    english = {e.slug for e in library.all_entries("en")}
    spanish = {e.slug for e in library.all_entries("es")}
    assert english and spanish
    # Each article at its own language's address; each language's home and A–Z.
    assert {f"http://localhost/article/{s}" for s in english} <= set(urls)
    assert {f"http://localhost/es/article/{s}" for s in spanish} <= set(urls)
    assert "http://localhost/a-z/k" in urls and "http://localhost/" in urls
    assert "http://localhost/es/a-z/c" in urls and "http://localhost/es/" in urls
    # A translated article names its versions both ways (hreflang).
    xhtml = "{http://www.w3.org/1999/xhtml}link"
    for url in (
        root.find(f"{SITEMAP}url[{SITEMAP}loc='{u}']")
        for u in (
            "http://localhost/article/kyphoplasty",
            "http://localhost/es/article/cifoplastia",
        )
    ):
        assert {(a.get("hreflang"), a.get("href")) for a in url.iter(xhtml)} == {
            ("en", "http://localhost/article/kyphoplasty"),
            ("es", "http://localhost/es/article/cifoplastia"),
        }
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) for day in urls.values())
    reviewed = next(e for e in library.all_entries() if e.reviewed)
    assert urls[f"http://localhost/article/{reviewed.slug}"] == reviewed.reviewed


def test_a_large_sitemap_becomes_an_index_of_parts(app, monkeypatch):
    monkeypatch.setattr(conventions, "SITEMAP_LIMIT", 10)
    client = app.test_client()
    root = ET.fromstring(client.get("/sitemap.xml?large").data)
    assert root.tag == f"{SITEMAP}sitemapindex"
    parts = [s.findtext(f"{SITEMAP}loc") for s in root]
    assert len(parts) > 2
    seen = []
    for part in parts:
        urlset = ET.fromstring(client.get(part.replace("http://localhost", "")).data)
        assert urlset.tag == f"{SITEMAP}urlset" and len(urlset) <= 10
        seen += [u.findtext(f"{SITEMAP}loc") for u in urlset]
    assert len(seen) == len(set(seen)) > 45
    assert client.get("/sitemaps/999.xml").status_code == 404


def test_the_feed_is_valid_atom_of_recently_reviewed_articles(client, library):
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    days = [entry.updated for entry in parsed.entries]
    assert parsed.entries and days == sorted(days, reverse=True)
    first = parsed.entries[0]
    assert first.title and first.id.startswith(
        ("http://localhost/article/", "http://localhost/es/")
    )
    # Its own address first; a translated article also names its other versions.
    links = [link for link in first.links if link.rel == "alternate"]
    assert links[0].href == first.id
    assert all(link.get("hreflang") for link in links[1:])
    home = client.get("/").text
    assert 'type="application/atom+xml"' in home and 'href="/feed.atom"' in home


def test_opensearch_lets_a_browser_search_and_suggest(client):
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    templates = {u.get("type"): u.get("template") for u in root.iter(f"{OPENSEARCH}Url")}
    assert templates["text/html"] == "http://localhost/search?q={searchTerms}"
    suggest = templates["application/x-suggestions+json"].replace("{searchTerms}", "kypho")
    answer = client.get(suggest.replace("http://localhost", ""))
    assert answer.mimetype == "application/x-suggestions+json"
    query, names = json.loads(answer.data)
    assert query == "kypho" and "Kyphoplasty" in names
    assert 'rel="search" type="application/opensearchdescription+xml"' in client.get("/").text


def test_every_page_has_a_canonical_link_description_and_open_graph(client):
    pages = {
        "/article/kyphoplasty?utm_source=x": "http://localhost/article/kyphoplasty",
        "/a-z/k?page=1": "http://localhost/a-z/k",
        "/": "http://localhost/",
        "/search?q=back+pain&utm=1": "http://localhost/search?q=back+pain",
    }
    for address, canonical in pages.items():
        html = client.get(address).text
        assert f'<link rel="canonical" href="{canonical}">' in html, address
        assert f'<meta property="og:url" content="{canonical}">' in html
        assert re.search(r'<meta name="description" content="[^"]{20,}">', html)
        assert '<meta property="og:title" content="' in html
        assert '<meta name="twitter:card" content="summary">' in html
    article = client.get("/article/kyphoplasty").text
    assert '<meta property="og:type" content="article">' in article
    description = re.search(r'<meta name="description" content="([^"]*)">', article).group(1)
    assert "spine" in description.lower() or "vertebra" in description.lower()


def json_ld(html: str) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def test_articles_carry_medical_web_page_structured_data(client, library):
    data = json_ld(client.get("/article/kyphoplasty").text)
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalWebPage"
    assert data["url"] == "http://localhost/article/kyphoplasty"
    assert data["about"]["@type"] == "MedicalProcedure"
    page = library.article("kyphoplasty")
    assert data["about"]["alternateName"] == list(page.also_called)
    assert data["lastReviewed"] == page.reviewed
    assert data["reviewedBy"] == {"@type": "Person", "name": page.reviewed_by}
    kinds = {e.kind for e in library.all_entries()}
    assert set(conventions.ABOUT_TYPES) >= kinds - {None}
    for entry in library.all_entries():
        prefix = "" if entry.lang == "en" else f"/{entry.lang}"
        found = json_ld(client.get(f"{prefix}/article/{entry.slug}").text)
        assert found["about"]["@type"] in {*conventions.ABOUT_TYPES.values(), "MedicalEntity"}
        assert found["inLanguage"] == entry.lang
    # A translation and its original name each other, in schema.org's words.
    assert data["inLanguage"] == "en"
    assert data["workTranslation"] == [
        {
            "@type": "MedicalWebPage",
            "url": "http://localhost/es/article/cifoplastia",
            "inLanguage": "es",
        }
    ]
    spanish = json_ld(client.get("/es/article/cifoplastia").text)
    assert spanish["translationOfWork"]["url"] == "http://localhost/article/kyphoplasty"


def test_a_title_with_markup_characters_stays_inside_its_json_ld(tmp_path: Path, content):
    write_article(content, "odd", 'title: "Odd </script><b>name"\nkind: condition')
    rebuild(content, tmp_path / "index")
    client = create_app({"content_dir": content, "index_dir": tmp_path / "index"}).test_client()
    html = client.get("/article/odd").text
    assert "</script><b>" not in html
    assert json_ld(html)["name"] == "Odd </script><b>name"


def test_the_content_api_gives_a_whole_article(client, library):
    response = client.get("/api/articles/kyphoplasty")
    assert response.status_code == 200
    data = response.get_json()
    page = library.article("kyphoplasty")
    assert data["title"] == page.title and data["also_called"] == list(page.also_called)
    assert [s["heading"] for s in data["sections"]] == [s.heading for s in page.sections]
    assert all(s["html"] for s in data["sections"]) and data["summary_html"]
    assert data["last_reviewed"] == page.reviewed and data["url"].endswith("/article/kyphoplasty")
    assert {r["slug"] for r in data["related"]} == {r.slug for r in page.related}
    missing = client.get("/api/articles/no-such-article")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_the_content_api_lists_pages_filters_and_orders(client, library):
    entries = library.all_entries()
    first = client.get("/api/articles").get_json()
    assert first["total"] == len(entries) and first["page"] == 1
    assert [a["slug"] for a in first["articles"]] == [e.slug for e in entries][:50]
    newest = client.get("/api/articles?order=last_reviewed").get_json()["articles"]
    days = [a["last_reviewed"] or "" for a in newest]
    assert days == sorted(days, reverse=True)
    due = client.get("/api/articles?order=next_review").get_json()["articles"]
    assert [a["last_reviewed"] or "" for a in due] == sorted(a["last_reviewed"] or "" for a in due)
    # The whole catalog can be walked, past the search's 100 pages.
    far = client.get("/api/articles?page=1000").get_json()
    assert far["page"] == 1000 and far["articles"] == [] and far["total"] == len(entries)
    since = max(e.reviewed for e in entries if e.reviewed)
    recent = client.get(f"/api/articles?changed_since={since}").get_json()
    assert recent["total"] >= 1 and all(a["last_reviewed"] >= since for a in recent["articles"])


@pytest.mark.parametrize(
    "query",
    ["order=random", "changed_since=yesterday", "changed_since=2025-02-30", "page=x", "page=0"],
)
def test_the_content_api_refuses_bad_parameters_in_json(client, query):
    response = client.get(f"/api/articles?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]


def test_addresses_people_type_lead_to_the_page(client):
    upper = client.get("/article/Kyphoplasty")
    assert upper.status_code == 301 and upper.location == "/article/kyphoplasty"
    slash = client.get("/article/kyphoplasty/")
    assert slash.status_code == 301 and slash.location == "/article/kyphoplasty"
    assert client.get("/article/Kyphoplasty", follow_redirects=True).status_code == 200
    past = client.get("/search?q=pain&page=99")
    assert past.status_code == 302
    last = client.get(past.location)
    assert last.status_code == 200 and "page=99" not in past.location


def _site(tmp_path: Path, content: Path, **config):
    write_article(
        content,
        "old",
        "title: Old advice\nreviewed: 2020-02-29\nreviewed_by: Dr A. Reviewer\nkind: condition",
    )
    write_article(content, "fresh", "title: Fresh advice\nreviewed: 2026-11-01")
    rebuild(content, tmp_path / "index")
    app = create_app({"content_dir": content, "index_dir": tmp_path / "index", **config})
    return app.test_client()


def test_articles_say_when_the_next_review_is_due_and_when_it_is_overdue(tmp_path, content):
    from tests.test_web import visible

    client = _site(tmp_path, content)
    old = visible(client.get("/article/old").text)
    assert "Last reviewed 29 February 2020 by Dr A. Reviewer." in old
    assert "Next review due 28 February 2023." in old  # no 29 February in 2023
    assert "This article is due for review." in old
    fresh = visible(client.get("/article/fresh").text)
    assert "Next review due 1 November 2029." in fresh and "due for review." not in fresh


def test_the_review_interval_is_a_setting(tmp_path, content):
    from tests.test_web import visible

    client = _site(tmp_path, content, review_years=10)
    old = visible(client.get("/article/old").text)
    assert "Next review due 28 February 2030." in old and "due for review." not in old


def test_an_article_can_be_cited_shared_and_printed_without_script(tmp_path, content):
    client = _site(tmp_path, content)
    html = client.get("/article/old").text
    assert "Old advice. Health Encyclopedia. Last reviewed 29 February 2020." in html
    assert "Available at: http://localhost/article/old" in html
    assert 'readonly value="http://localhost/article/old"' in html
    assert 'href="mailto:?subject=Old%20advice&amp;body=http%3A//localhost/article/old"' in html
    assert "Printed from the Health Encyclopedia: http://localhost/article/old" in html


def test_was_this_page_helpful_counts_answers_without_script_or_cookies(tmp_path, content):
    client = _site(tmp_path, content)
    client.get("/article/old")
    assert 'action="/article/old/helpful"' in client.get("/article/old").text
    for answer in ("no", "no", "yes"):
        response = client.post("/article/old/helpful", data={"answer": answer})
        assert response.status_code == 200 and "Thank you" in response.text
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    app = client.application
    answers = app.extensions["workspace"].feedback.counts()["old"]
    assert (answers.yes, answers.no) == (1, 2)
    # Another site's form, a wrong answer, an article that is not there: refused.
    other = client.post(
        "/article/old/helpful", data={"answer": "no"}, headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 403
    assert client.post("/article/old/helpful", data={"answer": "maybe"}).status_code == 400
    assert client.post("/article/none/helpful", data={"answer": "no"}).status_code == 404
    assert app.extensions["workspace"].feedback.counts()["old"].no == 2
    # Ten answers an hour from one address (the refused ones count too), then a 429.
    statuses = [
        client.post("/article/fresh/helpful", data={"answer": "yes"}).status_code for _ in range(12)
    ]
    first = statuses.index(429)
    assert statuses[0] == 200 and set(statuses[first:]) == {429}


def test_an_answer_that_cannot_be_counted_is_a_clear_503(tmp_path, content):
    client = _site(tmp_path, content)
    db = client.application.extensions["workspace"].db
    with db.write() as connection:
        connection.execute("DROP TABLE helpful")  # the database broken under the app
    response = client.post("/article/old/helpful", data={"answer": "yes"})
    assert response.status_code == 503 and "could not be counted" in response.text
    assert "Traceback" not in response.text
