"""nginx's proxy cache against the replicas' own response cache: ``python bench/proxy_cache.py``.

The 1,017 MedlinePlus topics served by gunicorn (the production command, its in-process
cache of whole responses included) and measured by wrk at 50 connections on search pages
and article pages: straight to gunicorn, through nginx with the repository's rules
(deploy/nginx/locations.conf), and through nginx with its proxy cache on (anonymous GETs,
kept 5 s, so a publication is seen within 5 s). Prints one table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpora  # noqa: E402
from bench.run import QUERIES, wrk  # noqa: E402
from encyclopedia.production import free_port  # noqa: E402
from encyclopedia.production import running as gunicorn  # noqa: E402
from encyclopedia.search import rebuild  # noqa: E402
from tests.cluster import nginx_config, start_nginx  # noqa: E402

CACHE_ZONE = (
    "    proxy_cache_path {folder}/cache levels=1:2 keys_zone=pages:10m "
    "max_size=200m inactive=60s;\n"
)
CACHED = """
        proxy_cache pages;
        proxy_cache_valid 200 404 5s;
        proxy_cache_bypass $http_cookie $http_authorization;
        proxy_no_cache $http_cookie $http_authorization;
        proxy_cache_lock on;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="encyclopedia-proxy-") as tmp:
        content = corpora.medlineplus(Path(tmp) / "content")
        index = Path(tmp) / "index"
        rebuild(content, index)
        slugs = sorted(p.stem for p in content.glob("*.md"))
        pages = {
            "search page": [f"/search?q={quote(q)}" for q in QUERIES],
            "article page": [f"/article/{slug}" for slug in slugs[:300]],
        }
        variants = (("gunicorn alone", None), ("nginx", False), ("nginx + proxy cache", True))
        with gunicorn(content, index) as upstream:
            for label, cached in variants:
                port, process = upstream, None
                if cached is not None:
                    port = free_port()
                    folder = Path(tmp) / f"nginx-{int(cached)}"
                    config = nginx_config(
                        folder,
                        port,
                        [upstream],
                        upstream,
                        http_extra=CACHE_ZONE.format(folder=folder) if cached else "",
                        server_extra=CACHED if cached else "",
                    )
                    process = start_nginx(folder, config)
                try:
                    url = f"http://127.0.0.1:{port}"
                    for kind, paths in pages.items():
                        wrk(url, paths, 4, 2, Path(tmp))  # warm: each page made once
                        rows.append((label, kind, wrk(url, paths, 50, args.seconds, Path(tmp))))
                finally:
                    if process is not None:
                        process.terminate()
                        process.wait(10)
    print(f"\n50 connections, {args.seconds} s each, after one warming pass\n")
    print("| path | pages | requests/s | p50 ms | p99 ms | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for label, kind, f in rows:
        print(
            f"| {label} | {kind} | {f['rps']:,.0f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} "
            f"| {f['errors']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
