"""Searches that describe an emergency, from the librarians' ``content/emergency.yaml``.

Someone who types "crushing chest pain" or "i want to kill myself" needs the emergency
number before any article. The results page puts a callout above the results when the
search contains one of these phrases. The list is the librarians' (a file beside the
thesaurus, checked by ``encyclopedia check``), re-read when it changes, no reindex.

Matching is by whole words, folded as names are (case, accents, plurals, British and
American spelling), so "Chest pains" matches "chest pain" but "chestnut" does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from encyclopedia.articles import Problem, load_yaml_file
from encyclopedia.files import WatchedFile
from encyclopedia.normalize import fold
from encyclopedia.search.words import word_key

MAX_PHRASES = 2000
MAX_PHRASE_LENGTH = 100


def _words(text: str) -> tuple[str, ...]:
    return tuple(word_key(w) for w in fold(text.replace("'", "")).split())


@dataclass(frozen=True)
class EmergencyWords:
    phrases: tuple[tuple[str, ...], ...] = ()
    version: tuple[int, int] | None = None

    def match(self, query: str) -> bool:
        """Whether ``query`` contains one of the phrases, word for word."""
        words = _words(query)
        for phrase in self.phrases:
            size = len(phrase)
            if any(words[i : i + size] == phrase for i in range(len(words) - size + 1)):
                return True
        return False


def read_emergency_words(path: Path) -> tuple[EmergencyWords, list[Problem]]:
    """The file's phrases and anything wrong with it. A missing file is an empty list."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return EmergencyWords(), []
    except (OSError, UnicodeDecodeError) as exc:
        return EmergencyWords(), [Problem(str(path), f"the file cannot be read: {exc}")]
    return parse_emergency_words(text, str(path))


def parse_emergency_words(text: str, shown: str) -> tuple[EmergencyWords, list[Problem]]:
    """The phrases in the text of an emergency-words file, and what is wrong with it."""
    data, unreadable = load_yaml_file(text, shown)
    if unreadable:
        return EmergencyWords(), unreadable
    phrases = (data or {}).get("phrases", []) if isinstance(data or {}, dict) else None
    if not isinstance(phrases, list):
        return EmergencyWords(), [
            Problem(shown, "write the phrases as a list under 'phrases:'", field="phrases")
        ]
    problems: list[Problem] = []
    kept: list[tuple[str, ...]] = []
    for number, phrase in enumerate(phrases[:MAX_PHRASES], start=1):
        if not isinstance(phrase, str) or not _words(phrase):
            problems.append(
                Problem(shown, f"phrase {number} is not words: {phrase!r}", field="phrases")
            )
        elif len(phrase) > MAX_PHRASE_LENGTH:
            problems.append(
                Problem(
                    shown,
                    f"phrase {number} is longer than {MAX_PHRASE_LENGTH} characters",
                    field="phrases",
                )
            )
        else:
            kept.append(_words(phrase))
    if len(phrases) > MAX_PHRASES:
        problems.append(Problem(shown, f"more than {MAX_PHRASES} phrases", field="phrases"))
    return EmergencyWords(tuple(dict.fromkeys(kept))), problems


class EmergencyFile(WatchedFile[EmergencyWords]):
    """The list as last read (see WatchedFile): re-read when it changes, the last good
    list kept in force when a change has errors, as the thesaurus is."""

    def __init__(self, path: Path | None):
        super().__init__(
            path,
            read_emergency_words,
            EmergencyWords(),
            lambda words, stamp: EmergencyWords(words.phrases, stamp),
        )
