"""One published build's Whoosh index, opened once and read by many threads.

Everything a search asks of the index goes through :class:`OpenIndex`: rank a query
tree, look documents up, count a word, find the matched words' offsets for snippets.
Each thread keeps its own Whoosh searcher (a searcher is not thread-safe, and opening
one per request cost more than the search), and anything derived from a searcher is
kept beside it, so a thread that opened a later generation of the same build (an
incremental update committed in between) never mixes numbers from two.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from encyclopedia.languages import DEFAULT
from encyclopedia.search import tree
from encyclopedia.search.engine import fixes, snippets
from encyclopedia.search.engine.compile import to_whoosh
from encyclopedia.search.engine.ranking import SHARED_CACHE, Ranked, Ranker
from encyclopedia.search.engine.schema import TEXT_FIELDS, WEIGHTING


class IndexUnavailable(Exception):
    """No index has been published, or the published one cannot be opened."""


class OpenIndex:
    """A build's index, proven readable when opened (not on a patient's first search)."""

    def __init__(self, path: Path, probe: str | None = None):
        fixes.apply()  # before the first segment is mapped: see fixes.py
        self.path = path
        try:
            self._index = whoosh_index.open_dir(str(path))
        except (OSError, ValueError, whoosh_index.IndexError) as exc:
            raise IndexUnavailable(f"the index in {path} cannot be opened: {exc}") from exc
        except Exception as exc:  # Whoosh raises many kinds on a damaged folder.
            raise IndexUnavailable(f"the index in {path} cannot be opened: {exc!r}") from exc
        try:
            # The table of contents, the segments and the stored fields, read now.
            with self._index.searcher() as searcher:
                articles = searcher.doc_count()
                if probe is not None:
                    searcher.document(slug=probe)
        except Exception as exc:
            raise IndexUnavailable(f"the index in {path} is damaged: {exc!r}") from exc
        self._local = threading.local()
        SHARED_CACHE.fit(articles)  # the posting cache's bound follows the index served
        self._ranker = Ranker(WEIGHTING, SHARED_CACHE)

    def _searcher(self) -> Searcher:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._index.searcher(weighting=WEIGHTING)
            self._local.searcher = searcher
        return searcher

    # -- asking -------------------------------------------------------------------
    def rank(self, query: tree.Node, limit: int) -> Ranked:
        """The top ``limit`` documents by BM25F, as Whoosh itself would rank them."""
        return self._ranker.rank(to_whoosh(query), self._searcher(), limit)

    def matching(self, field: str, text: str) -> set[int]:
        """Every live document with the term ``text`` in ``field``."""
        return set(self._searcher().docs_for_query(to_whoosh(tree.Term(field, text))))

    def document_frequency(self, term: str, lang: str = DEFAULT) -> int:
        """In how many articles in ``lang`` a word appears, in their text or names."""
        reader = self._searcher().reader()
        names, body, _ = TEXT_FIELDS[lang]
        return max(reader.doc_frequency(body, term), reader.doc_frequency(names, term))

    def document(self, slug: str) -> dict[str, Any] | None:
        return self._searcher().document(slug=slug)

    def stored(self, docnum: int) -> dict[str, Any]:
        return self._searcher().stored_fields(docnum)

    def terms_in(self, docnum: int, terms: Collection[str], fields: Sequence[str]) -> set[str]:
        """Which of ``terms`` the document holds in any of ``fields``: from the posting
        arrays the ranking caches, not a search (a deleted document's terms are kept
        by Whoosh until a merge, so ask only about a document a search returned)."""
        return self._ranker.holds(self._searcher(), docnum, fields, terms)

    def body_tokens(
        self, docnums: Sequence[int], query: tree.Node, field: str = TEXT_FIELDS[DEFAULT][1]
    ) -> dict[int, list[Any]]:
        """Per document, the query's words in the body ``field`` with their offsets, for
        its snippet."""
        words = list(dict.fromkeys(t for f, t in tree.terms(query) if f == field))
        return snippets.body_tokens(
            self._searcher().reader(), list(docnums), words, field, self._ranker.cache
        )

    def numbering(self, slugs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """This thread's document number of each slug (-1 for one the index no longer
        has), and the other way round (-1 for a document not in ``slugs``). Kept per
        thread for the searcher it came from: the numbers must be the ranker's own."""
        searcher = self._searcher()
        kept = getattr(self._local, "numbering", None)
        if kept is not None and kept[0] is searcher and kept[1] is slugs:
            return kept[2]
        found = [searcher.document_number(slug=s) for s in slugs]
        numbers = np.array([-1 if n is None else n for n in found], dtype=np.int64)
        rows = np.full(searcher.reader().doc_count_all(), -1, dtype=np.int64)
        present = numbers >= 0
        rows[numbers[present]] = np.flatnonzero(present)
        self._local.numbering = (searcher, slugs, (numbers, rows))
        return numbers, rows

    def close(self) -> None:
        self._index.close()
