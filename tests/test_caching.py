"""HTTP caching: ETags tied to the index version, fingerprinted static files, compression."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from flask import request
from werkzeug.test import Client

from encyclopedia import create_app
from encyclopedia.search import rebuild
from encyclopedia.search.updating import update_article
from encyclopedia.web.response_cache import SHAREABLE, ResponseCache
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
    # The same page for everyone: shared caches keep one copy per encoding, not per cookie.
    assert response.headers["Vary"] == "Accept-Encoding" and "Set-Cookie" not in response.headers


def test_a_kept_page_is_compressed_once_and_decompresses_to_the_page(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma", "Airways narrow: wheezing.\n" * 40)
    index = tmp_path / "index"
    rebuild(content, index)
    app = create_app({"content_dir": content, "index_dir": index})
    handled = _handled_by_flask(app)
    client = app.test_client()
    plain = client.get("/article/asthma").get_data()
    gzipped = [client.get("/article/asthma", headers={"Accept-Encoding": "gzip"}) for _ in "ab"]
    assert all(r.headers["Content-Encoding"] == "gzip" for r in gzipped)
    assert gzip.decompress(gzipped[0].get_data()) == plain
    assert gzipped[0].get_data() == gzipped[1].get_data()
    assert handled == ["/article/asthma"] * 2  # plain once, gzip once, then replayed
    # Chrome's and Safari's headers both get Brotli, one copy made once.
    for accepted in ("gzip, deflate, br, zstd", "gzip, deflate, br", "br"):
        brotli = client.get("/search?q=wheezing", headers={"Accept-Encoding": accepted})
        assert brotli.headers["Content-Encoding"] == "br"
    assert handled.count("/search?q=wheezing") == 1

    # The compressed ETag still answers a conditional GET, from the kept response.
    tag = gzipped[0].headers["ETag"]
    assert tag.endswith(':gzip"')
    again = client.get("/article/asthma", headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    assert "Content-Encoding" not in again.headers and again.headers["ETag"] == tag
    assert handled.count("/article/asthma") == 2

    # An update publishes a new version: the page is compressed afresh, not served stale.
    write_article(content, "asthma", "title: Asthma", "Airways swell: coughing.\n" * 40)
    update_article(content, index, "asthma")
    fresh = client.get("/article/asthma", headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert fresh.status_code == 200 and b"coughing" in gzip.decompress(fresh.get_data())


def test_only_pages_the_same_for_everyone_are_kept(tmp_path: Path, content: Path):
    for number in range(3):
        write_article(content, f"wheeze-{number}", f"title: Wheeze {number}", "Wheezing.\n" * 40)
    index = tmp_path / "index"
    rebuild(content, index)
    app = create_app({"content_dir": content, "index_dir": index})
    handled = _handled_by_flask(app)
    # No cookie jar: the sign-in form sets a session cookie, which a visitor would
    # then send back (and be answered by Flask, as the next test shows).
    client = app.test_client(use_cookies=False)
    gzip_only = {"Accept-Encoding": "gzip"}
    for _ in "ab":
        for url in ("/api/search?q=wheezing", "/librarian/login"):
            response = client.get(url, headers=gzip_only)
            assert response.headers["Content-Encoding"] == "gzip", url
            assert gzip.decompress(response.get_data())
        assert client.get("/api/suggest?q=whe", headers=gzip_only).json["suggestions"]
        missing = client.get("/article/no-such-thing", headers=gzip_only)
        assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
    # The JSON API is the same for everyone: replayed. A form and a 404 are made each time.
    assert handled.count("/api/search?q=wheezing") == 1
    assert handled.count("/api/suggest?q=whe") == 1
    assert handled.count("/librarian/login") == 2
    assert handled.count("/article/no-such-thing") == 2


def test_search_results_are_kept_per_index_version(shipped_index):
    from encyclopedia.search import Library

    content, index = shipped_index
    library = Library(index, thesaurus=content / "thesaurus.yaml")
    first = library.search("osteoporosis treatment")
    assert library.search("osteoporosis treatment") is first
    unkept = Library(index, thesaurus=content / "thesaurus.yaml", keep_results=False)
    again = unkept.search("osteoporosis treatment")
    assert again == first and unkept.search("osteoporosis treatment") is not again


def test_a_thesaurus_change_reaches_a_cached_results_page(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma", "Airways narrow: wheezing.\n")
    write_article(content, "gout", "title: Gout", "A kind of arthritis.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    client = create_app({"content_dir": content, "index_dir": index}).test_client()
    assert "Gout" not in client.get("/search?q=podagra").text
    (content / "thesaurus.yaml").write_text("leads_to:\n  podagra: [gout]\n")
    assert "/article/gout" in client.get("/search?q=podagra").text


def test_warming_builds_what_a_first_request_would(shipped_index: tuple[Path, Path]):
    from encyclopedia.search import Library

    content, index = shipped_index
    library = Library(index, thesaurus=content / "thesaurus.yaml")
    library.warm()
    snapshot = library.snapshot()
    for lang in ("en", "es"):  # the shipped content has articles in both
        tables = snapshot.tables(lang)
        assert tables.entries, lang
        assert {"name_keys", "site_map", "suggestions", "shelves"} <= set(vars(tables))
        assert tables._corrector is not None
    # Warming changes nothing a patient sees.
    assert library.search("kyphoplasty").hits[0].slug == "kyphoplasty"


def test_suggestions_follow_an_update(tmp_path: Path, content: Path):
    from encyclopedia.search import Library

    write_article(content, "asthma", "title: Asthma", "Airways narrow.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    library = Library(index)
    assert [s.title for s in library.suggest("ast")] == ["Asthma"]
    write_article(content, "astigmatism", "title: Astigmatism", "Blurred sight.\n")
    update_article(content, index, "astigmatism")
    assert [s.title for s in library.suggest("ast")] == ["Asthma", "Astigmatism"]


def _handled_by_flask(app) -> list[str]:
    """The requests Flask itself handled: a replayed response never reaches a hook."""
    handled: list[str] = []

    @app.before_request
    def note() -> None:
        handled.append(request.full_path.rstrip("?"))

    return handled


def _asthma_site(tmp_path: Path, content: Path, body: str = "Airways narrow: wheezing.\n"):
    write_article(content, "asthma", "title: Asthma\nalso_called: [Reactive airway disease]", body)
    index = tmp_path / "index"
    rebuild(content, index)
    app = create_app(
        {"content_dir": content, "index_dir": index, "instance_dir": tmp_path / "instance"}
    )
    return app, index


PAGES = ["/search?q=wheezing", "/article/asthma", "/a-z/a", "/"]


def test_an_anonymous_visitor_gets_the_same_bytes_without_flask(tmp_path: Path, content: Path):
    app, _ = _asthma_site(tmp_path, content)
    handled = _handled_by_flask(app)
    client = app.test_client()
    gzipped = {"Accept-Encoding": "gzip"}
    first = [client.get(url, headers=gzipped) for url in PAGES]
    again = [client.get(url, headers=gzipped) for url in PAGES]
    for made, replayed in zip(first, again, strict=True):
        assert made.status_code == replayed.status_code == 200
        assert replayed.get_data() == made.get_data()
        assert replayed.headers.to_wsgi_list() == made.headers.to_wsgi_list()
        assert replayed.headers["Content-Encoding"] == "gzip"
        assert replayed.headers["Content-Security-Policy"]  # every header, not only the body
    assert handled == PAGES  # the second visits never reached Flask
    # Another encoding is another response, made by Flask once.
    plain = client.get("/article/asthma")
    assert "Content-Encoding" not in plain.headers and "wheezing" in plain.text
    assert gzip.decompress(first[1].get_data()) == plain.get_data()
    assert handled == [*PAGES, "/article/asthma"]


def test_a_save_reaches_anonymous_visitors_at_once(tmp_path: Path, content: Path):
    app, index = _asthma_site(tmp_path, content)
    client = app.test_client()
    for _ in "ab":
        assert "wheezing" in client.get("/article/asthma").text
        assert "No articles" not in client.get("/search?q=wheezing").text
    write_article(content, "asthma", "title: Asthma", "Airways narrow: whistling breath.\n")
    update_article(content, index, "asthma")
    article = client.get("/article/asthma").text
    assert "whistling" in article and "wheezing" not in article
    assert "/article/asthma" in client.get("/search?q=whistling").text
    # The other name was removed by the save: the A-Z no longer lists it.
    assert "Reactive airway disease" not in client.get("/a-z/r").text


def test_visitors_with_the_sites_own_cookies_are_answered_by_flask(tmp_path: Path, content: Path):
    app, _ = _asthma_site(tmp_path, content)
    handled = _handled_by_flask(app)
    client = app.test_client()
    first = client.get("/article/asthma")
    client.get("/article/asthma")
    assert handled == ["/article/asthma"]
    for cookie in ("session", "remember_token"):
        client.set_cookie(cookie, "someone")
        assert client.get("/article/asthma").status_code == 200
        client.delete_cookie(cookie)
    assert len(handled) == 3
    # A cookie the app never sets (a proxy's, an analytics script's) changes nothing.
    client.set_cookie("returning", "1")
    assert client.get("/article/asthma").get_data() == first.get_data() and len(handled) == 3
    client.delete_cookie("returning")
    # A visitor whose copy is current gets a 304 from the kept response; one whose copy
    # is not (an old tag) gets the page.
    revalidated = client.get("/article/asthma", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and len(handled) == 3
    assert revalidated.headers["Cache-Control"] == first.headers["Cache-Control"]
    stale = client.get("/article/asthma", headers={"If-None-Match": '"an-old-tag"'})
    assert stale.status_code == 200 and stale.get_data() == first.get_data()
    head = client.head("/article/asthma")
    assert head.status_code == 200 and head.get_data() == b""
    modified = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/article/asthma", headers=modified).status_code in (200, 304)
    assert len(handled) == 6  # the old tag, HEAD and If-Modified-Since went to Flask
    # Pages that are not the same for everyone are made afresh every time.
    for _ in "ab":
        assert client.get("/article/no-such-thing").status_code == 404
    assert len(handled) == 8


def test_a_replayed_failed_search_is_still_counted(tmp_path: Path, content: Path):
    app, _ = _asthma_site(tmp_path, content)
    handled = _handled_by_flask(app)
    client = app.test_client()
    for _ in range(3):
        assert "No articles" in client.get("/search?q=zzqqxx").text
        assert client.get("/search?q=wheezng").status_code == 200
    assert len(handled) == 2  # made once each, replayed twice each
    tally = app.extensions["workspace"].failed_searches
    assert tally.get("zzqqxx").count == 3 and tally.get("zzqqxx").kind == "no results"
    assert tally.get("wheezng").count == 3


def _wsgi_page(status: str = "200 OK", headers=(), shareable: bool = True, body: bytes = b"x"):
    """A WSGI app answering every request the same way: for what the Flask app never
    sends (a kept page that also sets a cookie) or sends too slowly to fill a budget."""
    made = []

    def app(environ, start_response):
        made.append(environ["PATH_INFO"])
        environ[SHAREABLE] = shareable
        start_response(status, [("Content-Type", "text/html"), *headers])
        return [body]

    return app, made


def test_only_plain_200s_marked_shareable_are_kept():
    for status, headers, shareable in [
        ("200 OK", [("Set-Cookie", "session=abc")], True),
        ("200 OK", [("Vary", "Accept-Encoding, Cookie")], True),
        ("404 NOT FOUND", [], True),
        ("200 OK", [], False),
    ]:
        page, made = _wsgi_page(status, headers, shareable)
        # No cookie jar: a client that kept the cookie would send it back and bypass.
        client = Client(ResponseCache(page, lambda: "v1"), use_cookies=False)
        for _ in "ab":
            assert client.get("/page").status == status
        assert made == ["/page", "/page"], (status, headers, shareable)
    page, made = _wsgi_page(headers=[("Vary", "Accept-Encoding")])
    client = Client(ResponseCache(page, lambda: "v1"))
    assert [client.get("/page").get_data() for _ in "ab"] == [b"x", b"x"] and made == ["/page"]


def test_kept_responses_are_bounded_by_bytes_and_dropped_with_their_version():
    page, made = _wsgi_page(body=b"y" * 10_000)
    version = ["v1"]
    cache = ResponseCache(page, lambda: version[0], max_bytes=100_000)
    client = Client(cache)
    for number in range(50):
        client.get(f"/page/{number}")
    assert 0 < cache.responses.size <= 100_000 and len(cache.responses) < 50
    client.get("/page/49")
    assert made.count("/page/49") == 1  # the newest is kept
    version[0] = "v2"
    client.get("/page/49")
    assert made.count("/page/49") == 2 and len(cache.responses) == 1
    # An index that cannot be read is the app's to report, not the cache's.
    version[0] = None

    def broken() -> str:
        raise RuntimeError("no index")

    Client(ResponseCache(page, broken)).get("/page/1")
    assert made[-1] == "/page/1"
