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

from encyclopedia.articles import (
    ArticleError,
    load_front_matter,
    parse_date,
    split_front_matter,
)
from encyclopedia.fields import FIELDS, NAMES

ORDER = NAMES  # the order fields are written in: the table's (encyclopedia/fields.py)


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
    groups: list[str] = field(default_factory=list)
    reviewed: str = ""
    reviewed_by: str = ""
    related: list[str] = field(default_factory=list)
    lang: str = ""
    translation_of: str = ""
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
        draft = cls(
            slug=slug,
            body=body.lstrip("\n"),
            extra={str(k): v for k, v in meta.items() if str(k) not in ORDER},
        )
        for f in FIELDS:
            setattr(draft, f.name, _read(f.kind, meta.get(f.name)))
        return draft

    def to_text(self) -> str:
        values: dict[str, Any] = {
            f.name: (
                [v.strip() for v in getattr(self, f.name) if v.strip()]
                if f.is_list
                else getattr(self, f.name).strip()
            )
            for f in FIELDS
        }
        lines = ["---"]
        for name in ORDER:
            value = values[name]
            if value in ("", []):
                continue
            if name == "reviewed":
                # A date the parser accepts is written bare, as the shipped articles
                # write it (articles.parse_date is the rule); anything else is quoted
                # so it stays text and is reported as a bad date, not a YAML error.
                written_bare = parse_date(value)[0] is not None
                lines.append(f"reviewed: {value}" if written_bare else _dump({name: value}))
            else:
                lines.append(_dump({name: value}))
        lines.extend(_dump({k: v}) for k, v in self.extra.items())
        body = self.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        return "\n".join(lines) + "\n---\n" + body + "\n"


def _read(kind: str, value: Any) -> str | list[str]:
    """A field's value as the form holds it: lines for lists, text for the rest."""
    if kind in ("names", "slugs"):
        return _lines(value)
    if kind == "date" and isinstance(value, dt.date | dt.datetime):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return str(value if value is not None else "").strip()


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
