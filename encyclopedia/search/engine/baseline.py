"""The baseline every relevance figure is compared with: Whoosh as a first version would
use it. Here because it is Whoosh; used only by ``evaluation`` and the benchmarks."""

from __future__ import annotations

import tempfile
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema

from encyclopedia.articles import load_folder

__all__ = ["PlainBM25", "plain_parser"]


class PlainBM25:
    """The baseline: Whoosh's default BM25F over title and body, standard analyzer,
    Whoosh's own query parser with OR between words. What a first version would do."""

    def __init__(self, content_dir: Path):
        self._tmp = tempfile.TemporaryDirectory(prefix="bm25-")
        schema = Schema(
            slug=ID(stored=True),
            title=TEXT(analyzer=StandardAnalyzer()),
            body=TEXT(analyzer=StandardAnalyzer()),
        )
        self.index = whoosh_index.create_in(self._tmp.name, schema)
        writer = self.index.writer()
        for article in load_folder(content_dir).articles.values():
            body = " ".join([article.summary, *(s.markdown for s in article.sections)])
            writer.add_document(slug=article.slug, title=article.title, body=body)
        writer.commit()
        self.searcher = self.index.searcher()
        self.parser = qparser.MultifieldParser(["title", "body"], schema, group=qparser.OrGroup)

    def __call__(self, query: str) -> list[str]:
        try:
            parsed = self.parser.parse(query)
            return [hit["slug"] for hit in self.searcher.search(parsed, limit=10)]
        except Exception:  # the baseline's query language errors count as misses
            return []

    def close(self) -> None:
        self.searcher.close()
        self.index.close()
        self._tmp.cleanup()


def plain_parser(build: Path):
    """Plain Whoosh on one of our builds: its query parser, OR between words, top 10
    titles. What the search benchmark compares our planned search with."""
    index = whoosh_index.open_dir(str(build))
    searcher = index.searcher()
    parser = qparser.MultifieldParser(["names", "body"], index.schema, group=qparser.OrGroup)

    def run(query: str) -> list[str]:
        results = searcher.search(parser.parse(query), limit=10)
        len(results)  # scores every match, as a results count would
        return [hit["title"] for hit in results]

    return run
