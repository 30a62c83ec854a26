"""The same text and queries in tantivy, the fastest engine reachable here: the yardstick
issue 19 measures this project's search against (ours at most 3x tantivy's p95 at 4,000
articles, 6x at 50,000).

tantivy (PyPI ``tantivy``, Rust, Apache-2.0) is a benchmark dependency only
(``pip install -e '.[bench]'``, which ``make bench`` does); without it the benchmark
says so and goes on. The index holds what ours searches: each article's names and its
text (the summary and every section but the references), English-stemmed, and the
search asks both fields, top 10 with a highlighted snippet of the text, as ours does.
"""

from __future__ import annotations

import time
from pathlib import Path

from encyclopedia.articles import load_folder
from encyclopedia.search.documents import index_document


def tantivy_figures(content: Path, work: Path, queries: list[str], timer) -> dict | None:
    """Build time, index size and search timings (first pass, then ``timer``'s rounds)."""
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("slug", stored=True, tokenizer_name="raw")
    builder.add_text_field("names", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    schema = builder.build()
    folder = work / f"tantivy-{content.name}"
    if folder.exists():
        for path in folder.iterdir():
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    articles = [a for a in load_folder(content).articles.values() if a.lang == "en"]
    started = time.perf_counter()
    documents = [index_document(article) for article in articles]
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=256 * 2**20, num_threads=2)
    for document in documents:
        writer.add_document(
            tantivy.Document(slug=document["slug"], names=document["names"], body=document["body"])
        )
    writer.commit()
    writer.wait_merging_threads()
    built = time.perf_counter() - started
    index.reload()
    searcher = index.searcher()

    def search(text: str) -> list[str]:
        if not text.strip():
            return []
        query = index.parse_query_lenient(text, ["names", "body"])[0]
        found = searcher.search(query, 10)
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
        shown = []
        for _score, address in found.hits:
            document = searcher.doc(address)
            snippets.snippet_from_doc(document).to_html()
            shown.append(document["slug"][0])
        return shown

    first: list[float] = []
    timings = timer(search, first=first)
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6
    return {"build_s": built, "index_mb": size, "timings": timings, "first": first}
