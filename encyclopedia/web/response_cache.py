"""Whole responses for anonymous visitors, replayed without entering Flask.

A results, article or A–Z page is already rendered and compressed once per index
version (:mod:`encyclopedia.web.caching`). Serving such a page still cost 0.55 ms in
process, nearly all of it Flask's own work per request (the request context, before and
after hooks, header objects, the compression lookup); replayed here it costs 0.17 ms
(both through Flask's test client), and gunicorn alone serves a fixed page 7,600 times a
second on this machine. At 50 connections Flask's work is what queued: the search page's
p99 sat at the 50 ms target. Replaying the bytes Flask sent the first time is
what a caching proxy in front would do, kept inside the worker so the site needs none.

What is replayed, and when, is narrow on purpose:

- only a GET with no cookie, no credentials, no conditional or range header: anything
  that could make the answer differ per visitor, or be a 304, goes through Flask;
- only a 200 the app marked as a page kept per index version (:data:`SHAREABLE`), with
  no Set-Cookie and no ``Vary: Cookie``;
- only while the index and thesaurus are at the version read before the page was made.

A replayed search still counts towards the librarians' failed-search report: the view
leaves a callable (:data:`ON_REPLAY`) that is run on every replay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from encyclopedia.lru import LRUCache, PerVersion

log = logging.getLogger(__name__)

# Set in the WSGI environ by the app: this response may be replayed to anyone.
SHAREABLE = "encyclopedia.shareable"
# Set beside it when replaying must also do something (count a failed search).
ON_REPLAY = "encyclopedia.on_replay"

RESPONSE_CACHE_BYTES = 8 * 1024 * 1024
# Kept besides the body: the key, the status and header strings, the entry.
ENTRY_OVERHEAD = 1024
# A response larger than this is not kept (an A–Z page of 500 names is about 75 KB raw).
MAX_BODY = 256 * 1024

_PERSONAL_HEADERS = (
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


@dataclass(frozen=True)
class Kept:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    on_replay: Callable[[], None] | None


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
        self, app: WSGIApp, version: Callable[[], str], max_bytes: int = RESPONSE_CACHE_BYTES
    ):
        self.app = app
        self.version = version
        self._responses: PerVersion[Kept] = PerVersion(max_bytes, size=_size)

    @property
    def responses(self) -> LRUCache[Kept]:
        """The responses of the latest version asked for."""
        return self._responses.current

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or any(
            header in environ for header in _PERSONAL_HEADERS
        ):
            return self.app(environ, start_response)
        try:
            # Read before the page is made, so a page is never kept under a newer version
            # than the one it shows.
            responses = self._responses.of(self.version())
        except Exception:  # no index yet, a damaged one: the app says so properly
            return self.app(environ, start_response)
        key = (
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
        )
        kept = responses.get(key)
        if kept is not None:
            if kept.on_replay is not None:
                try:
                    kept.on_replay()
                except Exception:  # a tally must never fail a patient's page
                    log.exception("replaying %s", key[0])
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
