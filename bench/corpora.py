"""Benchmark corpora: the shipped articles, the MedlinePlus topics, and scale-ups of them.

A scale-up keeps the 1,017 real topics and adds generated ones: new titles and other
names ("Chronic asthma", "Hereditary anemia type 3"), bodies recombined from real
MedlinePlus sentences, so term statistics stay realistic and real queries still meet
the real topics among many near neighbours.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

from encyclopedia.articles import load_folder
from encyclopedia.config import Settings
from encyclopedia.importing import article_text, import_medlineplus

ROOT = Path(__file__).resolve().parent.parent
# The shared corpus sits beside the clone (as in CI); ENCYCLOPEDIA_CORPUS_DIR moves it.
CORPUS_DIR = Settings.from_env().corpus_dir
CORPUS = Settings.from_env().medlineplus_json
QUALIFIERS = [
    "Chronic",
    "Acute",
    "Childhood",
    "Adult",
    "Hereditary",
    "Recurrent",
    "Severe",
    "Mild",
    "Early",
    "Late-onset",
    "Primary",
    "Secondary",
    "Congenital",
    "Acquired",
    "Seasonal",
    "Occupational",
    "Travel-related",
    "Drug-induced",
    "Post-surgical",
    "Age-related",
]


def shipped(target: Path) -> Path:
    if not target.exists():
        shutil.copytree(ROOT / "content", target)
    return target


def medlineplus(target: Path) -> Path:
    if not target.exists():
        import_medlineplus(CORPUS, target)
    return target


def scaled(source: Path, target: Path, size: int, seed: int = 2026) -> Path:
    """``source``'s articles plus generated ones, ``size`` in all."""
    if target.exists() and sum(1 for _ in target.glob("*.md")) == size:
        return target
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    base = sorted(load_folder(source).articles.values(), key=lambda a: a.slug)
    sentences = [
        s.strip() + "."
        for a in base
        for s in re.split(r"(?<=[.!?])\s+", a.summary)
        if len(s.split()) >= 6
    ]
    rng = random.Random(seed)
    made = len(base)
    round_ = 0
    while made < size:
        for article in base:
            if made >= size:
                break
            qualifier = QUALIFIERS[round_ % len(QUALIFIERS)]
            suffix = f" type {round_ // len(QUALIFIERS) + 1}" if round_ >= len(QUALIFIERS) else ""
            title = f"{qualifier} {article.title.lower()}{suffix}"
            names = [f"{qualifier} {n.lower()}{suffix}" for n in article.also_called[:3]]
            body = " ".join(rng.sample(sentences, rng.randint(8, 24)))
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            front = {"title": title, "kind": "topic"}
            if names:
                front["also_called"] = names
            (target / f"{slug}.md").write_text(article_text(front, body), encoding="utf-8")
            made += 1
        round_ += 1
    return target
