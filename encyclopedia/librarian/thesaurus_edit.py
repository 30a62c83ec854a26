"""Changing ``content/thesaurus.yaml``: one entry from the failed-searches list, or the
whole text from the librarians' thesaurus page, each a version in the same history as
the articles (so it can be compared and restored: search quality rests on it).

The file is the librarians' own, with comments; re-dumping it through YAML would lose
them. An entry is appended as one line under ``leads_to:``. Every change is checked
with the same parser the search uses and refused whole if it would leave errors, and
written atomically under the editor's lock.
"""

from __future__ import annotations

import re

import yaml

from encyclopedia.articles import digest_of
from encyclopedia.files import write_atomically
from encyclopedia.librarian import records
from encyclopedia.librarian.audit import AuditLog
from encyclopedia.librarian.editor import (
    THESAURUS,
    EditConflict,
    Editor,
    EditRefused,
    Saved,
    Validation,
)
from encyclopedia.search.thesaurus import parse_thesaurus, phrase_key

_TOP_LEVEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", re.MULTILINE)


class ThesaurusEditError(ValueError):
    """The entry cannot be added; the message says why and the file is unchanged."""


def with_leads_to(text: str, term: str, target: str, shown: str = THESAURUS) -> str:
    """The thesaurus text with one more one-way entry, comments and all."""
    term, target = " ".join(term.split()), " ".join(target.split())
    if not term or not target:
        raise ThesaurusEditError("both the words patients used and what they mean are needed")
    _, problems = parse_thesaurus(text, shown)
    if any(p.severity == "error" for p in problems):
        raise ThesaurusEditError(
            "the thesaurus has errors now; fix them first (encyclopedia check)"
        )
    if phrase_key(term) == phrase_key(target):
        raise ThesaurusEditError("a word cannot lead to itself")
    keys = _TOP_LEVEL.findall(text)
    line = (
        "  "
        + yaml.safe_dump(
            {term: [target]}, default_flow_style=None, allow_unicode=True, width=10_000
        ).strip()
    )
    if not keys:
        new_text = (
            text.rstrip("\n") + ("\n\n" if text.strip() else "") + "leads_to:\n" + line + "\n"
        )
    elif keys[-1] == "leads_to":
        if re.search(r"^leads_to\s*:\s*\{\s*\}\s*$", text, re.MULTILINE):
            raise ThesaurusEditError(
                "leads_to is written as {} in the thesaurus; add entries by hand"
            )
        existing = yaml.safe_load(text) or {}
        if phrase_key(term) in {phrase_key(str(k)) for k in (existing.get("leads_to") or {})}:
            raise ThesaurusEditError(f"“{term}” already has a leads_to entry; edit it by hand")
        new_text = text.rstrip("\n") + "\n" + line + "\n"
    else:
        raise ThesaurusEditError(
            "leads_to is not the last section of the thesaurus, so an entry cannot be "
            "appended safely; add it by hand"
        )
    _, problems = parse_thesaurus(new_text, shown)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ThesaurusEditError(f"the entry would make the thesaurus invalid: {errors[0].message}")
    return new_text


def current_thesaurus(editor: Editor) -> tuple[str, str]:
    """The file's text and the digest a change must name as its base ("" and "" when
    there is none). Bytes that are not UTF-8 are shown replaced, so the page still opens
    and a save mends the file."""
    path = editor.path(THESAURUS)
    if not path.exists():
        return "", ""
    data = path.read_bytes()
    return data.decode("utf-8", errors="replace"), digest_of(data)


def _write(editor: Editor, current: str, digest: str, text: str, who: str, note: str, action: str):
    """Under the editor's lock: keep a hand edit as its own version, record this one,
    write the file."""
    with editor.db.write() as db:
        if digest:
            records.keep_outside_version(db, THESAURUS, current, digest)
        records.add_version(db, THESAURUS, text, who, note, action)
        AuditLog.add(db, who, f"thesaurus {action}", None, note)
        write_atomically(editor.path(THESAURUS), text)


def save_thesaurus(
    editor: Editor,
    text: str,
    who: str,
    *,
    base_digest: str,
    note: str = "",
    action: str = "edited",
) -> Saved:
    """Replace the whole thesaurus. Refused (EditRefused, nothing written) when it has
    errors, and (EditConflict) when it changed since ``base_digest`` was read."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    with editor.lock():
        current, digest = current_thesaurus(editor)
        if digest != base_digest:
            raise EditConflict(
                "Someone else changed the thesaurus after you opened it. Their version is "
                "below; make your change again on top of it.",
                current,
                digest,
            )
        _, problems = parse_thesaurus(text, THESAURUS)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            validation = Validation()
            for problem in errors:
                where = f"line {problem.line}: " if problem.line else ""
                validation.error("body", where + problem.message)
            raise EditRefused(validation)
        if text == current:
            return Saved(THESAURUS, False, "Nothing changed, so nothing was saved.")
        _write(editor, current, digest, text, who, note.strip()[:500], action)
    return Saved(THESAURUS, True, "Saved. Searches use it from now on (no reindex needed).")


def add_thesaurus_entry(editor: Editor, term: str, target: str, who: str) -> Saved:
    """One leads_to entry, as a version of its own in the thesaurus history."""
    with editor.lock():
        current, digest = current_thesaurus(editor)
        text = with_leads_to(current, term, target)
        _write(editor, current, digest, text, who, f"{term} → {target}", "entry added")
    return Saved(THESAURUS, True, "Searches use it from now on (no reindex needed).")
