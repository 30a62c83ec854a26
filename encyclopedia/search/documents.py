"""Article → index document and catalog entry: the one place that decides what is indexed."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from encyclopedia.articles import Article, digest_of
from encyclopedia.languages import DEFAULT as DEFAULT_LANGUAGE
from encyclopedia.languages import REFERENCE_ANCHORS
from encyclopedia.rendering import render_article
from encyclopedia.search.wording import wording_for


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What the A–Z, suggestions and related links need to know of an article, kept in memory."""

    slug: str
    title: str
    also_called: tuple[str, ...]
    kind: str | None
    digest: str
    headings: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # searchable, never shown
    reviewed: str | None = None  # YYYY-MM-DD: the sitemap's lastmod, the feed, the API
    groups: tuple[str, ...] = ()  # browsed under these (few names, shared by many)
    lang: str = DEFAULT_LANGUAGE
    translation_of: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CatalogEntry:
        return cls(
            slug=data["slug"],
            title=data["title"],
            also_called=tuple(data.get("also_called", ())),
            kind=_shared(data.get("kind")),
            digest=data.get("digest", ""),
            # The same few headings ("Causes", "Symptoms") recur in every article: one
            # string each, not one per article (24 MB at 50,000 articles).
            headings=tuple(map(sys.intern, data.get("headings", ()))),
            aliases=tuple(data.get("aliases", ())),
            reviewed=data.get("reviewed"),
            groups=tuple(map(sys.intern, data.get("groups", ()))),
            lang=sys.intern(data.get("lang", DEFAULT_LANGUAGE)),
            translation_of=data.get("translation_of"),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["also_called"] = list(self.also_called)
        data["headings"] = list(self.headings)
        data["aliases"] = list(self.aliases)
        data["groups"] = list(self.groups)
        return data

    @property
    def names(self) -> tuple[str, ...]:
        return (self.title, *self.also_called)

    @staticmethod
    def names_of(data: dict[str, Any]) -> tuple[str, ...]:
        """:attr:`names` of a catalog row, without making the entry."""
        return (data["title"], *data.get("also_called", ()))


def _shared(text: str | None) -> str | None:
    return sys.intern(text) if text else text


def file_digest(path: Path) -> str:
    """Identifies one version of an article file, for the index-versus-content health check."""
    return digest_of(path.read_bytes())


@dataclass(frozen=True, slots=True)
class PageSection:
    heading: str
    anchor: str
    html: str  # sanitised, for the page
    text: str  # plain, for snippets


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What the index keeps of an article for its page and its snippets: everything a
    page shows, so serving one never reads ``content/``. Stored as a plain dict (the
    index pickles stored fields); read back through :meth:`from_dict`."""

    slug: str
    title: str
    also_called: tuple[str, ...]
    kind: str | None
    reviewed: str | None  # YYYY-MM-DD
    reviewed_by: str | None
    related: tuple[str, ...]
    source: str | None
    source_url: str | None
    summary_html: str
    summary_text: str
    sections: tuple[PageSection, ...]
    groups: tuple[str, ...] = ()
    lang: str = DEFAULT_LANGUAGE
    translation_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["sections"] = [asdict(section) for section in self.sections]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredPage:
        return cls(
            slug=data["slug"],
            title=data["title"],
            also_called=tuple(data.get("also_called") or ()),
            kind=data.get("kind"),
            reviewed=data.get("reviewed"),
            reviewed_by=data.get("reviewed_by"),
            related=tuple(data.get("related") or ()),
            source=data.get("source"),
            source_url=data.get("source_url"),
            summary_html=data.get("summary_html", ""),
            summary_text=data.get("summary_text", ""),
            groups=tuple(data.get("groups") or ()),
            sections=tuple(PageSection(**section) for section in data.get("sections") or ()),
            lang=data.get("lang") or DEFAULT_LANGUAGE,
            translation_of=data.get("translation_of"),
        )


def stored_page(article: Article) -> StoredPage:
    rendered = render_article(article)
    return StoredPage(
        slug=article.slug,
        title=article.title,
        also_called=tuple(article.also_called),
        kind=article.kind,
        reviewed=article.reviewed.isoformat() if article.reviewed else None,
        reviewed_by=article.reviewed_by,
        related=tuple(article.related),
        source=article.source,
        source_url=article.source_url,
        summary_html=rendered.summary_html,
        summary_text=rendered.summary_text,
        sections=tuple(PageSection(s.heading, s.anchor, s.html, s.text) for s in rendered.sections),
        groups=article.groups,
        lang=article.lang,
        translation_of=article.translation_of,
    )


def index_document(article: Article) -> dict[str, Any]:
    page = stored_page(article)
    names = (*article.names, *article.search_aliases)
    # References are for checking the article, not for finding it: an author's name or a
    # journal title in a query should not pull the article up. Each heading leads its
    # section as a sentence, so "kyphoplasty risks" matches the Risks section's words.
    body = "\n\n".join(
        [
            page.summary_text,
            *(f"{s.heading}. {s.text}" for s in page.sections if s.anchor not in REFERENCE_ANCHORS),
        ]
    )
    wording = wording_for(article.lang)
    return {
        "slug": article.slug,
        "title": article.title,
        wording.names_field: "\n".join(names),
        wording.name_keys_field: ",".join(
            dict.fromkeys(k for k in map(wording.name_key, names) if k)
        ),
        wording.body_field: body,
        "kind": article.kind or "",
        "lang": wording.code,
        "page": page.to_dict(),
    }


def catalog_entry(article: Article, digest: str) -> CatalogEntry:
    return CatalogEntry(
        article.slug,
        article.title,
        article.also_called,
        article.kind,
        digest,
        tuple(s.heading for s in article.sections),
        article.search_aliases,
        article.reviewed.isoformat() if article.reviewed else None,
        article.groups,
        article.lang,
        article.translation_of,
    )
