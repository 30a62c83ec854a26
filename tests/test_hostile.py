"""Arbitrary input to every public route: no 5xx, always well-formed, always quick.

Queries are sent as raw percent-encoded bytes, so lone surrogates, control characters
and invalid UTF-8 reach the app exactly as a hostile client would send them.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TIME_BUDGET = 2.0  # seconds for any single request, on this 2-core machine

WHOOSH_SYNTAX = [
    "*",
    "?",
    "~",
    "^",
    "title:",
    "body:",
    '"',
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "AND",
    "OR",
    "NOT",
    "-",
    "+",
    "\\",
    "/",
    "&&",
    "||",
    "!",
    "TO",
    "*:*",
]
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=60),
    st.lists(st.sampled_from([*WHOOSH_SYNTAX, "kyphoplasty", "heart", "a", " "]), max_size=20).map(
        " ".join
    ),
    st.sampled_from(
        [
            "\ud800",
            "\udfff",
            "\u202e\u0645\u0631\u062d\u0628\u0627",
            "💊" * 50,
            "x" * 10_000,
            "\x00\x01\x1b[31m",
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "javascript:alert(1)",
        ]
    ),
)
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str), st.text(max_size=12), st.just("")
)


def encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def check(response, elapsed: float) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert elapsed < TIME_BUDGET, f"{elapsed:.2f}s"
    body = response.get_data()
    if response.mimetype == "application/json":
        json.loads(body)
    elif response.mimetype == "text/html":
        html5lib.HTMLParser(strict=True).parse(body)
    assert "Content-Security-Policy" in response.headers


def get(client, url: str):
    started = time.perf_counter()
    response = client.get(url)
    check(response, time.perf_counter() - started)
    return response


fast = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fast
@given(q=hostile_text, page=numbers)
def test_search_page_survives_anything(client, q, page):
    get(client, f"/search?q={encode(q)}&page={encode(page)}")


@fast
@given(q=hostile_text, page=numbers, limit=numbers)
def test_search_api_survives_anything(client, q, page, limit):
    response = get(client, f"/api/search?q={encode(q)}&page={encode(page)}&limit={encode(limit)}")
    assert response.status_code in (200, 400)
    assert response.mimetype == "application/json"


@fast
@given(q=hostile_text)
def test_suggest_api_survives_anything(client, q):
    response = get(client, f"/api/suggest?q={encode(q)}")
    assert response.status_code == 200
    for suggestion in response.get_json()["suggestions"]:
        assert suggestion["url"].startswith("/article/")


@fast
@given(slug=hostile_text)
def test_article_route_survives_anything(client, slug):
    response = get(client, f"/article/{encode(slug)}")
    # 301: a slug in capitals or with a trailing slash; 308: Werkzeug merging "//"
    assert response.status_code in (200, 301, 308, 404)


@fast
@given(letter=hostile_text)
def test_a_to_z_route_survives_anything(client, letter):
    response = get(client, f"/a-z/{encode(letter)}")
    assert response.status_code in (200, 308, 404)


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"],
)
def test_nothing_typed_is_rendered_unescaped(client, payload):
    for url in (
        f"/search?q={encode(payload)}",
        f"/article/{encode(payload)}",
        f"/api/search?q={encode(payload)}",
        f"/api/suggest?q={encode(payload)}",
    ):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/article/..%2F..%2Fetc%2Fpasswd",
        "/article/%2e%2e",
        "/static/..%2F..%2Fcontent%2Fkyphoplasty.md",
        "/static/../content/kyphoplasty.md",
        "/a-z/..%2F..",
        "/article/kyphoplasty%00.md",
        "/static/%2e%2e/pyproject.toml",
    ],
)
def test_no_request_reads_a_file_outside_its_place(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    body = response.get_data(as_text=True)
    assert "title: Kyphoplasty" not in body and "[project]" not in body


def test_every_response_has_the_security_headers(client):
    for url in (
        "/",
        "/search?q=x",
        "/api/search?q=x",
        "/article/nope",
        "/healthz",
        "/static/style.css",
    ):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client):
    for url in ("/", "/search?q=heart", "/article/kyphoplasty", "/a-z/k"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " on" + "click=" not in html
        for tag in html.split("<script")[1:]:
            # Every script is a file; the one inline block is data (JSON-LD), never run.
            opening = tag.split(">")[0]
            assert " src=" in opening or opening == ' type="application/ld+json"'
            if "ld+json" in opening:
                json.loads(tag.split(">", 1)[1].split("</script>")[0])


def test_session_cookies_are_secure_over_https(tmp_path, monkeypatch):
    from encyclopedia import create_app

    monkeypatch.setenv("ENCYCLOPEDIA_HTTPS", "1")
    app = create_app({"index_dir": tmp_path, "content_dir": tmp_path})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
