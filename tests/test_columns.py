"""A segment's common words kept as arrays beside it (``engine/columns.py``): they must
hold exactly what Whoosh's blocks hold, rank exactly as Whoosh ranks, travel and go with
their segment, and never be used when they do not fit the segment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from encyclopedia.search import Library
from encyclopedia.search.builds import current_build
from encyclopedia.search.engine import blocks, columns, fixes
from encyclopedia.search.engine.blocks import POSITION_BITS
from tests.test_engine import MORE, RELEVANCE, conforms


def copy_with_columns(shipped_index: tuple[Path, Path], root: Path, min_docs: int) -> Path:
    """A copy of the shipped index whose columns keep every word in ``min_docs``
    articles or more (the shipped 62 articles have no word in the default 128)."""
    content, index = root / "content", root / "index"
    shutil.copytree(shipped_index[0], content)
    shutil.copytree(shipped_index[1], index)
    build = current_build(index)
    for old in build.glob(f"*{columns.SUFFIX}"):
        old.unlink()
    columns.write(build, min_docs=min_docs)
    return build


def kept_in(build: Path) -> list[columns.Columns]:
    fixes.apply()
    with whoosh_index.open_dir(str(build)).searcher() as searcher:
        return [
            found
            for leaf, _ in searcher.reader().leaf_readers()
            if (found := columns.of(blocks.segment_key(leaf))) is not None
        ]


def test_the_columns_hold_exactly_the_postings_and_positions_whoosh_holds(
    tmp_path: Path, shipped_index
):
    build = copy_with_columns(shipped_index, tmp_path, min_docs=1)
    (kept,) = kept_in(build)
    assert len(kept.terms) > 3_000 and {"body", "names"} <= kept.with_positions
    compared = 0
    with whoosh_index.open_dir(str(build)).searcher() as searcher:
        reader = searcher.reader()
        everyone = np.arange(reader.doc_count_all(), dtype=np.int64)
        for field, text in kept.terms:
            matcher = reader.postings(field, text)
            ids, weights, positions = [], [], []
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(matcher.weight())
                if field in kept.with_positions:
                    positions += [
                        (matcher.id() << POSITION_BITS) + p for p in matcher.value_as("positions")
                    ]
                matcher.next()
            frequency = reader.doc_frequency(field, text)
            docs, tf = kept.postings(field, text, frequency)
            assert docs.tolist() == ids and tf.tolist() == weights, (field, text)
            if field in kept.with_positions:
                assert kept.positions(field, text, frequency, everyone).tolist() == positions
                some = everyone[::3]
                wanted = [k for k in positions if (k >> POSITION_BITS) % 3 == 0]
                assert kept.positions(field, text, frequency, some).tolist() == wanted
            else:
                assert kept.positions(field, text, frequency, everyone) is None
            compared += 1
        # A count that is not Whoosh's own says the file is not this segment's: unused.
        field, text = next(iter(kept.terms))
        assert kept.postings(field, text, reader.doc_frequency(field, text) + 1) is None
    assert compared == len(kept.terms)


def test_ranking_from_the_columns_is_whoosh_ranking(tmp_path: Path, shipped_index):
    """Every word kept, so every planned query ranks from the columns; the conformance
    suite's own check (same documents, scores and count as Whoosh, no slow path)."""
    build = copy_with_columns(shipped_index, tmp_path, min_docs=1)
    library = Library(
        tmp_path / "index", thesaurus=tmp_path / "content" / "thesaurus.yaml", semantic=False
    )
    compared, found = conforms(library, [*RELEVANCE, *MORE])
    assert compared > 250 and found > 1_000
    assert blocks.SLOW_PATHS["columns disagree with the segment"] == 0
    assert kept_in(build)  # and the columns were there to be used


def test_the_medlineplus_build_keeps_its_common_words(medlineplus):
    """At 1,017 articles the default rule keeps some words: the conformance suite's
    run on these topics (test_engine) is then a run on the columns."""
    (kept,) = kept_in(current_build(medlineplus[1]))
    assert 100 < len(kept.terms) < 5_000
    assert ("body", "blood") in kept.terms


@pytest.mark.parametrize(
    "damage",
    ["truncated", "not columns", "another segment's", "arrays past the end", "empty"],
)
def test_a_columns_file_that_does_not_fit_is_not_used(tmp_path: Path, shipped_index, damage):
    build = copy_with_columns(shipped_index, tmp_path, min_docs=1)
    (path,) = [p for p in build.glob(f"*{columns.SUFFIX}") if p.stat().st_size > 1_000]
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "not columns":
        path.write_bytes(b"<html>" + data[6:])
    elif damage == "another segment's":
        path.write_bytes(data.replace(path.stem.encode(), b"MAIN_" + b"z" * 16, 1))
    elif damage == "arrays past the end":
        magic, length = columns._HEADER.unpack(data[: columns._HEADER.size])
        header = json.loads(data[columns._HEADER.size : columns._HEADER.size + length])
        header["arrays"]["positions"][2] = 10**9
        encoded = json.dumps(header).encode()
        path.write_bytes(
            columns._HEADER.pack(magic, len(encoded))
            + encoded
            + data[columns._HEADER.size + len(encoded) :]
        )
    else:
        path.write_bytes(b"")
    assert not kept_in(build)
    library = Library(
        tmp_path / "index", thesaurus=tmp_path / "content" / "thesaurus.yaml", semantic=False
    )
    compared, _ = conforms(library, [*RELEVANCE[:40], *MORE])
    assert compared > 30
    assert library.search("asthma").hits[0].slug == "asthma"


def test_columns_go_with_their_segment_when_whoosh_merges_it(tmp_path: Path, shipped_index):
    """Named for the segment, the file is Whoosh's to delete when a merge drops it; the
    merged segment, without columns, is read from Whoosh's blocks."""
    build = copy_with_columns(shipped_index, tmp_path, min_docs=1)
    (old,) = [p for p in build.glob(f"*{columns.SUFFIX}")]
    index = whoosh_index.open_dir(str(build))
    writer = index.writer()
    writer.delete_by_term("slug", "asthma")
    writer.commit(optimize=True)
    index.close()
    assert not old.exists()
    assert not kept_in(build)
    library = Library(
        tmp_path / "index", thesaurus=tmp_path / "content" / "thesaurus.yaml", semantic=False
    )
    assert "asthma" not in [h.slug for h in library.search("asthma").hits]
    assert library.search("heart attack").hits
