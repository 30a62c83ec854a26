"""An article as the editor's form holds it, and back to the file's text.

The form has a field per front-matter field and one for the Markdown body. Turning it
back into a file writes the fields in a fixed order, lists in ``[a, b]`` style like the
shipped articles, and keeps any field the form does not know about, so saving through
the editor never drops what a librarian typed by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from encyclopedia.articles import ArticleError, load_front_matter, split_front_matter

ORDER = (
    "title",
    "also_called",
    "search_aliases",
    "kind",
    "reviewed",
    "reviewed_by",
    "related",
    "source",
    "source_url",
)


def _lines(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, list):
        return [str(v).strip() for v in values if str(v).strip()]
    return [str(values).strip()] if str(values).strip() else []


def split_lines(text: str) -> list[str]:
    """One name per line in the form; blank lines and surrounding spaces do not count."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


@dataclass
class Draft:
    slug: str = ""
    title: str = ""
    also_called: list[str] = field(default_factory=list)
    search_aliases: list[str] = field(default_factory=list)
    kind: str = ""
    reviewed: str = ""
    reviewed_by: str = ""
    related: list[str] = field(default_factory=list)
    source: str = ""
    source_url: str = ""
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_text(cls, slug: str, text: str) -> Draft:
        """Read a file for editing. A file whose front matter cannot be read opens with
        the whole text as its body, so nothing is lost and the errors show on save."""
        try:
            front, body, _ = split_front_matter(text, slug)
            meta = load_front_matter(front, slug)
        except ArticleError:
            return cls(slug=slug, body=text)
        reviewed = meta.get("reviewed")
        if isinstance(reviewed, dt.datetime):
            reviewed = reviewed.date()
        return cls(
            slug=slug,
            title=str(meta.get("title") or "").strip(),
            also_called=_lines(meta.get("also_called")),
            search_aliases=_lines(meta.get("search_aliases")),
            kind=str(meta.get("kind") or "").strip(),
            reviewed=reviewed.isoformat() if isinstance(reviewed, dt.date) else str(reviewed or ""),
            reviewed_by=str(meta.get("reviewed_by") or "").strip(),
            related=_lines(meta.get("related")),
            source=str(meta.get("source") or "").strip(),
            source_url=str(meta.get("source_url") or "").strip(),
            body=body.lstrip("\n"),
            extra={str(k): v for k, v in meta.items() if str(k) not in ORDER},
        )

    def to_text(self) -> str:
        values: dict[str, Any] = {
            "title": self.title.strip(),
            "also_called": [n.strip() for n in self.also_called if n.strip()],
            "search_aliases": [n.strip() for n in self.search_aliases if n.strip()],
            "kind": self.kind.strip(),
            "reviewed": self.reviewed.strip(),
            "reviewed_by": self.reviewed_by.strip(),
            "related": [s.strip() for s in self.related if s.strip()],
            "source": self.source.strip(),
            "source_url": self.source_url.strip(),
        }
        lines = ["---"]
        for name in ORDER:
            value = values[name]
            if value in ("", []):
                continue
            if name == "reviewed":
                # Written bare so YAML reads a date; a malformed one is quoted so the
                # parser reports it as a bad date rather than a YAML error.
                lines.append(f"reviewed: {value}" if _is_date(value) else _dump({name: value}))
            else:
                lines.append(_dump({name: value}))
        lines.extend(_dump({k: v}) for k, v in self.extra.items())
        body = self.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        return "\n".join(lines) + "\n---\n" + body + "\n"


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _dump(mapping: dict[str, Any]) -> str:
    """``name: value``, with lists in ``[a, b]`` style as the shipped articles write them."""
    ((name, value),) = mapping.items()
    flow = isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)
    text = yaml.safe_dump(
        value if flow else mapping,
        default_flow_style=flow,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
    ).rstrip("\n")
    if flow:
        return f"{yaml.safe_dump(name).removesuffix(chr(10) + '...' + chr(10)).strip()}: {text}"
    return text.removesuffix("\n...")
