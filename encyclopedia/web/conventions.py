"""What crawlers, browsers and other sites expect to find: robots.txt, the sitemap, an
OpenSearch description (search from the address bar), an Atom feed of recently reviewed
articles, and the content API (articles as JSON, as the NHS website's API offers them).

Everything here is made from the published catalog and pages through the ``Library``,
and kept per search version like the pages (``caching.index_page``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from encyclopedia.languages import LANGUAGES
from encyclopedia.search import BadRequest
from encyclopedia.search.documents import CatalogEntry
from encyclopedia.web import library
from encyclopedia.web.caching import index_page

bp = Blueprint("conventions", __name__)

SITEMAP_LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org protocol)
FEED_SIZE = 50
API_PAGE_SIZE = 50
ORDERS = ("title", "last_reviewed", "next_review")


def _built_day() -> str:
    built = library().built
    return (built or dt.datetime.now(dt.UTC)).date().isoformat()


def _xml(body: str, mimetype: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, mimetype=mimetype)


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /librarian/",
        "Disallow: /search",
        "Disallow: /api/",
        "",
        f"Sitemap: {url_for('conventions.sitemap', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


# A page, the day it last changed, and the same page in other languages (hreflang).
SiteUrl = tuple[str, str, tuple[tuple[str, str], ...]]


def _site_urls() -> list[SiteUrl]:
    """Every page worth a crawler's visit, in every language that has articles, with
    the day it last changed; an article with its translations as alternates."""
    built = _built_day()
    urls: list[SiteUrl] = []
    for lang in LANGUAGES:
        letters = library().letters(lang)
        if not any(letters.values()):  # no article in this language
            continue
        urls.append((url_for("pages.home", lang=lang, _external=True), built, ()))
        urls.append((url_for("pages.site_map_index", lang=lang, _external=True), built, ()))
        shelves = library().shelves(lang)
        urls.append((url_for("pages.browse", lang=lang, _external=True), built, ()))
        for by, found in (("kind", shelves.kinds), ("group", shelves.groups)):
            for key in found:
                address = url_for("pages.shelf", by=by, key=key, lang=lang, _external=True)
                urls.append((address, built, ()))
        for letter, count in letters.items():
            if count:
                address = url_for(
                    "pages.site_map", letter=letter.lower(), lang=lang, _external=True
                )
                urls.append((address, built, ()))
    about = current_app.extensions["about_page"].get()
    if about is not None:
        day = about.reviewed.isoformat() if about.reviewed else built
        urls.append((url_for("pages.about", _external=True), day, ()))
    for entry in library().all_entries():
        versions = library().versions_of(entry.slug)
        alternates = tuple((v.lang, _article_url(v)) for v in versions)
        urls.append((_article_url(entry), entry.reviewed or built, alternates))
    return urls


def _article_url(entry: CatalogEntry) -> str:
    return url_for("pages.article", slug=entry.slug, lang=entry.lang, _external=True)


def _urlset(urls: list[SiteUrl]) -> Response:
    rows = "".join(
        f"<url><loc>{escape(loc)}</loc><lastmod>{day}</lastmod>"
        + "".join(
            f'<xhtml:link rel="alternate" hreflang="{code}" href="{escape(href)}"/>'
            for code, href in alternates
        )
        + "</url>\n"
        for loc, day, alternates in urls
    )
    return _xml(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n{rows}</urlset>\n',
        "application/xml",
    )


@bp.get("/sitemap.xml")
def sitemap():
    """One sitemap, or past the protocol's 50,000 URLs an index of numbered parts."""

    def render() -> Response:
        urls = _site_urls()
        if len(urls) <= SITEMAP_LIMIT:
            return _urlset(urls)
        parts = range(1, -(-len(urls) // SITEMAP_LIMIT) + 1)
        built = _built_day()
        rows = "".join(
            f"<sitemap><loc>{escape(url_for('conventions.sitemap_part', number=n, _external=True))}"
            f"</loc><lastmod>{built}</lastmod></sitemap>\n"
            for n in parts
        )
        return _xml(
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}'
            "</sitemapindex>\n",
            "application/xml",
        )

    return index_page(render)


@bp.get("/sitemaps/<int:number>.xml")
def sitemap_part(number: int):
    def render() -> Response:
        urls = _site_urls()
        part = urls[(number - 1) * SITEMAP_LIMIT : number * SITEMAP_LIMIT]
        if number < 1 or not part:
            return Response("no such sitemap\n", status=404, mimetype="text/plain")
        return _urlset(part)

    return index_page(render)


@bp.get("/opensearch.xml")
def opensearch():
    search = url_for("search.results", _external=True) + "?q={searchTerms}"
    suggest = url_for("conventions.opensearch_suggest", _external=True) + "?q={searchTerms}"
    icon = url_for("static", filename="favicon.svg", _external=True)
    body = (
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">\n'
        "<ShortName>Health Encyclopedia</ShortName>\n"
        "<Description>Search the Health Encyclopedia</Description>\n"
        "<InputEncoding>UTF-8</InputEncoding>\n"
        f'<Image type="image/svg+xml">{escape(icon)}</Image>\n'
        f'<Url type="text/html" method="get" template="{escape(search)}"/>\n'
        f'<Url type="application/x-suggestions+json" template="{escape(suggest)}"/>\n'
        "</OpenSearchDescription>\n"
    )
    return _xml(body, "application/opensearchdescription+xml")


@bp.get("/api/suggest/opensearch")
def opensearch_suggest():
    """Suggestions in the OpenSearch format a browser's address bar reads:
    ``[query, [completions]]``."""
    query = library().clean(request.args.get("q", ""))
    names = [s.name for s in library().suggest(query)]
    return index_page(
        lambda: Response(
            jsonify([query, names]).get_data(), mimetype="application/x-suggestions+json"
        )
    )


@bp.get("/feed.atom")
def feed():
    """The articles most recently reviewed, newest first."""

    def render() -> Response:
        entries = sorted(
            (e for e in library().all_entries() if e.reviewed),
            key=lambda e: (e.reviewed, e.slug),
            reverse=True,
        )[:FEED_SIZE]
        home = url_for("pages.home", _external=True)
        updated = entries[0].reviewed if entries else _built_day()
        rows = []
        for entry in entries:
            link = _article_url(entry)
            also = f" Also called: {', '.join(entry.also_called)}." if entry.also_called else ""
            # The same article in its other languages, as Atom's hreflang alternates.
            others = "".join(
                f'<link rel="alternate" type="text/html" hreflang="{v.lang}" '
                f'href="{escape(_article_url(v))}"/>\n'
                for v in library().versions_of(entry.slug)
                if v.slug != entry.slug
            )
            rows.append(
                f'<entry xml:lang="{entry.lang}">\n'
                f"<title>{escape(entry.title)}</title>\n"
                f'<link rel="alternate" type="text/html" hreflang="{entry.lang}" '
                f'href="{escape(link)}"/>\n' + others + f"<id>{escape(link)}</id>\n"
                f"<updated>{entry.reviewed}T00:00:00Z</updated>\n"
                f"<summary>{escape(f'Reviewed on {entry.reviewed}.{also}')}</summary>\n"
                "</entry>\n"
            )
        body = (
            '<feed xmlns="http://www.w3.org/2005/Atom">\n'
            "<title>Health Encyclopedia: recently reviewed articles</title>\n"
            f'<link rel="alternate" type="text/html" href="{escape(home)}"/>\n'
            f'<link rel="self" type="application/atom+xml" '
            f'href="{escape(url_for("conventions.feed", _external=True))}"/>\n'
            f"<id>{escape(home)}</id>\n"
            f"<updated>{updated}T00:00:00Z</updated>\n"
            "<author><name>Health Encyclopedia librarians</name></author>\n"
            + "".join(rows)
            + "</feed>\n"
        )
        return _xml(body, "application/atom+xml")

    return index_page(render)


# -- the content API -------------------------------------------------------------------


def _entry_json(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "slug": entry.slug,
        "title": entry.title,
        "also_called": list(entry.also_called),
        "kind": entry.kind,
        "groups": list(entry.groups),
        "last_reviewed": entry.reviewed,
        "lang": entry.lang,
        "translation_of": entry.translation_of,
        "url": _article_url(entry),
        "api_url": url_for("conventions.api_article", slug=entry.slug, _external=True),
    }


@bp.get("/api/articles")
def api_articles():
    """Every article, a page at a time; ``changed_since`` (a day) keeps those reviewed on
    or after it; ``order`` is title, last_reviewed (newest first) or next_review (the
    longest since review first, unreviewed first); ``lang`` keeps one language's."""
    lang = library().language(request.args.get("lang")) if request.args.get("lang") else None
    order = request.args.get("order") or "title"
    if order not in ORDERS:
        raise BadRequest(f"order must be one of {', '.join(ORDERS)}")
    since = request.args.get("changed_since") or None
    if since is not None:
        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError:
            raise BadRequest("changed_since must be a day written YYYY-MM-DD") from None
    # Not the search's paging (capped at 100 pages): a client walks the whole catalog.
    try:
        page = int(request.args.get("page") or 1)
    except ValueError:
        raise BadRequest("page must be a whole number") from None
    if page < 1:
        raise BadRequest("page must be 1 or more")

    def render() -> Response:
        entries = library().all_entries(lang)  # by title
        if since is not None:
            entries = [e for e in entries if e.reviewed and e.reviewed >= since]
        if order == "last_reviewed":
            entries = sorted(entries, key=lambda e: e.reviewed or "", reverse=True)
        elif order == "next_review":
            entries = sorted(entries, key=lambda e: e.reviewed or "")
        shown = entries[(page - 1) * API_PAGE_SIZE : page * API_PAGE_SIZE]
        return jsonify(
            total=len(entries),
            page=page,
            page_size=API_PAGE_SIZE,
            pages=max(1, -(-len(entries) // API_PAGE_SIZE)),
            order=order,
            lang=lang,
            changed_since=since,
            articles=[_entry_json(e) for e in shown],
        )

    return index_page(render)


@bp.get("/api/articles/<slug>")
def api_article(slug: str):
    def render() -> Response:
        page = library().article(slug)
        if page is None:
            return jsonify(error="not_found", message=f"there is no article {slug!r}"), 404
        return jsonify(
            slug=page.slug,
            title=page.title,
            also_called=list(page.also_called),
            kind=page.kind,
            groups=[name for name, _ in page.groups],
            summary_html=page.summary_html,
            sections=[
                {"heading": s.heading, "anchor": s.anchor, "html": s.html} for s in page.sections
            ],
            last_reviewed=page.reviewed,
            reviewed_by=page.reviewed_by,
            source=page.source,
            source_url=page.source_url,
            lang=page.lang,
            translations=[
                {"slug": t.slug, "title": t.title, "lang": t.lang, "url": _article_url(t)}
                for t in page.translations
            ],
            related=[
                {"slug": r.slug, "title": r.title, "url": _article_url(r)} for r in page.related
            ],
            url=url_for("pages.article", slug=page.slug, lang=page.lang, _external=True),
        )

    return index_page(render)


# -- structured data -------------------------------------------------------------------

# What an article is about, in schema.org's medical types, by the article's kind.
ABOUT_TYPES = {
    "condition": "MedicalCondition",
    "injury": "MedicalCondition",
    "symptom": "MedicalSignOrSymptom",
    "procedure": "MedicalProcedure",
    "test": "MedicalTest",
}


def medical_web_page(article: Any, url: str) -> dict[str, Any]:
    """schema.org JSON-LD for an article page: a MedicalWebPage about the condition,
    procedure or test it explains, with every other name it is known by."""
    about: dict[str, Any] = {
        "@type": ABOUT_TYPES.get(article.kind or "", "MedicalEntity"),
        "name": article.title,
    }
    if article.also_called:
        about["alternateName"] = list(article.also_called)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article.title,
        "url": url,
        "inLanguage": article.lang,
        "description": article.summary_text[:300],
        "about": about,
        "isPartOf": {"@type": "WebSite", "name": "Health Encyclopedia"},
    }
    for other in article.translations:
        # schema.org's own words for a work and its translation, both ways.
        link = {"@type": "MedicalWebPage", "url": _article_url(other), "inLanguage": other.lang}
        if other.slug == article.translation_of:
            data["translationOfWork"] = link
        else:
            data.setdefault("workTranslation", []).append(link)
    if article.reviewed:
        data["lastReviewed"] = article.reviewed
    if article.reviewed_by:
        data["reviewedBy"] = {"@type": "Person", "name": article.reviewed_by}
    return data
