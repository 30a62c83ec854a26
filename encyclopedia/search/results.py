"""Searching one published build: from what was typed to the hits a patient sees.

The pipeline, in order: plan the words (query.py), rank by words (the engine), fuse with
meaning when the build has vectors (fusion.py), and make each shown hit: its snippet,
the name it was found by, the section it asks about, why it was found. Everything here
works on a :class:`~encyclopedia.search.snapshot.Snapshot`; caching and choosing the
snapshot are the :class:`~encyclopedia.search.library.Library`'s.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from encyclopedia.languages import DEFAULT, REFERENCE_ANCHORS
from encyclopedia.search import fusion, semantic, tree
from encyclopedia.search.browse import translatable
from encyclopedia.search.documents import CatalogEntry, PageSection, StoredPage
from encyclopedia.search.engine import snippets
from encyclopedia.search.query import (
    EVERY_STAGE,
    EXACT_NAME_BOOST,
    Planner,
    QueryPlan,
    Stages,
    build_query,
)
from encyclopedia.search.snapshot import Snapshot
from encyclopedia.search.thesaurus import Thesaurus
from encyclopedia.search.wording import ENGLISH_WORDS, Wording

MAX_PAGE = 100
# Without meaning, the share of the query (weighed by rarity) the best hit must hold
# not to be weak. Measured on the 60 Spanish queries (bench/relevance.py, 2026-12-03).
WORDS_EXPLAIN = 0.5
# Why a hit was found when meaning, not words, found it; the web layer translates it.
BY_MEANING = translatable("it is about what you asked, in other words")


@dataclass(frozen=True)
class Hit:
    slug: str
    title: str
    matched_name: str | None
    snippet: str  # HTML: escaped text with <mark> around matched words
    section: str | None = None  # the section the query asked about ("kyphoplasty risks")
    why: tuple[str, ...] = ()  # lay terms translated, words joined: in plain words
    anchor: str | None = None  # of that section, for the web layer's link

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "matched_name": self.matched_name,
            "snippet": self.snippet,
            "section": self.section,
            "why": list(self.why),
        }


@dataclass(frozen=True)
class Results:
    query: str
    total: int
    page: int
    page_size: int
    hits: tuple[Hit, ...]
    searched: str | None = None  # the corrected query, when it was corrected
    did_you_mean: str | None = None
    # No hit matches well: the page says so plainly and the librarians see the search.
    weak: bool = False
    # The words describe an emergency (content/emergency.yaml): the number comes first.
    emergency: bool = False
    kind: str | None = None  # only articles of this kind were searched
    lang: str = DEFAULT  # the language searched: its articles only

    def memory(self) -> int:
        """Roughly what keeping these results costs, in bytes (within a fifth, measured
        against the objects' real sizes)."""
        return 1024 + sum(
            800
            + len(hit.snippet)
            + len(hit.title)
            + len(hit.slug)
            + len(hit.anchor or "")
            + len(hit.matched_name or "")
            + sum(len(word) for word in hit.why)
            for hit in self.hits
        )

    @property
    def pages(self) -> int:
        """Pages a person can reach (deep paging is capped at MAX_PAGE)."""
        return min(MAX_PAGE, max(1, -(-self.total // self.page_size)))

    def page_numbers(self, around: int = 3) -> list[int]:
        """The page links to show: the first, the last, and a few around this one."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        return sorted(n for n in shown if 1 <= n <= self.pages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "corrected_query": self.searched,
            "did_you_mean": self.did_you_mean,
            "weak": self.weak,
            "emergency": self.emergency,
            "kind": self.kind,
            "lang": self.lang,
            "results": [hit.to_dict() for hit in self.hits],
        }


def planner(
    snapshot: Snapshot,
    thesaurus: Thesaurus,
    *,
    keep: bool = True,
    stages: Stages = EVERY_STAGE,
) -> Planner:
    """The planner for the thesaurus's language, over that language's articles. The
    word lists (``stages.vocabulary``) are English; another language goes without."""
    wording = thesaurus.wording
    tables = snapshot.tables(wording.code)
    if wording is not ENGLISH_WORDS and stages.vocabulary:
        stages = dataclasses.replace(stages, vocabulary=())
    return Planner(
        known=lambda term: snapshot.index.document_frequency(term, wording.code),
        corrector=tables.corrector(thesaurus, keep=keep),
        name_keys=tables.name_keys,
        thesaurus=thesaurus,
        stages=stages,
        wording=wording,
    )


def search(
    snapshot: Snapshot,
    embedder: semantic.Embedder | None,
    thesaurus: Thesaurus,
    cleaned: str,
    page: int,
    size: int,
    exact: bool,
    *,
    named: str | None = None,
    keep: bool = True,
    kind: str | None = None,
    stages: Stages = EVERY_STAGE,
) -> Results:
    plan = planner(snapshot, thesaurus, keep=keep, stages=stages).plan(cleaned, exact=exact)
    if plan.is_empty and named is None:
        return Results(
            cleaned, 0, page, size, (), None, plan.did_you_mean, kind=kind, lang=plan.wording.code
        )
    query = build_query(plan) if not plan.is_empty else tree.NOTHING
    if named is not None:
        query = tree.AnyOf((query, tree.Term("slug", named, EXACT_NAME_BOOST)))
    if kind is not None:
        # Every article of the kind scores the same for this term, so the order among
        # them is the words' order; articles of other kinds do not match at all.
        query = tree.AllOf((query, tree.Term("kind", kind)))
    # Scored with numpy over whole posting lists (engine/ranking.py): Whoosh's
    # ranking, without Whoosh's per-document matcher walk.
    ranked = snapshot.index.rank(query, max(page * size, fusion.POOL))
    kept: dict[int, dict[str, Any]] = {}

    def stored_of(docnum: int) -> dict[str, Any]:
        """A hit's stored fields, read once (the weak check and the hit both need them)."""
        if docnum not in kept:
            kept[docnum] = snapshot.index.stored(docnum)
        return kept[docnum]

    wording = plan.wording
    # The model reads English only (semantic.py): a search in another language is
    # ranked by its words.
    vectors = snapshot.vectors if embedder is not None and wording is ENGLISH_WORDS else None
    if vectors is not None:
        similarity = vectors.similarity(embedder.query(_meaning_text(plan)))
        exact_docnums = _exact_docnums(plan, snapshot, named)
        if kind is not None or len(snapshot.tables(wording.code).entries) < len(snapshot.catalog):
            # Meaning may only add articles of the language (and the kind).
            similarity = np.where(snapshot.vector_mask(wording.code, kind), similarity, -1.0)
        if kind is not None:
            exact_docnums = exact_docnums & frozenset(snapshot.index.matching("kind", kind))
        fused = fusion.fuse(
            ranked,
            # The words as typed, not as corrected: measured on the real-query sets
            # (2026-12-02), reading the corrected words too (best, mean or maximum
            # of both) lost 0.007-0.026 at 1 or 10 there, though it mended four
            # misspellings of the tuned set ("astma") that the words still find.
            similarity,
            *snapshot.vector_rows(),
            exact=exact_docnums,
            corrected=bool(plan.corrections),
            words_required=bool(plan.phrases),
        )
    else:
        top = ranked.docnums[0] if ranked.docnums else None
        weak = top is not None and not _words_explain(plan, snapshot, top, stored_of(top))
        fused = fusion.lexical_only(ranked, weak=weak)
    shown = fused.docnums[(page - 1) * size : page * size]
    tokens = snapshot.index.body_tokens(shown, query, wording.body_field)
    hits = [
        _hit(
            stored_of(docnum),
            plan,
            snapshot,
            tokens[docnum],
            by_meaning=docnum in fused.by_meaning,
        )
        for docnum in shown
    ]
    # A correction the ranking did not follow ("achalasia" is not "aphasia": meaning
    # put another article first) is offered, not imposed.
    followed = plan.corrections and not fused.overruled_correction
    return Results(
        cleaned,
        fused.total,
        page,
        size,
        tuple(hits),
        plan.searched if followed else None,
        plan.did_you_mean or (plan.searched if plan.corrections and not followed else None),
        fused.weak,
        kind=kind,
        lang=wording.code,
    )


def _words_explain(plan: QueryPlan, snapshot: Snapshot, docnum: int, stored: dict) -> bool:
    """Whether the best hit of a search by words alone answers it: a name of the article
    is in the query, or it holds the parts of the query that say most (each part, a word
    or a phrase the thesaurus reads, weighed by how rare its words are). Meaning decides
    this when the build has vectors; without them (Spanish, or a site without the model)
    this is the honest "we have nothing good" that fusion.WEAK_BELOW gives: "dolor de
    muelas" matching only "dolor" in Low back pain.
    A word no article has weighs as one article's word: in a small language's articles
    many everyday words ("sirve", "debe") are in none. Measured on the 60 Spanish queries
    (2026-12-03), the set it was tuned on: every wrong first hit (4) is weak, and one
    right one ("me duele la cintura al agacharme"); with 0.4, two wrong ones were not."""
    entry = snapshot.catalog.get(stored["slug"])
    if entry is None:
        return False
    wording = plan.wording
    keys = {wording.name_key(name) for name in (*entry.names, *entry.aliases)}
    if any(boost.key in keys for boost in plan.boosts):
        return True
    readings_of = [
        [terms for a in slot.alternatives if (terms := wording.analyze(" ".join(a.words)))]
        for slot in plan.slots
    ]
    wanted = {term for readings in readings_of for terms in readings for term in terms}
    found = snapshot.index.terms_in(docnum, wanted, (wording.names_field, wording.body_field))
    articles = max(2, len(snapshot.tables(wording.code).entries))
    covered = total = 0.0
    for readings in readings_of:
        if not readings:
            continue  # only stop words
        rarest = min(snapshot.index.document_frequency(t, wording.code) for t in readings[0])
        weight = math.log(articles / max(rarest, 1))
        total += weight
        if any(set(terms) <= found for terms in readings):
            covered += weight
    return total == 0 or covered / total >= WORDS_EXPLAIN


def _exact_docnums(plan: QueryPlan, snapshot: Snapshot, named: str | None = None) -> frozenset[int]:
    """Articles the query names exactly (a title or other name): they come first
    whatever meaning says. Also when spelling corrected the query into the name ("astma":
    Asthma, "prostrate cancer"): now that a real word is never corrected into another
    article's name (vocabulary.py), such a correction mends a typo. Measured with
    bench/relevance.py on 2026-12-03: tuned set 0.979 -> 0.992 at 1, old held-out 0.855
    -> 0.880, the real-query sets unchanged (the model, reading what was typed, had put
    "astma" nearer Autism)."""
    found = snapshot.index.matching("slug", named) if named else set()
    for boost in plan.boosts:
        if boost.weight >= 1.0 and boost.reason is None:
            found.update(snapshot.index.matching(plan.wording.name_keys_field, boost.key))
    return frozenset(found)


def _hit(
    hit: dict,
    plan: QueryPlan,
    snapshot: Snapshot,
    tokens: list[Any],
    *,
    by_meaning: bool = False,
) -> Hit:
    slug = hit["slug"]
    entry = snapshot.catalog.get(slug)
    wording = plan.wording
    # A handful of names per hit: worked out here, not kept for 50,000 articles.
    names = {wording.name_key(n) for n in entry.names} if entry else set()
    # Boosts come strongest first: the first one naming this article says why it
    # was found (the name it matched, and any translation that led there).
    strongest = next((b for b in plan.boosts if b.key in names), None)
    matched_key = strongest.key if strongest else None
    why = [strongest.reason] if strongest and strongest.reason else []
    if by_meaning:
        why.append(BY_MEANING)
    page = StoredPage.from_dict(hit["page"])
    section = _asked_section(plan, matched_key, page.sections)
    if section:
        snippet = snippets.section_snippet(section.text, plan.all_terms, wording.code)
    else:
        snippet = snippets.body_snippet(hit[wording.body_field], tokens, page.summary_text)
    return Hit(
        slug=slug,
        title=page.title,
        anchor=section.anchor if section else None,
        matched_name=_matched_name(matched_key, plan.all_terms, entry, wording),
        snippet=snippet,
        section=section.heading if section else None,
        why=tuple(dict.fromkeys(why)),
    )


def _meaning_text(plan: QueryPlan) -> str:
    """What the model reads: the words as typed (not corrected: a correction may be wrong,
    and the model reads misspellings well), then what the thesaurus says they mean, so
    "nph" reaches the model as "normal pressure hydrocephalus" too."""
    meanings = [
        " ".join(alternative.words)
        for slot in plan.slots
        for alternative in slot.alternatives[1:]
        if alternative.reason
    ]
    return "; ".join([plan.text, *dict.fromkeys(meanings)])


def _matched_name(
    key: str | None, terms: frozenset[str], entry: CatalogEntry | None, wording: Wording
) -> str | None:
    """The other name a hit was found through, if the title alone would not explain it."""
    if entry is None or not entry.also_called:
        return None
    if key is not None:
        if wording.name_key(entry.title) == key:
            return None
        for name in entry.also_called:
            if wording.name_key(name) == key:
                return name
    if not terms or terms <= set(wording.analyze(entry.title)):
        return None
    best: tuple[int, str] | None = None
    for name in entry.also_called:
        tokens = set(wording.analyze(name))
        if terms <= tokens:
            extra = len(tokens - terms)
            if best is None or extra < best[0]:
                best = (extra, name)
    return best[1] if best else None


def _asked_section(
    plan: QueryPlan, matched_key: str | None, sections: tuple[PageSection, ...]
) -> PageSection | None:
    """The section a query names besides the article ("kyphoplasty risks" -> Risks)."""
    if not sections or matched_key is None:
        return None
    wording = plan.wording
    named = set(matched_key.split())
    wanted = {
        wording.word_key(w)
        for w in wording.fold(plan.searched).split()
        if w not in wording.stop_words
    } - named
    if not wanted:
        return None
    for section in sections:
        if section.anchor in REFERENCE_ANCHORS:
            continue
        heading = {wording.word_key(w) for w in wording.fold(section.heading).split()}
        if wanted & heading:
            return section
    return None
