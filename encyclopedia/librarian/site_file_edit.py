"""Changing a site file (the thesaurus, the emergency words, the About page: see
:mod:`encyclopedia.site_files`) as a whole text, each change a version in the same
history as the articles, so it can be compared and restored.

The files are the librarians' own, with comments; they are saved exactly as typed
(line endings aside), never re-dumped. Every change is checked by the parser that reads
the file for the site and refused whole if it would leave errors, refused if the file
changed since the librarian opened it, and written atomically under the editor's lock.
"""

from __future__ import annotations

from encyclopedia.articles import digest_of
from encyclopedia.files import write_atomically
from encyclopedia.librarian import records
from encyclopedia.librarian.audit import AuditLog
from encyclopedia.librarian.editor import EditConflict, Editor, EditRefused, Saved, Validation
from encyclopedia.search import releases
from encyclopedia.site_files import SITE_FILES, problems


def current_text(editor: Editor, key: str) -> tuple[str, str]:
    """The file's text and the digest a change must name as its base ("" and "" when
    there is none). Bytes that are not UTF-8 are shown replaced, so the page still opens
    and a save mends the file."""
    path = editor.path(key)
    if not path.exists():
        return "", ""
    data = path.read_bytes()
    return data.decode("utf-8", errors="replace"), digest_of(data)


def write_version(
    editor: Editor, key: str, current: str, digest: str, text: str, who: str, note: str, action: str
) -> None:
    """Under the editor's lock: keep a hand edit as its own version, record this one,
    write the file."""
    with editor.db.write() as db:
        if digest:
            records.keep_outside_version(db, key, current, digest)
        records.add_version(db, key, text, who, note, action)
        AuditLog.add(db, who, f"{SITE_FILES[key].label.lower()} {action}", None, note)
        path = editor.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text)


def save_site_file(
    editor: Editor,
    key: str,
    text: str,
    who: str,
    *,
    base_digest: str,
    note: str = "",
    action: str = "edited",
) -> Saved:
    """Replace the whole file. Refused (EditRefused, nothing written) when it has errors,
    and (EditConflict) when it changed since ``base_digest`` was read."""
    site_file = SITE_FILES[key]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    with editor.lock():
        current, digest = current_text(editor, key)
        if digest != base_digest:
            raise EditConflict(
                f"Someone else changed the {site_file.label.lower()} after you opened it. "
                "Their version is below; make your change again on top of it.",
                current,
                digest,
            )
        errors = [p for p in problems(key, text, site_file.relative) if p.severity == "error"]
        if errors:
            validation = Validation()
            for problem in errors:
                where = f"line {problem.line}: " if problem.line else ""
                validation.error("body", where + problem.message)
            raise EditRefused(validation)
        if text == current:
            return Saved(key, False, "Nothing changed, so nothing was saved.")
        write_version(editor, key, current, digest, text, who, note.strip()[:500], action)
    releases.after_site_change(editor.index_dir, editor.content_dir)  # for any replicas
    return Saved(key, True, site_file.saved)
