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


class _HeldHeaders:
    """A worker's socket that holds the response's headers until the first body bytes,
    and sends both in one write."""

    def __init__(self, sock: socket.socket, headers: bytes):
        self._sock = sock
        self._headers: bytes | None = headers

    def sendall(self, data: bytes) -> None:
        if self._headers is not None:
            data, self._headers = self._headers + data, None
        self._sock.sendall(data)

    def sendfile(self, *args, **kwargs):
        self.flush()
        return self._sock.sendfile(*args, **kwargs)

    def flush(self) -> None:
        if self._headers is not None:
            headers, self._headers = self._headers, None
            self._sock.sendall(headers)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


def send_headers_with_body() -> None:
    """Make gunicorn send a response's headers and body in one write, not two.

    Why: a replica killed between the two writes (``kill -9``, a machine lost) left nginx
    holding a status line and headers it had already passed on, and no body; it cannot
    retry a response it has begun, so the patient got a truncated page (1 request in
    18,557 in `make cluster-test`). In one write, a kill comes before any byte (nginx
    retries on the next replica) or after the whole small response. gunicorn is pinned
    (pyproject.toml), and tests/test_serving.py checks the patch against that version."""
    from gunicorn.http import wsgi

    if getattr(wsgi.Response, "_headers_with_body", False):
        return
    close = wsgi.Response.close

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        lines = self.default_headers()
        lines.extend(f"{k}: {v}\r\n" for k, v in self.headers)
        self.sock = _HeldHeaders(self.sock, ("".join(lines) + "\r\n").encode("latin-1"))
        self.headers_sent = True

    def close_flushing(self) -> None:
        close(self)
        if isinstance(self.sock, _HeldHeaders):
            self.sock.flush()  # a response with no body: its headers alone

    wsgi.Response.send_headers = send_headers
    wsgi.Response.close = close_flushing
    wsgi.Response._headers_with_body = True
