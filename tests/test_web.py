"""The pages and the JSON API through Flask's test client, asserting on what a person sees."""

from __future__ import annotations

import re

import html5lib
import pytest


def page_text(response) -> str:
    return response.get_data(as_text=True)


def assert_valid_html(response) -> None:
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(response.get_data())  # raises on any parse error


def visible(html: str) -> str:
    """Roughly the text a reader sees: inline tags vanish, block tags become spaces."""
    html = re.sub(r"</?(?:a|mark|strong|em|span|time)\b[^>]*>", "", html)
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"')
    return re.sub(r"\s+", " ", text)


def az_names(html: str) -> list[str]:
    """The names listed on an A–Z page, in order."""
    listing = html[html.index('class="az-list"') :]
    listing = listing[: listing.index("</ul>")]
    items = re.findall(r"<li>(.*?)</li>", listing, re.DOTALL)
    return [visible(item).strip().split(", see")[0] for item in items]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search",
        "/search?q=kyphoplasty",
        "/search?q=disease&page=2",
        "/article/kyphoplasty",
        "/article/menieres-disease",
        "/a-z",
        "/a-z/b",
        "/a-z/0-9",
        "/article/no-such-thing",
        "/search?q=zzzzqqq",
    ],
)
def test_every_page_is_valid_html_with_a_title_and_a_search_box(client, url: str):
    response = client.get(url)
    assert response.status_code in (200, 404)
    assert response.mimetype == "text/html"
    assert_valid_html(response)
    html = page_text(response)
    assert re.search(r"<title>[^<]+\| Health Encyclopedia</title>", html)
    assert 'role="search"' in html and 'name="q"' in html
    assert 'name="viewport"' in html


def test_home_links_the_letters_and_offers_search(client):
    html = page_text(client.get("/"))
    assert 'href="/a-z/k"' in html and 'href="/a-z/0-9"' in html
    assert 'type="search"' in html


def test_results_page_shows_count_title_other_name_and_highlighted_snippet(client):
    html = page_text(client.get("/search?q=balloon+kyphoplasty"))
    text = visible(html)
    assert "articles found" in text
    first = html.index('class="result"')
    assert html.index('href="/article/kyphoplasty"') > first
    assert "Balloon kyphoplasty → Kyphoplasty" in text
    assert "<mark" in html


def test_results_are_paginated_ten_a_page(client):
    html = page_text(client.get("/search?q=disease"))
    assert html.count('class="result"') == 10
    assert 'rel="next"' in html and "page=2" in html
    second = page_text(client.get("/search?q=disease&page=2"))
    assert 'rel="prev"' in second and 'start="11"' in second


def test_empty_query_shows_the_search_page(client):
    response = client.get("/search?q=")
    assert response.status_code == 200
    assert "Search the encyclopedia" in page_text(response)


def test_no_results_says_so_and_offers_the_a_to_z(client):
    html = page_text(client.get("/search?q=zzzzqqq"))
    assert "No articles matched" in html and 'href="/a-z"' in html


@pytest.mark.parametrize("page", ["abc", "0", "-1", "9999999999999999999", "1.5"])
def test_bad_page_number_is_a_400_page_not_an_error(client, page: str):
    response = client.get(f"/search?q=kyphoplasty&page={page}")
    assert response.status_code == 400
    assert "page must be" in page_text(response)


def test_query_is_echoed_escaped(client):
    html = page_text(client.get('/search?q=<script>alert(1)</script>"><img+src=x+onerror=1>'))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_api_search_returns_the_documented_json(client):
    response = client.get("/api/search?q=balloon+kyphoplasty&limit=3")
    assert response.status_code == 200
    data = response.get_json()
    assert list(data)[:3] == ["query", "total", "page"] and "results" in data
    assert data["query"] == "balloon kyphoplasty" and data["page"] == 1
    assert len(data["results"]) == 3
    first = data["results"][0]
    assert set(first) == {"slug", "title", "url", "matched_name", "snippet", "section", "why"}
    assert (first["slug"], first["url"], first["matched_name"]) == (
        "kyphoplasty",
        "/article/kyphoplasty",
        "Balloon kyphoplasty",
    )


@pytest.mark.parametrize(
    "params", ["q=x&page=abc", "q=x&page=0", "q=x&limit=0", "q=x&limit=1000", "q=x&limit=ten"]
)
def test_api_bad_parameters_are_400_with_a_json_error(client, params: str):
    response = client.get(f"/api/search?{params}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and body["message"]


def test_api_empty_query_is_an_empty_result(client):
    data = client.get("/api/search?q=").get_json()
    assert data["total"] == 0 and data["results"] == []


def test_api_unknown_route_is_a_json_404(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_article_page_has_every_part(client):
    html = page_text(client.get("/article/kyphoplasty"))
    text = visible(html)
    assert "<h1>Kyphoplasty</h1>" in html
    assert "Also called: Balloon kyphoplasty, Osteoporosis - kyphoplasty" in text
    assert "On this page" in text
    for anchor in (
        "description",
        "why-the-procedure-is-performed",
        "risks",
        "before-the-procedure",
        "after-the-procedure",
        "outlook-prognosis",
        "references",
    ):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert 'href="/article/osteoporosis"' in html  # related articles
    assert "Reviewed" in text and "editorial team" in text
    assert 'href="#top"' in html and "Back to top" in text
    assert "<li>Allergic reactions to medicines</li>" in html  # lists rendered in full


def test_article_mentions_articles_sharing_a_name(client):
    html = page_text(client.get("/article/weight-loss-surgery"))
    assert 'href="/article/coronary-artery-bypass-surgery"' in html


@pytest.mark.parametrize(
    "slug",
    ["kyphoplsty", "no-such-article", "..%2F..%2Fetc%2Fpasswd", "kyphoplasty.md"],
)
def test_unknown_article_is_a_helpful_404(client, slug: str):
    response = client.get(f"/article/{slug}")
    assert response.status_code == 404
    html = page_text(response)
    assert "at this address" in html and 'role="search"' in html


def test_404_suggests_close_matches(client):
    html = page_text(client.get("/article/kyphoplsty"))
    assert "Were you looking for" in html and 'href="/article/kyphoplasty"' in html


def test_a_to_z_index_shows_all_letters_and_links_only_those_with_entries(client):
    html = page_text(client.get("/a-z"))
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        assert f">{letter}<" in html
    assert 'href="/a-z/k"' in html
    assert 'href="/a-z/x"' not in html and 'title="No entries">X<' in html


def test_a_to_z_lists_other_names_as_cross_references(client):
    text = visible(page_text(client.get("/a-z/b")))
    assert "Balloon kyphoplasty, see Kyphoplasty" in text
    assert "Broken back, see Compression fractures of the back" in text


def test_a_to_z_shared_name_points_to_both_articles(client):
    text = visible(page_text(client.get("/a-z/b")))
    assert "Bypass surgery, see Coronary artery bypass surgery; Weight-loss surgery" in text


def test_a_to_z_sorts_ignoring_case_accents_and_punctuation(client):
    names = az_names(page_text(client.get("/a-z/m")))
    assert "Ménière disease" in names and "Ménière's disease" in names
    assert (
        names.index("Magnetic resonance imaging")
        < names.index("Ménière disease")
        < names.index("Migraine")
    )
    assert "Alzheimer's disease" in az_names(page_text(client.get("/a-z/a")))


def test_a_to_z_digits_section(client):
    text = visible(page_text(client.get("/a-z/0-9")))
    assert "5-HIAA test" in text


@pytest.mark.parametrize("letter", ["é", "aa", "1", "%00", "..", "ZZ"])
def test_a_to_z_unknown_letter_is_a_404(client, letter: str):
    assert client.get(f"/a-z/{letter}").status_code == 404


def test_unknown_page_and_wrong_method_are_friendly(client):
    assert client.get("/nowhere").status_code == 404
    response = client.post("/search")
    assert response.status_code == 405 and "Not allowed" in page_text(response)


def test_missing_index_is_a_503_not_a_traceback(tmp_path):
    from encyclopedia import create_app

    app = create_app({"index_dir": tmp_path / "none", "content_dir": tmp_path})
    client = app.test_client()
    assert client.get("/search?q=x").status_code == 503
    assert client.get("/api/search?q=x").get_json()["error"] == "unavailable"
    assert client.get("/").status_code == 503


def test_stylesheet_has_phone_and_print_rules(client):
    css = client.get("/static/style.css").get_data(as_text=True)
    assert "@media print" in css and "max-width: 480px" in css


@pytest.fixture(scope="module")
def paged_client(shipped_index):
    """The shipped articles with four A–Z entries to a page, so a letter has several."""
    from encyclopedia import create_app

    content, index = shipped_index
    app = create_app({"content_dir": content, "index_dir": index, "site_map_page_size": 4})
    return app.test_client()


def test_a_long_letter_is_split_into_pages_named_by_their_first_and_last_entries(
    paged_client, client
):
    every_b = az_names(page_text(client.get("/a-z/b")))
    assert len(every_b) > 20  # the shipped B: one page at the default size
    seen: list[str] = []
    page = 1
    while True:
        response = paged_client.get(f"/a-z/b?page={page}")
        if response.status_code == 302:  # past the last page: sent back to it
            break
        assert_valid_html(response)
        html = page_text(response)
        names = az_names(html)
        assert 1 <= len(names) <= 4
        seen.extend(names)
        # The guide to this page names its first and last entries, and is not a link.
        assert f'<span aria-current="page">{names[0]} – {names[-1]}</span>' in visible_tags(html)
        page += 1
    # Every entry once, in the same order, across the pages.
    assert seen == every_b and page - 1 == -(-len(every_b) // 4)


def visible_tags(html: str) -> str:
    return html.replace("&#39;", "'").replace("&amp;", "&")


def test_a_to_z_pages_link_to_each_other(paged_client):
    first = page_text(paged_client.get("/a-z/b"))
    assert page_text(paged_client.get("/a-z/b?page=1")) == first
    assert 'rel="next" href="/a-z/b?page=2"' in first and 'rel="prev"' not in first
    second = page_text(paged_client.get("/a-z/b?page=2"))
    # Back to page 1 is the letter's own address, not a second URL for the same page.
    assert 'rel="prev" href="/a-z/b"' in second and 'rel="next" href="/a-z/b?page=3"' in second
    assert 'href="/a-z/b?page=1"' not in second
    assert "B has 7 pages; this is page 2" in visible(second)


def test_an_a_to_z_page_past_the_last_leads_to_the_last(paged_client):
    response = paged_client.get("/a-z/b?page=99")
    assert response.status_code == 302 and response.location == "/a-z/b?page=7"
    assert "this is page 7" in visible(page_text(paged_client.get(response.location)))


@pytest.mark.parametrize(
    ("query", "status"), [("page=0", 404), ("page=-1", 404), ("page=two", 400)]
)
def test_an_a_to_z_page_that_is_not_there_is_a_clear_error(paged_client, query, status):
    response = paged_client.get(f"/a-z/b?{query}")
    assert response.status_code == status
    assert "Traceback" not in page_text(response)
    if status == 404:
        assert "The letter B has no page that far on." in page_text(response)
    else:
        assert "page must be a whole number" in page_text(response)


def test_a_short_letter_has_no_page_links(paged_client):
    html = page_text(paged_client.get("/a-z/j"))
    assert 'aria-label="Pages of J"' not in html and "has 1 pages" not in html
