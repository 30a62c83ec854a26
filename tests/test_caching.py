"""HTTP caching: ETags tied to the index version, fingerprinted static files, compression."""

from __future__ import annotations

import re
from pathlib import Path

from encyclopedia import create_app
from encyclopedia.search import rebuild
from encyclopedia.search.publishing import update_article
from tests.conftest import write_article


def test_article_pages_answer_conditional_gets_with_304(client):
    first = client.get("/article/kyphoplasty")
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Last-Modified"]
    # Kept, but revalidated on every view: a librarian's save shows on the next one.
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get("/article/kyphoplasty", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/a-z/k", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200  # each page has its own tag


def test_a_reindex_or_an_update_changes_the_etag(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma", "Airways.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    client = create_app({"content_dir": content, "index_dir": index}).test_client()
    tag = client.get("/article/asthma").headers["ETag"]
    write_article(content, "asthma", "title: Asthma", "Airways narrow: wheezing.\n")
    update_article(content, index, "asthma")
    response = client.get("/article/asthma", headers={"If-None-Match": tag})
    assert response.status_code == 200 and "wheezing" in response.get_data(as_text=True)
    tag = response.headers["ETag"]
    rebuild(content, index)
    assert client.get("/article/asthma", headers={"If-None-Match": tag}).status_code == 200


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', html)
    js = re.search(r'src="(/static/suggest\.js\?v=[0-9a-f]{12})"', html)
    assert css and js
    response = client.get(css.group(1))
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]


def test_responses_are_compressed_when_asked(client):
    response = client.get("/article/kyphoplasty", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"


def test_search_results_are_cached_per_index_version(library):
    first = library.search("osteoporosis treatment")
    assert library.search("osteoporosis treatment") is first
    assert library.search_uncached("osteoporosis treatment") == first


def test_the_page_cache_is_bounded_by_size():
    from encyclopedia.web.caching import PageCache

    cache = PageCache(max_bytes=10_000)
    for number in range(100):
        cache.get_or_render("v1", f"/page/{number}", lambda n=number: f"{n:04d}" * 250)
    assert cache.bytes <= 10_000 and len(cache.pages) == 10
    assert "/page/99" in cache.pages and "/page/0" not in cache.pages
    cache.get_or_render("v2", "/page/1", lambda: "new")
    assert list(cache.pages) == ["/page/1"] and cache.bytes == 3


def test_a_thesaurus_change_reaches_a_cached_results_page(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma", "Airways narrow: wheezing.\n")
    write_article(content, "gout", "title: Gout", "A kind of arthritis.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    client = create_app({"content_dir": content, "index_dir": index}).test_client()
    assert "Gout" not in client.get("/search?q=podagra").text
    (content / "thesaurus.yaml").write_text("leads_to:\n  podagra: [gout]\n")
    assert "/article/gout" in client.get("/search?q=podagra").text
