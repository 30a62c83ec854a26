"""Turning what a patient typed into a Whoosh query, without Whoosh's query language.

Patients type quotes, stars, colons, "AND", brackets and stray hyphens without
meaning anything by them. Rather than escape Whoosh's parser, queries are built
directly: quoted text becomes a phrase, everything else is words, and nothing
the patient types can become an operator, a field name or a wildcard.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from whoosh import query as wq

from encyclopedia.search.schema import analyze, name_key

# How much a match in each field counts. Names are what patients most often type;
# a section heading says what the section is about; the body is the weakest signal.
FIELD_BOOSTS = {"title": 4.0, "names": 3.0, "headings": 1.5, "body": 1.0}
PHRASE_FIELDS = ("title", "names", "body")
EXACT_NAME_BOOST = 60.0
NAME_PHRASE_BOOST = 8.0

_QUOTED = re.compile(r'"([^"]*)"')
_SPACE = re.compile(r"\s+")


def clean_query(text: str, max_length: int) -> str:
    """Control characters, invisible format characters and lone surrogates become spaces;
    runs of space become one; the text is cut at a word boundary to ``max_length``."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        kept.append(" " if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch)
    cleaned = _SPACE.sub(" ", "".join(kept)).strip()
    if len(cleaned) > max_length:
        cut = cleaned[:max_length]
        cleaned = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cleaned


@dataclass(frozen=True)
class QueryPlan:
    """What was understood of a query: its words, its phrases, and the name it might be."""

    text: str
    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    key: str

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.phrases

    @property
    def all_terms(self) -> frozenset[str]:
        return frozenset(self.terms) | frozenset(t for p in self.phrases for t in p)


def plan_query(text: str) -> QueryPlan:
    phrases: list[tuple[str, ...]] = []
    words: list[str] = []
    for match in _QUOTED.finditer(text):
        tokens = tuple(analyze(match.group(1)))
        if len(tokens) > 1:
            phrases.append(tokens)
        else:
            words.extend(tokens)
    rest = _QUOTED.sub(" ", text).replace('"', " ")
    words.extend(analyze(rest))
    return QueryPlan(
        text=text,
        terms=tuple(dict.fromkeys(words)),
        phrases=tuple(dict.fromkeys(phrases)),
        key=name_key(text.replace('"', " ")),
    )


def _term_clause(term: str) -> wq.Query:
    return wq.Or([wq.Term(field, term, boost=boost) for field, boost in FIELD_BOOSTS.items()])


def _phrase_clause(tokens: tuple[str, ...]) -> wq.Query:
    return wq.Or(
        [wq.Phrase(field, list(tokens), boost=FIELD_BOOSTS[field]) for field in PHRASE_FIELDS]
    )


def build_query(plan: QueryPlan) -> wq.Query:
    """Any word may match (more matched words score more); every quoted phrase must.

    An exact name ("balloon kyphoplasty") and a phrase inside a name outrank any
    body match, which is what puts Kyphoplasty first for its other names.
    """
    words = [_term_clause(t) for t in plan.terms]
    optional: wq.Query = wq.Or(words, scale=0.9) if words else wq.NullQuery
    if plan.phrases:
        required = wq.And([_phrase_clause(p) for p in plan.phrases])
        main: wq.Query = wq.AndMaybe(required, optional) if words else required
    else:
        main = optional
    boosts: list[wq.Query] = []
    if plan.key:
        boosts.append(wq.Term("name_keys", plan.key, boost=EXACT_NAME_BOOST))
    all_tokens = [t for t in plan.terms]
    if len(all_tokens) > 1 and not plan.phrases:
        boosts.append(wq.Phrase("names", all_tokens, boost=NAME_PHRASE_BOOST))
    if not boosts:
        return main
    # The boosts only reorder what the main query finds; they never add results of
    # their own (an exact name always matches the main query too).
    return wq.AndMaybe(main, wq.Or(boosts))
