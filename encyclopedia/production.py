"""The production server: the one gunicorn command, and that server started as a child.

``encyclopedia serve --production`` runs :func:`command`; the benchmarks and the serving
tests run :func:`running`, so what they measure and test is what is deployed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from encyclopedia.config import PROJECT_ROOT


def command(bind: str, workers: int | None = None) -> list[str]:
    """The documented gunicorn command: what ``serve --production``, the benchmarks and
    the serving tests all run, so they cannot drift apart."""
    command = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py")]
    command += ["--bind", bind]
    if workers:
        command += ["--workers", str(workers)]
    return [*command, "encyclopedia:create_app()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(content: Path, index: Path) -> Iterator[int]:
    """gunicorn with the repo's config, serving ``content``/``index``; yields its port
    once every worker has warmed its index. Accepting connections is not enough: a
    second worker still warming gets none of the warm-up traffic, and its first
    searches (8-30 ms each) would be timed as if they were the steady state."""
    port = free_port()
    env = {
        **os.environ,
        "ENCYCLOPEDIA_CONTENT_DIR": str(content),
        "ENCYCLOPEDIA_INDEX_DIR": str(index),
    }
    workers = int(env.get("ENCYCLOPEDIA_WORKERS") or os.cpu_count() or 1)
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            command(f"127.0.0.1:{port}"),
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            for _ in range(1200):
                log.seek(0)
                text = log.read()
                warmed = text.count("index warmed in") + text.count("index not warmed")
                if warmed >= workers or server.poll() is not None:
                    break
                time.sleep(0.05)
            for _ in range(400):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                raise RuntimeError("gunicorn did not start")
            yield port
        finally:
            server.terminate()
            server.wait(20)
