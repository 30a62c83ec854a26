"""Signing librarians in and out: Flask-Login sessions, a rate limit on failed sign-ins,
and CSRF checks on every librarian form."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from encyclopedia.librarian import Workspace
from encyclopedia.web.forms import LoginForm
from encyclopedia.web.security import no_store

bp = Blueprint("auth", __name__, url_prefix="/librarian")
login_manager = LoginManager()
csrf = CSRFProtect()


class User(UserMixin):
    def __init__(self, name: str):
        self.id = name
        self.name = name


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, skipped for a request that has no session cookie
    and leaves it empty: every patient's request, since only librarians sign in. Flask
    would build a signer for each one and read the cookie settings to save an empty
    session."""

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        # Flask-Login looks into every session for its remember flag, which made Flask
        # add "Vary: Cookie" to every public page, telling shared caches to keep a copy
        # per cookie of pages that are the same for everyone. An empty session that
        # came without a cookie has nothing to save and nothing to delete.
        if (
            not session
            and not session.modified
            and self.get_cookie_name(app) not in request.cookies
        ):
            return
        super().save_session(app, session, response)


def workspace() -> Workspace:
    return current_app.extensions["workspace"]


@login_manager.user_loader
def load_user(name: str) -> User | None:
    # Looked up on every request, so a removed account is signed out at once.
    account = workspace().accounts.get(name)
    return User(account.name) if account else None


def init_app(app: Flask) -> None:
    settings = app.extensions["settings"]
    # CSRF is checked by the librarian blueprint after the sign-in check, so a signed-out
    # visitor is sent to the sign-in page rather than shown a token error.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", settings.https)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", 8 * 3600)
    app.session_interface = SignedCookieSessions()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to use the librarian pages."
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
    # One limiter per app, so two apps (two tests) never share a count.
    limiter = Limiter(key_func=get_remote_address, app=app)
    app.extensions["login_limiter"] = limiter

    @limiter.request_filter
    def not_limited() -> bool:
        # Only sign-in and the helpful-page answers are limited. Said first, so every
        # other request (a search, an article) skips the limiter's lookup of limits.
        return request.endpoint not in ("auth.login", "pages.helpful")

    # Answers to "Was this page helpful?": enough for a family sharing an address,
    # too few to move the counts by hand.
    app.view_functions["pages.helpful"] = csrf.exempt(
        limiter.limit("10 per hour", methods=["POST"])(app.view_functions["pages.helpful"])
    )
    app.view_functions["auth.login"] = limiter.limit(
        lambda: settings.login_limit,
        methods=["POST"],
        deduct_when=_failed_sign_in,
        error_message="Too many failed sign-ins from your address. Wait a few minutes, "
        "then try again.",
    )(login)


bp.after_request(no_store)


def _safe_next(target: str | None) -> str:
    """Only ever back into the librarian pages of this site: never an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/librarian"):
            return target
    return url_for("librarian.dashboard")


def _failed_sign_in(response) -> bool:
    # Only failed attempts count towards the limit; a librarian who signs in is not slowed.
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Rate-limited (failed attempts only) by :func:`init_app`."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        account = workspace().accounts.verify(form.name.data.strip(), form.password.data)
        if account is not None:
            session.clear()  # a fresh session for the signed-in librarian
            login_user(User(account.name))
            session.permanent = True
            workspace().audit.record(account.name, "signed in")
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors.append("That name and password do not match an account.")
        return render_template("librarian/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("librarian/login.html", form=form), status


@bp.post("/logout")
def logout():
    csrf.protect()
    if current_user.is_authenticated:
        workspace().audit.record(current_user.name, "signed out")
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"), code=303)
