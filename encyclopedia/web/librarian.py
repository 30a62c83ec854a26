"""The librarians' pages: dashboard, editor with preview, history, diff and restore, trash,
failed searches, the audit log and reindexing. Every view needs a signed-in librarian
and every POST a CSRF token; the work itself is done by :mod:`encyclopedia.librarian`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess  # nosec B404 - runs this package's own reindex command, no shell
import sys
import threading

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from encyclopedia import media
from encyclopedia.articles import MAX_NAME_LENGTH, SLUG_PATTERN
from encyclopedia.fields import FIELDS
from encyclopedia.languages import DEFAULT, LANGUAGES
from encyclopedia.librarian import EditConflict, EditRefused, NotFound, Workspace
from encyclopedia.librarian.diffing import diff
from encyclopedia.librarian.editor import THESAURUS, Validation
from encyclopedia.librarian.site_file_edit import current_text, save_site_file
from encyclopedia.librarian.thesaurus_edit import ThesaurusEditError, add_thesaurus_entry
from encyclopedia.media import UploadRefused, listing, markdown_for, store_upload
from encyclopedia.normalize import fold, slugify, sort_key
from encyclopedia.readability import assess
from encyclopedia.search import BadRequest, IndexUnavailable, releases
from encyclopedia.search.builds import writer_running
from encyclopedia.search.documents import CatalogEntry
from encyclopedia.search.reindex_status import announce_reindex, reindex_status
from encyclopedia.site_files import SITE_FILES
from encyclopedia.web import library
from encyclopedia.web.auth import csrf
from encyclopedia.web.forms import ArticleForm, ImageForm
from encyclopedia.web.security import no_store

log = logging.getLogger(__name__)
bp = Blueprint("librarian", __name__, url_prefix="/librarian")


def workspace() -> Workspace:
    return current_app.extensions["workspace"]


def who() -> str:
    return current_user.name


@bp.before_request
@login_required
def signed_in_only():
    """Sign-in first, then the CSRF token: a signed-out visitor is sent to sign in."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if request.endpoint == "librarian.images":
            # The one form that carries a file: room for it and the other fields, set
            # before the token check reads the body. Every other form keeps 1 MB.
            request.max_content_length = media.MAX_BYTES + 64 * 1024
        csrf.protect()


@bp.errorhandler(413)
def too_large(error):
    return render_template(
        "error.html",
        status=413,
        title="Too large",
        message=f"That file is over {media.MAX_BYTES // (1024 * 1024)} MB, so nothing was "
        "stored. Make it smaller (fewer pixels, or JPEG for a photo) and upload it again.",
    ), 413


@bp.errorhandler(NotFound)
def not_found(error: NotFound):
    """An article or version that went away between two clicks is a 404, never a 500."""
    return render_template(
        "error.html",
        status=404,
        title="Page not found",
        message="That article or version "
        "does not exist (any more). It may have been renamed or deleted.",
    ), 404


bp.after_request(no_store)


# Dashboard -------------------------------------------------------------------------


@bp.get("")
def dashboard():
    everything = workspace().editor.listing()
    rows = everything
    text = fold(request.args.get("q", ""))
    show = request.args.get("show", "all")
    if show not in ("all", "overdue", "problems", "untranslated", "outdated"):
        show = "all"
    if text:
        rows = [r for r in rows if any(text in fold(n) for n in (*r.names, r.slug))]
    others = [code for code in LANGUAGES if code != DEFAULT]
    if show == "overdue":
        rows = [r for r in rows if r.overdue]
    elif show == "problems":
        rows = [r for r in rows if r.problems]
    elif show == "untranslated":
        # Originals with no version in some other language of the site.
        rows = [
            r
            for r in rows
            if r.lang == DEFAULT
            and not r.translation_of
            and {code for code, _ in r.translations} < set(others)
        ]
    elif show == "outdated":
        rows = [r for r in rows if r.translation_outdated]
    try:
        health = library().health(current_app.extensions["settings"].content_dir)
    except IndexUnavailable:
        health = None
    return render_template(
        "librarian/dashboard.html",
        rows=rows,
        q=request.args.get("q", ""),
        show=show,
        health=health,
        total=len(everything),
        overdue=sum(1 for r in everything if r.overdue),
        languages=LANGUAGES,
        failed=workspace().failed_searches.top(5),
        unhelpful=workspace().feedback.least_helpful(5),
        recent=workspace().audit.recent(8),
        status=reindex_status(current_app.extensions["settings"].index_dir),
    )


# Editing ---------------------------------------------------------------------------


def _preview(validation: Validation):
    if validation.article is None:
        return None
    return library().preview(validation.article)


def _edit_page(form: ArticleForm, *, slug: str | None, validation=None, conflict=None, status=200):
    previewing = bool(validation and request.form.get("preview") and validation.article)
    target = current_app.extensions["settings"].reading_age
    return (
        render_template(
            "librarian/edit.html",
            form=form,
            fields=FIELDS,
            slug=slug,
            validation=validation or Validation(),
            preview=_preview(validation) if previewing else None,
            readability=assess(validation.article, target) if previewing else None,
            conflict=conflict,
            versions=_published_versions(slug),
            languages=LANGUAGES,
        ),
        status,
    )


def _published_versions(slug: str | None) -> dict[str, CatalogEntry]:
    """The published article in each language it has (itself included), by language:
    the editor says which translations exist and which are missing."""
    if slug is None:
        return {}
    try:
        return {entry.lang: entry for entry in library().versions_of(slug)}
    except IndexUnavailable:
        return {}


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = ArticleForm()
    if request.method == "GET":
        form.reviewed.data = dt.date.today().isoformat()
        form.reviewed_by.data = who()
        return _edit_page(form, slug=None)
    if not (form.slug.data or "").strip() and (form.title.data or "").strip():
        form.slug.data = slugify(form.title.data)  # filled from the title; editable
    draft = form.draft()
    if form.preview.data:
        validation = workspace().editor.validate(draft)
        return _edit_page(form, slug=None, validation=validation)
    try:
        saved = workspace().editor.save(draft, who(), note=form.note.data or "")
    except EditRefused as exc:
        return _edit_page(form, slug=None, validation=exc.validation, status=422)
    flash(saved.indexed)
    return redirect(url_for("librarian.edit", slug=saved.slug), code=303)


@bp.get("/slug")
def slug_for():
    """The address a new article's title gives it, for the editor's script (the rule
    stays here, in normalize.slugify, not copied into JavaScript)."""
    title = request.args.get("title", "")[:MAX_NAME_LENGTH]
    return jsonify(slug=slugify(title) if title.strip() else "")


@bp.route("/edit/<slug>", methods=["GET", "POST"])
def edit(slug: str):
    editor = workspace().editor
    try:
        current, digest = editor.load(slug)
    except NotFound:
        abort(404, description="There is no article at this address; it may have been renamed.")
    form = ArticleForm()
    if request.method == "GET":
        form.fill(current, digest)
        return _edit_page(form, slug=slug)
    draft = form.draft(extra=current.extra)
    if form.preview.data:
        return _edit_page(form, slug=slug, validation=editor.validate(draft, slug))
    try:
        saved = editor.save(
            draft, who(), note=form.note.data or "", original=slug, base_digest=form.base.data
        )
    except EditRefused as exc:
        return _edit_page(form, slug=slug, validation=exc.validation, status=422)
    except EditConflict as exc:
        conflict = {
            "message": str(exc),
            "diff": diff(exc.current_text, draft.to_text()),
        }
        # The form keeps this librarian's text; saving again now is a deliberate choice
        # made with the other version in view, not a silent overwrite.
        form.base.data = exc.current_digest or ""
        return _edit_page(form, slug=slug, conflict=conflict, status=409)
    flash(saved.indexed)
    return redirect(url_for("librarian.edit", slug=saved.slug), code=303)


@bp.route("/delete/<slug>", methods=["GET", "POST"])
def delete(slug: str):
    editor = workspace().editor
    try:
        current, digest = editor.load(slug)
    except NotFound:
        abort(404, description="There is no article at this address.")
    if request.method == "GET":
        linked = sorted(
            (a for a in editor.articles().values() if slug in a.related),
            key=lambda a: sort_key(a.title),
        )
        return render_template(
            "librarian/delete.html", draft=current, slug=slug, base=digest, linked=linked
        )
    try:
        saved = editor.delete(
            slug, who(), base_digest=request.form.get("base", ""), note=request.form.get("note", "")
        )
    except EditConflict as exc:
        flash(str(exc))
        return redirect(url_for("librarian.edit", slug=slug), code=303)
    flash(f"“{current.title}” is in the trash. {saved.indexed}")
    return redirect(url_for("librarian.trash"), code=303)


# History ---------------------------------------------------------------------------


@bp.get("/review")
def review_queue():
    return render_template("librarian/review.html", rows=workspace().editor.review_queue())


@bp.post("/review/<slug>")
def mark_reviewed(slug: str):
    editor = workspace().editor
    if not editor.path(slug).exists():
        abort(404, description="There is no such article to review.")
    _, digest = editor.load(slug)
    note = request.form.get("note", "")[:500]
    try:
        saved = editor.mark_reviewed(slug, who(), base_digest=digest, note=note)
    except (EditRefused, EditConflict) as exc:
        flash(f"Not marked reviewed: {exc}")
        return redirect(url_for("librarian.review_queue"), code=303)
    flash(f"/article/{slug} marked reviewed today by {who()}. {saved.indexed}")
    return redirect(url_for("librarian.review_queue"), code=303)


@bp.route("/images", methods=["GET", "POST"])
def images():
    """Upload an image for articles, and the line that shows it in one."""
    form = ImageForm()
    media_dir = current_app.extensions["settings"].media_dir
    stored = None
    status = 200
    if form.validate_on_submit():
        try:
            stored = store_upload(form.image.data.read(), media_dir, form.caption.data)
        except UploadRefused as exc:
            form.image.errors = [f"Not stored: {exc}."]
        except OSError as exc:  # a full disk, a folder the site may not write
            log.error("image upload could not be written: %s", exc)
            form.image.errors = [
                "Not stored: the server could not write the file. Try again later."
            ]
            status = 503
        else:
            workspace().audit.record(who(), "image uploaded", None, stored.name)
            settings = current_app.extensions["settings"]
            releases.after_site_change(settings.index_dir, settings.content_dir)
    if request.method == "POST" and stored is None and status == 200:
        status = 422
    return render_template(
        "librarian/images.html",
        form=form,
        stored=stored,
        line=markdown_for(stored.name, form.alt.data, form.caption.data) if stored else "",
        files=listing(media_dir)[:200],
    ), status


@bp.route("/thesaurus", methods=["GET", "POST"])
def thesaurus():
    """The thesaurus at the address librarians know (the failed-searches page links it)."""
    return _site_file(THESAURUS)


@bp.route("/files/<key>", methods=["GET", "POST"])
def site_file(key: str):
    """A site file (the emergency words, the About page, ...) as text, edited and
    versioned like an article."""
    if key not in SITE_FILES:
        abort(404, description="There is no such site file.")
    if key == THESAURUS:
        return redirect(url_for("librarian.thesaurus"), code=301)
    return _site_file(key)


def _site_file(key: str):
    editor = workspace().editor
    try:
        text, base = current_text(editor, key)
    except OSError as exc:  # a folder where the file should be, a disk error
        abort(503, description=f"content/{SITE_FILES[key].relative} cannot be read: {exc}")
    problems: list[str] = []
    conflict = None
    unwritable = False
    if request.method == "POST":
        text = request.form.get("text", "")[: 2 * 2**20]
        try:
            saved = save_site_file(
                editor,
                key,
                text,
                who(),
                base_digest=request.form.get("base", ""),
                note=request.form.get("note", ""),
            )
        except EditRefused as exc:
            problems = [m for ms in exc.validation.errors.values() for m in ms]
        except EditConflict as exc:
            conflict = exc
            base = exc.current_digest or ""
        except OSError as exc:  # a full disk, a folder the site may not write
            log.error("%s could not be written: %s", key, exc)
            problems = ["the server could not write the file, so nothing changed; try again later"]
            unwritable = True
        else:
            flash(saved.indexed)
            return redirect(url_for("librarian.history", slug=key), code=303)
    return render_template(
        "librarian/site_file.html",
        site_file=SITE_FILES[key],
        text=text,
        base=base,
        problems=problems,
        conflict=conflict,
        lines=diff(conflict.current_text, text) if conflict else None,
    ), (503 if unwritable else 422 if problems else 409 if conflict else 200)


@bp.get("/history/<slug>")
def history(slug: str):
    editor = workspace().editor
    try:
        versions = editor.history(slug)
    except NotFound:
        abort(404, description="This article has no history here.")
    base = editor.current_digest(slug)
    return render_template(
        "librarian/history.html",
        slug=slug,
        site_file=SITE_FILES.get(slug),
        versions=versions,
        base=base,
        audit=workspace().audit.recent(50, slug),
    )


def _version_id(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        abort(400, description="Choose two versions to compare.")


@bp.get("/history/<slug>/diff")
def compare(slug: str):
    editor = workspace().editor
    try:
        old = editor.revision(slug, _version_id(request.args.get("a")))
        new = editor.revision(slug, _version_id(request.args.get("b")))
    except NotFound:
        abort(404, description="One of those versions does not exist.")
    if old.number > new.number:
        old, new = new, old
    return render_template(
        "librarian/diff.html", slug=slug, old=old, new=new, lines=diff(old.text, new.text)
    )


@bp.get("/history/<slug>/<int:revision_id>")
def version(slug: str, revision_id: int):
    try:
        revision = workspace().editor.revision(slug, revision_id)
    except NotFound:
        abort(404, description="That version does not exist.")
    return render_template("librarian/version.html", slug=slug, revision=revision)


@bp.post("/history/<slug>/<int:revision_id>/restore")
def restore(slug: str, revision_id: int):
    editor = workspace().editor
    try:
        saved = editor.restore_revision(slug, revision_id, who(), request.form.get("base", ""))
    except NotFound:
        abort(404, description="That version does not exist, or it is a deletion.")
    except EditConflict as exc:
        flash(str(exc))
        return redirect(url_for("librarian.history", slug=slug), code=303)
    except EditRefused as exc:
        problems = "; ".join(m for ms in exc.validation.errors.values() for m in ms)
        flash(f"That version cannot be restored as it is: {problems}")
        return redirect(url_for("librarian.history", slug=slug), code=303)
    flash(f"Restored the earlier version. {saved.indexed}")
    return redirect(url_for("librarian.history", slug=slug), code=303)


# Trash -----------------------------------------------------------------------------


@bp.get("/trash")
def trash():
    return render_template("librarian/trash.html", items=workspace().editor.trash())


@bp.post("/trash/<int:item_id>/restore")
def untrash(item_id: int):
    try:
        saved = workspace().editor.restore_from_trash(item_id, who())
    except NotFound:
        abort(404, description="That article is no longer in the trash.")
    except EditRefused as exc:
        problems = "; ".join(m for ms in exc.validation.errors.values() for m in ms)
        flash(f"Not restored: {problems}")
        return redirect(url_for("librarian.trash"), code=303)
    flash(f"Restored /article/{saved.slug}. {saved.indexed}")
    return redirect(url_for("librarian.edit", slug=saved.slug), code=303)


# Failed searches -------------------------------------------------------------------


TOOLS = {
    "alias": "a hidden search alias",
    "name": "another name",
    "thesaurus": "a thesaurus entry",
}
LOOKED_UP = 50  # rows whose current results are shown (a search each)


@bp.get("/searches")
def searches():
    return _searches_page()


def _searches_page(preview: dict | None = None):
    """Each failed search with what it finds now, grouped by the article it most likely
    meant (its best hit now), so a librarian sees where a fix belongs and its effect:
    ``tried`` is the search just fixed, shown with its results; ``preview`` is a fix's
    before and after, shown before it is saved."""
    rows = workspace().failed_searches.top(200)
    tried = request.args.get("tried", "")[:200]
    finds = {s.query: _top(s.query) for s in rows[:LOOKED_UP]}
    groups: dict[str, list] = {}
    for row in rows:
        found = finds.get(row.query)
        groups.setdefault(found[0].title if found else "", []).append(row)
    return render_template(
        "librarian/searches.html",
        searches=rows,
        groups=sorted(groups.items(), key=lambda g: (g[0] == "", -sum(r.count for r in g[1]))),
        finds=finds,
        tried=tried,
        tried_finds=_top(tried) if tried else [],
        preview=preview,
        tools=TOOLS,
        articles=workspace().editor.listing(),
    )


def _top(query: str, count: int = 3) -> list:
    try:
        return list(library().search(query, page_size=count).hits[:count])
    except (IndexUnavailable, BadRequest):
        return []


@bp.post("/searches/preview")
def preview_fix():
    """A fix's effect before it is saved: what the search finds now, and what it will
    find with the chosen tool, computed by the real search (Library.preview_search)."""
    query, slug = _failed_query(), _target_slug()
    tool = request.form.get("tool", "")
    if tool not in TOOLS:
        flash("Choose how to teach the search: hidden alias, another name or thesaurus.")
        return redirect(url_for("librarian.searches"), code=303)
    title = workspace().editor.load(slug)[0].title
    try:
        after = library().preview_search(
            query,
            named=slug if tool != "thesaurus" else None,
            leads_to=title if tool == "thesaurus" else None,
        )
        before = library().search(query, page_size=5).hits[:5]
    except (IndexUnavailable, BadRequest) as exc:
        flash(f"No preview: {exc}")
        return redirect(url_for("librarian.searches"), code=303)
    return _searches_page(
        {
            "query": query,
            "slug": slug,
            "title": title,
            "tool": tool,
            "before": before,
            "after": after.hits,
        }
    )


@bp.post("/searches/teach")
def teach():
    """The form's Save: the tool chosen by its radio buttons."""
    views = {"alias": add_alias, "name": add_name, "thesaurus": add_to_thesaurus}
    view = views.get(request.form.get("tool", ""))
    if view is None:
        flash("Choose how to teach the search: hidden alias, another name or thesaurus.")
        return redirect(url_for("librarian.searches"), code=303)
    return view()


def _failed_query() -> str:
    query = request.form.get("query", "")
    if workspace().failed_searches.get(query) is None:
        abort(404, description="That search is no longer in the list.")
    return query


def _target_slug() -> str:
    slug = request.form.get("slug", "").strip()
    if not SLUG_PATTERN.match(slug) or not workspace().editor.path(slug).exists():
        flash("Choose the article that search should find.")
        abort(redirect(url_for("librarian.searches"), code=303))
    return slug


@bp.post("/searches/name")
def add_name():
    return _teach("also_called", "“{query}” is now another name of /article/{slug}.")


@bp.post("/searches/alias")
def add_alias():
    return _teach(
        "search_aliases", "Searching “{query}” now finds /article/{slug}; patients never see it."
    )


def _teach(field: str, done: str):
    """A failed search becomes another name (shown) or a hidden search alias (not)."""
    query, slug = _failed_query(), _target_slug()
    kind = "another name" if field == "also_called" else "hidden search alias"
    try:
        saved = workspace().editor.add_name(
            slug, query, who(), note=f"{kind} “{query}” from searches that failed", field=field
        )
    except (EditRefused, EditConflict) as exc:
        flash(f"Not added: {exc}")
        return redirect(url_for("librarian.searches"), code=303)
    workspace().failed_searches.dismiss(query)
    flash(done.format(query=query, slug=slug) + f" {saved.indexed}")
    return redirect(url_for("librarian.searches", tried=query), code=303)


@bp.post("/searches/thesaurus")
def add_to_thesaurus():
    query, slug = _failed_query(), _target_slug()
    draft, _ = workspace().editor.load(slug)
    try:
        add_thesaurus_entry(workspace().editor, query, draft.title, who())
    except (ThesaurusEditError, OSError) as exc:
        flash(f"Not added to the thesaurus: {exc}")
        return redirect(url_for("librarian.searches"), code=303)
    workspace().failed_searches.dismiss(query)
    flash(f"Searching “{query}” now also searches “{draft.title}” (no reindex needed).")
    return redirect(url_for("librarian.searches", tried=query), code=303)


@bp.post("/searches/dismiss")
def dismiss():
    query = _failed_query()
    workspace().failed_searches.dismiss(query)
    workspace().audit.record(who(), "failed search dismissed", detail=query)
    flash(f"Removed “{query}” from the list.")
    return redirect(url_for("librarian.searches"), code=303)


# Audit log and reindexing ----------------------------------------------------------


@bp.get("/log")
def audit_log():
    return render_template("librarian/log.html", entries=workspace().audit.recent(500))


@bp.get("/reindex")
def reindex_page():
    settings = current_app.extensions["settings"]
    status = reindex_status(settings.index_dir)
    following = status is not None and status.get("state") in ("starting", "running")
    return render_template(
        "librarian/reindex.html",
        status=status,
        running=following or writer_running(settings.index_dir),
    )


@bp.post("/reindex")
def reindex():
    settings = current_app.extensions["settings"]
    if writer_running(settings.index_dir):
        flash("A reindex or an update is running already; its progress is below.")
        return redirect(url_for("librarian.reindex_page"), code=303)
    command = [
        sys.executable,
        "-m",
        "encyclopedia",
        "--content-dir",
        str(settings.content_dir),
        "--index-dir",
        str(settings.index_dir),
        "reindex",
        # One broken file must not stop the rest being published: it is left out and
        # listed under "With problems". A short update holding the writer is waited for.
        "--skip-invalid",
        "--wait",
        "30",
        "--by",
        who(),
    ]
    env = {**os.environ, "ENCYCLOPEDIA_INSTANCE_DIR": str(settings.instance_dir)}
    announce_reindex(settings.index_dir, who())
    output = open(settings.instance_dir / "reindex.log", "ab")  # noqa: SIM115 - child owns it
    # Its own process: the build uses every core and outlives this request.
    process = subprocess.Popen(  # nosec B603 - fixed argv, no shell
        command, stdout=output, stderr=output, stdin=subprocess.DEVNULL, env=env
    )
    output.close()
    threading.Thread(target=process.wait, daemon=True).start()  # reap it, no zombie
    workspace().audit.record(who(), "reindex started")
    flash("Reindex started. Searches keep using the current index until the new one is ready.")
    return redirect(url_for("librarian.reindex_page"), code=303)
