"""Building aside and switching atomically: the live index is never half-built or lost."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from encyclopedia.search import Library, PublishRefused, WriterBusy, publishing, rebuild
from encyclopedia.search.builds import BUILDS, CURRENT, current_build, writer_lock
from tests.conftest import write_article


def names_served(index: Path) -> set[str]:
    return {e.slug for e in Library(index).all_entries()}


def test_rebuild_publishes_every_article(content: Path, tmp_path: Path):
    write_article(content, "asthma", "title: Asthma")
    write_article(content, "stroke", "title: Stroke")
    report = rebuild(content, tmp_path / "index")
    assert report.articles == 2
    assert names_served(tmp_path / "index") == {"asthma", "stroke"}


def test_errors_refuse_to_publish_and_leave_the_live_index_alone(content: Path, tmp_path: Path):
    index = tmp_path / "index"
    write_article(content, "asthma", "title: Asthma")
    rebuild(content, index)
    before = (index / CURRENT).read_text()
    write_article(content, "broken", "kind: no title here")
    write_article(content, "stroke", "title: Stroke")
    with pytest.raises(PublishRefused) as refused:
        rebuild(content, index)
    assert "broken.md" in str(refused.value.problems[0])
    assert (index / CURRENT).read_text() == before
    assert names_served(index) == {"asthma"}
    assert len(list((index / BUILDS).iterdir())) == 1  # no half-built folder left behind


def test_skip_invalid_publishes_the_valid_articles_and_lists_the_rest(
    content: Path, tmp_path: Path
):
    write_article(content, "asthma", "title: Asthma")
    write_article(content, "broken", "kind: no title here")
    report = rebuild(content, tmp_path / "index", skip_invalid=True)
    assert report.articles == 1
    assert [Path(p.path).name for p in report.skipped] == ["broken.md"]
    assert names_served(tmp_path / "index") == {"asthma"}


def test_a_crash_mid_build_leaves_the_previous_index_serving(content: Path, tmp_path: Path):
    index = tmp_path / "index"
    write_article(content, "asthma", "title: Asthma")
    rebuild(content, index)
    served = current_build(index)
    write_article(content, "stroke", "title: Stroke")

    def explode(_article):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        rebuild(content, index, progress=explode)
    assert current_build(index) == served
    assert [p.name for p in (index / BUILDS).iterdir()] == [served.name]
    assert Library(index).search("asthma").total == 1


def test_a_second_writer_is_told_one_is_running(tmp_path: Path, content: Path):
    write_article(content, "asthma", "title: Asthma")
    with writer_lock(tmp_path / "index"), pytest.raises(WriterBusy, match="running"):
        rebuild(content, tmp_path / "index", wait=0.2)


def test_a_killed_writer_leaves_no_stale_lock(tmp_path: Path, content: Path):
    index = tmp_path / "index"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from encyclopedia.search.builds import writer_lock\n"
            f"with writer_lock(Path({str(index)!r})):\n"
            "    print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        write_article(content, "asthma", "title: Asthma")
        with pytest.raises(WriterBusy):
            rebuild(content, index, wait=0.1)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        assert rebuild(content, index, wait=5).articles == 1
    finally:
        holder.kill()
        holder.wait()


def test_library_picks_up_a_new_index_without_restart(tmp_path: Path, content: Path):
    index = tmp_path / "index"
    write_article(content, "asthma", "title: Asthma")
    rebuild(content, index)
    library = Library(index)
    assert library.search("stroke").total == 0
    first = library.version
    time.sleep(0.01)
    write_article(content, "stroke", "title: Stroke")
    rebuild(content, index)
    assert library.search("stroke").total == 1
    assert library.version != first


def test_old_builds_are_cleaned_up_keeping_the_previous_one(tmp_path: Path, content: Path):
    index = tmp_path / "index"
    write_article(content, "asthma", "title: Asthma")
    for _ in range(4):
        rebuild(content, index)
    assert len(list((index / BUILDS).iterdir())) == 2


def test_health_compares_the_index_with_content(tmp_path: Path, content: Path):
    index = tmp_path / "index"
    write_article(content, "asthma", "title: Asthma")
    write_article(content, "stroke", "title: Stroke")
    rebuild(content, index)
    library = Library(index)
    assert library.health(content).in_sync
    write_article(content, "asthma", "title: Asthma", "Edited but never reindexed.\n")
    write_article(content, "lupus", "title: Lupus")
    (content / "stroke.md").unlink()
    health = library.health(content)
    assert not health.in_sync
    assert (health.stale, health.missing, health.extra) == (["asthma"], ["lupus"], ["stroke"])


def test_health_without_an_index_is_unhealthy_not_an_error(tmp_path: Path, content: Path):
    health = Library(tmp_path / "nothing").health(content)
    assert not health.in_sync and "reindex" in health.error


def test_the_collector_is_paused_only_while_a_catalog_is_read():
    import gc

    from encyclopedia.search.builds import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner one leaves it to the outer
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a damaged catalog")
    assert gc.isenabled()


def test_a_build_in_parts_searches_as_a_build_in_one(medlineplus, tmp_path: Path, monkeypatch):
    """With several processes, each writes one part of the index and the parts are
    joined as segments: the same articles, counted and ranked as one writer's build."""
    content = medlineplus[0]
    monkeypatch.setattr(publishing, "PARTS_FROM", 10)
    seen = []
    report = rebuild(content, tmp_path / "parts", processes=2, progress=seen.append)
    assert report.articles == 1017 and len(seen) == 1017
    assert len({a.slug for a in seen}) == 1017
    build = current_build(tmp_path / "parts")
    with whoosh_index.open_dir(str(build)).searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
    assert not [p for p in build.iterdir() if p.name.startswith(".part")]
    # Each part's common words kept beside its segment, moved with it by the join.
    with whoosh_index.open_dir(str(build)).searcher() as searcher:
        segments = [r.segment().segment_id() for r, _ in searcher.reader().leaf_readers()]
    assert sorted(p.stem for p in build.glob("*.columns")) == sorted(segments)
    parts = Library(tmp_path / "parts", semantic=False)
    whole = Library(medlineplus[1], semantic=False)
    for text in ("high blood pressure", "diabetes", "broken bone", "zzqxv", "heart attack"):
        ours, theirs = parts.search(text), whole.search(text)
        assert [h.slug for h in ours.hits] == [h.slug for h in theirs.hits], text
        assert ours.total == theirs.total
    assert [e.name for e in parts.site_map("b")] == [e.name for e in whole.site_map("b")]
    assert parts.health(content).in_sync


def test_a_part_whose_process_dies_fails_the_build_and_the_live_index_stays(
    medlineplus, tmp_path: Path, monkeypatch
):
    content, index = medlineplus[0], tmp_path / "index"
    rebuild(content, index)
    live = (index / CURRENT).read_text()
    monkeypatch.setattr(publishing, "PARTS_FROM", 10)

    def kill_a_part(article) -> None:
        children = multiprocessing.active_children()
        if children:
            os.kill(children[0].pid, signal.SIGKILL)

    with pytest.raises(RuntimeError, match=r"ended with code|failed"):
        rebuild(content, index, processes=2, progress=kill_a_part)
    assert (index / CURRENT).read_text() == live
    assert [p.name for p in (index / BUILDS).iterdir()] == [live.strip()]
    assert not multiprocessing.active_children()
    assert Library(index, semantic=False).search("asthma").hits
