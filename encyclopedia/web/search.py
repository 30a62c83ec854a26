"""The search results page and the JSON search API: one query pipeline behind both."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from encyclopedia.web import library

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    query = library().clean(request.args.get("q", ""))
    exact = request.args.get("exact") == "1"
    page, size = library().parse_page(request.args.get("page"))
    found = library().search(query, page, size, exact=exact) if query.strip() else None
    return render_template("search.html", results=found, query=query, exact=exact)


@bp.get("/api/suggest")
def api_suggest():
    query = library().clean(request.args.get("q", ""))
    return jsonify(query=query, suggestions=[s.to_dict() for s in library().suggest(query)])


@bp.get("/api/search")
def api_search():
    query = request.args.get("q", "")
    exact = request.args.get("exact") == "1"
    page, size = library().parse_page(request.args.get("page"), request.args.get("limit"))
    return jsonify(library().search(query, page, size, exact=exact).to_dict())
