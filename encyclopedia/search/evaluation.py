"""Measuring search quality: success@1, success@10 and MRR, for this project and for a
plain BM25 baseline over the same articles, in the same run.

Used by ``bench/relevance.py`` (which prints the table) and by the relevance tests
(which keep the targets from regressing), so both measure the same thing.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from encyclopedia.articles import load_folder
from encyclopedia.normalize import fold
from encyclopedia.search.library import Library

Ranker = Callable[[str], list[str]]


@dataclass(frozen=True)
class Case:
    kind: str
    query: str
    expected: frozenset[str]


@dataclass
class Score:
    cases: int = 0
    at1: int = 0
    at10: int = 0
    reciprocal: float = 0.0
    misses: list[tuple[str, list[str]]] = field(default_factory=list)

    def add(self, case: Case, ranked: list[str]) -> None:
        self.cases += 1
        rank = next((i for i, slug in enumerate(ranked[:10], 1) if slug in case.expected), None)
        if rank == 1:
            self.at1 += 1
        else:
            self.misses.append((case.query, ranked[:3]))
        if rank:
            self.at10 += 1
            self.reciprocal += 1 / rank

    @property
    def success_at_1(self) -> float:
        return self.at1 / self.cases if self.cases else 0.0

    @property
    def success_at_10(self) -> float:
        return self.at10 / self.cases if self.cases else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.cases if self.cases else 0.0


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Case(kind, str(query), frozenset(slugs))
        for kind, items in data.items()
        for query, slugs in items.items()
    ]


def load_title_cases(path: Path, content_dir: Path, lang: str = "en") -> list[Case]:
    """Real-query sets: a TSV of ``query``, ``expected`` (article titles joined by ``|``,
    any of which answers it) and ``kind``. Titles are resolved to slugs among the
    articles in ``lang`` in ``content_dir`` (a title is unique within a language only),
    so the same file judges any import of the MedlinePlus topics."""
    folder = load_folder(content_dir)
    slugs = {fold(a.title): a.slug for a in folder.articles.values() if a.lang == lang}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Case(
            row["kind"],
            row["query"],
            frozenset(slugs[fold(t)] for t in row["expected"].split("|") if fold(t) in slugs),
        )
        for row in rows
    ]


def also_called_cases(content_dir: Path) -> list[Case]:
    """Every other name of every article, which should find that article first."""
    folder = load_folder(content_dir)
    return [
        Case("also_called", name, frozenset({a.slug}))
        for a in folder.articles.values()
        for name in a.also_called
    ]


def title_cases(content_dir: Path) -> list[Case]:
    """Every article's title, which should find that article first."""
    folder = load_folder(content_dir)
    return [Case("title", a.title, frozenset({a.slug})) for a in folder.articles.values()]


def evaluate(cases: Iterable[Case], ranker: Ranker) -> dict[str, Score]:
    """Scores by kind, plus ``all``."""
    scores: dict[str, Score] = defaultdict(Score)
    for case in cases:
        ranked = ranker(case.query)
        scores[case.kind].add(case, ranked)
        scores["all"].add(case, ranked)
    return dict(scores)


def project_ranker(library: Library, lang: str = "en") -> Ranker:
    def rank(query: str) -> list[str]:
        return [hit.slug for hit in library.search(query, 1, 10, lang=lang).hits]

    return rank


class PlainFTS5:
    """A second baseline: SQLite FTS5's BM25 over title and body, words joined by OR.
    What a site built on SQLite alone would rank."""

    def __init__(self, content_dir: Path):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE a USING fts5(slug UNINDEXED, title, body)")
        self.db.executemany(
            "INSERT INTO a VALUES (?, ?, ?)",
            [
                (a.slug, a.title, " ".join([a.summary, *(s.markdown for s in a.sections)]))
                for a in load_folder(content_dir).articles.values()
            ],
        )

    def __call__(self, query: str) -> list[str]:
        words = [w for w in re.findall(r"\w+", query.lower()) if w]
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            "SELECT slug FROM a WHERE a MATCH ? ORDER BY bm25(a, 0, 3.0, 1.0) LIMIT 10", (match,)
        )
        return [slug for (slug,) in rows]

    def close(self) -> None:
        self.db.close()
