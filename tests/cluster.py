"""`make cluster-test`: nginx, an editor and two replicas on loopback, as separate machines.

Each node is its own processes and its own folders (content, index, instance); they
share nothing but the network: the editor's releases travel by rsync's daemon, patients'
requests by nginx (Debian's, with the repository's own ``deploy/nginx/locations.conf``).
Checked, in order:

1. a librarian's save on the editor (through nginx) is served by both replicas within 5 s;
2. failed searches made on the replicas are counted on the editor, each exactly once;
3. ``kill -9`` of one replica's whole server during load through nginx fails no request;
4. with the editor stopped (web and rsync), the replicas keep serving;
5. a damaged release is refused, and the replica keeps serving its build.

Everything started is stopped at the end, whatever happens. ``--short`` (run by ``make
test``) shortens the load from 30 s to 4 s; the checks are the same.

    python -m tests.cluster [--short] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCATIONS = ROOT / "deploy" / "nginx" / "locations.conf"
PASSWORD = "correct horse battery staple"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's, often outside a user's PATH
# Started by root (CI), nginx's workers would run as nobody and could not write their
# temporary files into our private folders: they run as root then, as everything else.
NGINX_USER = "user root;\n" if os.geteuid() == 0 else ""
SAVE_DEADLINE = 5.0
LOAD_PATHS = (
    "/search?q=balloon+kyphoplasty",
    "/search?q=hart+attack",
    "/search?q=brittle+bones",
    "/article/asthma",
    "/article/stroke",
    "/a-z/k",
    "/api/search?q=diabetes",
    "/api/suggest?q=ost",
)


sys.path.insert(0, str(ROOT))
from encyclopedia.production import free_port  # noqa: E402


class ClusterFailed(Exception):
    pass


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def wait_for(what: str, check: Callable[[], bool], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise ClusterFailed(f"{what}: not within {seconds:.0f} s")


class Node:
    """One machine: its folders, its environment, the processes it runs."""

    def __init__(self, root: Path, name: str, **env: str):
        self.name = name
        self.folder = root / name
        self.folder.mkdir(parents=True)
        self.index = self.folder / "index"
        self.env = {
            **os.environ,
            "ENCYCLOPEDIA_INDEX_DIR": str(self.index),
            "ENCYCLOPEDIA_INSTANCE_DIR": str(self.folder / "instance"),
            "ENCYCLOPEDIA_WORKERS": "1",
            "ENCYCLOPEDIA_THREADS": "4",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "encyclopedia"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise ClusterFailed(f"{self.name}: encyclopedia {' '.join(args)}: {done.stderr}")
        return done.stdout

    def start(self, label: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{label}.log", "ab")  # noqa: SIM115 - kept with the process
        process = subprocess.Popen(
            command,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes its workers too
        )
        self.processes[label] = process
        return process

    def serve(self, port: int) -> None:
        self.port = port
        self.start("web", [str(BIN / "encyclopedia"), "serve", "--production", "--port", str(port)])

    def kill(self, label: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(label, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for label in list(self.processes):
            self.kill(label, signal.SIGTERM)


def rsync_daemon(node: Node, port: int, path: Path) -> None:
    config = node.folder / "rsyncd.conf"
    config.write_text(
        f"port = {port}\naddress = 127.0.0.1\nuse chroot = no\nread only = yes\n"
        f"pid file = {node.folder / 'rsyncd.pid'}\n[releases]\n    path = {path}\n",
        encoding="utf-8",
    )
    (node.folder / "rsyncd.pid").unlink(missing_ok=True)
    node.start("rsync", ["rsync", "--daemon", "--no-detach", f"--config={config}"])


def nginx_config(
    folder: Path,
    port: int,
    replicas: list[int],
    editor: int,
    *,
    http_extra: str = "",
    server_extra: str = "",
) -> Path:
    """A loopback nginx around the repository's own rules (deploy/nginx/locations.conf):
    the cluster test's, and the proxy-cache benchmark's with its cache added."""
    temp = folder / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    servers = "".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in replicas
    )
    config = folder / "nginx.conf"
    config.write_text(
        f"""daemon off;
{NGINX_USER}worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{http_extra}
    upstream replicas {{
{servers}        keepalive 16;
    }}
    upstream editor {{
        server 127.0.0.1:{editor};
    }}
    server {{
        listen 127.0.0.1:{port};
{server_extra}
        include {LOCATIONS};
    }}
}}
""",
        encoding="utf-8",
    )
    return config


def start_nginx(folder: Path, config: Path) -> subprocess.Popen:
    log = open(folder / "stdout.log", "ab")  # noqa: SIM115 - kept with the process
    return subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def nginx(root: Path, port: int, replicas: list[int], editor: int) -> subprocess.Popen:
    folder = root / "nginx"
    return start_nginx(folder, nginx_config(folder, port, replicas, editor))


class Browser:
    """A librarian's browser: cookies kept, forms sent back with their CSRF token."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")


def librarian_save(port: int, name: str) -> None:
    """Sign in through nginx and add an other name to Asthma, as the edit page would."""
    from tests.conftest import csrf_token, form_data

    browser = Browser(port)
    _, page = browser.request("/librarian/login")
    status, _ = browser.request(
        "/librarian/login", {"csrf_token": csrf_token(page), "name": "ann", "password": PASSWORD}
    )
    if status != 303:
        raise ClusterFailed(f"signing in on the editor through nginx answered {status}")
    _, page = browser.request("/librarian/edit/asthma")
    form = form_data(page)
    form.update(also_called=form["also_called"] + "\n" + name, save="Save")
    status, said = browser.request("/librarian/edit/asthma", form)
    if status != 303:
        raise ClusterFailed(f"the save answered {status}: {said[:300]}")


def load(port: int, seconds: float, during: Callable[[], None]) -> tuple[int, int]:
    """Requests through nginx from 6 threads for ``seconds``; ``during`` runs a third of
    the way in. Returns (requests, failures): anything but a 200 is a failure."""
    stop = time.monotonic() + seconds
    counts = {"requests": 0, "failures": 0}
    failures: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        turn = number
        while time.monotonic() < stop:
            path = LOAD_PATHS[turn % len(LOAD_PATHS)]
            turn += 1
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                said = f"{response.status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                ok, said = False, f"{type(exc).__name__} {path}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                counts["requests"] += 1
                if not ok:
                    counts["failures"] += 1
                    failures.append(said)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 3)
    during()
    for thread in threads:
        thread.join()
    if failures:
        print("failed requests:", ", ".join(failures[:10]))
    return counts["requests"], counts["failures"]


def damaged_copy(releases: Path, into: Path) -> str:
    """The editor's releases with a newer one whose index segment was damaged on the way."""
    shutil.copytree(releases, into)
    good = (into / "LATEST").read_text(encoding="utf-8").strip()
    name = good + "-damaged"
    shutil.copytree(into / good, into / name)
    segment = next(p for p in (into / name).iterdir() if p.suffix == ".seg")
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    later = segment.stat().st_mtime + 10
    os.utime(segment, (later, later))
    (into / "LATEST").write_text(name + "\n", encoding="utf-8")
    return name


def run(root: Path, seconds: float) -> list[str]:
    said: list[str] = []
    started = time.monotonic()
    ports = {name: free_port() for name in ("nginx", "editor", "rsync", "r1", "r2")}
    token = "cluster-" + os.urandom(8).hex()
    editor = Node(root, "editor", ENCYCLOPEDIA_RELEASES="1", ENCYCLOPEDIA_REPLICA_TOKEN=token)
    content = editor.folder / "content"
    shutil.copytree(ROOT / "content", content)
    editor.env["ENCYCLOPEDIA_CONTENT_DIR"] = str(content)
    editor.run("reindex")
    sys.path.insert(0, str(ROOT))
    from encyclopedia.config import Settings
    from encyclopedia.librarian import Workspace

    Workspace.from_settings(
        Settings.from_env(instance_dir=editor.folder / "instance", content_dir=content)
    ).accounts.add("ann", PASSWORD)
    releases = editor.index / "releases"
    rsync_daemon(editor, ports["rsync"], releases)
    editor.serve(ports["editor"])
    source = f"rsync://127.0.0.1:{ports['rsync']}/releases"
    replicas = [
        Node(
            root,
            name,
            ENCYCLOPEDIA_REPLICA="1",
            ENCYCLOPEDIA_REPLICA_TOKEN=token,
            ENCYCLOPEDIA_EDITOR_URL=f"http://127.0.0.1:{ports['editor']}",
        )
        for name in ("replica-1", "replica-2")
    ]
    nodes = [editor, *replicas]
    proxy = None
    try:
        wait_for("the editor's rsync daemon", lambda: _pulls(replicas[0], source), 10)
        for replica, port in zip(replicas, (ports["r1"], ports["r2"]), strict=True):
            if replica is not replicas[0]:
                replica.run("replica", "pull", source)
            replica.start(
                "follow",
                [str(BIN / "encyclopedia"), "replica", "follow", source, "--every", "0.5"],
            )
            replica.serve(port)
        proxy = nginx(root, ports["nginx"], [ports["r1"], ports["r2"]], ports["editor"])
        for node in nodes:
            wait_for(f"{node.name} serving", lambda n=node: get(n.port, "/healthz")[0] == 200, 30)
        wait_for("nginx", lambda: get(ports["nginx"], "/healthz")[0] == 200, 10)
        said.append(
            f"started nginx, an editor and two replicas in {time.monotonic() - started:.1f} s"
        )

        # 1. A librarian's save reaches both replicas.
        name = f"Cluster check {int(time.time())}"
        librarian_save(ports["nginx"], name)
        saved = time.monotonic()
        for replica in replicas:
            wait_for(
                f"the save served by {replica.name}",
                lambda r=replica: name in get(r.port, "/article/asthma")[1],
                SAVE_DEADLINE - (time.monotonic() - saved),
            )
        said.append(
            f"a save on the editor served by both replicas after "
            f"{time.monotonic() - saved:.2f} s (limit {SAVE_DEADLINE:.0f} s)"
        )

        # 2. What patients write back on the replicas reaches the editor, each count once.
        # Letters only: a query with a long number is never kept (it may be a phone number).
        query = "zzqx blorf " + "".join(chr(97 + b % 26) for b in os.urandom(6))
        for _ in range(10):
            get(ports["nginx"], "/search?q=" + urllib.parse.quote_plus(query))
        waited = wait_for(
            "the replicas' failed searches counted on the editor",
            lambda: _failed_count(editor, query) >= 10,
            15,
        )
        time.sleep(1.5)  # further rounds of sending must not add them again
        if _failed_count(editor, query) != 10:
            raise ClusterFailed(f"the editor counted {_failed_count(editor, query)}, not 10")
        said.append(
            f"10 failed searches through nginx counted exactly 10 times on the editor "
            f"after {waited:.1f} s"
        )

        # 3. kill -9 of one replica under load.
        requests, failures = load(
            ports["nginx"], seconds, lambda: replicas[0].kill("web", signal.SIGKILL)
        )
        if failures:
            raise ClusterFailed(f"{failures} of {requests} requests failed while a replica died")
        said.append(
            f"{requests} requests through nginx in {seconds:.0f} s, replica-1 killed with "
            "SIGKILL a third of the way: 0 failed"
        )

        # 4. The editor stops; the other replica serves on.
        editor.stop()
        for path in LOAD_PATHS:
            status, _ = get(ports["nginx"], path)
            if status != 200:
                raise ClusterFailed(f"{path} answered {status} with the editor stopped")
        wait_for(
            "replica-2 noticing the editor is gone",
            lambda: bool(_status(replicas[1]).get("error")),
            10,
        )
        health = json.loads(get(replicas[1].port, "/healthz")[1])
        if health["status"] != "degraded" or not health["ready"]:
            raise ClusterFailed(f"replica-2's health with the editor gone: {health['status']}")
        said.append(
            "editor stopped: every page still served by replica-2, "
            "whose /healthz says degraded (200)"
        )

        # 5. A damaged release is refused; the replica keeps its build.
        serving = _status(replicas[1])["release"]
        damaged = damaged_copy(releases, root / "damaged-releases")
        rsync_daemon(editor, ports["rsync"], root / "damaged-releases")
        wait_for(
            "replica-2 refusing the damaged release",
            lambda: "refused" in str(_status(replicas[1]).get("error")),
            15,
        )
        if _status(replicas[1])["release"] != serving or damaged in _current(replicas[1]):
            raise ClusterFailed("replica-2 switched to a damaged release")
        if name not in get(replicas[1].port, "/article/asthma")[1]:
            raise ClusterFailed("replica-2 stopped serving its build")
        said.append("a damaged release refused by replica-2, which kept serving its build")
    finally:
        if proxy is not None:
            os.killpg(proxy.pid, signal.SIGTERM)
            proxy.wait(timeout=10)
        for node in nodes:
            node.stop()
    said.append(f"all stopped; {time.monotonic() - started:.1f} s in all")
    return said


def _pulls(replica: Node, source: str) -> bool:
    try:
        replica.run("replica", "pull", source)
    except ClusterFailed:
        return False
    return True


def _failed_count(editor: Node, query: str) -> int:
    import sqlite3

    from encyclopedia.config import Settings

    path = Settings(instance_dir=editor.folder / "instance").database_path
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT count FROM failed_searches WHERE query = ?", (query,)).fetchone()
    return row[0] if row else 0


def _status(node: Node) -> dict:
    try:
        return json.loads((node.index / "replica.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _current(node: Node) -> str:
    return (node.index / "CURRENT").read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="4 s of load instead of 30")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' folders")
    args = parser.parse_args()
    for tool in (NGINX, "rsync"):
        if not shutil.which(tool):
            print(f"{tool} is not installed (make cluster-test installs it)")
            return 2
    root = Path(tempfile.mkdtemp(prefix="encyclopedia-cluster-"))
    try:
        for line in run(root, 4.0 if args.short else 30.0):
            print(line)
    except ClusterFailed as exc:
        print(f"FAILED: {exc} (logs in {root})")  # kept, to be read
        return 1
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print("cluster test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
