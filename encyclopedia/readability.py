"""How easy an article is to read, for the editor's preview.

Patient-information standards aim at a reading age of about 11 (the NHS's own guidance).
The measure is the Flesch–Kincaid grade from textstat, a well-kept library, turned into a
reading age (a US school grade plus five years), beside the longest sentences, which are
what a writer can most easily shorten. No Flask and no Whoosh here.

textstat is pinned to 0.7.4: from 0.7.10 on it counts syllables with NLTK's CMU
dictionary, which it downloads at run time (and no download may happen here); 0.7.4
counts them with pyphen's hyphenation dictionaries, which ship in the package. Without
textstat the preview says the measure is unavailable and everything else works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from encyclopedia.articles import Article
from encyclopedia.languages import REFERENCE_ANCHORS
from encyclopedia.rendering import render_article

GRADE_TO_AGE = 5  # US grade 1 is read at about 6 years old
LONG_SENTENCE = 25  # words: plain-language guides advise 15–20 on average, 25 at most
# A sentence ends at . ! or ? followed by a space and a capital, a digit or a quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


@dataclass(frozen=True)
class Readability:
    available: bool
    target_age: int
    reading_age: float | None = None
    longest: tuple[str, ...] = ()  # sentences over LONG_SENTENCE words, longest first
    why_unavailable: str = ""

    @property
    def too_hard(self) -> bool:
        return self.reading_age is not None and self.reading_age > self.target_age


def article_text(article: Article) -> str:
    """What a patient reads: the summary and every section but the references."""
    rendered = render_article(article)
    parts = [rendered.summary_text]
    parts += [
        f"{s.heading}. {s.text}" for s in rendered.sections if s.anchor not in REFERENCE_ANCHORS
    ]
    return "\n\n".join(p for p in parts if p.strip())


def sentences(text: str) -> list[str]:
    return [
        s.strip() for block in text.split("\n") for s in _SENTENCE_END.split(block) if s.strip()
    ]


def assess(article: Article, target_age: int) -> Readability:
    try:
        import textstat
    except ImportError:
        return Readability(False, target_age, why_unavailable="textstat is not installed")
    if article.lang != "en":
        # Flesch–Kincaid's weights are English ones; a Spanish text would be given a
        # number that means nothing. Said, not guessed.
        return Readability(
            False, target_age, why_unavailable="the reading-age measure is for English only"
        )
    text = article_text(article)
    if len(text.split()) < 10:
        return Readability(False, target_age, why_unavailable="too little text to measure")
    grade = float(textstat.flesch_kincaid_grade(text))
    long = sorted(
        (s for s in sentences(text) if len(s.split()) > LONG_SENTENCE),
        key=lambda s: len(s.split()),
        reverse=True,
    )
    return Readability(True, target_age, round(max(grade, 0.0) + GRADE_TO_AGE, 1), tuple(long[:5]))
