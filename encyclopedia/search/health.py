"""Is the served index what ``content/`` describes? For /healthz, ``check`` and the
dashboard: an edit that never reached the index shows up here as stale, a new file as
missing, a deleted one as extra."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Health:
    """What /healthz, ``check`` and the dashboard say about the served index.

    Two questions, kept apart on purpose: ``ready`` (this process can serve patients from
    a good index) is what a load balancer acts on; ``in_sync`` (the index is what
    ``content/`` describes) is the librarians' concern. One broken or not-yet-indexed file
    makes the index out of sync, never the site unready."""

    ready: bool
    in_sync: bool
    index_articles: int
    content_articles: int
    built: str | None
    build: str | None
    reindex_running: bool
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    error: str | None = None
    semantic: str = ""  # whether meaning is searched, and if not why
    vocabulary: str = ""  # the word lists spelling correction leaves alone
    replica: dict[str, Any] | None = None  # a replica's last pull (search/replica.py)
    releases: dict[str, Any] | None = None  # the editor's releases (search/releases.py)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def warnings(self) -> list[str]:
        """What is wrong but does not stop serving, in words."""
        said = []
        if self.ready and self.error:
            said.append(f"serving the last good build: {self.error}")
        for label, slugs in (
            (
                "not in the index (new, or refused as invalid: run 'encyclopedia check')",
                self.missing,
            ),
            ("changed since the last index update", self.stale),
            ("deleted from content/ but still in the index", self.extra),
        ):
            if slugs:
                said.append(f"{len(slugs)} article(s) {label}: {', '.join(slugs[:10])}")
        if self.semantic and not self.semantic.startswith("on"):
            said.append(self.semantic)
        if self.replica is not None:
            if self.replica.get("error"):
                said.append(f"the last fetch from the editor failed: {self.replica['error']}")
            elif self.replica.get("latest") != self.replica.get("release"):
                said.append(
                    f"behind the editor: serving {self.replica.get('release')}, "
                    f"the editor has {self.replica.get('latest')}"
                )
        if self.releases is not None and not self.releases.get("of_published_build"):
            said.append(
                "the replicas' newest release is not of the published build (see the log; "
                "'encyclopedia release' makes one)"
            )
        if self.vocabulary.startswith("none"):
            said.append(f"word lists: {self.vocabulary}")
        return said
