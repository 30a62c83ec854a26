"""Snippets: the sentences of an article that show a patient why it matched.

Whoosh's own sentence fragmenter re-analyses each hit's whole body on every search,
which was most of the time a search took. The body is indexed with character offsets
instead (``TEXT(chars=True)``), and :class:`SentenceFragmenter` widens each matched
word to its sentence from those offsets, without re-tokenising anything.
"""

from __future__ import annotations

import bisect
import html
import re
from typing import Any

from whoosh import highlight

from encyclopedia.languages import DEFAULT
from encyclopedia.search.engine import blocks, ranking
from encyclopedia.search.engine.schema import analyzer_for

SNIPPET_CHARS = 320
SNIPPET_SCAN_CHARS = 32_768  # Whoosh's own highlighter looks no further into a body
_SENTENCE_MARK = re.compile(r"[.!?] |\n")  # a sentence ends at one of these


class _Boundaries:
    """Where a text's sentence marks are, found once per text: each matched word's
    sentence is then two bisections, where searching the text for every mark around
    every word took most of a snippet's time (a body naming "cholesterol" 26 times)."""

    __slots__ = ("ends", "length", "starts")

    def __init__(self, text: str):
        found = [(m.start(), m.end()) for m in _SENTENCE_MARK.finditer(text)]
        self.starts = [start for start, _ in found]
        self.ends = [end for _, end in found]
        self.length = len(text)


class SentenceFragmenter(highlight.Fragmenter):
    """Each fragment is the sentence around a matched word, at most ``maxchars`` long."""

    def __init__(self, maxchars: int = SNIPPET_CHARS):
        self.maxchars = maxchars
        self.charlimit = None

    def must_retokenize(self) -> bool:
        return False

    def _within(self, bounds: _Boundaries, start: int, end: int) -> tuple[int, int]:
        """The sentence around ``text[start:end]``: from just after the last sentence mark
        that ends before it to the first one at or after its end (punctuation kept)."""
        at = bisect.bisect_right(bounds.ends, start) - 1
        left = bounds.ends[at] if at >= 0 else 0
        at = bisect.bisect_left(bounds.starts, end)
        right = bounds.starts[at] + 1 if at < len(bounds.starts) else bounds.length
        if right - left > self.maxchars:  # a run-on sentence: a window around the word
            left = max(left, start - self.maxchars // 2)
            right = min(right, left + self.maxchars)
        return left, right

    def fragment_matches(self, text: str, matched_tokens: list[Any]):
        fragment: tuple[int, int, list[Any]] | None = None
        bounds = _Boundaries(text)
        for token in matched_tokens:
            if fragment and token.startchar < fragment[1]:
                fragment[2].append(token)
                continue
            if fragment:
                yield highlight.Fragment(text, fragment[2], fragment[0], fragment[1])
            left, right = self._within(bounds, token.startchar, token.endchar)
            fragment = (left, right, [token])
        if fragment:
            yield highlight.Fragment(text, fragment[2], fragment[0], fragment[1])

    def fragment_tokens(self, text: str, all_tokens: Any):
        # Used only when offsets are not stored (a section's text): tokens are analysed.
        return self.fragment_matches(text, [t.copy() for t in all_tokens if t.matched])


class EarlySentenceScorer(highlight.FragmentScorer):
    """More distinct matched words first; among equals, the earlier sentence.

    Whoosh's own scorer leaves ties to chance and so often quotes the end of an
    article; the opening sentences are the ones that say what the article is about.
    """

    def __call__(self, fragment: highlight.Fragment) -> float:
        distinct = len(fragment.matched_terms)
        return distinct * 100 + len(fragment.matches) - fragment.startchar / 1_000_000


FRAGMENTER = SentenceFragmenter()
FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")
SCORER = EarlySentenceScorer()


def shortened(text: str, limit: int = 220) -> str:
    """Escaped text cut at a word boundary: the fallback when no word can be highlighted."""
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return html.escape(text)


def body_tokens(
    reader: Any,
    docnums: list[int],
    words: list[str],
    field: str = "body",
    cache: ranking.PostingCache | None = None,
) -> dict[int, list[Any]]:
    """For each of ``docnums``, the matched words as tokens with their character offsets,
    read from the postings of the body field: per word, only the blocks of postings that
    hold one of them (the same data Whoosh's highlighter uses, without making the search
    record matched terms for every matching article)."""
    found: dict[int, dict[int, highlight.Token]] = {docnum: {} for docnum in docnums}
    if not found:
        return {}
    decode = reader.schema[field].format.decoder("characters")
    for word in words:
        for ids, values in blocks.values_in(reader, field, word, docnums, cache):
            for docnum, value in zip(ids.tolist(), values, strict=True):
                tokens = found[docnum]
                for pos, start, end in decode(value):
                    if end > SNIPPET_SCAN_CHARS:
                        break
                    known = tokens.get(start)
                    if known is None or end > known.endchar:
                        tokens[start] = highlight.Token(
                            text=word, pos=pos, startchar=start, endchar=end, matched=True
                        )
    return {docnum: [tokens[s] for s in sorted(tokens)] for docnum, tokens in found.items()}


def body_snippet(text: str, tokens: list[Any], fallback: str) -> str:
    """Highlighted sentences of the body; the summary when no word matched the body."""
    if tokens:
        fragments = FRAGMENTER.fragment_matches(text, tokens)
        fragments = highlight.top_fragments(fragments, 2, SCORER, highlight.FIRST, 1)
        found = FORMATTER(text, fragments)
        if found:
            return found
    return shortened(fallback)


def section_snippet(text: str, terms: frozenset[str], language: str = DEFAULT) -> str:
    """Highlighted sentences of one section's text (analysed here, with its language's
    analyzer: it is short)."""
    found = highlight.highlight(
        text, terms, analyzer_for(language), FRAGMENTER, FORMATTER, top=2, scorer=SCORER
    )
    return found or shortened(text)
