"""Each language's suggestion table, made once by the build's writer and read by every
worker, instead of made by each worker when it starts.

Why: folding, collating and sorting every name (90,000 at 50,000 articles) took 0.9 s of
a new worker's 2.2 s from start to its first answer. The table is a pure function of the
articles' names, so the writer makes it beside the catalog and names it there with a
digest of those names; a reader whose catalog's names give another digest (or whose
file is missing or unreadable) makes the table itself, as before. Plain arrays in an
``.npz`` (no pickle): a replica reads what the editor wrote.

A single-article update rewrites a language's table only when that language's names
changed (a title or another name); an edit of the text keeps the file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from encyclopedia.files import write_atomically
from encyclopedia.languages import DEFAULT
from encyclopedia.search.documents import CatalogEntry
from encyclopedia.search.suggestions import SuggestionIndex
from encyclopedia.search.wording import wording_for

log = logging.getLogger(__name__)

TABLES_KEY = "tables"  # in a build's catalog.json: per language, its file and names' digest
_FORMAT = "suggestions-1"  # part of the digest: a new layout never reads an old file


def names_digest(names: Iterable[tuple[str, ...]]) -> str:
    """Which names, in which order, a table was made from (each article's names)."""
    digest = hashlib.sha256(_FORMAT.encode())
    for article in names:
        digest.update("\x1f".join(article).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()[:32]


def _by_language(articles: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Catalog rows grouped by language, in catalog order: the order in which a snapshot
    gives each language's table its entries."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in articles:
        groups.setdefault(row.get("lang", DEFAULT), []).append(row)
    return groups


def write_tables(build: Path, meta: dict[str, Any]) -> None:
    """Bring ``meta[TABLES_KEY]`` in step with ``meta["articles"]``, writing a new file
    for each language whose names changed. Call before the catalog is written (a reader
    sees the old catalog and old files, or the new catalog and new files), and
    :func:`remove_unused_tables` after."""
    old = meta.get(TABLES_KEY, {})
    generation = int(old.get("generation", 0)) + 1
    kept: dict[str, Any] = {"generation": generation}
    for code, rows in _by_language(meta["articles"]).items():
        digest = names_digest(CatalogEntry.names_of(row) for row in rows)
        before = old.get(code)
        if (
            isinstance(before, dict)
            and before.get("names") == digest
            and (build / str(before.get("file"))).is_file()
        ):
            kept[code] = before
            continue
        entries = [CatalogEntry.from_dict(row) for row in rows]
        arrays = SuggestionIndex(entries, wording_for(code).language).stored()
        if arrays is None:
            continue  # readers make it themselves
        name = f"tables-{code}-{generation}.npz"
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_atomically(build / name, buffer.getvalue())
        kept[code] = {"file": name, "names": digest}
    meta[TABLES_KEY] = kept


def remove_unused_tables(build: Path, meta: dict[str, Any]) -> None:
    """Table files the catalog no longer names. A reader that has one open has already
    read it whole."""
    named = {
        info.get("file") for info in meta.get(TABLES_KEY, {}).values() if isinstance(info, dict)
    }
    for path in build.glob("tables-*.npz"):
        if path.name not in named:
            path.unlink(missing_ok=True)


def read_table(
    build: Path, info: Mapping[str, Any] | None, code: str, entries: list[CatalogEntry]
) -> dict[str, np.ndarray] | None:
    """The stored table of ``code`` for exactly these entries, or None (then the caller
    makes it). Never raises: a stored table is a shortcut, not a part of the build."""
    found = (info or {}).get(code)
    if not isinstance(found, dict):
        return None
    if found.get("names") != names_digest(entry.names for entry in entries):
        log.warning("%s: the stored %s suggestion table is not for these names", build, code)
        return None
    try:
        with np.load(build / str(found["file"]), allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("%s: the stored %s suggestion table cannot be read: %s", build, code, exc)
        return None
