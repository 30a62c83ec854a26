"""Serving the figures in ``content/media/``.

A stored image never changes (an upload is named by a digest of its bytes), so it is
cached for a year. SVG is a document that could carry script: ours are drawn by hand,
and each is still served with a policy that lets it run nothing and load nothing."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory

from encyclopedia import media

bp = Blueprint("media", __name__)
YEAR = 365 * 24 * 3600
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.get(media.URL_PREFIX + "<name>")
def image(name: str):
    if not media.NAME.match(name):
        abort(404, description="There is no image at this address.")
    response = send_from_directory(
        current_app.extensions["settings"].media_dir.absolute(),
        name,
        max_age=YEAR,
        conditional=True,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    if name.endswith(".svg"):
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
