"""Headers every response carries, whatever produced it (a page, the API, an error).

The policy allows no inline script and nothing from other origins: the only script is
/static/suggest.js. Search queries are health information, so the Referer never
carries them to another site.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider


def no_store(response: Response) -> Response:
    """Never kept by a browser or a proxy: signed-in pages, sign-in forms, health."""
    response.headers["Cache-Control"] = "no-store"
    return response


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SafeJSONProvider(DefaultJSONProvider):
    """JSON with <, > and & escaped, so text from a query or an article can never close a
    script element if a page ever embeds a response."""

    sort_keys = False  # keep the documented key order

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        # One pass over what the view set, not a case-insensitive search (and a KeyError
        # raised and caught inside Werkzeug) per header: this runs on every response.
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend(
            [(name, value) for name, value in HEADERS.items() if name.lower() not in present]
        )
        return response
