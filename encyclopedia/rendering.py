"""Article Markdown to the HTML a patient reads.

Rendering happens when an article is indexed, not per request, and the same function
renders a librarian's preview, so the preview is exactly the public page. Markdown
allows raw HTML, so everything it produces goes through nh3 (a maintained,
allow-list sanitiser) before it reaches a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
import nh3

from encyclopedia.articles import Article

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "sub",
    "sup",
    "small",
    "abbr",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope"},
    "td": {"colspan", "rowspan"},
}
_TAGS = re.compile(r"<[^>]+>")


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML; links may only be http(s), mailto or relative."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|dt|dd|blockquote|pre)>", re.IGNORECASE)


def plain_text(markdown_text: str) -> str:
    """What a searcher should see of some Markdown: words, no markup.

    Every block (paragraph, list item, cell) ends as a sentence, so list items do not
    run together in a snippet and snippets can be cut at sentence ends.
    """
    html = markdown.markdown(markdown_text, output_format="html")
    sentences = []
    for block in _BLOCK_END.split(html):
        text = _TAGS.sub(" ", block)
        text = (
            text.replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", '"')
            .replace("&#39;", "'")
        )
        text = re.sub(r"\s+", " ", text).strip()
        text = re.sub(r"\s+([.,;:!?)])", r"\1", text)
        if text:
            sentences.append(text if text[-1] in ".!?:;" else text + ".")
    return " ".join(sentences)


@dataclass(frozen=True)
class RenderedSection:
    heading: str
    anchor: str
    html: str
    text: str


@dataclass(frozen=True)
class RenderedArticle:
    summary_html: str
    summary_text: str
    sections: tuple[RenderedSection, ...]


def render_article(article: Article) -> RenderedArticle:
    return RenderedArticle(
        summary_html=render_markdown(article.summary),
        summary_text=plain_text(article.summary),
        sections=tuple(
            RenderedSection(
                s.heading, s.anchor, render_markdown(s.markdown), plain_text(s.markdown)
            )
            for s in article.sections
        ),
    )
