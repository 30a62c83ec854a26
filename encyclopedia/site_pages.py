"""Pages of the site itself (the About and editorial policy page), written by librarians
in Markdown beside the articles and read by the same parser and renderer, so a page
reads like an article and is checked like one. They are not articles: they are not
searched, listed in the A–Z or indexed, and an edit shows at once, with no reindex.
No Flask and no Whoosh here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from encyclopedia import media
from encyclopedia.articles import ArticleError, Problem, parse_article
from encyclopedia.files import WatchedFile
from encyclopedia.rendering import RenderedSection, render_article


@dataclass(frozen=True)
class SitePage:
    title: str
    summary_html: str
    summary_text: str
    sections: tuple[RenderedSection, ...]
    reviewed: dt.date | None
    reviewed_by: str | None


def parse_site_page(text: str, shown: str) -> tuple[SitePage | None, list[Problem]]:
    """The page and what is wrong with it; None when it cannot be shown."""
    path = Path(shown)
    # Pages live in content/pages/; their figures in content/media/, as the articles' do.
    media_dir = path.parent.parent / media.FOLDER if path.is_absolute() else None
    try:
        article, problems = parse_article(text, path, media_dir)
    except ArticleError as exc:
        return None, exc.problems
    rendered = render_article(article)
    page = SitePage(
        article.title,
        rendered.summary_html,
        rendered.summary_text,
        rendered.sections,
        article.reviewed,
        article.reviewed_by,
    )
    return page, problems


def read_site_page(path: Path) -> tuple[SitePage | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), f"the file cannot be read: {exc}")]
    return parse_site_page(text, str(path))


class SitePageFile(WatchedFile["SitePage | None"]):
    """The page as last read: a save with errors (only possible by hand: the editor
    refuses one) keeps the last good page on the site."""

    def __init__(self, path: Path):
        super().__init__(path, read_site_page, None)
