"""The only code that imports Whoosh.

- ``schema``: the fields, the analyzer and the BM25F weighting;
- ``writing``: a new index, or changes to one, committed or undone whole;
- ``reading``: one opened build, ranked and read by many threads;
- ``compile``: the project's query tree (``search.tree``) as Whoosh queries;
- ``ranking``: Whoosh's BM25F over whole posting lists in numpy;
- ``snippets``: the sentences that show why an article matched;
- ``fixes``: the one patch to Whoosh, applied when an index is opened or written;
- ``baseline``: plain Whoosh, for the relevance benchmark to compare with.

Swapping the engine means rewriting this package and nothing above it; the
conformance tests (``tests/test_engine.py``) say what any replacement must do.
"""
