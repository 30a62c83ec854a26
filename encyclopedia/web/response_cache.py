"""The worker's one page cache: whole responses, replayed without entering Flask.

Serving a page Flask had already rendered and compressed still cost 0.55 ms in process,
nearly all of it Flask's own work per request (the request context, hooks, header
objects); replayed here it costs 0.17 ms (both through Flask's test client), and
gunicorn alone serves a fixed page 7,600 times a second on this machine. At 50
connections Flask's work is what queued: the search page's p99 sat at the 50 ms target.
Replaying the bytes Flask sent the first time is what a caching proxy in front would
do, kept inside the worker so the site needs none, and with one thing a proxy cannot
do: a replayed search still counts towards the librarians' failed-search report.

What is replayed, and when, is narrow on purpose:

- only a GET with none of the app's own cookies (the session, remember-me), no
  credentials, no range header and no condition but If-None-Match: anything that could
  make the answer differ per visitor goes through Flask. A visitor whose copy has the
  kept response's ETag gets a 304 from here, as from a proxy;
- only a 200 the app marked as a page kept per index version (:data:`SHAREABLE`), with
  no Set-Cookie and no ``Vary: Cookie``;
- only while the index and thesaurus are at the version read before the page was made
  (the one invalidation rule: every kept response belongs to one search version);
- one copy per encoding this app can send, not per spelling of Accept-Encoding.

A replayed search still counts: the view leaves a callable (:data:`ON_REPLAY`) that is
run on every replay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from werkzeug.http import parse_etags, unquote_etag

from encyclopedia.lru import LRUCache, PerVersion

log = logging.getLogger(__name__)

# Set in the WSGI environ by the app: this response may be replayed to anyone.
SHAREABLE = "encyclopedia.shareable"
# Set beside it when replaying must also do something (count a failed search).
ON_REPLAY = "encyclopedia.on_replay"

# 16 MB: the 20 MB the three layers it replaced held besides it (measured by
# bench/caches.py, see the README), less what they held twice.
RESPONSE_CACHE_BYTES = 16 * 1024 * 1024
# Kept besides the body: the key, the status and header strings, the entry.
ENTRY_OVERHEAD = 1024
# A response larger than this is not kept (an A–Z page of 500 names is about 75 KB raw).
MAX_BODY = 256 * 1024

_PERSONAL_HEADERS = (
    "HTTP_AUTHORIZATION",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)

# What Flask-Compress sends, best first (caching.py); a key names the one it will choose.
_ENCODINGS = ("br", "gzip")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def _encodings(header: str) -> str:
    """Accept-Encoding as the encoding this app will answer in: Chrome's "gzip,
    deflate, br, zstd" and Safari's "gzip, deflate, br" get one kept copy, not two. A
    header with weights or a wildcard is kept as written (rare, and then always right)."""
    if "q=" in header or "*" in header:
        return header
    accepted = {token.strip().lower() for token in header.split(",")}
    return next((encoding for encoding in _ENCODINGS if encoding in accepted), "")


def _cookie_names(header: str) -> set[str]:
    return {part.split("=", 1)[0].strip() for part in header.split(";")}


# A 304 repeats what a 200 would have said about caching, not about the body (RFC 9110).
_NOT_IN_304 = frozenset({"content-length", "content-type", "content-encoding"})


@dataclass(frozen=True)
class Kept:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    on_replay: Callable[[], None] | None

    @cached_property
    def etag(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "etag":
                return unquote_etag(value)[0]
        return None

    @cached_property
    def not_modified(self) -> list[tuple[str, str]]:
        return [(n, v) for n, v in self.headers if n.lower() not in _NOT_IN_304]


def _size(kept: Kept) -> int:
    return len(kept.body) + sum(len(n) + len(v) for n, v in kept.headers) + ENTRY_OVERHEAD


def _may_keep(status: str, headers: list[tuple[str, str]]) -> bool:
    if not status.startswith("200"):
        return False
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            return False
        if lower == "vary" and "cookie" in value.lower():
            return False
    return True


class ResponseCache:
    """WSGI middleware around the Flask app. ``version`` says what the kept pages depend
    on (the index and the thesaurus); when it changes, everything kept is dropped."""

    def __init__(
        self,
        app: WSGIApp,
        version: Callable[[], str],
        max_bytes: int = RESPONSE_CACHE_BYTES,
        personal_cookies: tuple[str, ...] = ("session",),
    ):
        self.app = app
        self.version = version
        self.personal_cookies = frozenset(personal_cookies)
        self._responses: PerVersion[Kept] = PerVersion(max_bytes, size=_size)

    @property
    def responses(self) -> LRUCache[Kept]:
        """The responses of the latest version asked for."""
        return self._responses.current

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or any(header in environ for header in _PERSONAL_HEADERS)
            or self.personal_cookies & _cookie_names(environ.get("HTTP_COOKIE", ""))
        ):
            return self.app(environ, start_response)
        try:
            # Read before the page is made, so a page is never kept under a newer version
            # than the one it shows.
            responses = self._responses.of(self.version())
        except Exception:  # no index yet, a damaged one: the app says so properly
            return self.app(environ, start_response)
        key = (
            # The host and scheme too: canonical links, the sitemap and the feeds name
            # the site by the address it was asked under.
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            _encodings(environ.get("HTTP_ACCEPT_ENCODING", "")),
        )
        kept = responses.get(key)
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if (
            kept is not None
            and condition
            and not (kept.etag and parse_etags(condition).contains_weak(kept.etag))
        ):
            kept = None  # a copy we do not have: Flask answers (and may keep the page)
        if kept is not None:
            if kept.on_replay is not None:
                try:
                    kept.on_replay()
                except Exception:  # a tally must never fail a patient's page
                    log.exception("replaying %s", key[2])
            if condition:
                start_response("304 NOT MODIFIED", kept.not_modified)
                return [b""]
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        sent: dict[str, Any] = {}

        def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            sent["status"], sent["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, remember)
        if not environ.get(SHAREABLE) or not _may_keep(
            sent.get("status", ""), sent.get("headers", [])
        ):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if len(data) <= MAX_BODY:
            responses.put(
                key, Kept(sent["status"], tuple(sent["headers"]), data, environ.get(ON_REPLAY))
            )
        return [data]
