"""The command line: ``encyclopedia reindex | check | search | serve``.

Librarians' and patients' mistakes are caught here, once, and printed as plain
sentences with a non-zero exit code; nothing below prints or exits.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import socket
import sqlite3
import sys
import time
from pathlib import Path

import click

from encyclopedia.articles import load_folder
from encyclopedia.config import Settings
from encyclopedia.librarian import Workspace, tallies
from encyclopedia.librarian.commands import command_line_user, librarian, log
from encyclopedia.search import (
    BadRequest,
    IndexUnavailable,
    Library,
    PublishRefused,
    WriterBusy,
    rebuild,
    releases,
)
from encyclopedia.search import replica as replica_pulling
from encyclopedia.search.builds import current_build, writer_lock
from encyclopedia.search.updating import update_article
from encyclopedia.site_files import check_folder


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


def _audit(settings: Settings, who: str, action: str, detail: str, slug: str | None = None) -> None:
    """Index changes from the shell go in the audit log too; a log that cannot be written
    (a read-only instance folder) must not turn a good reindex into a failure."""
    try:
        Workspace.from_settings(settings).audit.record(who, action, slug, detail)
    except (OSError, sqlite3.Error) as exc:
        click.echo(f"note: the audit log could not be written ({exc})", err=True)


@click.group()
@click.option(
    "--content-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Article folder (default: $ENCYCLOPEDIA_CONTENT_DIR or content/).",
)
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index folder (default: $ENCYCLOPEDIA_INDEX_DIR or index/).",
)
@click.pass_context
def cli(ctx: click.Context, content_dir: Path | None, index_dir: Path | None) -> None:
    """A searchable health encyclopedia."""
    overrides = {}
    if content_dir:
        overrides["content_dir"] = content_dir
    if index_dir:
        overrides["index_dir"] = index_dir
    ctx.obj = Settings.from_env(**overrides)


@cli.command()
@click.option(
    "--skip-invalid", is_flag=True, help="Publish the valid articles and list the ones left out."
)
@click.option("--if-missing", is_flag=True, help="Do nothing if an index is already published.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=lambda: os.cpu_count() or 1,
    show_default="the number of cores",
    help="Processes for the build: from 2,000 articles each writes a part of the index; "
    "below that they render articles for one writer.",
)
@click.option(
    "--wait",
    type=float,
    default=None,
    help="Seconds to wait for another reindex to finish (default: as long as it takes).",
)
@click.option("--by", default=None, hidden=True, help="Who asked (the dashboard passes this).")
@click.pass_context
def reindex(
    ctx: click.Context,
    skip_invalid: bool,
    if_missing: bool,
    processes: int,
    wait: float | None,
    by: str | None,
) -> None:
    """Rebuild the index from the content folder and publish it in one switch."""
    settings = _settings(ctx)
    if if_missing and current_build(settings.index_dir) is not None:
        try:
            if Library(settings.index_dir).snapshot().current_format:
                click.echo(f"An index is already published in {settings.index_dir}.")
                return
            click.echo("The published index was built by an older version; rebuilding.", err=True)
        except IndexUnavailable as exc:
            click.echo(f"The published index cannot be opened ({exc}); rebuilding.", err=True)
    bar_holder: dict[str, object] = {}

    def on_start(total: int) -> None:
        bar = click.progressbar(
            length=total, label="Indexing articles", file=sys.stderr, show_pos=True, show_eta=True
        )
        bar.__enter__()
        bar_holder["bar"] = bar

    def progress(_article: object) -> None:
        bar_holder["bar"].update(1)  # type: ignore[attr-defined]

    try:
        report = rebuild(
            settings.content_dir,
            settings.index_dir,
            skip_invalid=skip_invalid,
            progress=progress,
            on_start=on_start,
            wait=wait,
            processes=processes,
            by=by or command_line_user(),
        )
    except PublishRefused as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s) in {settings.content_dir}: the index was not "
            "changed. Fix them, or publish the valid articles with --skip-invalid."
        ) from None
    except WriterBusy as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # a full disk, a read-only folder, a quota
        where = f" ({exc.filename})" if exc.filename else ""
        raise click.ClickException(
            f"could not write the new index{where}: {exc.strerror or exc}. The index being "
            "served was not changed; free some space and run reindex again."
        ) from None
    finally:
        bar = bar_holder.get("bar")
        if bar is not None:
            bar.__exit__(None, None, None)  # type: ignore[attr-defined]
    for problem in report.skipped:
        click.echo(f"left out: {problem}", err=True)
    _audit(
        settings,
        by or command_line_user(),
        "reindexed",
        f"{report.articles} articles in {report.seconds:.1f} s",
    )
    click.echo(
        f"Published {report.articles} articles in {report.seconds:.2f} s (build {report.build})."
    )


@cli.command()
@click.argument("slugs", nargs=-1, required=True)
@click.pass_context
def update(ctx: click.Context, slugs: tuple[str, ...]) -> None:
    """Bring single articles of the index in line with their files (added, edited, deleted)."""
    settings = _settings(ctx)
    for slug in slugs:
        try:
            report = update_article(settings.content_dir, settings.index_dir, slug)
        except PublishRefused as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(
                f"{slug} was not updated; the index keeps its last good version"
            ) from None
        click.echo(f"{report.action} {slug} in {report.seconds * 1000:.0f} ms")
        _audit(settings, command_line_user(), "index updated", report.action, slug)


@cli.command()
@click.pass_context
def release(ctx: click.Context) -> None:
    """Make a release of the published index and site files for replicas to fetch (the
    editor node makes one after each publication when ENCYCLOPEDIA_RELEASES=1)."""
    settings = _settings(ctx)
    try:
        with writer_lock(settings.index_dir, wait=60):
            made = releases.export(settings.index_dir, settings.content_dir)
    except (releases.ReleaseInvalid, WriterBusy, OSError) as exc:
        raise click.ClickException(f"no release made: {exc}") from None
    click.echo(f"Release {made.version}: {made.files} files, {made.bytes / 2**20:.1f} MiB.")


@cli.group()
def replica() -> None:
    """A read-only replica: serve the editor's latest release, fetched with rsync."""


@replica.command()
@click.argument("source")
@click.pass_context
def pull(ctx: click.Context, source: str) -> None:
    """Fetch, check and switch to the editor's latest release, once. SOURCE is the
    editor's index/releases folder as rsync reaches it (rsync://editor/releases)."""
    settings = _settings(ctx)
    try:
        done = replica_pulling.pull(source, settings.index_dir)
    except (replica_pulling.PullFailed, WriterBusy) as exc:
        raise click.ClickException(f"{exc}; still serving the last good release") from None
    said = "now serving" if done.changed else "already serving"
    click.echo(f"{said} {done.release} ({done.seconds:.2f} s)")


@replica.command()
@click.argument("source")
@click.option("--every", default=2.0, show_default=True, help="Seconds between attempts.")
@click.pass_context
def follow(ctx: click.Context, source: str, every: float) -> None:
    """Pull again and again (a replica's service); a failed attempt is logged, and the
    last good release keeps serving. With ENCYCLOPEDIA_EDITOR_URL and
    ENCYCLOPEDIA_REPLICA_TOKEN, also sends patients' tallies to the editor each time."""
    settings = _settings(ctx)
    database = None
    if settings.editor_url and settings.replica_token:
        from encyclopedia.librarian.database import Database

        database = Database(settings.database_path)
    while True:
        try:
            done = replica_pulling.pull(source, settings.index_dir)
            if done.changed:
                click.echo(f"now serving {done.release} ({done.seconds:.2f} s)")
        except (replica_pulling.PullFailed, WriterBusy) as exc:
            click.echo(f"{exc}; still serving the last good release", err=True)
        if database is not None:
            try:
                tallies.send(database, settings.editor_url, settings.replica_token)
            except OSError as exc:  # the editor is down: the counts wait in the outbox
                click.echo(f"tallies not sent, kept for the next attempt: {exc}", err=True)
        time.sleep(max(0.2, every))


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """List every problem in the content folder, and whether the index matches it."""
    settings = _settings(ctx)
    folder = load_folder(settings.content_dir)
    folder.problems.extend(check_folder(settings.content_dir))  # thesaurus, About page, ...
    for problem in folder.problems:
        click.echo(str(problem))
    health = Library(settings.index_dir).health(settings.content_dir)
    if health.error:
        click.echo(f"index: {health.error}")
    else:
        for label, slugs in (
            ("not in the index yet", health.missing),
            ("changed since the last reindex", health.stale),
            ("in the index but no longer in content/", health.extra),
        ):
            if slugs:
                click.echo(
                    f"index: {len(slugs)} article(s) {label}: {', '.join(slugs[:20])}"
                    + (" …" if len(slugs) > 20 else "")
                )
    errors = len(folder.errors)
    warnings = len(folder.problems) - errors
    click.echo(
        f"{len(folder.articles)} articles usable, {errors} error(s), "
        f"{warnings} warning(s) and notice(s); index "
        f"{'matches content/' if health.in_sync else 'is out of date: run reindex'}."
    )
    if errors or not health.in_sync:
        sys.exit(1)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as /api/search.")
@click.option("--page", default="1", help="Result page.")
@click.option("--limit", default=None, help="Results per page.")
@click.option("--lang", default=None, help="The articles' language (en, es): English by default.")
@click.pass_context
def search(
    ctx: click.Context,
    query: tuple[str, ...],
    as_json: bool,
    page: str,
    limit: str | None,
    lang: str | None,
) -> None:
    """Search as a patient would and print the ranked titles (``--lang es``: the
    Spanish articles, as /es/search does)."""
    settings = _settings(ctx)
    library = Library.from_settings(settings)
    text = " ".join(query)
    try:
        number, size = library.parse_page(page, limit)
        results = library.search(text, number, size, lang=library.language(lang))
    except (BadRequest, IndexUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        from encyclopedia import create_app
        from encyclopedia.web.search import results_json

        # Addresses are made by the web layer's routes, also for the command line.
        with create_app(dataclasses.asdict(settings)).test_request_context():
            click.echo(json.dumps(results_json(results), ensure_ascii=False, indent=2))
        return
    click.echo(f"{results.total} result(s) for {results.query!r}")
    first = (results.page - 1) * results.page_size
    for position, hit in enumerate(results.hits, start=first + 1):
        via = f"  ({hit.matched_name} → {hit.title})" if hit.matched_name else ""
        where = f"{hit.slug}#{hit.anchor}" if hit.anchor else hit.slug
        click.echo(f"{position:3}. {hit.title}{via}  {where}")


@cli.command("import-medlineplus")
@click.argument("source", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write articles into (default: the content folder).",
)
@click.option("--overwrite", is_flag=True, help="Replace article files that already exist.")
@click.option("--limit", type=int, default=None, help="Import only the first N topics.")
@click.pass_context
def import_medlineplus_command(
    ctx: click.Context,
    source: Path | None,
    into: Path | None,
    overwrite: bool,
    limit: int | None,
) -> None:
    """Turn the MedlinePlus health-topics JSON into article files (SOURCE: by default the
    shared corpus's file, ENCYCLOPEDIA_CORPUS_DIR)."""
    from encyclopedia.importing import ImportError_, import_medlineplus, load_topics

    source = source or _settings(ctx).medlineplus_json
    target = into or _settings(ctx).content_dir
    try:
        total = len(load_topics(source))
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from None
    with click.progressbar(
        length=min(total, limit or total), label="Importing topics", file=sys.stderr, show_pos=True
    ) as bar:
        report = import_medlineplus(
            source, target, overwrite=overwrite, limit=limit, progress=lambda _title: bar.update(1)
        )
    for title, reason in report.skipped:
        click.echo(f"skipped: {title}: {reason}", err=True)
    click.echo(
        f"Wrote {len(report.written)} articles to {target}; skipped "
        f"{len(report.skipped)}; {report.dropped_related} related topics were not in "
        "the file and were left out."
    )


def _refuse_a_taken_port(host: str, port: int) -> None:
    """Say plainly that the address is taken, before printing "Serving on": the servers
    bind later and fail with a traceback (Werkzeug) or a retry loop (gunicorn)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot serve on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as both servers do
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is already in use (is the site already running?). "
                    f"Choose another: make run PORT={port + 1}, or encyclopedia serve "
                    f"--port {port + 1}."
                ) from None
            raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror}") from None


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--production",
    "with_gunicorn",
    is_flag=True,
    help="Serve with gunicorn, one worker per core.",
)
@click.option("--workers", type=int, default=None, help="gunicorn workers (with --production).")
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, with_gunicorn: bool, workers: int | None
) -> None:
    """Serve the site. Without --production this is Flask's development server."""
    settings = _settings(ctx)
    overrides = {"content_dir": settings.content_dir, "index_dir": settings.index_dir}
    _refuse_a_taken_port(host, port)
    if with_gunicorn:
        from encyclopedia import production

        os.environ["ENCYCLOPEDIA_CONTENT_DIR"] = str(settings.content_dir)
        os.environ["ENCYCLOPEDIA_INDEX_DIR"] = str(settings.index_dir)
        os.execv(sys.executable, production.command(f"{host}:{port}", workers))
    from encyclopedia import create_app

    app = create_app(overrides)
    if current_build(settings.index_dir) is None:
        click.echo("No index yet: run 'encyclopedia reindex' first.", err=True)
    click.echo(f"Serving on http://{host}:{port}/ (development server; Ctrl+C stops)")
    app.run(host=host, port=port, debug=False, threaded=True)


cli.add_command(librarian)
cli.add_command(log)


def main() -> None:
    cli(prog_name="encyclopedia")
