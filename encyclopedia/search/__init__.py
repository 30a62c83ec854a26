"""Everything Whoosh: schema, building and publishing indexes, querying. Never imports Flask."""

from encyclopedia.search import whoosh_fixes

whoosh_fixes.apply()  # before any index is opened: see whoosh_fixes

# ruff: noqa: E402 - the fix must be in place before the modules below open indexes

from encyclopedia.search.library import (
    ArticlePage,
    BadRequest,
    Health,
    Hit,
    IndexUnavailable,
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
