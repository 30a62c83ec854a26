"""Home, article pages and the A–Z site map: pages that change only when the index does."""

from __future__ import annotations

import logging
import sqlite3
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from encyclopedia.articles import SLUG_PATTERN
from encyclopedia.search import LETTERS
from encyclopedia.web import library
from encyclopedia.web.caching import index_page
from encyclopedia.web.security import no_store

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return index_page(
        lambda: render_template(
            "home.html", letters=library().letters(), shelves=library().shelves()
        )
    )


@bp.get("/browse")
def browse():
    """Every kind and group, with how many articles each has."""
    return index_page(lambda: render_template("browse.html", shelves=library().shelves()))


@bp.get("/browse/<by>/<key>")
def shelf(by: str, key: str):
    """The articles of one kind (``/browse/kind/test``) or one group
    (``/browse/group/lungs-and-breathing``), by title."""
    if by not in ("kind", "group"):
        abort(404, description="Browse by kind or by group.")

    def render() -> str:
        page = library().shelf_page(by, key, request.args.get("page"))
        if page is None:
            first = library().shelf_page(by, key, 1)
            if first is None:
                abort(404, description=f"There is no such {by} of articles.")
            # "page=99" of three: the last page, not an error.
            last = first.pages if first.pages > 1 else None
            abort(redirect(url_for("pages.shelf", by=by, key=key, page=last)))
        return render_template("shelf.html", by=by, page=page)

    return index_page(render)


@bp.get("/about")
def about():
    """The About and editorial policy page: the librarians' Markdown, read again when
    it changes (so not kept per index version like the other pages here)."""
    page = current_app.extensions["about_page"].get()
    if page is None:
        abort(404, description="The About page has not been written yet.")
    return render_template("about.html", page=page)


@bp.get("/article/<slug>/")
def article_with_slash(slug: str):
    """``/article/kyphoplasty/``, as people type it: the page has one address."""
    return redirect(url_for("pages.article", slug=slug), code=301)


@bp.get("/article/<slug>")
def article(slug: str):
    if not SLUG_PATTERN.match(slug):
        if SLUG_PATTERN.match(slug.lower()):
            # "/article/Kyphoplasty": addresses are lowercase; send it where it lives.
            return redirect(url_for("pages.article", slug=slug.lower()), code=301)
        abort(404, description="There is no article at this address.")

    def render() -> str:
        # Looked up inside the render, after index_page has read the index version, so
        # a page cached under a version is never older than that version.
        page = library().article(slug)
        if page is None:
            moved = current_app.extensions["workspace"].editor.redirect(slug)
            if moved:
                # A renamed article: bookmarks and links elsewhere keep working.
                abort(redirect(url_for("pages.article", slug=moved), code=301))
            abort(404, description="There is no article at this address.")
        return render_template("article.html", article=page)

    return index_page(render)


@bp.post("/article/<slug>/helpful")
def helpful(slug: str):
    """A patient's yes or no. No session and no CSRF token (either would make every
    article page personal and uncacheable): a cross-site form is refused by its Origin
    or Sec-Fetch-Site instead, and answers are rate-limited per address (auth.py)."""
    origin = request.headers.get("Origin")
    fetched = request.headers.get("Sec-Fetch-Site")
    if (origin and urlsplit(origin).netloc != request.host) or fetched in (
        "cross-site",
        "same-site",
    ):
        abort(403, description="Answers are taken from this site's own pages only.")
    answer = request.form.get("answer")
    if answer not in ("yes", "no"):
        abort(400, description="Answer yes or no.")
    if not SLUG_PATTERN.match(slug) or library().article(slug) is None:
        abort(404, description="There is no article at this address.")
    try:
        current_app.extensions["workspace"].feedback.record(slug, answer == "yes")
    except sqlite3.Error as exc:  # a full disk, a locked file: the patient is told, not a 500
        log.warning("could not count a helpful-page answer: %s", exc)
        abort(503, description="Your answer could not be counted just now. Please try later.")
    response = make_response(
        render_template("helpful_thanks.html", slug=slug, helpful=answer == "yes"), 200
    )
    return no_store(response)


@bp.get("/a-z")
def site_map_index():
    return index_page(
        lambda: render_template("az.html", letters=library().letters(), letter=None, page=None)
    )


@bp.get("/a-z/<letter>")
def site_map(letter: str):
    if letter.upper() not in LETTERS:
        abort(404, description="The A–Z has the letters A to Z and 0-9.")

    def render() -> str:
        page = library().site_map_page(letter, request.args.get("page"))
        if page is None:
            last = library().site_map_page(letter, 1)
            if last is not None and int(request.args["page"]) > last.pages:
                # "page=99" of seven: the last page, not an error.
                abort(redirect(url_for("pages.site_map", letter=letter, page=last.pages)))
            abort(404, description=f"The letter {letter.upper()} has no page that far on.")
        return render_template(
            "az.html", letters=library().letters(), letter=page.letter, page=page
        )

    return index_page(render)
