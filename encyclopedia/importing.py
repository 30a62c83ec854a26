"""Importing the MedlinePlus health-topics JSON as article files.

The source (see ``../shared/corpus/SOURCES.md``) is plain text whose HTML was stripped by
its producer, which left spaces before punctuation ("blood sugar , level"); those are
tidied. MedlinePlus names related topics by title, so they are resolved to the slugs of
the imported articles; a related topic that is not in the file is dropped and counted.
Nothing here overwrites a librarian's file unless asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from encyclopedia.files import write_atomically
from encyclopedia.normalize import fold, slugify

CREDIT = "MedlinePlus, National Library of Medicine"
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_SPACES = re.compile(r"[ \t]+")


@dataclass
class ImportReport:
    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (title or id, reason)
    dropped_related: int = 0


class ImportError_(Exception):
    """The file given is not a MedlinePlus health-topics JSON file."""


def tidy(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def load_topics(path: Path) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ImportError_(f"{path} cannot be read: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportError_(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise ImportError_(f"{path} is not a list of MedlinePlus topics")
    return data


def article_text(front: dict[str, Any], body: str) -> str:
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n{body.strip()}\n"


def import_medlineplus(
    source: Path,
    content_dir: Path,
    *,
    overwrite: bool = False,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    topics = load_topics(source)
    report = ImportReport()
    usable: list[tuple[str, dict[str, Any]]] = []
    slugs_by_title: dict[str, str] = {}
    taken: set[str] = set()
    for topic in topics[:limit] if limit else topics:
        title = tidy(str(topic.get("title") or ""))
        label = title or f"topic {topic.get('id', '?')}"
        if not title:
            report.skipped.append((label, "no title"))
        elif topic.get("language", "English") != "English":
            report.skipped.append((label, f"language is {topic.get('language')}"))
        elif not tidy(str(topic.get("content") or "")):
            report.skipped.append((label, "no summary text"))
        elif fold(title) in slugs_by_title:
            report.skipped.append((label, "another topic has the same title"))
        else:
            slug = base = slugify(title)
            number = 2
            while slug in taken:
                slug, number = f"{base}-{number}", number + 1
            taken.add(slug)
            slugs_by_title[fold(title)] = slug
            usable.append((slug, topic))

    content_dir.mkdir(parents=True, exist_ok=True)
    for slug, topic in usable:
        title = tidy(topic["title"])
        path = content_dir / f"{slug}.md"
        if progress:
            progress(title)
        if path.exists() and not overwrite:
            report.skipped.append((title, f"{path.name} exists (use --overwrite to replace)"))
            continue
        names = [tidy(n) for n in topic.get("synonyms") or [] if isinstance(n, str)]
        also_called = [n for n in dict.fromkeys(names) if n and fold(n) != fold(title)]
        related = []
        for other in topic.get("related_topics") or []:
            other_slug = slugs_by_title.get(fold(str(other)))
            if other_slug and other_slug != slug:
                related.append(other_slug)
            else:
                report.dropped_related += 1
        front: dict[str, Any] = {"title": title}
        if also_called:
            front["also_called"] = also_called
        front["kind"] = "topic"
        groups = [str(g).strip() for g in topic.get("groups") or () if str(g).strip()]
        if groups:
            front["groups"] = list(dict.fromkeys(groups))
        if related:
            front["related"] = list(dict.fromkeys(related))
        front["source"] = CREDIT
        if topic.get("url"):
            front["source_url"] = str(topic["url"])
        write_atomically(path, article_text(front, tidy(topic["content"])))
        report.written.append(slug)
    return report
