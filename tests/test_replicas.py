"""One editor, read-only replicas: releases made by the editor, fetched with real rsync,
checked before they are served, and refused when damaged (search/releases.py,
search/replica.py). Each node is a separate folder, as separate machines would be."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from encyclopedia import create_app
from encyclopedia.cli import cli
from encyclopedia.production import free_port
from encyclopedia.search import Library, rebuild, releases
from encyclopedia.search.replica import PullFailed, pull, status
from encyclopedia.search.updating import update_article
from tests.cluster import damaged_copy

SHIPPED = Path(__file__).resolve().parent.parent / "content"


def test_make_test_installs_rsync():
    assert shutil.which("rsync"), "`make test` installs rsync (apt-get install rsync)"


@pytest.fixture
def editor(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """An editor node that makes a release after each publication."""
    monkeypatch.setenv("ENCYCLOPEDIA_RELEASES", "1")
    content = tmp_path / "editor" / "content"
    shutil.copytree(SHIPPED, content)
    index = tmp_path / "editor" / "index"
    rebuild(content, index)
    return content, index


def source_of(index: Path) -> str:
    return str(index / releases.RELEASES)


def edit(content: Path, slug: str, old: str, new: str) -> None:
    path = content / f"{slug}.md"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_each_publication_makes_a_release_with_a_manifest(editor):
    content, index = editor
    first = releases.latest(index)
    assert first
    manifest = releases.verify(index / releases.RELEASES / first)
    names = set(manifest["files"])
    assert "catalog.json" in names and "site/thesaurus.yaml" in names
    assert "site/pages/about.md" in names and any(n.startswith("site/media/") for n in names)
    edit(content, "kyphoplasty", "spine", "backbone")
    update_article(content, index, "kyphoplasty")
    second = releases.latest(index)
    assert second != first
    releases.verify(index / releases.RELEASES / second)
    # The first release is untouched by the update written into the live build.
    releases.verify(index / releases.RELEASES / first)


def test_no_release_without_the_setting(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("ENCYCLOPEDIA_RELEASES", raising=False)
    content = tmp_path / "content"
    shutil.copytree(SHIPPED, content)
    rebuild(content, tmp_path / "index")
    assert not (tmp_path / "index" / releases.RELEASES).exists()


def test_a_replica_serves_what_the_editor_published(editor, tmp_path: Path):
    content, index = editor
    replica = tmp_path / "replica" / "index"
    done = pull(source_of(index), replica)
    assert done.changed and done.release == releases.latest(index)
    served = Library(replica, thesaurus=replica / "site" / "thesaurus.yaml")
    published = Library(index, thesaurus=content / "thesaurus.yaml")
    for query in ("balloon kyphoplasty", "hart attack", "brittle bones"):
        assert [h.slug for h in served.search(query).hits] == [
            h.slug for h in published.search(query).hits
        ]
    # Nothing new: nothing fetched, and the replica says it is up to date.
    again = pull(source_of(index), replica)
    assert not again.changed and again.release == done.release
    assert status(replica)["latest"] == done.release and status(replica)["error"] is None


def test_a_save_on_the_editor_reaches_the_replica_by_the_next_pull(editor, tmp_path: Path):
    content, index = editor
    replica = tmp_path / "replica" / "index"
    pull(source_of(index), replica)
    edit(content, "kyphoplasty", "title: Kyphoplasty", "title: Kyphoplasty (spine)")
    update_article(content, index, "kyphoplasty")
    assert pull(source_of(index), replica).changed
    served = Library(replica, thesaurus=replica / "site" / "thesaurus.yaml")
    assert served.article("kyphoplasty").title == "Kyphoplasty (spine)"


def test_a_damaged_transfer_is_refused_and_the_last_good_release_kept(editor, tmp_path):
    _content, index = editor
    replica = tmp_path / "replica" / "index"
    good = pull(source_of(index), replica).release
    # A second editor folder whose newest release was damaged on the way (a copy, not
    # links: the editor's own release must stay whole).
    broken = tmp_path / "broken-editor"
    name = damaged_copy(index / releases.RELEASES, broken)
    with pytest.raises(PullFailed, match="refused"):
        pull(str(broken), replica)
    assert status(replica)["release"] == good and "refused" in status(replica)["error"]
    assert not (replica / "incoming" / name).exists()
    assert Library(replica).search("kyphoplasty").hits[0].slug == "kyphoplasty"


def test_an_unreachable_editor_leaves_the_replica_serving(editor, tmp_path: Path):
    _content, index = editor
    replica = tmp_path / "replica" / "index"
    good = pull(source_of(index), replica).release
    with pytest.raises(PullFailed, match="rsync"):
        pull(str(tmp_path / "no-such-editor"), replica)
    assert status(replica)["release"] == good
    app = create_app(
        {"index_dir": replica, "content_dir": replica / "site", "replica": True, "TESTING": True}
    )
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200  # still ready: it serves its last good release
    assert health.json["status"] == "degraded" and health.json["replica"]["release"] == good
    assert any("failed" in w for w in health.json["warnings"])
    assert client.get("/search?q=kyphoplasty").status_code == 200


def test_a_replica_is_read_only_and_reports_its_release(editor, tmp_path: Path):
    _content, index = editor
    replica = tmp_path / "replica" / "index"
    release = pull(source_of(index), replica).release
    app = create_app(
        {"index_dir": replica, "content_dir": replica / "site", "replica": True, "TESTING": True}
    )
    client = app.test_client()
    assert client.get("/librarian/").status_code == 404
    assert client.get("/librarian/login").status_code == 404
    health = client.get("/healthz").json
    assert health["status"] == "ok" and health["replica"]["latest"] == release
    assert "kyphoplasty" in client.get("/article/kyphoplasty").text.lower()
    assert client.get("/about").status_code == 200
    figure = next((replica / "site" / "media").iterdir()).name
    assert client.get(f"/media/{figure}").status_code == 200


def test_old_builds_are_removed_from_a_replica(editor, tmp_path: Path):
    content, index = editor
    replica = tmp_path / "replica" / "index"
    for number in range(3):
        edit(content, "kyphoplasty", "spine", f"spine{number}" if number == 0 else "spine")
        update_article(content, index, "kyphoplasty")
        pull(source_of(index), replica)
    assert len([p for p in (replica / "builds").iterdir() if p.is_dir()]) <= 2


def test_the_command_line_pulls_and_says_what_it_did(editor, tmp_path: Path):
    content, index = editor
    replica = tmp_path / "replica" / "index"
    runner = CliRunner()
    done = runner.invoke(cli, ["--index-dir", str(replica), "replica", "pull", source_of(index)])
    assert done.exit_code == 0 and "now serving" in done.output
    failed = runner.invoke(
        cli, ["--index-dir", str(replica), "replica", "pull", str(tmp_path / "nowhere")]
    )
    assert failed.exit_code == 1 and "still serving the last good release" in failed.output
    made = runner.invoke(cli, ["--index-dir", str(index), "--content-dir", str(content), "release"])
    assert made.exit_code == 0 and "Release" in made.output
    assert json.loads((replica / "replica.json").read_text())["release"]


def test_a_replica_fetches_through_an_rsync_daemon(editor, tmp_path: Path):
    """As on separate machines: the editor's releases served by rsync's own daemon on
    loopback (deploy/rsyncd.conf's settings, without chroot and users)."""
    _content, index = editor
    port = free_port()
    config = tmp_path / "rsyncd.conf"
    config.write_text(
        f"port = {port}\naddress = 127.0.0.1\nuse chroot = no\nread only = yes\n"
        f"pid file = {tmp_path / 'rsyncd.pid'}\n"
        f"[releases]\n    path = {index / releases.RELEASES}\n",
        encoding="utf-8",
    )
    daemon = subprocess.Popen(
        ["rsync", "--daemon", "--no-detach", f"--config={config}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        source = f"rsync://127.0.0.1:{port}/releases"
        replica = tmp_path / "replica" / "index"
        for _ in range(50):  # the daemon takes a moment to listen
            try:
                done = pull(source, replica)
                break
            except PullFailed:
                time.sleep(0.1)
        else:
            pytest.fail(status(replica).get("error"))
        assert done.changed and done.release == releases.latest(index)
        assert Library(replica).search("kyphoplasty").hits[0].slug == "kyphoplasty"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_a_release_that_cannot_be_stored_is_a_failed_pull_not_a_crash(editor, tmp_path):
    _content, index = editor
    replica = tmp_path / "replica" / "index"
    replica.mkdir(parents=True)
    (replica / "builds").write_text("a file where the builds folder should be")
    with pytest.raises(PullFailed, match="could not be stored"):
        pull(source_of(index), replica)
    assert "could not be stored" in status(replica)["error"]
    assert not (replica / "incoming").exists()


def test_the_editors_health_says_whether_the_replicas_have_its_build(editor, monkeypatch):
    content, index = editor
    app = create_app({"index_dir": index, "content_dir": content, "TESTING": True})
    health = app.test_client().get("/healthz").json
    assert health["releases"] == {"latest": releases.latest(index), "of_published_build": True}
    # A publication whose release could not be made leaves the replicas behind: said.
    edit(content, "kyphoplasty", "spine", "backbone")
    monkeypatch.setenv("ENCYCLOPEDIA_RELEASES", "0")
    update_article(content, index, "kyphoplasty")
    monkeypatch.setenv("ENCYCLOPEDIA_RELEASES", "1")
    health = app.test_client().get("/healthz").json
    assert health["releases"]["of_published_build"] is False
    assert any("newest release is not of the published build" in w for w in health["warnings"])


def test_a_site_file_changed_and_changed_back_makes_the_first_release_newest_again(editor):
    content, index = editor
    first = releases.latest(index)
    thesaurus = content / "thesaurus.yaml"
    original = thesaurus.read_text(encoding="utf-8")
    thesaurus.write_text(original + "\n# a comment\n", encoding="utf-8")
    changed = releases.after_site_change(index, content)
    assert changed is not None and releases.latest(index) == changed.version != first
    thesaurus.write_text(original, encoding="utf-8")
    releases.after_site_change(index, content)
    assert releases.latest(index) == first


def test_a_release_with_a_link_in_it_is_refused(editor, tmp_path: Path):
    """A link in a release could have a replica serve one of its own files as a figure."""
    _content, index = editor
    replica = tmp_path / "replica" / "index"
    good = pull(source_of(index), replica).release
    forged = tmp_path / "forged-editor"
    shutil.copytree(index / releases.RELEASES, forged)
    name = good + "-forged"
    shutil.copytree(forged / good, forged / name)
    secret = tmp_path / "replica-secret.txt"
    secret.write_text("a file of the replica's machine", encoding="utf-8")
    figure = next((forged / name / "site" / "media").iterdir())
    figure.unlink()
    figure.symlink_to(secret)
    (forged / releases.LATEST).write_text(name + "\n", encoding="utf-8")
    with pytest.raises(PullFailed, match="links are not allowed"):
        pull(str(forged), replica)
    assert status(replica)["release"] == good
