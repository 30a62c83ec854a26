"""HTTP caching tied to the published index, and fingerprinted static files.

Pages that depend only on the index and the thesaurus (home, articles, the A–Z, search
results, the JSON search and suggestions) carry an ETag made from that version and the
URL, and a Last-Modified of the build time: a browser or a proxy revalidates with one
conditional request and gets a 304 until something new is published.

Inside the worker there is one cache of pages, :mod:`~encyclopedia.web.response_cache`:
the whole response (compressed, headers and all) replayed to the next anonymous visitor
until the version changes. It replaced three layers (rendered HTML per index version,
rendered results per search version, compressed bodies) that held the same pages again
for visitors the replay could not serve; ``bench/caches.py`` measured them before they
went (see the README's "Caches").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, make_response, request
from flask_compress import Compress

from encyclopedia.web import library
from encyclopedia.web.response_cache import ON_REPLAY, SHAREABLE, ResponseCache

YEAR = 365 * 24 * 3600


def shareable(on_replay: Callable[[], None] | None = None) -> None:
    """This request's response is the same for every anonymous visitor until the search
    version changes: the response cache may replay it (running ``on_replay`` each time)."""
    request.environ[SHAREABLE] = True
    if on_replay is not None:
        request.environ[ON_REPLAY] = on_replay


def index_page(
    render: Callable[[], str | Response],
    on_replay: Callable[[], None] | None = None,
    version: str | None = None,
) -> Response:
    """A page that changes only when the index or the thesaurus does: 304 when the
    visitor's copy is current, otherwise made and offered for replay. ``version``: the
    search version read before the page's data was (so its tag is never newer)."""
    version = version or library().search_version
    tag = hashlib.blake2b(f"{version}\0{request.full_path}".encode(), digest_size=12).hexdigest()
    built = library().built
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = make_response(render())
        shareable(on_replay)
    response.set_etag(tag)
    if built:
        response.last_modified = built
    # no-cache: a browser keeps the page but asks each time (a 304 costs almost nothing),
    # so a librarian's save is visible on the very next view, never up to a minute later.
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response


def init_app(app: Flask) -> None:
    # Brotli, else gzip: every browser in use accepts one of them, so a page is kept in
    # at most three forms (br, gzip, plain). Offering zstd and deflate as well had made
    # Chrome's and Safari's copies differ: a page rendered twice per publication.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.extensions["compress"] = Compress(app)
    static = Path(app.static_folder or "")
    hashes: dict[str, str] = {}

    def fingerprint(filename: str) -> str:
        if filename not in hashes:
            try:
                hashes[filename] = hashlib.sha256((static / filename).read_bytes()).hexdigest()[:12]
            except OSError:
                hashes[filename] = "0"
        return hashes[filename]

    @app.url_defaults
    def static_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = fingerprint(values["filename"])

    # The cookies that make a response personal: the session (a signed-in librarian,
    # a form's CSRF token) and Flask-Login's remember-me. Any other cookie a browser
    # sends (a proxy's, an analytics script's) changes nothing this app answers.
    personal = (
        app.config.get("SESSION_COOKIE_NAME", "session"),
        app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    )
    app.wsgi_app = ResponseCache(  # type: ignore[method-assign]
        app.wsgi_app, lambda: app.extensions["library"].search_version, personal_cookies=personal
    )
    app.extensions["response_cache"] = app.wsgi_app

    @app.after_request
    def static_cache(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v"):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response
