"""Single-article updates: searchable at once, never lost during a full rebuild."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from encyclopedia.search import Library, PublishRefused, rebuild
from encyclopedia.search.builds import writer_lock
from encyclopedia.search.updating import update_after_save, update_article
from tests.conftest import write_article


@pytest.fixture
def published(tmp_path: Path, content: Path) -> tuple[Path, Path]:
    write_article(content, "asthma", "title: Asthma", "Airways narrow.\n")
    write_article(content, "stroke", "title: Stroke", "Blood flow stops.\n")
    rebuild(content, tmp_path / "index")
    return content, tmp_path / "index"


def test_an_edit_is_searchable_and_in_the_a_to_z_at_once(published):
    content, index = published
    library = Library(index, semantic=False)  # by words: meaning finds asthma already
    assert library.search("wheezing").total == 0
    write_article(
        content,
        "asthma",
        "title: Asthma\nalso_called: [Wheezing disease]",
        "Airways narrow and you hear wheezing.\n",
    )
    report = update_article(content, index, "asthma")
    assert report.action == "updated" and report.seconds < 1
    assert library.search("wheezing").hits[0].slug == "asthma"
    assert [e.name for e in library.site_map("w")] == ["Wheezing disease"]
    assert library.health(content).in_sync


def test_a_new_article_is_added_and_a_deleted_one_removed(published):
    content, index = published
    library = Library(index)
    write_article(content, "lupus", "title: Lupus", "An autoimmune disease.\n")
    assert update_article(content, index, "lupus").action == "added"
    assert library.search("lupus").hits[0].slug == "lupus"
    (content / "stroke.md").unlink()
    assert update_article(content, index, "stroke").action == "removed"
    assert library.search("stroke").total == 0 and library.article("stroke") is None
    assert library.health(content).in_sync


def test_a_broken_edit_is_refused_and_the_last_good_version_kept(published):
    content, index = published
    write_article(content, "asthma", "kind: condition", "No title now.\n")
    with pytest.raises(PublishRefused):
        update_article(content, index, "asthma")
    assert Library(index).search("asthma").hits[0].slug == "asthma"
    write_article(content, "asthma", "title: Stroke", "Same title as another.\n")
    with pytest.raises(PublishRefused) as refused:
        update_article(content, index, "asthma")
    assert "already the title of stroke.md" in str(refused.value.problems[0])
    assert Library(index).article("asthma").title == "Asthma"


def test_an_edit_saved_during_a_full_rebuild_is_in_the_published_index(published):
    content, index = published
    done = threading.Event()
    with writer_lock(index):  # a full rebuild holds the lock
        write_article(content, "asthma", "title: Asthma", "Now mentions bronchodilators.\n")
        thread = threading.Thread(
            target=lambda: (update_article(content, index, "asthma"), done.set())
        )
        thread.start()
        time.sleep(0.3)
        assert not done.is_set()  # it waits; it is not lost and does not fail
    thread.join(10)
    assert done.is_set()
    assert Library(index).search("bronchodilators").hits[0].slug == "asthma"


def test_a_save_never_fails_because_a_reindex_holds_the_writer(published):
    """What make load once reported as a failed save ("another reindex or update is
    running"): the update waits for the writer instead, and is applied when it is free."""
    content, index = published
    with writer_lock(index):
        write_article(content, "asthma", "title: Asthma", "Now mentions spacers.\n")
        later = update_after_save(content, index, ["asthma"], wait=0.1)
        assert later is not None and later.is_alive()
        assert Library(index).search("spacers").hits == ()
    later.join(10)
    assert Library(index).search("spacers").hits[0].slug == "asthma"
    write_article(content, "asthma", "title: Asthma", "Now mentions peak flow.\n")
    assert update_after_save(content, index, ["asthma"], wait=0.1) is None  # free: now
    assert Library(index).search("peak flow").hits[0].slug == "asthma"


def test_cli_update_reports_and_refuses(published):
    from click.testing import CliRunner

    from encyclopedia.cli import cli

    content, index = published
    args = ["--content-dir", str(content), "--index-dir", str(index), "update"]
    write_article(content, "asthma", "title: Asthma", "Edited.\n")
    result = CliRunner().invoke(cli, [*args, "asthma"])
    assert result.exit_code == 0 and "updated asthma in" in result.output
    write_article(content, "asthma", "title: [broken", "x\n")
    result = CliRunner().invoke(cli, [*args, "asthma"])
    assert result.exit_code == 1 and "keeps its last good version" in result.output


@pytest.mark.parametrize("slug", ["../asthma", "Asthma", "a/b", "", "asthma.md"])
def test_update_refuses_what_is_not_a_slug(published, slug: str):
    content, index = published
    with pytest.raises(PublishRefused) as refused:
        update_article(content, index, slug)
    assert "not a slug" in str(refused.value.problems[0])
    assert Library(index).search("asthma").hits[0].slug == "asthma"


def test_an_update_refuses_a_title_that_differs_only_by_accents(tmp_path: Path, content: Path):
    """One rule for "the same title": an update must refuse what reindex would refuse,
    or the site could no longer be reindexed until someone mends it by hand."""
    write_article(content, "meniere-disease", "title: Meniere disease", "Inner ear.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    write_article(content, "menieres", "title: Ménière Disease", "Inner ear too.\n")
    with pytest.raises(PublishRefused) as refused:
        update_article(content, index, "menieres")
    assert "already the title of meniere-disease" in refused.value.problems[0].message
    (content / "menieres.md").unlink()
    rebuild(content, index)  # the site can still be reindexed


def test_a_text_edit_keeps_the_name_tables_and_a_name_edit_remakes_them(published):
    """Readers of a build whose names did not change take the last snapshot's tables
    (Snapshot.adopt_tables) instead of making them again; a new name is never missed."""
    content, index = published
    library = Library(index, semantic=False)
    library.warm()
    before = library.snapshot()
    write_article(content, "asthma", "title: Asthma", "Airways narrow; inhalers help.\n")
    update_article(content, index, "asthma")
    assert library.search("inhalers").hits[0].slug == "asthma"
    after = library.snapshot()
    assert after is not before and after.suggestions is before.suggestions
    assert after.name_keys is before.name_keys and after.site_map is before.site_map
    write_article(content, "asthma", "title: Asthma\nalso_called: [Wheezing disease]", "Airways.\n")
    update_article(content, index, "asthma")
    renamed = library.snapshot()
    assert renamed.suggestions is not after.suggestions
    assert [s.name for s in library.suggest("wheez")] == ["Wheezing disease"]
    assert [e.name for e in library.site_map("w")] == ["Wheezing disease"]
    assert library.search("wheezing disease").hits[0].slug == "asthma"
