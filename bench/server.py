"""The production server, started on a free loopback port for a benchmark."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from encyclopedia.cli import production_command

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(content: Path, index: Path) -> Iterator[int]:
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
            production_command(f"127.0.0.1:{port}"),
            env=env,
            cwd=ROOT,
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
