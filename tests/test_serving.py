"""The production server's own settings (gunicorn.conf.py), through real gunicorn."""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

from bench.server import ROOT, gunicorn
from encyclopedia.cli import production_command


def start_second(port: int, shipped_index: tuple[Path, Path]) -> subprocess.CompletedProcess:
    content, index = shipped_index
    return subprocess.run(
        production_command(f"127.0.0.1:{port}"),
        env={
            "PATH": "/usr/bin:/bin",
            "ENCYCLOPEDIA_CONTENT_DIR": str(content),
            "ENCYCLOPEDIA_INDEX_DIR": str(index),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_server_on_a_busy_port_is_refused_and_the_first_keeps_serving(shipped_index):
    # Each worker binds with SO_REUSEPORT, so without the check a second server would
    # quietly take half the first one's traffic.
    content, index = shipped_index
    with gunicorn(content, index) as port:
        second = start_second(port, shipped_index)
        assert second.returncode != 0
        assert f"127.0.0.1:{port} is already in use" in second.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=kyphoplasty") as page:
            assert page.status == 200 and b"Kyphoplasty" in page.read()


def test_port_zero_is_refused_with_a_reason(shipped_index):
    second = start_second(0, shipped_index)
    assert second.returncode != 0 and "give a port" in second.stderr
