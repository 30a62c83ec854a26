"""Search: planning what patients type, ranking, publishing builds. Never imports Flask.

Only :mod:`encyclopedia.search.engine` imports Whoosh; everything here above it speaks
the project's own query tree (:mod:`.tree`) and dataclasses.
"""

from encyclopedia.search.engine.reading import IndexUnavailable
from encyclopedia.search.library import (
    ArticlePage,
    BadRequest,
    Health,
    Hit,
    Library,
    Results,
    SiteMapEntry,
)
from encyclopedia.search.publishing import BuildReport, PublishRefused, WriterBusy, rebuild

__all__ = [
    "ArticlePage",
    "BadRequest",
    "BuildReport",
    "Health",
    "Hit",
    "IndexUnavailable",
    "Library",
    "PublishRefused",
    "Results",
    "SiteMapEntry",
    "WriterBusy",
    "rebuild",
]
