"""The interface in each of the site's languages, and which language a request is in.

A page's language comes from its address, never from the browser's Accept-Language:
``/article/kyphoplasty`` is English and ``/es/article/cifoplastia`` Spanish, so every
address has one language, can be linked, cached and indexed as such, and the language
switch is a plain link. :func:`localized` registers a view at both; the address's
language is taken out of the view's arguments (views ask :func:`current_language`) and
put back into every ``url_for`` that does not name another, so a Spanish page's links
stay Spanish without a template saying so.

Interface text is gettext through Flask-Babel, with message catalogues in
``encyclopedia/translations`` (``make translations`` extracts and compiles them; the
README's "Adding a language" says the steps). Article text is not translated here: a
translation is an article of its own (``lang`` and ``translation_of``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from flask import Blueprint, Flask, current_app, g, has_request_context, request, url_for
from flask_babel import Babel, gettext

from encyclopedia.languages import DEFAULT, LANGUAGES, Language

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# The address segment of every language but the default one: "/es/...".
_PREFIXED = ",".join(code for code in LANGUAGES if code != DEFAULT)


def current_language() -> str:
    """The language of the page being made (the default outside a request). An address
    no route answers ("/es/no-such-page") is in the language its first segment names,
    so its "not found" page is too."""
    if not has_request_context():
        return DEFAULT
    if "lang" not in g:
        first = request.path.lstrip("/").split("/", 1)[0]
        g.lang = first if first in LANGUAGES else DEFAULT
    return g.lang


def localized(bp: Blueprint, rule: str, **options: Any) -> Callable:
    """Register a view at ``rule`` for the default language and at ``/<lang>rule`` for
    the others. The default language's rule comes first, so ``url_for`` builds the
    unprefixed address for it."""

    def register(view: Callable) -> Callable:
        bp.add_url_rule(rule, view_func=view, defaults={"lang": DEFAULT}, **options)
        bp.add_url_rule(f"/<any({_PREFIXED}):lang>{rule}", view_func=view, **options)
        return view

    return register


def in_words(value: dt.date | str | None) -> str:
    """A date as people read it ("12 August 2023", "12 de agosto de 2023"), and a moment
    with its time, not ISO, in the page's language. Text that is neither is shown as it
    is, so a bad value can never break a page."""
    if isinstance(value, str):
        try:
            value = (
                dt.datetime.fromisoformat(value)
                if len(value) > 10
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            return value
    # The patterns are CLDR's, translated with the rest of the interface.
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        pattern = gettext("d MMMM y 'at' HH:mm 'UTC'")
        return format_datetime(value, pattern, locale=current_language())
    if isinstance(value, dt.date):
        return format_date(value, gettext("d MMMM y"), locale=current_language())
    return ""


def alternates(translations: tuple = ()) -> list[tuple[Language, str]]:
    """The page in every language it exists in, as (language, absolute address): an
    article's translations (hreflang and the switch), or, for any other page, the same
    page in every language."""
    endpoint = request.endpoint
    if endpoint is None:
        return []
    args = dict(request.view_args or {})
    if endpoint == "pages.article":
        versions = [(entry.lang, {"slug": entry.slug}) for entry in translations]
        if not versions:
            return []
        versions.insert(0, (current_language(), {"slug": args.get("slug")}))
        return [
            (LANGUAGES[code], url_for(endpoint, lang=code, **kept, _external=True))
            for code, kept in sorted(versions, key=lambda v: v[0] != DEFAULT)
        ]
    if not current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        return []
    query = {k: v for k, v in request.args.items() if k == "q"}
    return [
        (language, url_for(endpoint, **args, **query, lang=code, _external=True))
        for code, language in LANGUAGES.items()
    ]


def language_links(translations: tuple = ()) -> list[tuple[Language, str]]:
    """The language switch: each other language's version of this page (an article's
    translation, the same A–Z letter or search), or that language's home page when the
    article has no translation."""
    here = current_language()
    versions = {language.code: href for language, href in alternates(translations)}
    return [
        (language, versions.get(code) or url_for("pages.home", lang=code))
        for code, language in LANGUAGES.items()
        if code != here
    ]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=current_language)

    @app.url_value_preprocessor
    def take_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None and endpoint is not None:  # None: no route matched
            g.lang = values.pop("lang", DEFAULT)

    @app.url_defaults
    def keep_language(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = current_language()

    @app.context_processor
    def language() -> dict[str, Any]:
        code = current_language()
        return {"lang": code, "language": LANGUAGES[code], "languages": LANGUAGES}

    app.add_template_filter(in_words)
    app.add_template_global(alternates)
    app.add_template_global(language_links)
