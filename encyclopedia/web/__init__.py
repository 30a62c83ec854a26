"""Web views. They ask the :class:`~encyclopedia.search.Library`; they never touch Whoosh."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from encyclopedia.search import BadRequest, IndexUnavailable, Library
from encyclopedia.search.browse import kind_label
from encyclopedia.web.i18n import (
    current_language,
    in_words,  # noqa: F401 (templates' filter, re-exported)
)

log = logging.getLogger(__name__)


def library() -> Library:
    return current_app.extensions["library"]


def wants_json() -> bool:
    return request.path.startswith("/api/")  # the JSON APIs take ?lang=, not an address


def next_review(reviewed: str | None) -> dt.date | None:
    """The day an article's review runs out: its review date plus the review interval
    (ENCYCLOPEDIA_REVIEW_YEARS). None for an article never reviewed or a bad date."""
    try:
        day = dt.date.fromisoformat(str(reviewed))
    except ValueError:
        return None
    years = current_app.extensions["settings"].review_years
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def init_app(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    from encyclopedia.web import (
        auth,
        caching,
        conventions,
        health,
        i18n,
        internal,
        librarian,
        media,
        pages,
        search,
        security,
    )

    i18n.init_app(app)
    app.add_template_global(lambda kind: gettext(kind_label(kind)), "kind_label")
    app.add_template_filter(conventions.medical_web_page)
    app.add_template_filter(next_review)
    app.add_template_global(dt.date.today, "today")
    app.jinja_env.globals["review_years"] = app.extensions["settings"].review_years
    app.register_blueprint(pages.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(conventions.bp)
    app.register_blueprint(media.bp)
    auth.init_app(app)
    app.register_blueprint(librarian.bp)
    app.register_blueprint(internal.bp)
    if app.extensions["settings"].replica:

        @app.before_request
        def read_only_replica():
            # Librarians work on the editor node; a replica has no accounts to sign in to.
            if request.blueprint in (auth.bp.name, librarian.bp.name):
                abort(404, "This server is a read-only copy; librarians sign in on the editor.")

    security.init_app(app)
    caching.init_app(app)

    @app.context_processor
    def page_address() -> dict[str, str]:
        # The canonical address: the page without tracking or paging noise, except the
        # query of a search and the page of a letter, which are what the page is.
        kept = (
            ("q", "kind", "page")
            if request.endpoint in ("search.results", "pages.site_map", "pages.shelf")
            else ()
        )
        args = {k: v for k in kept if (v := request.args.get(k)) and (k, v) != ("page", "1")}
        if request.endpoint is None:  # an address no route answers: no canonical page
            return {"canonical_url": ""}
        return {
            "canonical_url": url_for(
                request.endpoint, **(request.view_args or {}), **args, _external=True
            )
        }

    @app.context_processor
    def search_box() -> dict[str, str]:
        # Every page has the search box; keep what was typed in it.
        if request.endpoint != "search.results":
            return {"search_query": ""}
        try:
            return {"search_query": library().clean(request.args.get("q", ""))}
        except IndexUnavailable:
            return {"search_query": ""}

    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest):
        if wants_json():
            return jsonify(error="bad_request", message=str(error)), 400
        return render_template(
            "error.html",
            status=400,
            title=gettext("That request was not understood"),
            message=str(error),
        ), 400

    @app.errorhandler(IndexUnavailable)
    def unavailable(error: IndexUnavailable):
        log.error("index unavailable: %s", error)
        message = gettext(
            "The encyclopedia's search index is not available right now. "
            "Please try again in a minute."
        )
        if wants_json():
            return jsonify(error="unavailable", message=message), 503
        return render_template(
            "error.html", status=503, title=gettext("Temporarily unavailable"), message=message
        ), 503

    @app.errorhandler(CSRFError)
    def form_expired(error: CSRFError):
        message = gettext(
            "This form has expired or did not come from this site, so nothing was changed. "
            "Go back, reload the page and try again."
        )
        return render_template(
            "error.html", status=400, title=gettext("The form has expired"), message=message
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            return jsonify(
                error=error.name.lower().replace(" ", "_"), message=error.description
            ), status
        suggestions = []
        if status == 404:
            try:
                words = request.path.strip("/").split("/")[-1]
                suggestions = library().close_matches(words, lang=current_language())
            except (IndexUnavailable, BadRequest):
                suggestions = []
        titles = {
            404: gettext("Page not found"),
            405: gettext("Not allowed"),
            429: gettext("Too many attempts"),
        }
        plain = {
            404: gettext("There is no page at this address."),
            405: gettext("This address cannot be used that way."),
        }
        # Our own aborts carry a message written for patients; Werkzeug's defaults do not.
        message = error.description
        if message == type(error).description:
            message = plain.get(status, message)
        return render_template(
            "error.html",
            status=status,
            title=titles.get(status, error.name),
            message=message,
            suggestions=suggestions,
        ), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s", request.path)
        message = gettext("Something went wrong on our side. Please try again.")
        if wants_json():
            return jsonify(error="internal_error", message=message), 500
        return render_template(
            "error.html", status=500, title=gettext("Sorry"), message=message
        ), 500
