"""Search quality on patient-style queries: ``python bench/relevance.py``.

Imports the MedlinePlus topics from ../shared/corpus into a temporary folder, indexes
them, and prints success@1, success@10 and MRR by kind of query for this project and,
in the same run, for a plain BM25 baseline on the same articles. Exits non-zero when a
target is missed: success@1 >= 0.90 and success@10 >= 0.98 on tests/relevance/queries.yaml,
and >= 0.98 of all also-called names finding their article first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpora import CORPUS  # noqa: E402
from encyclopedia.importing import import_medlineplus  # noqa: E402
from encyclopedia.search import Library, rebuild  # noqa: E402
from encyclopedia.search.evaluation import (  # noqa: E402
    PlainBM25,
    also_called_cases,
    evaluate,
    load_cases,
    project_ranker,
)

QUERIES = ROOT / "tests" / "relevance" / "queries.yaml"
HELDOUT = ROOT / "tests" / "relevance" / "heldout.yaml"
# The shipped thesaurus is the one librarians maintain; the imported topics use it too.
THESAURUS = ROOT / "content" / "thesaurus.yaml"
TARGETS = {"success@1": 0.90, "success@10": 0.98, "also_called@1": 0.98}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)  # bench/corpora.py says where
    parser.add_argument("--misses", action="store_true", help="list the queries that missed")
    parser.add_argument(
        "--thesaurus",
        type=Path,
        default=THESAURUS,
        help="thesaurus to search with (an empty file shows what it adds)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        content, index = Path(tmp) / "content", Path(tmp) / "index"
        import_medlineplus(args.corpus, content)
        rebuild(content, index)
        library = Library(index, thesaurus=args.thesaurus)
        baseline = PlainBM25(content)
        cases = load_cases(QUERIES)
        names = also_called_cases(content)
        started = time.perf_counter()
        ours = evaluate(cases, project_ranker(library))
        ours_names = evaluate(names, project_ranker(library))["all"]
        seconds = time.perf_counter() - started
        heldout = evaluate(load_cases(HELDOUT), project_ranker(library))["all"]
        heldout_bm25 = evaluate(load_cases(HELDOUT), baseline)["all"]
        theirs = evaluate(cases, baseline)
        theirs_names = evaluate(names, baseline)["all"]
        baseline.close()

    print(
        f"{len(cases)} patient queries, {ours_names.cases} also-called names, "
        f"{seconds:.1f} s for this project's searches\n"
    )
    print("| kind | queries | s@1 | s@10 | MRR | BM25 s@1 | BM25 s@10 | BM25 MRR |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = [*sorted(k for k in ours if k != "all"), "all"]
    for kind in rows:
        a, b = ours[kind], theirs[kind]
        label = f"**{kind}**" if kind == "all" else kind
        print(
            f"| {label} | {a.cases} | {a.success_at_1:.3f} | {a.success_at_10:.3f} | "
            f"{a.mrr:.3f} | {b.success_at_1:.3f} | {b.success_at_10:.3f} | {b.mrr:.3f} |"
        )
    print(
        f"| also-called names | {ours_names.cases} | {ours_names.success_at_1:.3f} | "
        f"{ours_names.success_at_10:.3f} | {ours_names.mrr:.3f} | "
        f"{theirs_names.success_at_1:.3f} | {theirs_names.success_at_10:.3f} | "
        f"{theirs_names.mrr:.3f} |"
    )

    print(
        f"| held-out queries | {heldout.cases} | {heldout.success_at_1:.3f} | "
        f"{heldout.success_at_10:.3f} | {heldout.mrr:.3f} | {heldout_bm25.success_at_1:.3f} | "
        f"{heldout_bm25.success_at_10:.3f} | {heldout_bm25.mrr:.3f} |"
    )

    if args.misses:
        print("\nMissed at 1 (query: top 3):")
        for kind in rows[:-1]:
            for query, top in ours[kind].misses:
                print(f"  [{kind}] {query}: {', '.join(top) or '(nothing)'}")
        for query, top in heldout.misses:
            print(f"  [held-out] {query}: {', '.join(top) or '(nothing)'}")
        for query, top in ours_names.misses:
            print(f"  [also-called] {query}: {', '.join(top) or '(nothing)'}")

    failed = []
    if ours["all"].success_at_1 < TARGETS["success@1"]:
        failed.append(f"success@1 {ours['all'].success_at_1:.3f} < {TARGETS['success@1']}")
    if ours["all"].success_at_10 < TARGETS["success@10"]:
        failed.append(f"success@10 {ours['all'].success_at_10:.3f} < {TARGETS['success@10']}")
    if ours_names.success_at_1 < TARGETS["also_called@1"]:
        failed.append(f"also-called@1 {ours_names.success_at_1:.3f} < {TARGETS['also_called@1']}")
    print("\n" + ("targets missed: " + "; ".join(failed) if failed else "all targets met"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
