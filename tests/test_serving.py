"""The production server's own settings (gunicorn.conf.py), through real gunicorn."""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from encyclopedia.config import PROJECT_ROOT as ROOT
from encyclopedia.production import command as production_command
from encyclopedia.production import running as gunicorn
from encyclopedia.search import rebuild
from encyclopedia.search.updating import update_article
from tests.conftest import write_article


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


def test_pages_replayed_by_a_worker_are_whole_and_follow_a_save(tmp_path: Path):
    """Through gunicorn: replayed responses carry their headers and a correct length, and
    an update reaches the next visitor of either worker."""
    content = tmp_path / "content"
    content.mkdir()
    write_article(content, "asthma", "title: Asthma", "Airways narrow: wheezing.\n")
    shutil.copy(ROOT / "content" / "thesaurus.yaml", content / "thesaurus.yaml")
    index = tmp_path / "index"
    rebuild(content, index)

    def fetch(port: int, path: str) -> tuple[dict[str, str], str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request) as response:
            body = response.read()
            headers = dict(response.headers)
        assert int(headers["Content-Length"]) == len(body)
        assert headers["Content-Encoding"] == "gzip" and headers["Content-Security-Policy"]
        return headers, gzip.decompress(body).decode()

    with gunicorn(content, index) as port:
        seen = [fetch(port, "/article/asthma") for _ in range(6)]  # new connections each
        assert all("wheezing" in html for _, html in seen)
        assert len({headers["ETag"] for headers, _ in seen}) == 1
        write_article(content, "asthma", "title: Asthma", "Airways narrow: whistling.\n")
        update_article(content, index, "asthma")
        for _ in range(6):
            assert "whistling" in fetch(port, "/article/asthma")[1]
            assert "/article/asthma" in fetch(port, "/search?q=whistling")[1]


def test_gunicorn_sends_a_responses_headers_and_body_in_one_write():
    """So a replica killed mid-response never leaves nginx a status line without its body
    (production.send_headers_with_body); checked on gunicorn's own Response, the pinned
    version, writing to a real socket."""
    from gunicorn.config import Config
    from gunicorn.http import wsgi

    from encyclopedia.production import send_headers_with_body

    send_headers_with_body()
    left, right = socket.socketpair()
    writes: list[bytes] = []

    class Recorded:  # the real socket, each write it is given noted
        def sendall(self, data: bytes) -> None:
            writes.append(bytes(data))
            left.sendall(data)

        def __getattr__(self, name: str):
            return getattr(left, name)

    request = SimpleNamespace(version=(1, 1), method="GET", headers=[], should_close=lambda: False)
    try:
        for body in (b"hello", b""):
            writes.clear()
            response = wsgi.Response(request, Recorded(), Config())
            length = str(len(body))
            response.start_response("200 OK", [("Content-Length", length)])
            if body:
                response.write(body)
            response.close()
            assert len(writes) == 1, writes
            assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
            assert writes[0].endswith(b"\r\n\r\n" + body)
            assert right.recv(65536) == writes[0]
    finally:
        left.close()
        right.close()
