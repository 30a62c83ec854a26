"""The site's own files beside the articles, which librarians edit as whole texts: the
thesaurus, the emergency words and the About page.

The one list of them. The settings find them through it, ``check`` validates each with
its own parser, and the editor versions each in the same history as the articles under
its key (a file name with a dot, so never an article's slug), at
``/librarian/files/<key>``. Adding one is a row here and its parser in :func:`problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SiteFile:
    key: str  # its name in the history and in addresses
    relative: str  # where it lives under content/
    label: str
    purpose: str  # shown above the editor's text box
    saved: str  # what a save changes, said after it


SITE_FILES: dict[str, SiteFile] = {
    f.key: f
    for f in (
        SiteFile(
            "thesaurus.yaml",
            "thesaurus.yaml",
            "Thesaurus",
            "This site's own words on top of the lay words that ship with the search.",
            "Saved. Searches use it from now on (no reindex needed).",
        ),
        SiteFile(
            "thesaurus.es.yaml",
            "thesaurus.es.yaml",
            "Spanish thesaurus",
            "This site's own Spanish words on top of the Spanish lay words that ship with "
            "the search (same format as the English thesaurus).",
            "Saved. Spanish searches use it from now on (no reindex needed).",
        ),
        SiteFile(
            "emergency.yaml",
            "emergency.yaml",
            "Emergency words",
            "Searches containing one of these phrases show the emergency callout above "
            "the results.",
            "Saved. Searches use it from now on (no reindex needed).",
        ),
        SiteFile(
            "about.md",
            "pages/about.md",
            "About page",
            "The About and editorial policy page, linked from every page. Written like an "
            "article: a title in the front matter, a summary, then '##' sections.",
            "Saved. The About page shows it now.",
        ),
    )
}

# Each language's thesaurus, by language code.
THESAURI = {"en": "thesaurus.yaml", "es": "thesaurus.es.yaml"}


def path_of(content_dir: Path, key: str) -> Path:
    return content_dir / SITE_FILES[key].relative


def problems(key: str, text: str, shown: str) -> list:
    """What is wrong with ``text`` as the site file ``key`` (each a Problem with a
    severity), by the parser that reads it for the site, so a save is judged as a read is.
    The imports are here because those parsers sit above this module."""
    if key in THESAURI.values():
        from encyclopedia.search.thesaurus import parse_thesaurus
        from encyclopedia.search.wording import wording_for

        code = next(code for code, k in THESAURI.items() if k == key)
        return parse_thesaurus(text, shown, wording_for(code))[1]
    if key == "emergency.yaml":
        from encyclopedia.search.emergency import parse_emergency_words

        return parse_emergency_words(text, shown)[1]
    if key == "about.md":
        from encyclopedia.site_pages import parse_site_page

        return parse_site_page(text, shown)[1]
    raise KeyError(key)


def check_folder(content_dir: Path) -> list:
    """Every site file's problems, as ``check`` lists them (a missing file is none:
    each has a sensible empty default)."""
    found = []
    for key in SITE_FILES:
        path = path_of(content_dir, key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            from encyclopedia.articles import Problem

            found.append(Problem(str(path), f"the file cannot be read: {exc}"))
            continue
        found.extend(problems(key, text, str(path)))
    return found
