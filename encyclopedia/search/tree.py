"""The project's own query tree: what the planner builds and the engine compiles.

Why a tree of our own rather than Whoosh's query objects: the planner, the fusion
stage, a librarian's preview and the tests then speak one small vocabulary that
says what a search means (any of these, all of those, this phrase), and only
``engine.compile`` knows how Whoosh spells it. It is how Wagtail's search layer
(django-modelsearch) keeps one query for several backends; here it keeps Whoosh
swappable and its private names out of everything above the engine.

Five kinds are enough for everything the planner asks. Every node is frozen, so a
plan's tree can be kept and compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Term:
    """One index term in one field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Index terms next to each other, in order, in one field."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AnyOf:
    """Matches what any part matches; the parts' scores add up."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AllOf:
    """Matches only what every part matches; the parts' scores add up."""

    parts: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Required:
    """Matches what ``must`` matches; ``may`` only adds to the score of those."""

    must: Node
    may: Node


@dataclass(frozen=True)
class Nothing:
    """Matches nothing (a query of stop words only, with no name in it)."""


NOTHING = Nothing()

Node = Term | Phrase | AnyOf | AllOf | Required | Nothing


def with_boost(node: Term | Phrase | AnyOf | AllOf, boost: float) -> Node:
    """The same node counting ``boost`` times as much."""
    return node if boost == 1.0 else replace(node, boost=node.boost * boost)


def terms(node: Node) -> Iterator[tuple[str, str]]:
    """Every (field, term) the tree mentions, in order: what snippets highlight."""
    if isinstance(node, Term):
        yield node.field, node.text
    elif isinstance(node, Phrase):
        for word in node.words:
            yield node.field, word
    elif isinstance(node, AnyOf | AllOf):
        for part in node.parts:
            yield from terms(part)
    elif isinstance(node, Required):
        yield from terms(node.must)
        yield from terms(node.may)
