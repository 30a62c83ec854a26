"""Adding one entry to ``content/thesaurus.yaml`` from the failed-searches list, as a
version in the same history as the articles (the whole text is edited as any site file
is, by :mod:`encyclopedia.librarian.site_file_edit`).

The file is the librarians' own, with comments; re-dumping it through YAML would lose
them. An entry is appended as one line under ``leads_to:``. Every change is checked
with the same parser the search uses and refused whole if it would leave errors, and
written atomically under the editor's lock.
"""

from __future__ import annotations

import re

import yaml

from encyclopedia.librarian.editor import THESAURUS, Editor, Saved
from encyclopedia.librarian.site_file_edit import current_text, write_version
from encyclopedia.search import releases
from encyclopedia.search.thesaurus import parse_thesaurus, phrase_key
from encyclopedia.site_files import SITE_FILES

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


def add_thesaurus_entry(editor: Editor, term: str, target: str, who: str) -> Saved:
    """One leads_to entry, as a version of its own in the thesaurus history."""
    with editor.lock():
        current, digest = current_text(editor, THESAURUS)
        text = with_leads_to(current, term, target)
        write_version(
            editor, THESAURUS, current, digest, text, who, f"{term} → {target}", "entry added"
        )
    releases.after_site_change(editor.index_dir, editor.content_dir)  # for any replicas
    return Saved(THESAURUS, True, SITE_FILES[THESAURUS].saved)
