"""The fix to Whoosh's mapped files: the same bytes as before, without the copy."""

from __future__ import annotations

import io
import tracemalloc

from hypothesis import given
from hypothesis import strategies as st
from whoosh.filedb import compound

from encyclopedia.search import Library
from encyclopedia.search.whoosh_fixes import MappedFile


def test_the_fix_is_in_place_once_the_search_package_is_imported():
    assert compound.BufferFile is MappedFile


@given(
    data=st.binary(max_size=300),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["read", "readline", "seek", "seek_cur", "seek_end"]),
            st.integers(-5, 320),
        ),
        max_size=20,
    ),
)
def test_a_mapped_file_reads_exactly_like_a_bytes_file(data: bytes, steps):
    mapped = MappedFile(memoryview(data))
    plain = io.BytesIO(data)
    for op, n in steps:
        if op == "read":
            assert mapped.read(n) == plain.read(n)
        elif op == "readline":
            assert mapped.file.readline(n) == plain.readline(n)
        elif op == "seek":
            mapped.seek(max(n, 0))
            plain.seek(max(n, 0))
        elif op == "seek_cur":
            target = max(plain.tell() + n, 0)
            mapped.seek(target - mapped.tell(), 1)
            plain.seek(target)
        else:
            mapped.seek(-min(abs(n), len(data)), 2)
            plain.seek(-min(abs(n), len(data)), 2)
        assert mapped.tell() == plain.tell()
    assert mapped.get(0, len(data)) == data


def test_opening_a_searcher_does_not_copy_the_index_onto_the_heap(medlineplus):
    _, index = medlineplus
    library = Library(index)
    library.search_uncached("asthma")  # warm: imports, tables
    snapshot = library.snapshot()
    tracemalloc.start()
    searcher = snapshot.index.searcher()
    searcher.search(__import__("whoosh.query").query.Term("body", "asthma"), limit=10)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    searcher.close()
    # The index is 6 MB on disk; copying its postings alone would be several MB.
    assert used < 1_500_000, f"{used / 1e6:.1f} MB allocated to open one searcher"
