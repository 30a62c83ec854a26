"""/healthz: is the served index the one content/ describes, and can it be opened at all."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from encyclopedia.web import library

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    settings = current_app.extensions["settings"]
    health = library().health(settings.content_dir)
    body = {
        "status": "ok" if health.healthy else "unhealthy",
        "index_articles": health.index_articles,
        "content_articles": health.content_articles,
        "last_reindex": health.built,
        "build": health.build,
        "reindex_running": health.reindex_running,
        "missing": health.missing[:50],
        "stale": health.stale[:50],
        "extra": health.extra[:50],
        "error": health.error,
        "semantic": health.semantic,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if health.healthy else 503
