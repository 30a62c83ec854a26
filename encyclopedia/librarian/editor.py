"""Changing articles safely: validate, save atomically with history, detect conflicting
edits, rename with redirects, delete to a trash, restore, and bring the index up to date.

The files in ``content/`` stay the truth; the database keeps every earlier version, the
trash and the redirects. No Flask here: the web pages and the command line share it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from encyclopedia.articles import (
    SLUG_PATTERN,
    Article,
    ArticleError,
    ContentFolder,
    Neighbours,
    digest_of,
    neighbour_of,
    parse_article,
    read_source,
    title_key,
)
from encyclopedia.fields import NAMES
from encyclopedia.files import held, write_atomically
from encyclopedia.languages import DEFAULT as DEFAULT_LANGUAGE
from encyclopedia.librarian import records
from encyclopedia.librarian.audit import AuditLog
from encyclopedia.librarian.database import Database
from encyclopedia.librarian.drafts import Draft
from encyclopedia.librarian.records import OUTSIDE, Records
from encyclopedia.normalize import fold, sort_key
from encyclopedia.search.builds import PublishRefused
from encyclopedia.search.updating import update_after_save
from encyclopedia.site_files import SITE_FILES, path_of

log = logging.getLogger(__name__)

OVERDUE_AFTER = dt.timedelta(days=2 * 365)
THESAURUS = "thesaurus.yaml"  # its key in SITE_FILES, which the failed-searches tools name
FORM_FIELDS = ("slug", *NAMES, "body")  # where a problem is shown in the form


class NotFound(LookupError):
    """No such article, version or trash item."""


@dataclass
class Validation:
    """What is wrong with a draft, by form field, in words for the librarian."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    article: Article | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name if name in FORM_FIELDS else "body", []).append(message)

    def warn(self, name: str, message: str) -> None:
        self.warnings.setdefault(name if name in FORM_FIELDS else "body", []).append(message)


class EditRefused(Exception):
    """The draft has errors; nothing was saved."""

    def __init__(self, validation: Validation):
        super().__init__("; ".join(m for ms in validation.errors.values() for m in ms))
        self.validation = validation


class EditConflict(Exception):
    """Someone else changed (or removed) the article since this librarian opened it."""

    def __init__(self, message: str, current_text: str | None, current_digest: str | None):
        super().__init__(message)
        self.current_text = current_text
        self.current_digest = current_digest


@dataclass(frozen=True)
class Revision:
    id: int  # 0 is the file as it is now, when no saved version matches it
    number: int
    slug: str
    author: str
    at: str
    note: str
    action: str
    text: str | None


@dataclass(frozen=True)
class TrashItem:
    id: int
    slug: str
    title: str
    deleted_by: str
    deleted_at: str


@dataclass(frozen=True)
class Listing:
    """One row of the dashboard."""

    slug: str
    title: str
    names: tuple[str, ...]
    reviewed: dt.date | None
    reviewed_by: str | None
    overdue: bool
    problems: tuple[str, ...] = ()
    lang: str = DEFAULT_LANGUAGE
    translation_of: str | None = None
    # Each other language this article is published in, with that version's slug.
    translations: tuple[tuple[str, str], ...] = ()
    # A translation last reviewed before its original was: it may say something the
    # original no longer does.
    translation_outdated: bool = False

    @property
    def next_review(self) -> dt.date | None:
        """When the article is due for review again; None when it never was reviewed
        (due now: the queue puts those first)."""
        return self.reviewed + OVERDUE_AFTER if self.reviewed else None


@dataclass(frozen=True)
class Saved:
    slug: str
    changed: bool
    indexed: str  # a sentence for the librarian: is it searchable yet?


class Editor:
    def __init__(
        self,
        content_dir: Path,
        index_dir: Path,
        db: Database,
        audit: AuditLog,
        lock_path: Path,
        publish_wait: float = 2.0,
    ):
        self.content_dir = content_dir
        self.index_dir = index_dir
        self.db = db
        self.records = Records(db)
        self.audit = audit
        self.lock_path = lock_path
        self.publish_wait = publish_wait
        self.deferred: threading.Thread | None = None
        self.folder = ContentFolder(content_dir)

    # Reading ----------------------------------------------------------------------

    def path(self, slug: str) -> Path:
        """An article's file, or a site file's (its key, which is never a slug): site
        files are versioned in the same history as the articles."""
        if slug in SITE_FILES:
            return path_of(self.content_dir, slug)
        if not SLUG_PATTERN.match(slug):
            raise NotFound(slug)
        return self.content_dir / f"{slug}.md"

    def current_digest(self, slug: str) -> str:
        """The digest a change must name as its base ("" when the file does not exist)."""
        try:
            return read_source(self.path(slug))[1]
        except ArticleError:
            return ""

    def articles(self) -> dict[str, Article]:
        """Every readable article by slug. A file is parsed again only when its size or
        modification time changed, so a save re-reads one file, not the whole folder."""
        return self.folder.articles()

    def _parse_all(self) -> dict[str, tuple[Article | None, tuple[str, ...]]]:
        return {slug: (f.article, f.errors) for slug, f in self.folder.files().items()}

    def listing(self, today: dt.date | None = None) -> list[Listing]:
        """Every article file, with its review date and anything wrong with it."""
        today = today or dt.date.today()
        parsed = self._parse_all()
        titles: dict[tuple[str, str], list[str]] = {}
        translated: dict[str, list[tuple[str, str]]] = {}
        for slug, (article, _) in parsed.items():
            if article:
                # Titles are unique within a language: "Osteoporosis" is the English
                # article's title and its Spanish translation's.
                titles.setdefault((article.lang, title_key(article.title)), []).append(slug)
                if article.translation_of:
                    translated.setdefault(article.translation_of, []).append((article.lang, slug))
        rows = []
        for slug, (article, errors) in parsed.items():
            if article is None:
                rows.append(Listing(slug, slug, (slug,), None, None, True, errors))
                continue
            problems = list(errors)
            twins = [s for s in titles[article.lang, title_key(article.title)] if s != slug]
            if twins:
                problems.append(f"the title is also the title of {', '.join(twins)}")
            problems += [
                f"related article {r!r} does not exist" for r in article.related if r not in parsed
            ]
            overdue = article.reviewed is None or today - article.reviewed > OVERDUE_AFTER
            original = parsed.get(article.translation_of or "", (None, ()))[0]
            outdated = bool(
                original
                and original.reviewed
                and (article.reviewed is None or article.reviewed < original.reviewed)
            )
            rows.append(
                Listing(
                    slug,
                    article.title,
                    article.names,
                    article.reviewed,
                    article.reviewed_by,
                    overdue,
                    tuple(problems),
                    article.lang,
                    article.translation_of,
                    tuple(sorted(translated.get(slug, ()))),
                    outdated,
                )
            )
        return sorted(rows, key=lambda row: sort_key(row.title))

    def review_queue(self, today: dt.date | None = None) -> list[Listing]:
        """Articles that can be reviewed, due soonest first: never reviewed, then by the
        date the next review is due. Files that do not parse belong to "With problems"."""
        rows = [row for row in self.listing(today) if row.names != (row.slug,) or row.reviewed]
        return sorted(
            rows,
            key=lambda r: (r.next_review is not None, r.next_review or dt.date.min, r.title),
        )

    def mark_reviewed(
        self, slug: str, who: str, *, base_digest: str, note: str = "", today: dt.date | None = None
    ) -> Saved:
        """The article was reviewed today by ``who``: sets the date and the reviewer, and
        the note goes in its history as a version of its own."""
        draft, _ = self.load(slug)
        draft.reviewed = (today or dt.date.today()).isoformat()
        draft.reviewed_by = who
        note = "; ".join(filter(None, ["marked reviewed", note.strip()]))
        return self.save(
            draft, who, note=note, original=slug, base_digest=base_digest, action="reviewed"
        )

    def load(self, slug: str) -> tuple[Draft, str]:
        """The article as a draft, and the digest the save will check against."""
        try:
            text, digest = read_source(self.path(slug))
        except ArticleError as exc:
            if not self.path(slug).exists():
                raise NotFound(slug) from exc
            raise
        return Draft.from_text(slug, text), digest

    # Checking ---------------------------------------------------------------------

    def validate(self, draft: Draft, original: str | None = None) -> Validation:
        """Every problem the file would have, placed next to the field that causes it.

        ``original`` is the slug being edited (None for a new article); it is left out
        when looking for clashes, so an article does not clash with itself.
        """
        result = Validation()
        slug = draft.slug.strip()
        if not slug:
            result.error("slug", "the address (slug) is required, for example heart-attack")
            slug = "untitled"
        elif not SLUG_PATTERN.match(slug):
            result.error(
                "slug", "use lowercase letters, digits and single hyphens, like heart-attack"
            )
            slug = "untitled"
        elif slug != original and (self.content_dir / f"{slug}.md").exists():
            result.error("slug", f"there is already an article at /article/{slug}")
        try:
            article, problems = parse_article(draft.to_text(), self.content_dir / f"{slug}.md")
        except ArticleError as exc:
            article, problems = None, exc.problems
        for problem in problems:
            if problem.field == "slug":
                continue  # reported above, in words that fit the form
            where = problem.field or "body"
            message = problem.message
            if where == "body" and problem.line:
                message = f"{message} (line {self._body_line(draft, problem.line)} of the text)"
            if problem.severity == "error":
                result.error(where, message)
            else:
                result.warn(where, message)
        # The checks against other articles use the form's fields, so they are shown
        # even when the file would not parse (a bad date must not hide a taken title).
        # The rules are the ones check, reindex and update apply (articles.Neighbours).
        neighbours = Neighbours(
            (neighbour_of(a) for s, a in self.articles().items() if s not in (original, slug)),
            {p.stem for p in self.content_dir.glob("*.md")} - {original},
        )
        related = [r for r in draft.related if SLUG_PATTERN.match(r)]  # else the parser said
        names = [draft.title.strip(), *draft.also_called]
        lang = draft.lang.strip().lower() or DEFAULT_LANGUAGE
        target = draft.translation_of.strip()
        target = target if SLUG_PATTERN.match(target) else None  # else the parser said
        for clash in neighbours.clashes(slug, draft.title, names, related, lang, target):
            message = clash.message(lambda s: f"/article/{s}")
            if clash.severity == "error":
                result.error(clash.field, message)
            else:
                result.warn(clash.field, message)
        result.article = article if result.ok else None
        return result

    @staticmethod
    def _body_line(draft: Draft, file_line: int) -> int:
        front_lines = draft.to_text().split("\n---\n", 1)[0].count("\n") + 2
        return max(1, file_line - front_lines)

    # Changing ---------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One change at a time, across threads and gunicorn workers."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with held(self.lock_path):
            yield

    def _check_base(self, slug: str, base_digest: str) -> str:
        """The current text, if it is still the version the librarian started from."""
        path = self.path(slug)
        if not path.exists():
            raise EditConflict(
                "This article was deleted or renamed after you opened it. "
                "Your text is below; nothing was saved.",
                None,
                None,
            )
        text, digest = read_source(path)
        if digest != base_digest:
            latest = self.records.saved_by(slug, digest)
            who = (
                f"{latest[0]} saved a newer version at {latest[1]}"
                if latest
                else ("the file was changed after you opened it")
            )
            raise EditConflict(
                f"Not saved: {who}. Compare the versions below, then make your change to "
                "the newer one.",
                text,
                digest,
            )
        return text

    def save(
        self,
        draft: Draft,
        who: str,
        *,
        note: str = "",
        original: str | None = None,
        base_digest: str | None = None,
        action: str | None = None,
    ) -> Saved:
        """Save a new article (``original`` None) or a change to ``original``.

        Refuses with :class:`EditConflict` when the file changed since ``base_digest``,
        and with :class:`EditRefused` when the draft has errors; in both cases nothing
        is written.
        """
        draft.slug = draft.slug.strip()
        note = note.strip()[:500]
        touched: list[str] = []
        with self.lock():
            current = None
            if original is not None:
                current = self._check_base(original, base_digest or "")
            validation = self.validate(draft, original)
            if not validation.ok:
                raise EditRefused(validation)
            text = draft.to_text()
            renamed = original is not None and draft.slug != original
            if current == text and not renamed:
                return Saved(draft.slug, False, "Nothing changed, so nothing was saved.")
            action = action or (
                "created" if original is None else "renamed" if renamed else "edited"
            )
            with self.db.write() as db:
                if original is not None and current is not None:
                    records.keep_outside_version(
                        db, original, current, digest_of(current.encode("utf-8"))
                    )
                if renamed:
                    records.rename(db, original, draft.slug)
                    touched += self._relink(db, original, draft.slug, who)
                # An article at an address ends any redirect from it.
                records.arrived(db, draft.slug)
                records.add_version(db, draft.slug, text, who, note, action)
                detail = f"from {original}" if renamed else ""
                AuditLog.add(db, who, action, draft.slug, "; ".join(filter(None, [detail, note])))
                write_atomically(self.path(draft.slug), text)
                if renamed:
                    self.path(original).unlink()
        return Saved(
            draft.slug, True, self.publish([draft.slug, *([original] if renamed else []), *touched])
        )

    def _relink(self, db, old: str, new: str | None, who: str) -> list[str]:
        """Point (or, for a deletion, stop pointing) other articles' related lists at
        ``new``; each rewrite is a version in that article's history."""
        changed = []
        for slug, article in self.articles().items():
            if old not in article.related or slug == old:
                continue
            text, digest = read_source(self.path(slug))
            draft = Draft.from_text(slug, text)
            related = [new if s == old else s for s in draft.related]
            draft.related = [s for s in dict.fromkeys(related) if s]
            new_text = draft.to_text()
            records.keep_outside_version(db, slug, text, digest)
            note = (
                f"related link to {old} now points to {new}"
                if new
                else (f"related link to {old} removed: that article was deleted")
            )
            records.add_version(db, slug, new_text, who, note, "relinked")
            AuditLog.add(db, who, "relinked", slug, note)
            write_atomically(self.path(slug), new_text)
            changed.append(slug)
        return changed

    def delete(self, slug: str, who: str, *, base_digest: str, note: str = "") -> Saved:
        """Move an article to the trash. Other articles' links to it are removed, so
        the content folder stays publishable."""
        touched: list[str] = []
        with self.lock():
            text = self._check_base(slug, base_digest)
            draft = Draft.from_text(slug, text)
            with self.db.write() as db:
                records.keep_outside_version(db, slug, text, digest_of(text.encode("utf-8")))
                touched = self._relink(db, slug, None, who)
                records.throw_away(db, slug, draft.title or slug, text, who, touched)
                records.add_version(db, slug, None, who, note.strip()[:500], "deleted")
                AuditLog.add(db, who, "deleted", slug, note.strip()[:500])
                self.path(slug).unlink()
        return Saved(slug, True, self.publish([slug, *touched]))

    def trash(self) -> list[TrashItem]:
        rows = self.records.trash()
        return [
            TrashItem(r["id"], r["slug"], r["title"], r["deleted_by"], r["deleted_at"])
            for r in rows
        ]

    def restore_from_trash(self, item_id: int, who: str) -> Saved:
        row = self.records.trashed(item_id)
        if row is None:
            raise NotFound(str(item_id))
        draft = Draft.from_text(row["slug"], row["text"])
        existing = {p.stem for p in self.content_dir.glob("*.md")}
        dropped = [s for s in draft.related if s not in existing]
        draft.related = [s for s in draft.related if s in existing]
        note = f"restored from the trash (deleted by {row['deleted_by']} at {row['deleted_at']})"
        if dropped:
            note += "; related links to missing articles dropped: " + ", ".join(dropped)
        saved = self.save(draft, who, note=note, action="undeleted")
        with self.lock(), self.db.write() as db:
            records.take_out_of_trash(db, item_id)
            relinked = self._link_back(db, row["linked_from"].split(), draft.slug, who)
        if relinked:
            saved = Saved(saved.slug, saved.changed, self.publish(relinked))
        return saved

    def _link_back(self, db, slugs: list[str], target: str, who: str) -> list[str]:
        """Put back the related links to ``target`` that deleting it removed, in the
        articles that still exist and do not link to it already; each is a version in
        that article's history."""
        changed = []
        for slug in slugs:
            path = self.path(slug)
            if not path.exists():
                continue
            text, digest = read_source(path)
            draft = Draft.from_text(slug, text)
            if target in draft.related or not draft.title:
                continue
            draft.related.append(target)
            new_text = draft.to_text()
            records.keep_outside_version(db, slug, text, digest)
            note = f"related link to {target} put back: that article was restored"
            records.add_version(db, slug, new_text, who, note, "relinked")
            AuditLog.add(db, who, "relinked", slug, note)
            write_atomically(path, new_text)
            changed.append(slug)
        return changed

    def history(self, slug: str) -> list[Revision]:
        """Newest first. When the file on disk matches no saved version (a hand edit),
        it leads the list as version "now", so it can be compared and is never lost."""
        rows = self.records.versions(slug)
        revisions = [
            Revision(r["id"], n, slug, r["author"], r["at"], r["note"], r["action"], r["text"])
            for n, r in enumerate(rows, start=1)
        ]
        path = self.path(slug)
        if path.exists():
            text, digest = read_source(path)
            if not rows or rows[-1]["digest"] != digest:
                stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                revisions.append(
                    Revision(
                        0,
                        len(rows) + 1,
                        slug,
                        OUTSIDE,
                        stamp.isoformat(timespec="seconds"),
                        "the file as it is now",
                        "outside",
                        text,
                    )
                )
        elif not rows:
            raise NotFound(slug)
        return list(reversed(revisions))

    def revision(self, slug: str, revision_id: int) -> Revision:
        for revision in self.history(slug):
            if revision.id == revision_id:
                return revision
        raise NotFound(f"{slug} version {revision_id}")

    def restore_revision(self, slug: str, revision_id: int, who: str, base_digest: str) -> Saved:
        revision = self.revision(slug, revision_id)
        if revision.text is None:
            raise NotFound(f"version {revision.number} of {slug} is a deletion")
        if slug in SITE_FILES:
            from encyclopedia.librarian.site_file_edit import save_site_file

            return save_site_file(
                self,
                slug,
                revision.text,
                who,
                base_digest=base_digest,
                note=f"restored version {revision.number} ({revision.author}, {revision.at})",
                action="restored",
            )
        draft = Draft.from_text(slug, revision.text)
        return self.save(
            draft,
            who,
            note=f"restored version {revision.number} ({revision.author}, {revision.at})",
            original=slug,
            base_digest=base_digest,
            action="restored",
        )

    def add_name(
        self, slug: str, name: str, who: str, note: str, field: str = "also_called"
    ) -> Saved:
        """Give an article one more name from the failed-searches list: another name
        (``also_called``, shown to patients) or a hidden search alias (``search_aliases``,
        for a misspelling such as "heartattack", which must never be shown)."""
        draft, digest = self.load(slug)
        known = {fold(n) for n in (draft.title, *draft.also_called, *draft.search_aliases)}
        if fold(name) in known:
            return Saved(slug, False, f"“{name}” already finds this article.")
        getattr(draft, field).append(name.strip())
        return self.save(draft, who, note=note, original=slug, base_digest=digest)

    def redirect(self, slug: str) -> str | None:
        return self.records.redirect(slug)

    # The index --------------------------------------------------------------------

    def publish(self, slugs: list[str]) -> str:
        """Update the index for ``slugs`` now; if a full reindex holds the writer lock,
        finish in the background once it is done (the reindex itself also picks up files
        saved while it ran). Returns a sentence for the librarian."""
        slugs = [s for s in dict.fromkeys(slugs) if s]
        try:
            later = update_after_save(
                self.content_dir, self.index_dir, slugs, wait=self.publish_wait
            )
            self.deferred = later  # the last update left to run after a reindex, if any
        except (PublishRefused, OSError, ValueError) as exc:
            log.error("saved %s but could not update the index: %s", slugs, exc)
            return f"Saved, but the search index was not updated ({exc}). Run a full reindex."
        if later is not None:
            return (
                "Saved. A full reindex is running; the change will be searchable as soon as "
                "it finishes."
            )
        return "Saved. The change is live in search and the A–Z."
