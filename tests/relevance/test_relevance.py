"""The relevance targets, on the imported MedlinePlus topics, from a fresh clone."""

from __future__ import annotations

from pathlib import Path

import pytest

from encyclopedia.search import Library
from encyclopedia.search.evaluation import (
    PlainBM25,
    also_called_cases,
    evaluate,
    load_cases,
    project_ranker,
)
from tests.conftest import SHIPPED_CONTENT

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def medline_library(medlineplus) -> Library:
    return Library(medlineplus[1], thesaurus=SHIPPED_CONTENT / "thesaurus.yaml")


def test_there_are_at_least_150_patient_queries_of_every_kind():
    cases = load_cases(HERE / "queries.yaml")
    assert len(cases) >= 150
    assert {c.kind for c in cases} >= {
        "lay",
        "misspelling",
        "british",
        "accent",
        "abbreviation",
        "split",
        "question",
        "other_name",
    }


def test_patient_queries_meet_the_targets(medline_library):
    scores = evaluate(load_cases(HERE / "queries.yaml"), project_ranker(medline_library))
    overall = scores["all"]
    assert overall.success_at_1 >= 0.90, overall.misses
    assert overall.success_at_10 >= 0.98, overall.misses
    for kind, score in scores.items():
        assert score.success_at_1 >= 0.80, (kind, score.misses)


def test_also_called_names_find_their_article_first(medline_library, medlineplus):
    score = evaluate(also_called_cases(medlineplus[0]), project_ranker(medline_library))["all"]
    assert score.cases > 800
    assert score.success_at_1 >= 0.98, score.misses


def test_held_out_queries_do_much_better_than_plain_bm25(medline_library, medlineplus):
    cases = load_cases(HERE / "heldout.yaml")
    ours = evaluate(cases, project_ranker(medline_library))["all"]
    baseline = PlainBM25(medlineplus[0])
    try:
        theirs = evaluate(cases, baseline)["all"]
    finally:
        baseline.close()
    assert ours.success_at_1 >= theirs.success_at_1 + 0.3
    assert ours.success_at_10 >= 0.9
