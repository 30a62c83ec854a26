"""Faults under load: ``.venv/bin/python bench/load.py [--seconds 60]``.

Serves the 1,017 MedlinePlus topics with gunicorn on loopback; client threads search,
ask for suggestions and read articles for the whole run while, at the same time, full
reindexes run back to back and a librarian saves articles (each save followed by a
single-article update). Reports throughput, p50 and p99 per kind of request and the
errors, which must be zero; then checks that the same queries find the same articles
as before. Bounded: it stops by itself after --seconds, and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpora  # noqa: E402
from encyclopedia.production import running as gunicorn  # noqa: E402
from encyclopedia.search import PublishRefused, rebuild  # noqa: E402
from encyclopedia.search.updating import update_after_save  # noqa: E402

QUERIES = [
    "asthma",
    "heart attack",
    "tummy ache",
    "diabetis",
    "high blood pressure",
    "what is lupus",
    "kidney stones",
    "slipped disc",
    "anaemia",
    "flu shot",
    "broken bone",
    "migraine",
    "hart attack",
    "copd",
    "sleep apnea",
]


def top_slugs(port: int) -> dict[str, list[str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    found = {}
    for query in QUERIES:
        connection.request("GET", f"/api/search?q={quote(query)}&limit=3")
        found[query] = [r["slug"] for r in json.loads(connection.getresponse().read())["results"]]
    connection.close()
    return found


class Client(threading.Thread):
    def __init__(self, port: int, paths: dict[str, list[str]], stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.port, self.paths, self.stop, self.random = port, paths, stop, random.Random(seed)
        self.timings: dict[str, list[float]] = {kind: [] for kind in paths}
        self.errors: list[str] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        kinds = list(self.paths)
        while not self.stop.is_set():
            kind = self.random.choice(kinds)
            path = self.random.choice(self.paths[kind])
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status not in (200, 304):
                    self.errors.append(f"{response.status} {path}")
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{type(exc).__name__} {path}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            self.timings[kind].append((time.perf_counter() - started) * 1000)
        connection.close()


def librarian(content: Path, index: Path, stop: threading.Event, counts: dict) -> None:
    """Save articles over and over, each followed by the update the editor makes (now, or
    after a running reindex: ``update_after_save``)."""
    slugs = sorted(p.stem for p in content.glob("*.md"))[::50]
    while not stop.is_set():
        for slug in slugs:
            if stop.is_set():
                break
            path = content / f"{slug}.md"
            original = path.read_text(encoding="utf-8")
            for text in (original.rstrip() + "\n\nReviewed during the load test.\n", original):
                path.write_text(text, encoding="utf-8")
                try:
                    later = update_after_save(content, index, [slug], wait=2.0)
                    counts["saves"] += 1
                    if later is not None:
                        counts["deferred"].append(later)
                except (PublishRefused, OSError) as exc:
                    counts["save_errors"].append(f"{slug}: {exc}")


def reindexer(content: Path, index: Path, stop: threading.Event, counts: dict) -> None:
    while not stop.is_set():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "encyclopedia",
                "--content-dir",
                str(content),
                "--index-dir",
                str(index),
                "reindex",
                "--wait",
                "60",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if result.returncode:
            counts["reindex_errors"].append(result.stderr[-500:])
        else:
            counts["reindexes"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="encyclopedia-load-") as tmp:
        content = corpora.medlineplus(Path(tmp) / "content")
        shutil.copy(ROOT / "content" / "thesaurus.yaml", content / "thesaurus.yaml")
        index = Path(tmp) / "index"
        rebuild(content, index, processes=1)
        with gunicorn(content, index) as port:
            before = top_slugs(port)
            slugs = sorted(p.stem for p in content.glob("*.md"))
            paths = {
                "search page": [f"/search?q={quote(q)}" for q in QUERIES],
                "search API": [f"/api/search?q={quote(q)}&page=2" for q in QUERIES],
                "suggestions": [f"/api/suggest?q={quote(q[:4])}" for q in QUERIES],
                "article pages": [f"/article/{slug}" for slug in slugs],
            }
            stop = threading.Event()
            counts: dict = {
                "saves": 0,
                "deferred": [],  # saves whose update waited for a reindex to finish
                "reindexes": 0,
                "save_errors": [],
                "reindex_errors": [],
            }
            clients = [Client(port, paths, stop, seed) for seed in range(args.clients)]
            writers = [
                threading.Thread(target=librarian, args=(content, index, stop, counts)),
                threading.Thread(target=reindexer, args=(content, index, stop, counts)),
            ]
            started = time.perf_counter()
            for thread in clients + writers:
                thread.start()
            time.sleep(args.seconds)
            stop.set()
            for thread in clients:
                thread.join(15)
            elapsed = time.perf_counter() - started
            for thread in writers + counts["deferred"]:
                thread.join(120)
            rebuild(content, index)  # content is back as it was: publish it once more
            after = top_slugs(port)

    total = sum(len(t) for c in clients for t in c.timings.values())
    errors = [e for c in clients for e in c.errors]
    print(
        f"\n{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {args.clients} client "
        f"threads, {elapsed:.0f} s, gunicorn ({os.cpu_count()} workers x 4 threads)\n"
    )
    print(
        f"{total} requests, {total / elapsed:.0f} requests/s; {counts['reindexes']} full "
        f"reindexes and {counts['saves']} librarian saves during the run "
        f"({len(counts['deferred'])} of them searchable once a running reindex ended)\n"
    )
    print("| request | count | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    for kind in paths:
        timings = sorted(t for c in clients for t in c.timings[kind])
        if timings:
            p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
            print(f"| {kind} | {len(timings)} | {statistics.median(timings):.1f} | {p99:.1f} |")
    changed = {q: (before[q], after[q]) for q in QUERIES if before[q] != after[q]}
    problems = errors + counts["save_errors"] + counts["reindex_errors"]
    print(
        f"\nerrors: {len(errors)} requests, {len(counts['save_errors'])} saves, "
        f"{len(counts['reindex_errors'])} reindexes; same articles before and after: "
        f"{changed or 'yes'}"
    )
    for problem in problems[:10]:
        print("  " + problem)
    return 1 if problems or changed else 0


if __name__ == "__main__":
    sys.exit(main())
