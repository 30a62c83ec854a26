"""The search results page and the JSON search API: one query pipeline behind both."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from flask import Blueprint, current_app, jsonify, render_template, request

from encyclopedia.search import Results
from encyclopedia.web import library
from encyclopedia.web.caching import PageCache
from encyclopedia.web.response_cache import ON_REPLAY

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    # Read before searching, so a page is never cached under a newer version than its results.
    version = library().search_version
    query = library().clean(request.args.get("q", ""))
    exact = request.args.get("exact") == "1"
    page, size = library().parse_page(request.args.get("page"))
    found = library().search(query, page, size, exact=exact) if query.strip() else None
    if found is not None and page == 1:
        tally = _tally(found)
        if tally is not None:
            tally()
            # Replayed by the response cache, the search still counts.
            request.environ[ON_REPLAY] = tally
    # The page depends only on the URL and what search_version covers, so it is rendered
    # once per version and URL (a popular search in a news spike is rendered once).
    cache: PageCache = current_app.extensions["search_page_cache"]
    return cache.page(
        version,
        request.full_path,
        lambda: render_template("search.html", results=found, query=query, exact=exact),
    )


@bp.get("/api/suggest")
def api_suggest():
    query = library().clean(request.args.get("q", ""))
    return jsonify(query=query, suggestions=[s.to_dict() for s in library().suggest(query)])


@bp.get("/api/search")
def api_search():
    query = request.args.get("q", "")
    exact = request.args.get("exact") == "1"
    page, size = library().parse_page(request.args.get("page"), request.args.get("limit"))
    found = library().search(query, page, size, exact=exact)
    tally = _tally(found) if page == 1 else None
    if tally is not None:
        tally()
    return jsonify(found.to_dict())


def _tally(found: Results) -> Callable[[], None] | None:
    """What counts a search that found nothing, found nothing good or needed correcting,
    for the librarians; None for a search that went well. Best effort: a patient's
    search never fails because the tally could not be written."""
    if found.total and not found.searched and not found.weak:
        return None
    kind = "no results" if not found.total else "weak results" if found.weak else "corrected"
    failed = current_app.extensions["workspace"].failed_searches
    query, searched = found.query, found.searched

    def tally() -> None:
        try:
            failed.record(query, kind, searched)
        except sqlite3.Error as exc:
            log.warning("could not count a failed search: %s", exc)

    return tally
