"""The fix to Whoosh's mapped files: the same bytes as before, without the copy."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from whoosh.filedb import compound

from encyclopedia.search.engine.fixes import MappedFile


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
