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

from encyclopedia.languages import LANGUAGES
from encyclopedia.search import Results
from encyclopedia.web import library
from encyclopedia.web.caching import index_page
from encyclopedia.web.i18n import current_language, localized

log = logging.getLogger(__name__)

bp = Blueprint("search", __name__)


@localized(bp, "/search", methods=["GET"])
def results():
    # Read before searching: a page is never tagged with a newer version than its results.
    version = library().search_version
    lang = current_language()
    query = library().clean(request.args.get("q", ""))
    exact = request.args.get("exact") == "1"
    kind = request.args.get("kind") or None
    page, size = library().parse_page(request.args.get("page"))
    found = (
        library().search(query, page, size, exact=exact, kind=kind, lang=lang)
        if query.strip()
        else None
    )
    if found is not None and found.total and page > found.pages:
        # "page=99" of two pages: the last page, not an empty one.
        args = {**request.args, "page": found.pages}
        return redirect(url_for("search.results", **args))
    elsewhere = _in_other_languages(found, query, exact)
    # Counted even when another language has the answer: a Spanish search that only the
    # English articles answer is a translation the librarians may want to write.
    tally = _tally(found) if found is not None and page == 1 else None
    if tally is not None:
        tally()  # and on every replay of this page
    kinds = list(library().shelves(lang).kinds.values())
    return index_page(
        lambda: render_template(
            "search.html",
            results=found,
            query=query,
            exact=exact,
            kinds=kinds,
            elsewhere=elsewhere,
        ),
        tally,
        version,
    )


def _in_other_languages(found: Results | None, query: str, exact: bool) -> list[Results]:
    """What a search that found nothing, or nothing good, finds in the site's other
    languages: an English query typed on a Spanish page ("heart attack") is offered the
    English article, and the other way round. Only the first page, only when asked."""
    if found is None or found.page != 1 or found.kind or (found.total and not found.weak):
        return []
    offered = []
    for code in LANGUAGES:
        if code == found.lang:
            continue
        other = library().search(query, 1, 3, exact=exact, lang=code)
        if other.total and not other.weak:
            offered.append(other)
    return offered


@bp.get("/api/suggest")
def api_suggest():
    """Names as you type, in ``lang`` (the page's language: suggest.js sends it)."""
    version = library().search_version
    lang = library().language(request.args.get("lang"))
    query = library().clean(request.args.get("q", ""))
    suggestions = [
        {**s.to_dict(), "url": url_for("pages.article", slug=s.slug, lang=lang)}
        for s in library().suggest(query, lang=lang)
    ]
    return index_page(
        lambda: jsonify(query=query, lang=lang, suggestions=suggestions), version=version
    )


@bp.get("/api/search")
def api_search():
    version = library().search_version
    query = request.args.get("q", "")
    exact = request.args.get("exact") == "1"
    lang = library().language(request.args.get("lang"))
    page, size = library().parse_page(request.args.get("page"), request.args.get("limit"))
    found = library().search(
        query, page, size, exact=exact, kind=request.args.get("kind") or None, lang=lang
    )
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
        shown["url"] = url_for("pages.article", slug=hit.slug, lang=found.lang, _anchor=hit.anchor)
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
