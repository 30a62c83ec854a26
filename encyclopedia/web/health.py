"""/healthz for load balancers and people.

The status code answers one question, readiness: can this process serve patients from a
good index (200) or not (503)? Whether the index matches ``content/`` is in the body
(``index_matches_content``, ``warnings``): a librarian's typo in one file must never make
a load balancer take the whole site out of service."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from encyclopedia.web import library
from encyclopedia.web.security import no_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    settings = current_app.extensions["settings"]
    health = library().health(settings.content_dir, replica=settings.replica)
    status = "unavailable" if not health.ready else "ok" if health.in_sync else "degraded"
    body = {
        "status": status,
        "ready": health.ready,
        "index_matches_content": health.in_sync,
        "warnings": health.warnings(),
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
        "vocabulary": health.vocabulary,
    }
    if health.replica is not None:
        body["replica"] = health.replica
    if health.releases is not None:
        body["releases"] = health.releases
    response = no_store(jsonify(body))
    return response, 200 if health.ready else 503
