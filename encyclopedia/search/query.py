"""From what a patient typed to a query tree (:mod:`.tree`), with no query language.

Patients type quotes, stars, colons, "AND", brackets and stray hyphens without meaning
anything by them, so queries are built directly: quoted text is a phrase, everything
else is words, and nothing typed can become an operator, a field or a wildcard.

Planning a query goes in this order, and records why at each step so that results
can say it in words a patient understands:

1. unknown words are corrected ("diabetis" -> "diabetes") or split ("bedbugs" -> "bed
   bugs") against a dictionary of names, headings and thesaurus terms;
2. thesaurus entries add what the words also mean ("tummy ache" = "abdominal pain");
3. two words that are one word in the dictionary are also searched joined ("gall
   stones" -> "gallstones");
4. every reading of the query is scanned for article names it contains ("symptoms of a
   stroke" contains "stroke"), and those articles are boosted: an exact name first,
   then names covering more of the query.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Container
from dataclasses import dataclass
from functools import cached_property

from encyclopedia.search import tree
from encyclopedia.search.spelling import Correction, Corrector
from encyclopedia.search.thesaurus import Thesaurus
from encyclopedia.search.wording import ENGLISH_WORDS, Wording

# How much a match in a language's names and in its text counts: names (the title is
# one) are what patients most often type. Two fields, not four: every field multiplies
# the postings Whoosh's pure-Python matchers walk, and title and heading fields added
# nothing measurable (bench/relevance.py) while costing a third of each search.
NAMES_BOOST = 3.0
BODY_BOOST = 1.0
EXACT_NAME_BOOST = 60.0
PARTIAL_NAME_SHARE = 0.5  # a name covering half the query gets a quarter of the exact boost
NAME_PHRASE_BOOST = 8.0
ALTERNATIVE_WEIGHT = 0.8  # a thesaurus reading counts a little less than what was typed
LATER_ALTERNATIVE = 0.95  # and each later alternative of a one-way entry a little less again
MAX_READINGS = 64
MAX_NAME_WORDS = 8
RARE = 2  # a word in at most this many articles, and in no name, may be a typo

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
class Alternative:
    words: tuple[str, ...]
    reason: str | None = None  # None: what the patient typed (or its correction)
    weight: float = 1.0


@dataclass(frozen=True)
class Slot:
    """A stretch of the query and the ways it may be read; the first is as typed."""

    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class NameBoost:
    key: str
    weight: float
    reason: str | None


@dataclass(frozen=True)
class QueryPlan:
    text: str  # cleaned, as typed
    searched: str  # what was searched: the text with automatic corrections
    corrections: tuple[Correction, ...]
    did_you_mean: str | None
    slots: tuple[Slot, ...]
    phrases: tuple[tuple[str, ...], ...]
    boosts: tuple[NameBoost, ...]
    wording: Wording = ENGLISH_WORDS  # the language the query was read in

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.phrases and not self.boosts

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """Index terms of the query as searched (first reading of each slot)."""
        words = [w for slot in self.slots for w in slot.alternatives[0].words]
        return tuple(dict.fromkeys(self.wording.analyze(" ".join(words))))

    @cached_property
    def all_terms(self) -> frozenset[str]:
        found = set(self.terms) | {t for p in self.phrases for t in p}
        for slot in self.slots:
            for alternative in slot.alternatives[1:]:
                found.update(self.wording.analyze(" ".join(alternative.words)))
        return frozenset(found)

    def reason_for(self, key: str) -> str | None:
        return next((b.reason for b in self.boosts if b.key == key), None)


@dataclass(frozen=True)
class Stages:
    """How the planner reads queries. Everything is on for patients; bench/relevance.py
    turns stages off one at a time to measure what each adds (the README's ablation)."""

    vocabulary: Container[str] = ()  # real words, corrected only into a longer name
    correction: bool = True
    names: bool = True  # names in the query boosted, an exact name first


EVERY_STAGE = Stages()  # without word lists: a Library reads those (Settings.dictionaries)


class Planner:
    """Plans queries against one published index and one thesaurus."""

    def __init__(
        self,
        *,
        known: Callable[[str], int],
        corrector: Corrector,
        name_keys: set[str] | dict,
        thesaurus: Thesaurus,
        stages: Stages = EVERY_STAGE,
        wording: Wording = ENGLISH_WORDS,
    ):
        """``known``: in how many articles of the language an index term appears."""
        self.document_frequency = known
        self.corrector = corrector
        self.name_keys = name_keys
        self.thesaurus = thesaurus
        self.stages = stages
        self.wording = wording
        self._english = wording is ENGLISH_WORDS  # its derivations and "X of Y" order

    # -- step 1: spelling -------------------------------------------------------------
    def _frequency(self, word: str) -> int:
        terms = self.wording.analyze(word)
        return max((self.document_frequency(t) for t in terms), default=0)

    def _names_with(self, words: list[str], position: int, min_words: int = 1) -> int:
        """How many article names of at least ``min_words`` words the words around
        ``position`` spell out."""
        keys = [self.wording.word_key(w) for w in words]
        found = 0
        for start in range(max(0, position - MAX_NAME_WORDS + 1), position + 1):
            for end in range(
                max(position + 1, start + min_words), min(len(keys), start + MAX_NAME_WORDS) + 1
            ):
                if " ".join(keys[start:end]) in self.name_keys:
                    found += 1
        return found

    def _joins(self, words: list[str], position: int) -> bool:
        """Whether the word is half of a word written apart ("gall stones", "mis carriage")."""
        before = words[position - 1] + words[position] if position else ""
        after = words[position] + words[position + 1] if position + 1 < len(words) else ""
        return before in self.corrector or after in self.corrector

    def _split(self, word: str) -> tuple[str, str] | None:
        best = None
        for cut in range(3, len(word) - 2):
            left, right = word[:cut], word[cut:]
            if left in self.corrector and right in self.corrector:
                score = min(self.corrector.count(left), self.corrector.count(right))
                if best is None or score > best[0]:
                    best = (score, (left, right))
        return best[1] if best else None

    def _correct(self, words: list[str], exact: bool):
        # Mistyped words first, real words after: "hart atack" must have become "hart
        # attack" before "hart" can be seen to make a name with it.
        corrected, applied, suggested = self._correct_pass(words, exact, real_words=False)
        corrected, applied_real, suggested_real = self._correct_pass(
            corrected, exact, real_words=True
        )
        return corrected, applied + applied_real, suggested + suggested_real

    def _correct_pass(self, words: list[str], exact: bool, *, real_words: bool):
        corrected = list(words)
        applied: list[Correction] = []
        suggested: list[Correction] = []
        position = 0
        while position < len(corrected):
            word = corrected[position]
            if (
                len(word) < 4
                or not word.isalpha()
                or word in self.wording.stop_words
                or word in self.corrector
            ):
                position += 1
                continue
            # A real word ("achalasia", "bold", "police") is what the patient meant,
            # unless the correction joins the words beside it into an article's name
            # ("hart attack": heart attack); then the correction explains more of the
            # query than the word did. Never split, never merely offered instead.
            real = word in self.stages.vocabulary
            if real != real_words:
                position += 1
                continue
            if self._joins(corrected, position):
                position += 1
                continue
            frequency = self._frequency(word)
            if frequency > RARE:
                position += 1
                continue
            split = self._split(word) if frequency == 0 and not real else None
            if split:
                fix = Correction(word, " ".join(split), 1)
                replacement = list(split)
            else:
                best = None
                for candidate in self.corrector.candidates(word):
                    trial = [*corrected[:position], candidate.right, *corrected[position + 1 :]]
                    names = self._names_with(trial, position, min_words=2 if real else 1)
                    rank = (names > 0, -candidate.distance, names)
                    if best is None or rank > best[0]:
                        best = (rank, candidate, names)
                if best is None or (real and not best[2]):
                    position += 1
                    continue
                _, fix, names = best
                # A word that exists but is rare is only replaced when the correction
                # names an article; otherwise it is offered as "Did you mean".
                if frequency and not names:
                    suggested.append(fix)
                    position += 1
                    continue
                replacement = [fix.right]
            if exact:
                suggested.append(fix)
                position += 1
                continue
            applied.append(fix)
            corrected[position : position + 1] = replacement
            position += len(replacement)
        return corrected, applied, suggested

    # -- steps 2 and 3: thesaurus and joined words ------------------------------------------
    def _slots(self, words: list[str]) -> list[Slot]:
        keys = [self.wording.word_key(w) for w in words]
        slots: list[Slot] = []
        position = 0
        while position < len(words):
            if (
                position + 1 < len(words)
                and words[position].isalpha()
                and words[position + 1].isalpha()
            ):
                joined = words[position] + words[position + 1]
                if joined in self.corrector:
                    typed = (words[position], words[position + 1])
                    slots.append(
                        Slot(
                            (
                                Alternative(typed),
                                Alternative((joined,), f"{' '.join(typed)} = {joined}"),
                            )
                        )
                    )
                    position += 2
                    continue
            match = self.thesaurus.match(keys, position)
            if match:
                length, alternatives = match
                typed = tuple(words[position : position + length])
                slots.append(
                    Slot(
                        (
                            Alternative(typed),
                            *(
                                Alternative(
                                    tuple(self.wording.fold(alt).split()),
                                    f"{' '.join(typed)} = {alt}",
                                    ALTERNATIVE_WEIGHT * LATER_ALTERNATIVE**number,
                                )
                                for number, alt in enumerate(alternatives)
                            ),
                        )
                    )
                )
                position += length
                continue
            reordered = _of_phrase(words, position) if self._english else None
            if reordered:
                length, alternative = reordered
                typed = tuple(words[position : position + length])
                slots.append(Slot((Alternative(typed), Alternative(alternative))))
                position += length
                continue
            word = words[position]
            base = self._derived_from(word)
            if base:
                reason = f"{word} = {base}"
                slots.append(Slot((Alternative((word,)), Alternative((base,), reason))))
            else:
                slots.append(Slot((Alternative((word,)),)))
            position += 1
        return slots

    def _derived_from(self, word: str) -> str | None:
        """The name word an adjective is made from: "asthmatics" were about asthma and
        "arthritic" knees about arthritis, but no stemmer takes either back to its noun.
        Only towards a word of the names (the corrector's dictionary)."""
        if not self._english or len(word) < 6 or not word.isalpha() or word in self.corrector:
            return None
        stem = word[:-1] if word.endswith("s") else word
        for ending, nouns in _DERIVATIONS:
            if stem.endswith(ending):
                for noun in nouns:
                    base = stem[: -len(ending)] + noun
                    if base in self.corrector:
                        return base
        return None

    # -- step 4: names in the query ---------------------------------------------------------
    def _boosts(self, slots: list[Slot]) -> list[NameBoost]:
        boosts: dict[str, NameBoost] = {}
        choices = [list(enumerate(slot.alternatives)) for slot in slots]
        readings = sorted(itertools.product(*choices), key=lambda r: sum(index for index, _ in r))[
            :MAX_READINGS
        ]
        for reading in readings:
            words: list[str] = []
            reasons: list[str] = []
            weight = 1.0
            for _, alternative in reading:
                words.extend(alternative.words)
                weight *= alternative.weight
                if alternative.reason:
                    reasons.append(alternative.reason)
            stop_words = self.wording.stop_words
            keys = [self.wording.word_key(w) for w in words]
            content = sum(1 for w in words if w not in stop_words) or 1
            for start in range(len(words)):
                for end in range(start + 1, min(len(words), start + MAX_NAME_WORDS) + 1):
                    whole = start == 0 and end == len(words)
                    if not whole and (words[start] in stop_words or words[end - 1] in stop_words):
                        continue
                    key = " ".join(keys[start:end])
                    if key not in self.name_keys:
                        continue
                    covered = sum(1 for w in words[start:end] if w not in stop_words)
                    score = weight * (1.0 if whole else PARTIAL_NAME_SHARE * covered / content)
                    if key not in boosts or boosts[key].weight < score:
                        boosts[key] = NameBoost(key, score, "; ".join(reasons) or None)
        return sorted(boosts.values(), key=lambda b: -b.weight)

    def plan(self, text: str, *, exact: bool = False) -> QueryPlan:
        phrases: list[tuple[str, ...]] = []
        loose: list[str] = []
        for match in _QUOTED.finditer(text):
            tokens = tuple(self.wording.analyze(match.group(1)))
            if len(tokens) > 1:
                phrases.append(tokens)
            else:
                loose.append(match.group(1))
        rest = _QUOTED.sub(" ", text).replace('"', " ")
        words = self.wording.fold(" ".join([*loose, rest])).split()
        if self.stages.correction:
            corrected, applied, suggested = self._correct(words, exact)
        else:
            corrected, applied, suggested = words, [], []
        slots = self._slots(corrected)
        searched = " ".join(corrected) if applied else text
        did_you_mean = None
        if suggested:
            fixed = list(corrected)
            for fix in suggested:
                fixed = [fix.right if w == fix.wrong else w for w in fixed]
            did_you_mean = " ".join(fixed)
        return QueryPlan(
            text=text,
            searched=searched,
            corrections=tuple(applied),
            did_you_mean=did_you_mean,
            slots=tuple(slots),
            phrases=tuple(dict.fromkeys(phrases)),
            boosts=tuple(self._boosts(slots)) if slots and self.stages.names else (),
            wording=self.wording,
        )


# Adjective endings and the nouns they come from, longest ending first.
_DERIVATIONS = (
    ("atic", ("a",)),  # asthmatic
    ("itic", ("itis",)),  # arthritic, bronchitic
    ("ptic", ("psy",)),  # epileptic, narcoleptic
    ("otic", ("osis",)),  # psychotic, cirrhotic, sclerotic
    ("etic", ("es",)),  # diabetic
    ("iac", ("ia",)),  # hemophiliac, insomniac
    ("ic", ("ia", "y")),  # anemic, leukemic, dyslexic; allergic
)


def _of_phrase(words: list[str], position: int) -> tuple[int, tuple[str, ...]] | None:
    """ "tumour of the brain" is also read "brain tumour", as names are written."""
    end = position + 2
    if end < len(words) and words[end] in ("the", "a", "an", "your", "my"):
        end += 1
    if (
        end < len(words)
        and words[position + 1 : position + 2] == ["of"]
        and words[position] not in ENGLISH_WORDS.stop_words
        and words[end] not in ENGLISH_WORDS.stop_words
    ):
        return end - position + 1, (words[end], words[position])
    return None


def _term_clause(term: str, wording: Wording) -> tree.Node:
    return tree.AnyOf(
        (
            tree.Term(wording.names_field, term, NAMES_BOOST),
            tree.Term(wording.body_field, term, BODY_BOOST),
        )
    )


def _phrase_clause(tokens: tuple[str, ...], wording: Wording) -> tree.Node:
    return tree.AnyOf(
        (
            tree.Phrase(wording.names_field, tokens, NAMES_BOOST),
            tree.Phrase(wording.body_field, tokens, BODY_BOOST),
        )
    )


def _alternative_clause(alternative: Alternative, wording: Wording) -> tree.Node | None:
    terms = wording.analyze(" ".join(alternative.words))
    if not terms:
        return None
    if len(terms) == 1:
        clause = _term_clause(terms[0], wording)
    else:
        clause = tree.AllOf(tuple(_term_clause(t, wording) for t in terms))
    return tree.with_boost(clause, alternative.weight)


def build_query(plan: QueryPlan) -> tree.Node:
    """Any part of the query may match (more parts score more); every quoted phrase must;
    an article named in the query is boosted by how much of the query its name covers.
    Terms are in the fields of the language the query was read in."""
    wording = plan.wording
    parts: list[tree.Node] = []
    for slot in plan.slots:
        # What was typed: each word may match on its own. Other readings ("abdominal
        # pain" for "tummy ache") are phrases, all of whose words must match.
        typed, *others = slot.alternatives
        parts.extend(_term_clause(term, wording) for term in wording.analyze(" ".join(typed.words)))
        clauses = [c for c in (_alternative_clause(o, wording) for o in others) if c is not None]
        if clauses:
            parts.append(clauses[0] if len(clauses) == 1 else tree.AnyOf(tuple(clauses)))
    boosts: list[tree.Node] = [
        tree.Term(wording.name_keys_field, b.key, EXACT_NAME_BOOST * b.weight) for b in plan.boosts
    ]
    if not parts and not plan.phrases:
        # Only stop words were typed, but they are a name ("ALL"): find that name.
        return tree.AnyOf(tuple(boosts))
    # No coordination factor and, without a required phrase, the boosts joined by a
    # plain "any of": both let the ranker skip postings that cannot reach the top
    # results, which is what makes a search fast. Measured on 2026-11-24: p95 at 4,000
    # articles 110 ms -> 66 ms, with success@1/@10 unchanged on the tuned and the
    # held-out queries (bench/relevance.py). The boosts can then add an article that
    # matches only a name key or a name phrase; those are exactly named articles.
    optional: tree.Node = tree.AnyOf(tuple(parts)) if parts else tree.NOTHING
    if plan.phrases:
        required = tree.AllOf(tuple(_phrase_clause(p, wording) for p in plan.phrases))
        main: tree.Node = tree.Required(required, optional) if parts else required
    else:
        main = optional
    terms = tuple(plan.terms)
    if len(terms) > 1 and not plan.phrases:
        boosts.append(tree.Phrase(wording.names_field, terms, NAME_PHRASE_BOOST))
    if not boosts:
        return main
    if plan.phrases:
        # A quoted phrase is required: the boosts only reorder what it finds.
        return tree.Required(main, tree.AnyOf(tuple(boosts)))
    return tree.AnyOf((main, *boosts))
