"""Lay words, abbreviations and variant names mapped to the terms the articles use.

Two files, one format. ``lay_words.yaml`` beside this module is general health
vocabulary ("tummy", "bp", "heart attack") that ships with the package, so a fresh
content folder understands patients from its first search. ``content/thesaurus.yaml``
is the librarians' own, read on top of it at search time (an edit takes effect without a
reindex): an entry there adds to the shipped one for the same words, and an empty list
drops the shipped one.

Each file has two parts::

    same:            # groups of words or phrases that mean the same; each finds the others
      - [tummy, belly, abdominal, abdomen, stomach]
    leads_to:        # one way: the left also searches the right, not the reverse
      bp: [blood pressure]
      runny nose: [common cold]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from encyclopedia.articles import Problem, load_yaml_file
from encyclopedia.files import WatchedFile
from encyclopedia.search.wording import ENGLISH_WORDS, Wording

MAX_PHRASE_WORDS = 6
LAY_WORDS = Path(__file__).with_name("lay_words.yaml")


def lay_words_path(wording: Wording) -> Path:
    """The shipped lay words of a language: ``lay_words.yaml`` for English,
    ``lay_words.<code>.yaml`` for the others."""
    if wording is ENGLISH_WORDS:
        return LAY_WORDS
    return LAY_WORDS.with_name(f"lay_words.{wording.code}.yaml")


def phrase_key(text: str, wording: Wording = ENGLISH_WORDS) -> tuple[str, ...]:
    return tuple(wording.word_key(w) for w in wording.fold(text).split())


@dataclass
class Thesaurus:
    """For each key (a phrase as normalised words), the phrases it also searches, in order."""

    entries: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    version: tuple[int, int] = (0, 0)
    wording: Wording = ENGLISH_WORDS

    def words(self) -> list[str]:
        """Every word the thesaurus knows, for the spelling dictionary."""
        # The keys too: a one-way source ("frozen arm" leads to ...) is a word patients
        # use, and must not be "corrected" into something else before it is looked up.
        words: list[str] = [word for key in self.entries for word in key]
        for alternatives in self.entries.values():
            for phrase in alternatives:
                words.extend(self.wording.fold(phrase).split())
        return words

    def match(self, keys: list[str], start: int) -> tuple[int, list[str]] | None:
        """The longest entry starting at ``keys[start]``: (length, alternatives)."""
        for length in range(min(MAX_PHRASE_WORDS, len(keys) - start), 0, -1):
            found = self.entries.get(tuple(keys[start : start + length]))
            if found:
                return length, found
        return None


def parse_thesaurus(
    text: str, path: str, wording: Wording = ENGLISH_WORDS
) -> tuple[Thesaurus, list[Problem]]:
    """A thesaurus file's entries, keyed by the words of its language (``wording``)."""
    problems: list[Problem] = []
    lines = text.splitlines()

    def line_of(term: str) -> int | None:
        for number, line in enumerate(lines, 1):
            if term in line:
                return number
        return None

    data, unreadable = load_yaml_file(text, path)
    if unreadable:
        return Thesaurus(wording=wording), unreadable
    data = data or {}
    if not isinstance(data, dict):
        return Thesaurus(wording=wording), [
            Problem(path, "the thesaurus must have 'same:' and 'leads_to:' parts", line=1)
        ]
    for unknown in set(data) - {"same", "leads_to"}:
        problems.append(
            Problem(
                path,
                f"unknown part {unknown!r}; use 'same' or 'leads_to'",
                field=str(unknown),
                line=line_of(f"{unknown}:"),
            )
        )
    entries: dict[tuple[str, ...], list[str]] = {}

    def add(source: str, targets: list[str]) -> None:
        key = phrase_key(source, wording)
        if not key:
            problems.append(Problem(path, f"{source!r} has no words in it", line=line_of(source)))
            return
        if len(key) > MAX_PHRASE_WORDS:
            problems.append(
                Problem(
                    path,
                    f"{source!r} is longer than {MAX_PHRASE_WORDS} words",
                    line=line_of(source),
                )
            )
            return
        known = entries.setdefault(key, [])
        for target in targets:
            if phrase_key(target, wording) != key and target not in known:
                known.append(target)

    groups = data.get("same") or []
    if not isinstance(groups, list):
        problems.append(
            Problem(
                path,
                "'same' must be a list of groups like [tummy, belly]",
                field="same",
                line=line_of("same:"),
            )
        )
        groups = []
    for group in groups:
        if (
            not isinstance(group, list)
            or len(group) < 2
            or not all(isinstance(t, str) and t.strip() for t in group)
        ):
            problems.append(
                Problem(
                    path,
                    f"{group!r} must be a list of two or more words or phrases",
                    field="same",
                    line=line_of(str(group)[:20]),
                )
            )
            continue
        for term in group:
            add(term, [t for t in group if t != term])
    leads = data.get("leads_to") or {}
    if not isinstance(leads, dict):
        problems.append(
            Problem(
                path,
                "'leads_to' must map a term to what it also searches",
                field="leads_to",
                line=line_of("leads_to:"),
            )
        )
        leads = {}
    for source, targets in leads.items():
        targets = [targets] if isinstance(targets, str) else targets
        if not isinstance(targets, list) or not all(
            isinstance(t, str) and t.strip() for t in targets
        ):
            problems.append(
                Problem(
                    path,
                    f"{source!r} must lead to a list of terms",
                    field="leads_to",
                    line=line_of(str(source)),
                )
            )
            continue
        add(str(source), targets)
    return Thesaurus(entries, wording=wording), problems


def read_thesaurus(path: Path, wording: Wording = ENGLISH_WORDS) -> tuple[Thesaurus, list[Problem]]:
    try:
        st = os.stat(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Thesaurus(wording=wording), []
    except (OSError, UnicodeDecodeError) as exc:
        return Thesaurus(wording=wording), [Problem(str(path), f"cannot be read: {exc}")]
    thesaurus, problems = parse_thesaurus(text, str(path), wording)
    thesaurus.version = (st.st_mtime_ns, st.st_size)
    return thesaurus, problems


@cache
def lay_words(wording: Wording = ENGLISH_WORDS) -> Thesaurus:
    """A language's shipped vocabulary, read once per process. A problem in it is a
    packaging bug (a test reads it), so it fails loudly rather than serving without it."""
    path = lay_words_path(wording)
    thesaurus, problems = read_thesaurus(path, wording)
    if problems or not thesaurus.entries:
        raise RuntimeError(f"{path} is damaged: {problems[:1] or 'no entries'}")
    return thesaurus


def on_top(base: Thesaurus, own: Thesaurus) -> Thesaurus:
    """``own`` read over ``base``: its alternatives first, then the shipped ones; an
    empty list removes the shipped entry. The version is ``own``'s (``base`` is fixed
    for the life of the process)."""
    entries = dict(base.entries)
    for key, alternatives in own.entries.items():
        if not alternatives:
            entries.pop(key, None)
        else:
            entries[key] = list(dict.fromkeys([*alternatives, *entries.get(key, [])]))
    return Thesaurus({k: v for k, v in entries.items() if v}, own.version, base.wording)


class ThesaurusFile(WatchedFile[Thesaurus]):
    """The thesaurus as last read; re-read when the file changes (one stat per search).

    A thesaurus with errors is not used: the last good one stays in force, so a
    librarian's typo cannot change what patients find. ``shipped`` False leaves out the
    package's lay words (the relevance benchmark's "no thesaurus" row).
    """

    def __init__(
        self, path: Path | None, *, shipped: bool = True, wording: Wording = ENGLISH_WORDS
    ):
        self.base = lay_words(wording) if shipped else Thesaurus(wording=wording)
        super().__init__(
            path,
            lambda p: read_thesaurus(p, wording),
            on_top(self.base, Thesaurus(wording=wording)),
            lambda thesaurus, _stamp: on_top(self.base, thesaurus),
        )
