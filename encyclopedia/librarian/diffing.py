"""Two versions of a text as a librarian reads a comparison: lines removed and added,
a little context, and inside each changed line the words that changed. Pure text:
history pages, conflict pages and the thesaurus history all show it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "same" or "hunk"
    text: str
    # The line in pieces, each marked changed or not: inside a changed line, the words
    # that changed (a one-word fix in a long paragraph is otherwise hard to find).
    parts: tuple[tuple[str, bool], ...] = ()


def diff(old: str | None, new: str | None, context: int = 3) -> list[DiffLine]:
    """A line diff a librarian can read: removed lines, added lines and a little context,
    with the changed words marked inside each removed line and the added line that
    replaced it."""
    lines: list[DiffLine] = []
    for line in difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), lineterm="", n=context
    ):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return _mark_changed_words(lines)


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def _mark_changed_words(lines: list[DiffLine]) -> list[DiffLine]:
    """Pair each run of removed lines with the run of added lines after it, line by line,
    and mark the words that differ within each pair."""
    out = list(lines)
    at = 0
    while at < len(out):
        if out[at].kind != "del":
            at += 1
            continue
        removed = at
        while at < len(out) and out[at].kind == "del":
            at += 1
        added = at
        while at < len(out) and out[at].kind == "add":
            at += 1
        for offset in range(min(added - removed, at - added)):
            before, after = out[removed + offset], out[added + offset]
            old_parts, new_parts = _word_parts(before.text, after.text)
            out[removed + offset] = DiffLine("del", before.text, old_parts)
            out[added + offset] = DiffLine("add", after.text, new_parts)
    return out


def _word_parts(old: str, new: str) -> tuple[tuple[tuple[str, bool], ...], ...]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    old_parts: list[tuple[str, bool]] = []
    new_parts: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            old_parts.append(("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            new_parts.append(("".join(b[j1:j2]), tag != "equal"))
    return tuple(old_parts), tuple(new_parts)
