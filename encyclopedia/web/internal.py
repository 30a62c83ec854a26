"""Node to node: what replicas send the editor. Not for the public: nginx answers 404 for
``/internal`` (deploy/nginx/locations.conf); replicas reach the editor directly, with the
shared ENCYCLOPEDIA_REPLICA_TOKEN."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from encyclopedia.librarian.tallies import MAX_BATCH_BYTES, TalliesRefused, receive
from encyclopedia.web.auth import workspace
from encyclopedia.web.security import no_store

bp = Blueprint("internal", __name__, url_prefix="/internal")


@bp.post("/tallies")
def tallies():
    """A replica's batch of failed searches and "helpful?" answers, added once."""
    settings = current_app.extensions["settings"]
    if not settings.replica_token or settings.replica:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), settings.replica_token.encode()):
        abort(403, "This address is for the encyclopedia's replicas.")
    if (request.content_length or 0) > MAX_BATCH_BYTES:
        abort(413)
    batch = request.get_json(silent=True)
    try:
        added = receive(workspace().db, batch)
    except TalliesRefused as exc:
        abort(400, str(exc))
    return no_store(jsonify({"added": added}))
