"""Article Markdown to the HTML a patient reads.

Rendering happens when an article is indexed, not per request, and the same function
renders a librarian's preview, so the preview is exactly the public page. Markdown
allows raw HTML, so everything it produces goes through nh3 (a maintained,
allow-list sanitiser) before it reaches a page.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from xml.etree import ElementTree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from encyclopedia import care, media
from encyclopedia.articles import Article, Section

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
    "figure",
    "figcaption",
    "img",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope"},
    "td": {"colspan", "rowspan"},
    "img": {"src", "alt", "loading"},
}
_TAGS = re.compile(r"<[^>]+>")


_local = threading.local()


class _Figures(Treeprocessor):
    """A paragraph holding one image becomes a figure: its title the caption, its source
    the address the site serves it at. Any other image (inside a sentence, or not one
    of ours) is replaced by its alt text, so no image reaches a page without a caption
    or from elsewhere; ``check`` says why."""

    def run(self, root: ElementTree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "p" and self._lone_image(child):
                    parent[index] = self._figure(child[0])
                    continue
                for image in [e for e in child.iter("img")]:
                    self._replace_with_alt(child, image)

    @staticmethod
    def _lone_image(paragraph: ElementTree.Element) -> bool:
        return (
            len(paragraph) == 1
            and paragraph[0].tag == "img"
            and not (paragraph.text or "").strip()
            and not (paragraph[0].tail or "").strip()
        )

    @staticmethod
    def _figure(image: ElementTree.Element) -> ElementTree.Element:
        url = media.url_of(image.get("src", ""))
        alt, caption = image.get("alt", "").strip(), (image.get("title") or "").strip()
        if url is None or not alt or not caption:
            kept = ElementTree.Element("p")
            kept.text = alt
            return kept
        figure = ElementTree.Element("figure")
        ElementTree.SubElement(figure, "img", {"src": url, "alt": alt, "loading": "lazy"})
        ElementTree.SubElement(figure, "figcaption").text = caption
        return figure

    @staticmethod
    def _replace_with_alt(container: ElementTree.Element, image: ElementTree.Element) -> None:
        for parent in container.iter():
            children = list(parent)
            if image in children:
                index = children.index(image)
                words = (image.get("alt") or "") + (image.tail or "")
                if index:
                    children[index - 1].tail = (children[index - 1].tail or "") + words
                else:
                    parent.text = (parent.text or "") + words
                parent.remove(image)
                return


class _FigureExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_Figures(md), "figures", 5)


def _converter() -> markdown.Markdown:
    """One converter per thread, reset between uses: building one per call (loading its
    extensions each time) was a third of the time a reindex took."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = markdown.Markdown(
            extensions=["tables", "sane_lists", _FigureExtension()], output_format="html"
        )
        _local.converter = converter
    return converter.reset()


def _only_our_images(element: str, attribute: str, value: str) -> str | None:
    """The sanitiser's last word on images: a source that is not one of our media files
    is dropped, whatever produced it (raw HTML in an article included)."""
    if element == "img" and attribute == "src":
        name = value.removeprefix(media.URL_PREFIX)
        return value if name != value and media.NAME.match(name) else None
    return value


# An image not written as our figures are (raw HTML, with no caption to go with it) is
# removed: only a figure's image, followed by its caption, stays.
_STRAY_IMAGE = re.compile(r"(?<!<figure>)<img[^>]*>|<img[^>]*>(?!<figcaption>)")


def _clean_markdown(text: str) -> str:
    return _STRAY_IMAGE.sub("", _sanitise(text))


def _sanitise(text: str) -> str:
    html = _converter().convert(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        # A Python call per attribute: only for the text that has an image at all.
        attribute_filter=_only_our_images if "<img" in html.lower() else None,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _callout(segment: care.Segment, lang: str) -> str:
    """A care callout. The wrapper is ours, built around already-sanitised HTML, so the
    sanitiser never has to allow a class or a role that an article could then misuse."""
    assert segment.level is not None
    level = segment.level
    return (
        f'<div class="care care-{level.name}" role="note">'
        f'<p class="care-label">{html.escape(level.label_in(lang))}</p>'
        f'<p class="care-title"><strong>{html.escape(segment.title)}</strong></p>'
        f"{_clean_markdown(segment.markdown)}</div>"
    )


def render_markdown(text: str, lang: str = "en") -> str:
    """Markdown to sanitised HTML, with care callouts (labelled in ``lang``); links may
    only be http(s), mailto or relative."""
    if ":::" not in text:  # most text has no callout: skip the line-by-line reading
        return _clean_markdown(text)
    segments, _ = care.split(text, lang=lang)
    return "\n".join(
        _callout(s, lang) if s.level else _clean_markdown(s.markdown) for s in segments
    )


_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|dt|dd|blockquote|pre|figcaption)>", re.IGNORECASE)


def html_text(html: str) -> str:
    """The words of rendered HTML. Every block (paragraph, list item, cell) ends as a
    sentence, so list items do not run together in a snippet and snippets can be cut at
    sentence ends."""
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


def _section(section: Section, lang: str) -> RenderedSection:
    html = render_markdown(section.markdown, lang)
    return RenderedSection(section.heading, section.anchor, html, html_text(html))


def render_article(article: Article) -> RenderedArticle:
    summary_html = render_markdown(article.summary, article.lang)
    return RenderedArticle(
        summary_html=summary_html,
        summary_text=html_text(summary_html),
        sections=tuple(_section(s, article.lang) for s in article.sections),
    )
