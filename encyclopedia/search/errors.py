"""What the search layer tells its callers went wrong, in words they can show."""

from __future__ import annotations

from encyclopedia.search.engine.reading import IndexUnavailable

__all__ = ["BadRequest", "IndexUnavailable"]


class BadRequest(ValueError):
    """A parameter a person or program sent that cannot be used; the message says why."""
