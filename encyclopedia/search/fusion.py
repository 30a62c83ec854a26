"""One ranking from two: words (BM25F over names and text) and meaning (sentence vectors).

Why a weighted sum and not reciprocal rank fusion: on the real-query set RRF (k=60)
placed the right article first for 0.81 of queries, the sum of the semantic similarity
and a fifth of the normalised lexical score for 0.87 (bench/relevance.py, 2026-12-02).
Ranks throw away how sure each side is; a query whose words match one name exactly is
lexically certain, and one whose words match nothing is semantically the only evidence.

The rules, in order:
1. an article named exactly as typed (a title or other name, no correction) comes first;
2. every other candidate is ranked by similarity + LEXICAL_WEIGHT x (lexical / best
   lexical), so words break ties between meanings and meaning overrules weak words;
3. an article only meaning found is shown when it is near enough (MEANING_FLOOR);
4. when the best hit is neither named nor near (WEAK_BELOW), the results are weak: the
   page says so and the search counts as failed for the librarians.

Pure numpy, no Whoosh and no Flask: the inputs are document numbers and scores.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from encyclopedia.search.engine.ranking import Ranked

POOL = 50  # lexical and semantic candidates considered, each
LEXICAL_WEIGHT = 0.2
EXACT_BONUS = 10.0  # more than any similarity (at most 2) plus lexical (at most 0.2)
MEANING_FLOOR = 0.6  # similarity (own text + nearest name, 2 at most) to show a hit
WEAK_BELOW = 0.8


@dataclass(frozen=True)
class Fused:
    docnums: list[int]
    total: int
    by_meaning: frozenset[int]  # found by meaning alone, none of the words
    weak: bool
    overruled_correction: bool  # a corrected query whose best hit the correction did not find


def lexical_only(ranked: Ranked, *, weak: bool = False) -> Fused:
    """Without vectors, the lexical order as it is; ``weak``: the words say the best hit
    does not answer the query (results.py decides it, from what the words matched)."""
    return Fused(list(ranked.docnums), ranked.total, frozenset(), weak, False)


def fuse(
    ranked: Ranked,
    similarity: np.ndarray,
    docnums: np.ndarray,
    positions: np.ndarray,
    *,
    exact: Collection[int],
    corrected: bool,
    words_required: bool = False,
) -> Fused:
    """``similarity`` and ``docnums`` are per article of the vector table (a docnum of -1:
    an article the searcher no longer has); ``positions`` maps a document number to its
    row there (-1 for none). ``words_required`` (a quoted
    phrase) lets meaning reorder the lexical hits but add none."""
    best_lexical = ranked.scores[0] if ranked.scores else 0.0

    scores: dict[int, float] = {}
    for docnum, score in zip(ranked.docnums, ranked.scores, strict=True):
        row = positions[docnum] if docnum < len(positions) else -1
        near = float(similarity[row]) if row >= 0 else 0.0
        lexical = score / best_lexical if best_lexical > 0 else 0.0
        scores[docnum] = near + LEXICAL_WEIGHT * lexical + (EXACT_BONUS if docnum in exact else 0)
    meaning: set[int] = set()
    if len(similarity) and not words_required:
        count = min(POOL, len(similarity))
        for row in np.argpartition(-similarity, count - 1)[:count]:
            near = float(similarity[row])
            docnum = int(docnums[row])
            if near >= MEANING_FLOOR and docnum >= 0 and docnum not in scores:
                scores[docnum] = near
                meaning.add(docnum)
    order = sorted(scores, key=lambda d: (-scores[d], d))
    top = order[0] if order else None
    if top is None:
        weak = False
    else:
        row = positions[top] if top < len(positions) else -1
        weak = top not in exact and (row < 0 or float(similarity[row]) < WEAK_BELOW)
    overruled = bool(corrected and ranked.docnums and top != ranked.docnums[0])
    return Fused(order, ranked.total + len(meaning), frozenset(meaning), weak, overruled)
