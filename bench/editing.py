"""The librarian's view of speed: a full reindex of the MedlinePlus topics from the command
line, and saves through the editor timed from "Save" until search finds the change.

    make bench-editing      (or: .venv/bin/python bench/editing.py [--saves 20])

Prints a Markdown table. Runs in a temporary folder; nothing in the checkout changes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpora import medlineplus
from encyclopedia.config import Settings
from encyclopedia.librarian import Workspace
from encyclopedia.search import Library


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="encyclopedia-editing-") as tmp:
        root = Path(tmp)
        content = medlineplus(root / "content")
        index = root / "index"
        command = [sys.executable, "-m", "encyclopedia", "--content-dir", str(content)]
        command += ["--index-dir", str(index), "reindex"]
        env = {"ENCYCLOPEDIA_INSTANCE_DIR": str(root / "instance"), "PATH": "/usr/bin:/bin"}
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        reindex = time.perf_counter() - started
        settings = Settings.from_env(
            content_dir=content, index_dir=index, instance_dir=root / "instance"
        )
        workspace = Workspace.from_settings(settings)
        library = Library(index, thesaurus=settings.thesaurus_path, keep_results=False)
        library.search("asthma")
        slugs = sorted(p.stem for p in content.glob("*.md"))[:: max(1, 1017 // args.saves)]
        timings = []
        for number, slug in enumerate(slugs[: args.saves]):
            draft, digest = workspace.editor.load(slug)
            marker = f"Benchmarkname{number:04d}x"
            draft.also_called.append(marker)
            started = time.perf_counter()
            workspace.editor.save(draft, "bench", original=slug, base_digest=digest)
            hits = library.search(marker).hits
            timings.append(time.perf_counter() - started)
            assert hits and hits[0].slug == slug, f"{marker} did not find {slug}"
        articles = len(list(content.glob("*.md")))
    print(f"MedlinePlus topics: {articles} articles, {time.strftime('%Y-%m-%d')}\n")
    print("| measure | value |")
    print("| --- | ---: |")
    print(
        f"| full reindex, `encyclopedia reindex` (process start to published) | {reindex:.1f} s |"
    )
    print(
        f"| editor save to searchable, median of {len(timings)} | "
        f"{statistics.median(timings) * 1000:.0f} ms |"
    )
    print(f"| editor save to searchable, slowest | {max(timings) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
