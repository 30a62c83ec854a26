"""Faults while serving: a reindex killed mid-way, a full disk, a damaged index folder.
Each leaves the site answering from the last good index, says so plainly, and the next
`encyclopedia reindex` recovers."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from encyclopedia import create_app
from encyclopedia.cli import cli
from encyclopedia.search import Library, rebuild
from encyclopedia.search.builds import BUILDS, current_build
from encyclopedia.search.reindex_status import reindex_status
from tests.conftest import write_article


def reindex_process(content: Path, index: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "encyclopedia",
            "--content-dir",
            str(content),
            "--index-dir",
            str(index),
            "reindex",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def serving(index: Path, content: Path):
    return create_app({"index_dir": index, "content_dir": content}).test_client()


def test_reindex_killed_mid_way_leaves_the_site_serving(tmp_path: Path, medlineplus):
    content, _ = medlineplus
    index = tmp_path / "index"
    rebuild(content, index)
    served = current_build(index)
    client = serving(index, content)
    assert client.get("/search?q=asthma").status_code == 200
    process = reindex_process(content, index)
    # Wait until the new build folder exists and is being written, then kill -9.
    deadline = time.monotonic() + 60
    while len(list((index / BUILDS).iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    workers = children(process.pid)
    assert workers, "the reindex should be rendering in worker processes by now"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    # Its rendering workers end with it rather than lingering as orphans.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    assert current_build(index) == served
    # The dashboard says so, rather than showing a reindex "running" for ever.
    assert reindex_status(index)["state"] == "stopped"
    response = client.get("/api/search?q=asthma")
    assert response.status_code == 200 and response.get_json()["results"][0]["slug"] == "asthma"
    result = CliRunner().invoke(
        cli, ["--content-dir", str(content), "--index-dir", str(index), "reindex", "--wait", "5"]
    )
    assert result.exit_code == 0, result.output
    assert current_build(index) != served
    assert [p for p in (index / BUILDS).iterdir()] and len(list((index / BUILDS).iterdir())) == 2


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_during_reindex_leaves_the_site_serving(tmp_path: Path, medlineplus):
    content, _ = medlineplus
    index = tmp_path / "index"
    rebuild(content, index)
    served = current_build(index)
    # Every write past 64 KiB fails with EFBIG, as a full disk fails with ENOSPC.
    process = reindex_process(content, index, preexec_fn=_limit_file_size)
    _, errors = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "Traceback" not in errors and "could not write" in errors
    assert current_build(index) == served
    assert len(list((index / BUILDS).iterdir())) == 1  # the partial build was removed
    assert serving(index, content).get("/search?q=asthma").status_code == 200
    assert rebuild(content, index).articles == 1017


def test_a_damaged_index_is_reported_and_an_older_build_served(tmp_path: Path, content_copy):
    index = tmp_path / "index"
    rebuild(content_copy, index)
    older = current_build(index)
    time.sleep(0.01)
    rebuild(content_copy, index)
    damaged = current_build(index)
    for segment in damaged.glob("*.seg"):
        segment.write_bytes(b"\0garbage")
    for toc in damaged.glob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:20])
    client = serving(index, content_copy)
    hit = client.get("/api/search?q=kyphoplasty").get_json()["results"][0]
    assert hit["slug"] == "kyphoplasty"
    # Still serving patients from the last good build: ready, so a load balancer keeps
    # it; the damage is reported in the body.
    health = client.get("/healthz")
    assert health.status_code == 200 and "damaged" in health.get_json()["error"]
    assert health.get_json()["status"] == "degraded"
    assert any("last good build" in w for w in health.get_json()["warnings"])
    assert health.get_json()["build"] == older.name
    result = CliRunner().invoke(
        cli, ["--content-dir", str(content_copy), "--index-dir", str(index), "check"]
    )
    assert result.exit_code == 1 and "damaged" in result.output
    rebuild(content_copy, index)
    assert client.get("/healthz").status_code == 200


def test_no_index_at_all_is_unhealthy_and_searches_say_unavailable(tmp_path: Path, content):
    client = serving(tmp_path / "none", content)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["status"] == "unavailable" and not health.get_json()["ready"]
    assert client.get("/api/search?q=x").status_code == 503


def test_healthz_reports_counts_and_reindex_time(client, shipped_index):
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok"
    assert data["index_articles"] == data["content_articles"] >= 40
    assert data["last_reindex"] and data["reindex_running"] is False


def test_healthz_stays_ready_when_content_changes(tmp_path: Path, content_copy: Path):
    """A new file not yet indexed is the librarians' warning, not a reason for a load
    balancer to take the site down."""
    index = tmp_path / "index"
    rebuild(content_copy, index)
    client = serving(index, content_copy)
    assert client.get("/healthz").status_code == 200
    shutil.copy(content_copy / "asthma.md", content_copy / "asthma-copy.md")
    (content_copy / "asthma-copy.md").write_text(
        (content_copy / "asthma.md").read_text().replace("title: Asthma", "title: Asthma 2")
    )
    response = client.get("/healthz")
    data = response.get_json()
    assert response.status_code == 200 and data["ready"]
    assert data["status"] == "degraded" and data["missing"] == ["asthma-copy"]
    assert data["index_matches_content"] is False
    assert Library(index).health(content_copy).missing == ["asthma-copy"]


def test_one_broken_file_leaves_healthz_ready_and_says_which(tmp_path: Path, content_copy: Path):
    index = tmp_path / "index"
    rebuild(content_copy, index)
    client = serving(index, content_copy)
    write_article(content_copy, "broken", "title: Broken\nreviewed: 2025-02-30")
    response = client.get("/healthz")
    data = response.get_json()
    assert response.status_code == 200
    assert (data["status"], data["ready"], data["index_matches_content"]) == (
        "degraded",
        True,
        False,
    )
    assert any("broken" in w and "check" in w for w in data["warnings"])
    assert client.get("/api/search?q=kyphoplasty").status_code == 200
