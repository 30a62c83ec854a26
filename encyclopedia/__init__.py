"""A searchable health encyclopedia: the Flask app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from encyclopedia.config import PROJECT_ROOT, Settings
from encyclopedia.files import private_secret
from encyclopedia.librarian import Workspace
from encyclopedia.search import Library
from encyclopedia.site_pages import SitePageFile


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings by name (``content_dir``, ``index_dir``, ...)
    and any other Flask config key, which is how tests point it at a temporary folder."""
    config = dict(config or {})
    settings = Settings.from_env(**config)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key or private_secret(settings.instance_dir / "secret_key"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure cookies when the site is served over HTTPS (set ENCYCLOPEDIA_HTTPS=1).
        SESSION_COOKIE_SECURE=settings.https,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    app.extensions["settings"] = settings
    app.extensions["library"] = Library.from_settings(settings)
    app.extensions["workspace"] = Workspace.from_settings(settings)
    app.extensions["about_page"] = SitePageFile(settings.about_path)

    from encyclopedia.web import init_app

    init_app(app)
    return app
