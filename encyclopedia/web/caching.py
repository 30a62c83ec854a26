"""HTTP caching tied to the published index, and fingerprinted static files.

Pages that depend only on the index (home, articles, the A–Z) carry an ETag made from
the index version and the URL, and a Last-Modified of the build time: a browser or a
proxy revalidates with one conditional request and gets a 304 until a reindex or an
update publishes something new. The rendered HTML is also kept in memory per index
version, so a popular article is rendered once per publication, not once per visit.
Static files are linked with a content hash (?v=...) and cached for a year.

A cached page is also compressed once per encoding, not once per request: Flask-Compress
keeps the compressed body in :class:`CompressedPages` under the page's key. Compressing
had been 0.25 ms of the 0.66 ms a cached results page cost in process, the largest part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Request, Response, current_app, g, make_response, request
from flask_compress import Compress

from encyclopedia.lru import LRUCache, PerVersion
from encyclopedia.web import library
from encyclopedia.web.response_cache import SHAREABLE, ResponseCache

YEAR = 365 * 24 * 3600
# Bounded by size, not count: at 50,000 articles a count bound let article pages
# (tens of kilobytes each) grow a worker past its memory budget.
PAGE_CACHE_BYTES = 20 * 1024 * 1024
# Compressed bodies are a fifth to a quarter of the HTML they come from.
COMPRESSED_BYTES = 6 * 1024 * 1024
PAGE_OVERHEAD = 256


def _page_size(page: bytes) -> int:
    # The page and what keeping it costs besides: its key, the bytes object, the entry.
    return len(page) + PAGE_OVERHEAD


class PageCache:
    """Rendered pages for the current index version; emptied when the version changes.

    Pages are kept as the UTF-8 bytes that are sent, not as str: a str with one "é" or
    "–" in it takes two or four bytes per character, so a budget counted in characters
    had let 20 MB of pages take over 30 MB. Bytes are exactly what they cost, and are
    not encoded again for every response.
    """

    def __init__(self, max_bytes: int = PAGE_CACHE_BYTES, name: str = "pages"):
        self.max_bytes = max_bytes
        self.name = name
        self._pages: PerVersion[bytes] = PerVersion(max_bytes, size=_page_size)

    @property
    def pages(self) -> LRUCache[bytes]:
        """The pages of the latest version asked for."""
        return self._pages.current

    @property
    def bytes(self) -> int:
        return self.pages.size

    def get_or_render(self, version: str, key: str, render: Callable[[], str]) -> bytes:
        return self._pages.of(version).get_or_load(key, lambda: render().encode())

    def page(self, version: str, key: str, render: Callable[[], str]) -> bytes:
        """:meth:`get_or_render`, in a request: its compressed body is kept too, and the
        whole response may be replayed to anyone (:mod:`~encyclopedia.web.response_cache`
        checks cookies and headers itself)."""
        html = self.get_or_render(version, key, render)
        g.compressed_page = f"{self.name}\0{version}\0{key}"
        request.environ[SHAREABLE] = True
        return html


class CompressedPages:
    """Flask-Compress's cache: the compressed bodies of pages from a :class:`PageCache`.

    Flask-Compress asks for ``"<encoding>;<key>"`` for every response it compresses; the
    key comes from :func:`compressed_page_key`, which is empty unless the view served a
    cached page. Everything else (the API, librarian pages, errors) is compressed afresh
    and never kept.
    """

    def __init__(self, max_bytes: int = COMPRESSED_BYTES):
        self.bodies: LRUCache[bytes] = LRUCache(max_bytes, size=_page_size)

    def get(self, key: str) -> bytes | None:
        return self.bodies.get(key) if _names_a_page(key) else None

    def set(self, key: str, value: bytes) -> None:
        if _names_a_page(key):
            self.bodies.put(key, value)


def _names_a_page(key: str) -> bool:
    return bool(key.partition(";")[2])


def compressed_page_key(request: Request) -> str:
    return g.get("compressed_page", "")


def index_page(render: Callable[[], str]) -> Response:
    """A page that changes only when the index does: 304 when unchanged, cached when not."""
    snapshot_version = library().version
    tag = hashlib.blake2b(
        f"{snapshot_version}\0{request.full_path}".encode(), digest_size=12
    ).hexdigest()
    built = library().built
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        cache: PageCache = current_app.extensions["page_cache"]
        response = make_response(cache.page(snapshot_version, request.full_path, render))
    response.set_etag(tag)
    if built:
        response.last_modified = built
    # no-cache: a browser keeps the page but asks each time (a 304 costs almost nothing),
    # so a librarian's save is visible on the very next view, never up to a minute later.
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache()
    # Results pages: kept per index and thesaurus version, apart from the index pages so
    # the two version keys never empty each other's cache.
    app.extensions["search_page_cache"] = PageCache(max_bytes=PAGE_CACHE_BYTES // 2, name="search")
    app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedPages)
    app.config.setdefault("COMPRESS_CACHE_KEY", compressed_page_key)
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

    app.wsgi_app = ResponseCache(  # type: ignore[method-assign]
        app.wsgi_app, lambda: app.extensions["library"].search_version
    )
    app.extensions["response_cache"] = app.wsgi_app

    @app.after_request
    def static_cache(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v"):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response
