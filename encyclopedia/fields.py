"""The one table of an article's front-matter fields.

Everything that spells the fields out derives from it: the parser's list of known fields
(``articles.KNOWN_FIELDS``), the editor's draft (its order, how each field is read and
written back), the librarians' form (one input per field, with its label and help), the
editor's page, and the README (a test fails when a field here is not documented there,
as Datasette's does for its settings). Adding a field is one row here, its rule in
``articles.parse_article`` and its tests. No Flask and no Whoosh here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "names", "slugs", "date", "url"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind  # names and slugs are lists, one per line in the form
    label: str
    help: str = ""
    required: bool = False

    @property
    def is_list(self) -> bool:
        return self.kind in ("names", "slugs")


FIELDS: tuple[Field, ...] = (
    Field("title", "text", "Title", required=True),
    Field("also_called", "names", "Also called", "Other names patients use, one per line."),
    Field(
        "search_aliases",
        "names",
        "Hidden search aliases",
        "Misspellings and run-together words that should find this article "
        "(heartattack, hart attack), one per line. Searchable, never shown to patients.",
    ),
    Field("kind", "text", "Kind", "condition, procedure, test, symptom, injury, ... (optional)"),
    Field(
        "groups",
        "names",
        "Groups",
        "The subjects patients browse it under (Lungs and Breathing, Diagnostic Tests), "
        "one per line.",
    ),
    Field(
        "reviewed",
        "date",
        "Reviewed on",
        "The day of the last review: type it or pick it from the calendar, in the date "
        "format your browser shows.",
    ),
    Field("reviewed_by", "text", "Reviewed by"),
    Field(
        "related",
        "slugs",
        "Related articles",
        "Addresses (slugs) of related articles, one per line.",
    ),
    Field(
        "lang",
        "text",
        "Language",
        "en for English (when left empty) or es for Spanish: the language the article is "
        "written in.",
    ),
    Field(
        "translation_of",
        "text",
        "Translation of",
        "For a translation: the address (slug) of the article it translates, in another "
        "language (cifoplastia: translation_of kyphoplasty).",
    ),
    Field("source", "text", "Source (optional)"),
    Field("source_url", "url", "Source address (optional)"),
)
NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
