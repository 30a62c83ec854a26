"""Building aside and switching atomically: the live index is never half-built or lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from encyclopedia.search import Library, PublishRefused, WriterBusy, rebuild
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
