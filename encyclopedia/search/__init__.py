"""Search: planning what patients type, ranking, publishing builds. Never imports Flask.

Only :mod:`encyclopedia.search.engine` imports Whoosh; everything here above it speaks
the project's own query tree (:mod:`.tree`) and dataclasses.
"""

from encyclopedia.search.builds import PublishRefused, WriterBusy
from encyclopedia.search.errors import BadRequest, IndexUnavailable
from encyclopedia.search.health import Health
from encyclopedia.search.library import Library
from encyclopedia.search.pages import LETTERS, ArticlePage, SiteMapEntry
from encyclopedia.search.publishing import BuildReport, rebuild
from encyclopedia.search.results import Hit, Results

__all__ = [
    "LETTERS",
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
