"""Settings, read once from ``ENCYCLOPEDIA_*`` environment variables.

The web app and the command line read the same variables, so ``encyclopedia reindex``
always writes the index that ``encyclopedia serve`` reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from encyclopedia.media import FOLDER
from encyclopedia.site_files import path_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real consumer-health data (see its SOURCES.md) sits beside the clone, as in CI.
CORPUS_DIR = PROJECT_ROOT.parent / "shared" / "corpus"
MEDLINEPLUS_FILE = "medlineplus_health_topics_en_2025-10-01.json"
# Word lists of real words, which spelling correction leaves alone (search/vocabulary.py):
# Debian's wamerican and hunspell-en-med, installed by `make run` and `make test`.
# On a replica, index/site links to the served release's site files (search/replica.py).
REPLICA_SITE = "site"
DICTIONARIES = (
    Path("/usr/share/dict/american-english"),
    Path("/usr/share/hunspell/en_med_glut.dic"),
)


def _env_paths(name: str, default: tuple[Path, ...]) -> tuple[Path, ...]:
    """A list of files separated as in PATH; set but empty means none."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(Path(p) for p in raw.split(os.pathsep) if p.strip())


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Frozen so nothing changes it behind a request's back."""

    content_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "content")
    index_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "index")
    # Librarian accounts, article history and the audit log (SQLite); never in git.
    instance_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "instance")
    # Failed sign-ins allowed per address before a pause (Flask-Limiter syntax).
    login_limit: str = "5 per minute;20 per hour"
    # Where the rate limiter counts: memory:// counts per worker process; a shared
    # store (redis://...) counts across workers.
    ratelimit_storage: str = "memory://"
    # Long enough for any real question, short enough that a pasted essay
    # cannot make one search expensive.
    max_query_length: int = 200
    page_size: int = 10
    max_page_size: int = 50
    # Entries on one page of a letter of the A–Z (about 75 KB of HTML at 500).
    site_map_page_size: int = 500
    # Empty means: use (or create once) instance/secret_key, random and private to this
    # installation, shared by every worker. Sessions signed with a known key could be forged.
    secret_key: str = ""
    https: bool = False
    # Semantic search (encyclopedia/search/semantic.py) when its model is installed;
    # ENCYCLOPEDIA_SEMANTIC=0 turns it off, for lexical-only builds and searches.
    semantic: bool = True
    # The editor node of several: each publication also makes a release for the replicas
    # (search/releases.py), which they fetch with rsync (search/replica.py).
    releases: bool = False
    # A read-only replica (ENCYCLOPEDIA_REPLICA=1): serves the release `encyclopedia
    # replica follow` fetched; its site files are in index/site, no librarian pages.
    replica: bool = False
    # Shared by the editor and its replicas: replicas send patients' tallies (failed
    # searches, "helpful?") to the editor's /internal/tallies with it. Empty: not accepted.
    replica_token: str = ""
    # On a replica: where the editor's web server is, for those tallies.
    editor_url: str = ""
    # ENCYCLOPEDIA_DICTIONARIES: the word lists, separated by ":"; empty for none.
    dictionaries: tuple[Path, ...] = DICTIONARIES
    # The reading age the editor's preview measures articles against (NHS guidance: 11).
    reading_age: int = 11
    # How long a review holds: after it, the article says it is due for review (NHS: 3).
    review_years: int = 3
    # Where import-medlineplus, the benchmarks and the corpus tests read the real data.
    corpus_dir: Path = field(default_factory=lambda: CORPUS_DIR)

    @property
    def database_path(self) -> Path:
        """Librarian accounts, history, audit and patients' tallies (SQLite)."""
        return self.instance_dir / "librarians.sqlite3"

    @property
    def medlineplus_json(self) -> Path:
        """The MedlinePlus health-topics file ``import-medlineplus`` reads by default."""
        return self.corpus_dir / MEDLINEPLUS_FILE

    @property
    def thesaurus_path(self) -> Path:
        """Kept beside the articles, so librarians edit it with them."""
        return path_of(self.content_dir, "thesaurus.yaml")

    @property
    def emergency_path(self) -> Path:
        """The searches that describe an emergency, beside the thesaurus."""
        return path_of(self.content_dir, "emergency.yaml")

    @property
    def media_dir(self) -> Path:
        """Figures, beside the articles that show them."""
        return self.content_dir / FOLDER

    @property
    def about_path(self) -> Path:
        return path_of(self.content_dir, "about.md")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env = os.environ
        settings = cls(
            content_dir=Path(env.get("ENCYCLOPEDIA_CONTENT_DIR") or PROJECT_ROOT / "content"),
            index_dir=Path(env.get("ENCYCLOPEDIA_INDEX_DIR") or PROJECT_ROOT / "index"),
            instance_dir=Path(env.get("ENCYCLOPEDIA_INSTANCE_DIR") or PROJECT_ROOT / "instance"),
            login_limit=env.get("ENCYCLOPEDIA_LOGIN_LIMIT") or cls.login_limit,
            ratelimit_storage=env.get("ENCYCLOPEDIA_RATELIMIT_STORAGE") or cls.ratelimit_storage,
            max_query_length=_env_int("ENCYCLOPEDIA_MAX_QUERY_LENGTH", cls.max_query_length),
            page_size=_env_int("ENCYCLOPEDIA_PAGE_SIZE", cls.page_size),
            site_map_page_size=_env_int("ENCYCLOPEDIA_SITE_MAP_PAGE_SIZE", cls.site_map_page_size),
            secret_key=env.get("ENCYCLOPEDIA_SECRET_KEY") or cls.secret_key,
            https=env.get("ENCYCLOPEDIA_HTTPS", "").lower() in ("1", "true", "yes"),
            semantic=env.get("ENCYCLOPEDIA_SEMANTIC", "1").lower() not in ("0", "false", "no"),
            releases=env.get("ENCYCLOPEDIA_RELEASES", "").lower() in ("1", "true", "yes"),
            replica=env.get("ENCYCLOPEDIA_REPLICA", "").lower() in ("1", "true", "yes"),
            replica_token=env.get("ENCYCLOPEDIA_REPLICA_TOKEN", ""),
            editor_url=env.get("ENCYCLOPEDIA_EDITOR_URL", ""),
            dictionaries=_env_paths("ENCYCLOPEDIA_DICTIONARIES", DICTIONARIES),
            reading_age=_env_int("ENCYCLOPEDIA_READING_AGE", cls.reading_age),
            review_years=_env_int("ENCYCLOPEDIA_REVIEW_YEARS", cls.review_years),
            corpus_dir=Path(env.get("ENCYCLOPEDIA_CORPUS_DIR") or CORPUS_DIR),
        )
        if settings.replica and not env.get("ENCYCLOPEDIA_CONTENT_DIR"):
            # The release's site files (thesaurus, emergency words, About, figures).
            settings = replace(settings, content_dir=settings.index_dir / REPLICA_SITE)
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        known = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__}
        for key in ("content_dir", "index_dir", "instance_dir", "corpus_dir"):
            if key in known:
                known[key] = Path(known[key])
        return replace(self, **known)
