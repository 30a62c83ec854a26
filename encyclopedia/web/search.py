"""The search results page and the JSON search API: one query pipeline behind both."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from encyclopedia.search import Results
from encyclopedia.web import library
from encyclopedia.web.caching import index_page

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    # Read before searching: a page is never tagged with a newer version than its results.
    version = library().search_version
    query = library().clean(request.args.get("q", ""))
    exact = request.args.get("exact") == "1"
    kind = request.args.get("kind") or None
    page, size = library().parse_page(request.args.get("page"))
    found = library().search(query, page, size, exact=exact, kind=kind) if query.strip() else None
    if found is not None and found.total and page > found.pages:
        # "page=99" of two pages: the last page, not an empty one.
        args = {**request.args, "page": found.pages}
        return redirect(url_for("search.results", **args))
    tally = _tally(found) if found is not None and page == 1 else None
    if tally is not None:
        tally()  # and on every replay of this page
    kinds = list(library().shelves().kinds.values())
    return index_page(
        lambda: render_template(
            "search.html", results=found, query=query, exact=exact, kinds=kinds
        ),
        tally,
        version,
    )


@bp.get("/api/suggest")
def api_suggest():
    version = library().search_version
    query = library().clean(request.args.get("q", ""))
    suggestions = [
        {**s.to_dict(), "url": url_for("pages.article", slug=s.slug)}
        for s in library().suggest(query)
    ]
    return index_page(lambda: jsonify(query=query, suggestions=suggestions), version=version)


@bp.get("/api/search")
def api_search():
    version = library().search_version
    query = request.args.get("q", "")
    exact = request.args.get("exact") == "1"
    page, size = library().parse_page(request.args.get("page"), request.args.get("limit"))
    found = library().search(query, page, size, exact=exact, kind=request.args.get("kind") or None)
    tally = _tally(found) if page == 1 else None
    if tally is not None:
        tally()
    data = results_json(found)
    return index_page(lambda: jsonify(data), tally, version)


def results_json(found: Results) -> dict:
    """The API's JSON for a search (``encyclopedia search --json`` prints the same):
    the results with each hit's address, made here, where every address is made."""
    data = found.to_dict()
    for hit, shown in zip(found.hits, data["results"], strict=True):
        shown["url"] = url_for("pages.article", slug=hit.slug, _anchor=hit.anchor)
    return data


def _tally(found: Results) -> Callable[[], None] | None:
    """What counts a search that found nothing, found nothing good or needed correcting,
    for the librarians; None for a search that went well. Best effort: a patient's
    search never fails because the tally could not be written."""
    if (found.total and not found.searched and not found.weak) or found.kind:
        return None  # a filter that leaves nothing is not a search the site failed
    kind = "no results" if not found.total else "weak results" if found.weak else "corrected"
    failed = current_app.extensions["workspace"].failed_searches
    query, searched = found.query, found.searched

    def tally() -> None:
        try:
            failed.record(query, kind, searched)
        except sqlite3.Error as exc:
            log.warning("could not count a failed search: %s", exc)

    return tally
