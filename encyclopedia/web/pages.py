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
from flask_babel import gettext as _

from encyclopedia.articles import SLUG_PATTERN
from encyclopedia.languages import LANGUAGES
from encyclopedia.web import library
from encyclopedia.web.caching import index_page
from encyclopedia.web.i18n import current_language, localized
from encyclopedia.web.security import no_store

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


@localized(bp, "/", methods=["GET"])
def home():
    lang = current_language()
    return index_page(
        lambda: render_template(
            "home.html", letters=library().letters(lang), shelves=library().shelves(lang)
        )
    )


@localized(bp, "/browse", methods=["GET"])
def browse():
    """Every kind and group, with how many articles each has."""
    return index_page(
        lambda: render_template("browse.html", shelves=library().shelves(current_language()))
    )


@localized(bp, "/browse/<by>/<key>", methods=["GET"])
def shelf(by: str, key: str):
    """The articles of one kind (``/browse/kind/test``) or one group
    (``/browse/group/lungs-and-breathing``), by title."""
    if by not in ("kind", "group"):
        abort(404, description=_("Browse by kind or by group."))
    lang = current_language()

    def render() -> str:
        page = library().shelf_page(by, key, request.args.get("page"), lang)
        if page is None:
            first = library().shelf_page(by, key, 1, lang)
            if first is None:
                abort(404, description=_("There is no such shelf of articles."))
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
        abort(404, description=_("The About page has not been written yet."))
    return render_template("about.html", page=page)


@localized(bp, "/article/<slug>/", methods=["GET"])
def article_with_slash(slug: str):
    """``/article/kyphoplasty/``, as people type it: the page has one address."""
    return redirect(url_for("pages.article", slug=slug), code=301)


@localized(bp, "/article/<slug>", methods=["GET"])
def article(slug: str):
    if not SLUG_PATTERN.match(slug):
        if SLUG_PATTERN.match(slug.lower()):
            # "/article/Kyphoplasty": addresses are lowercase; send it where it lives.
            return redirect(url_for("pages.article", slug=slug.lower()), code=301)
        abort(404, description=_("There is no article at this address."))
    lang = current_language()

    def render() -> str:
        # Looked up inside the render, after index_page has read the index version, so
        # a page cached under a version is never older than that version.
        page = library().article(slug)
        if page is None:
            moved = current_app.extensions["workspace"].editor.redirect(slug)
            if moved:
                # A renamed article: bookmarks and links elsewhere keep working.
                abort(redirect(url_for("pages.article", slug=moved), code=301))
            abort(404, description=_("There is no article at this address."))
        if page.lang != lang:
            # An article lives at its own language's address ("/es/article/kyphoplasty"
            # is the English article): send the reader there.
            abort(redirect(url_for("pages.article", slug=slug, lang=page.lang), code=301))
        return render_template("article.html", article=page)

    return index_page(render)


@localized(bp, "/article/<slug>/helpful", methods=["POST"])
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
        abort(403, description=_("Answers are taken from this site's own pages only."))
    answer = request.form.get("answer")
    if answer not in ("yes", "no"):
        abort(400, description=_("Answer yes or no."))
    if not SLUG_PATTERN.match(slug) or library().article(slug) is None:
        abort(404, description=_("There is no article at this address."))
    try:
        current_app.extensions["workspace"].feedback.record(slug, answer == "yes")
    except sqlite3.Error as exc:  # a full disk, a locked file: the patient is told, not a 500
        log.warning("could not count a helpful-page answer: %s", exc)
        abort(503, description=_("Your answer could not be counted just now. Please try later."))
    response = make_response(
        render_template("helpful_thanks.html", slug=slug, helpful=answer == "yes"), 200
    )
    return no_store(response)


@localized(bp, "/a-z", methods=["GET"])
def site_map_index():
    lang = current_language()
    return index_page(
        lambda: render_template("az.html", letters=library().letters(lang), letter=None, page=None)
    )


@localized(bp, "/a-z/<letter>", methods=["GET"])
def site_map(letter: str):
    lang = current_language()
    if letter.upper() not in LANGUAGES[lang].letters:
        abort(404, description=_("The A–Z has the letters A to Z and 0-9."))

    def render() -> str:
        page = library().site_map_page(letter, request.args.get("page"), lang)
        if page is None:
            last = library().site_map_page(letter, 1, lang)
            if last is not None and int(request.args["page"]) > last.pages:
                # "page=99" of seven: the last page, not an error.
                abort(redirect(url_for("pages.site_map", letter=letter, page=last.pages)))
            abort(
                404,
                description=_(
                    "The letter %(letter)s has no page that far on.", letter=letter.upper()
                ),
            )
        return render_template(
            "az.html", letters=library().letters(lang), letter=page.letter, page=page
        )

    return index_page(render)
