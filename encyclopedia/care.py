""" "When to get help" blocks: the three NHS-style care levels an article can call out.

A librarian writes one as a fenced block, which needs no indentation (Python-Markdown's
admonitions need four spaces on every line, the first thing people get wrong)::

    ::: emergency
    - chest pain that spreads to your arm, jaw or back
    :::

An optional title follows the level (``::: urgent Get help today if your child:``);
without one the level's own title is used. This module owns the levels, the syntax and
its rules: the parser reports a block it cannot use (``check`` and the editor show it
with its line) and the renderer turns blocks into callouts. No Flask and no Whoosh here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Level:
    name: str
    label: str  # read first, so the level never depends on colour alone
    title: str  # used when the block gives none
    # The label and title in the other languages articles are written in: rendered into
    # the stored page when the index is built, where no interface catalogue is at hand.
    translated: dict[str, tuple[str, str]] = field(default_factory=dict)

    def label_in(self, lang: str) -> str:
        return self.translated.get(lang, (self.label, self.title))[0]

    def title_in(self, lang: str) -> str:
        return self.translated.get(lang, (self.label, self.title))[1]


LEVELS: dict[str, Level] = {
    level.name: level
    for level in (
        Level(
            "doctor",
            "Non-urgent advice",
            "See a doctor if:",
            {"es": ("Consejo no urgente", "Consulte a un médico si:")},
        ),
        Level(
            "urgent",
            "Urgent advice",
            "Get medical help today (urgent care or your doctor) if:",
            {
                "es": (
                    "Consejo urgente",
                    "Busque atención médica hoy (atención urgente o su médico) si:",
                )
            },
        ),
        Level(
            "emergency",
            "Emergency",
            "Call your emergency number now (911 in the US, 999 in the UK, 112 in Europe) if:",
            {
                "es": (
                    "Emergencia",
                    "Llame ahora a su número de emergencias (911 en los EE. UU., 112 en "
                    "Europa) si:",
                )
            },
        ),
    )
}
MAX_TITLE = 200
_OPEN = re.compile(r"^:::\s*(\S*)\s*(.*?)\s*$")
_FENCE = ("```", "~~~")


@dataclass(frozen=True)
class Segment:
    """A stretch of Markdown: plain text (``level`` is None) or the inside of a callout."""

    markdown: str
    level: Level | None = None
    title: str = ""


@dataclass(frozen=True)
class Mistake:
    offset: int  # lines from the start of the text
    message: str


def _levels() -> str:
    return ", ".join(LEVELS)


def split(
    text: str, is_heading: Callable[[str], bool] = lambda line: False, lang: str = "en"
) -> tuple[list[Segment], list[Mistake]]:
    """The text cut into plain and callout segments, and what is wrong with its blocks
    (``lang``: the article's language, for a block's default title).

    A block that cannot be used is left as plain text, so a preview still shows every
    word the librarian wrote; the mistakes say why it is not a callout.
    """
    segments: list[Segment] = []
    mistakes: list[Mistake] = []
    plain: list[str] = []
    inside: list[str] = []
    opened: tuple[int, str, Level | None, str] | None = None  # offset, line, level, title
    in_fence = False

    def flush_plain() -> None:
        if plain:
            segments.append(Segment("\n".join(plain)))
            plain.clear()

    def close_unused(message: str) -> None:
        nonlocal opened
        assert opened is not None
        mistakes.append(Mistake(opened[0], message))
        plain.append(opened[1])
        plain.extend(inside)
        inside.clear()
        opened = None

    def open_block(offset: int, line: str, match: re.Match[str]) -> None:
        nonlocal opened
        name, title = match.group(1).lower(), match.group(2)
        level = LEVELS.get(name)
        if level is None:
            mistakes.append(
                Mistake(offset, f"unknown care level {name[:30]!r}; use one of {_levels()}")
            )
        elif len(title) > MAX_TITLE:
            mistakes.append(Mistake(offset, f"the callout's title is over {MAX_TITLE} characters"))
            level = None
        opened = (offset, line, level, title)

    for offset, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            in_fence = not in_fence
        match = None if in_fence else _OPEN.match(stripped)
        closing = match is not None and not match.group(1)
        if opened is None:
            if match is None:
                plain.append(line)
            elif closing:
                mistakes.append(
                    Mistake(offset, f"':::' closes no block; open one with ::: {_levels()}")
                )
                plain.append(line)
            else:
                open_block(offset, line, match)
        elif closing:
            start, first, level, title = opened
            body = "\n".join(inside).strip()
            if level is None:  # already reported: kept as the words it was
                plain.extend([first, *inside, line])
            elif not body:
                mistakes.append(Mistake(start, f"the {level.name} callout is empty"))
            else:
                flush_plain()
                segments.append(Segment(body, level, title or level.title_in(lang)))
            inside.clear()
            opened = None
        elif match is not None:
            close_unused("another callout starts before this one is closed with ':::'")
            open_block(offset, line, match)
        elif is_heading(line):
            close_unused("this callout is not closed with ':::' before the next heading")
            plain.append(line)
        else:
            inside.append(line)
    if opened is not None:
        close_unused("this callout is not closed with ':::'")
    flush_plain()
    return segments, mistakes
