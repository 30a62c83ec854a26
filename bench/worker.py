"""One serving worker, alone in its process, for the benchmark's memory figures.

Started by ``bench.run.worker_figures`` with the content and index folders as arguments.
It prints "ready" once it has warmed (as gunicorn.conf.py has a worker do) and answered a
first search, reads the queries and slugs (JSON) from stdin, times each query's first
search, fills every bounded cache, and prints those times and its memory as JSON. A busy
worker's caches are full, so its memory is measured with them full.
"""

from __future__ import annotations

import itertools
import json
import sys
import time

from encyclopedia import create_app
from encyclopedia.search.engine import ranking

READY_QUERY = "asthma"


def status(*fields: str) -> list[float]:
    """Fields of /proc/self/status, in MB."""
    with open("/proc/self/status") as lines:
        found = dict(line.split(":", 1) for line in lines)
    return [int(found[field].split()[0]) / 1024 for field in fields]


class Client:
    """The test client, noting the worker's private memory after every request: Linux
    keeps a high-water mark of all resident memory (VmHWM), not of private memory."""

    def __init__(self, client) -> None:
        self.client = client
        self.private_peak = 0.0

    def get(self, *args, **kwargs) -> None:
        self.client.get(*args, **kwargs)
        self.private_peak = max(self.private_peak, *status("RssAnon"))


def main() -> None:
    app = create_app({"content_dir": sys.argv[1], "index_dir": sys.argv[2]})
    test_client = app.test_client()
    # Asking for compressed pages, as browsers do, so the compressed-page cache is counted.
    test_client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip, deflate, br, zstd"
    # As a production worker starts (gunicorn.conf.py's post_worker_init): every table
    # made before the first request, then that request.
    app.extensions["library"].warm()
    test_client.get("/search", query_string={"q": READY_QUERY})
    print("ready", flush=True)
    client = Client(test_client)
    queries, slugs = json.load(sys.stdin)
    ext = app.extensions
    library = ext["library"]
    # The first searches after start: each query's first time in this process, no
    # posting read yet but the ready query's (issue 19's "first search after start").
    first_times = []
    for q in queries:
        if q != READY_QUERY:
            started = time.perf_counter()
            library.search(q)
            first_times.append((time.perf_counter() - started) * 1000)
    caches = {  # looked up each time: the response cache is a new one per version
        "responses": lambda: ext["response_cache"].responses,
        "results": lambda: library.kept_results,
        "postings": lambda: ranking.SHARED_CACHE._arrays,
    }

    def fill(name: str) -> float:
        cache = caches[name]()
        return cache.size / cache.max_size

    def full(*names: str) -> bool:
        return all(fill(name) >= 0.95 for name in names)

    for q in queries:
        client.get("/search", query_string={"q": q})
        client.get("/api/suggest", query_string={"q": q[:4]})
        if library.embedder is not None:
            # The model's own memory grows when it first runs, and a build without
            # vectors would never run it: embed each query as a search with them does.
            library.embedder.query(q)
    # Every page of the A-Z, then articles, distinct searches and typed prefixes until
    # each cache is at its bound or the corpus has no more to give.
    per_page = library.site_map_page_size
    for letter, count in library.letters().items():
        for page in range(1, (count + per_page - 1) // per_page + 1):
            client.get(f"/a-z/{letter.lower()}", query_string={"page": page})
    for slug in slugs:
        if full("responses"):
            break
        client.get(f"/article/{slug}")
    words = sorted({w for slug in slugs for w in slug.split("-") if len(w) > 3 and w.isalpha()})
    pairs = (
        (words[i], words[(7 * i + shift) % len(words)])
        for shift in range(1, 40)
        for i in range(len(words))
    )
    before = 0.0
    for number, (first, second) in enumerate(itertools.islice(pairs, 4000)):
        if full("responses", "results", "postings"):
            break
        if number % 200 == 0:
            # A small corpus has fewer postings than the cache holds: stop once they stop.
            if full("responses", "results") and fill("postings") - before < 0.01:
                break
            before = fill("postings")
        for page in (1, 2):
            client.get("/search", query_string={"q": f"{first} {second}", "page": page})
        client.get("/api/search", query_string={"q": f"{second} {first}", "limit": 50})
    for typed in itertools.product("abcdefghilmnoprstuvw", "aeiloruy", "acdeilmnorst"):
        client.get("/api/suggest", query_string={"q": "".join(typed)})
    # VmHWM, not ru_maxrss: Linux carries the parent's peak into a child's ru_maxrss
    # across exec, so ru_maxrss reported the benchmark process itself. VmHWM counts the
    # pages of the mapped index this worker has read, which the kernel keeps once for all
    # workers and may drop at any time; the private peak is what each worker adds.
    peak, mapped = status("VmHWM", "RssFile")
    figures = {
        "first_searches_ms": first_times,
        "private_mb": client.private_peak,
        "maxrss_mb": peak,
        "mapped_mb": mapped,
        "cache_fill": {name: fill(name) for name in caches},
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
