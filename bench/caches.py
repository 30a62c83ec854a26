"""Does each cache earn its memory? ``.venv/bin/python bench/caches.py [--requests N]``.

Replays a mix of what patients ask (searches drawn from the real questions in
``real_queries_dev.tsv`` and the benchmark's queries, articles, A–Z pages,
suggestions, the JSON API), popular things far more often than rare ones (Zipf), through
the real app and its WSGI middleware, in process, on the 1,017 MedlinePlus topics. Some
visitors revalidate with If-None-Match, some carry a cookie that is not the site's
session (a proxy's, an analytics script's), and browsers differ in the encodings they
accept.
Prints, per cache, how often it answered, what it holds, and the time per request.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpora  # noqa: E402
from bench.run import PREFIXES, QUERIES  # noqa: E402
from encyclopedia import create_app  # noqa: E402
from encyclopedia.search import rebuild  # noqa: E402

# Chrome and Firefox, Safari, and clients that ask for no compression.
ENCODINGS = {"gzip, deflate, br, zstd": 0.70, "gzip, deflate, br": 0.25, "": 0.05}


def zipf(items: list, rng: random.Random, s: float = 1.1):
    weights = [1 / (rank**s) for rank in range(1, len(items) + 1)]
    return lambda: rng.choices(items, weights)[0]


def paths(content: Path, rng: random.Random):
    with open(corpora.CORPUS_DIR / "real_queries_dev.tsv", encoding="utf-8") as handle:
        real = [row["query"] for row in csv.DictReader(handle, delimiter="\t")]
    queries = list(dict.fromkeys([*QUERIES, *real]))
    rng.shuffle(queries)
    slugs = sorted(p.stem for p in content.glob("*.md"))
    rng.shuffle(slugs)
    query, slug, prefix = zipf(queries, rng), zipf(slugs, rng), zipf(PREFIXES, rng)
    letter = zipf(list("ABCDEHKLMOPST"), rng)
    kinds = [
        ("search", 0.40, lambda: f"/search?q={quote(query())}"),
        ("article", 0.30, lambda: f"/article/{slug()}"),
        ("suggest", 0.12, lambda: f"/api/suggest?q={quote(prefix())}"),
        ("a-z", 0.08, lambda: f"/a-z/{letter()}"),
        ("api", 0.05, lambda: f"/api/search?q={quote(query())}"),
        ("home", 0.05, lambda: "/"),
    ]
    return kinds


def layers(app) -> dict[str, object]:
    ext = app.extensions
    found = {
        "whole responses": ext["response_cache"]._responses,
        "results": ext["library"].kept_results,
    }
    return found


def memory(cache) -> int:
    current = getattr(cache, "current", cache)
    return current.size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="encyclopedia-caches-") as tmp:
        content = corpora.medlineplus(Path(tmp) / "content")
        index = Path(tmp) / "index"
        rebuild(content, index)
        app = create_app({"content_dir": content, "index_dir": index})
        client = app.test_client()
        handled: list[int] = []
        app.before_request(lambda: handled.append(1) and None)
        kinds = paths(content, rng)
        answered: dict[str, list[float]] = {"replayed": [], "304 from Flask": [], "made": []}
        etags: dict[str, str] = {}
        times: dict[str, list[float]] = {name: [] for name, _, _ in kinds}
        statuses: dict[int, int] = {}
        started_all = time.perf_counter()
        for _ in range(args.requests):
            kind, _, make = rng.choices(kinds, [w for _, w, _ in kinds])[0]
            path = make()
            headers = {"Accept-Encoding": rng.choices(list(ENCODINGS), list(ENCODINGS.values()))[0]}
            roll = rng.random()
            if roll < 0.15 and path in etags:
                headers["If-None-Match"] = etags[path]
            elif roll < 0.25:
                headers["Cookie"] = "returning=1"
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            spent = (time.perf_counter() - started) * 1000
            times[kind].append(spent)
            if not handled:
                answered["replayed"].append(spent)
            elif response.status_code == 304:
                answered["304 from Flask"].append(spent)
                answered.setdefault(f"304 {kind}", []).append(spent)
            else:
                answered["made"].append(spent)
                answered.setdefault(f"made {kind}", []).append(spent)
            handled.clear()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.headers.get("ETag"):
                etags[path] = response.headers["ETag"]
            response.close()
        elapsed = time.perf_counter() - started_all
        print(f"\n{args.requests:,} requests in {elapsed:.1f} s; statuses {statuses}\n")
        print("| cache | asked | hit rate | holds (MB) |")
        print("| --- | ---: | ---: | ---: |")
        for name, cache in layers(app).items():
            counts = cache.counts
            asked = counts.hits + counts.misses
            print(f"| {name} | {asked:,} | {counts.hit_rate:.2f} | {memory(cache) / 1e6:.1f} |")
        print("\n| request | count | mean ms | p50 ms | p95 ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for kind, values in [*times.items(), *answered.items()]:
            if not values:
                continue
            values.sort()
            p95 = values[int(0.95 * (len(values) - 1))]
            print(
                f"| {kind} | {len(values):,} | {statistics.mean(values):.2f} | "
                f"{statistics.median(values):.2f} | {p95:.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
