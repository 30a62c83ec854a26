"""Article files: reading ``content/<slug>.md`` and saying plainly what is wrong with them.

No Flask and no Whoosh here: the command line, the index builder and the tests all
read articles through this module, so one file is judged the same way everywhere.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from encyclopedia import care, media
from encyclopedia.fields import FIELDS, NAMES
from encyclopedia.languages import DEFAULT as DEFAULT_LANGUAGE
from encyclopedia.languages import LANGUAGES
from encyclopedia.normalize import fold, slugify


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's C one when PyYAML has it: several times faster) that
    leaves dates as text. PyYAML turns ``2025-02-30`` into ``datetime.date`` itself and
    raises a bare ValueError for an impossible day, which no caller expects; read as
    text, the ``reviewed`` field's own check says what is wrong, with its line."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KNOWN_FIELDS = frozenset(NAMES)  # the fields' table, encyclopedia/fields.py
_HEADING = re.compile(r"^##(?!#)\s*(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Problem:
    """Something wrong with an article file, written for the librarian who must fix it."""

    path: str
    message: str
    field: str | None = None
    line: int | None = None
    severity: Literal["error", "warning", "notice"] = "error"

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        what = f" [{self.field}]" if self.field else ""
        return f"{where}: {self.severity}{what}: {self.message}"


@dataclass(frozen=True)
class Section:
    heading: str
    anchor: str
    markdown: str


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    also_called: tuple[str, ...] = ()
    kind: str | None = None
    reviewed: dt.date | None = None
    reviewed_by: str | None = None
    related: tuple[str, ...] = ()
    source: str | None = None
    source_url: str | None = None
    # Misspellings and run-together words ("heartattack") that should find this article:
    # searchable like a name, never shown (not in Also called, the A–Z or suggestions).
    search_aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # the subjects it is browsed under
    lang: str = DEFAULT_LANGUAGE  # the language it is written in (languages.LANGUAGES)
    translation_of: str | None = None  # the slug of the article it translates
    summary: str = ""
    sections: tuple[Section, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The title first, then every other name, each once."""
        seen: dict[str, str] = {}
        for name in (self.title, *self.also_called):
            seen.setdefault(fold(name), name)
        return tuple(seen.values())


def title_key(title: str) -> str:
    """The one rule for "the same title": case, accents and punctuation folded, so
    *Ménière disease* and *Meniere disease* are one title. Every check (load_folder,
    update, the editor) asks this, so a file update accepts cannot make reindex refuse."""
    return fold(title)


@dataclass(frozen=True, slots=True)
class Neighbour:
    """What the rules between articles need to know of another article."""

    slug: str
    title: str
    names: tuple[str, ...]  # the title first, then its other names
    lang: str = DEFAULT_LANGUAGE
    translation_of: str | None = None


@dataclass(frozen=True)
class Clash:
    """One rule between articles broken (or worth a notice), before it is put in words."""

    field: str  # "title", "related", "also_called" or "translation_of"
    severity: Literal["error", "warning", "notice"]
    value: str  # the title, the related slug, the shared name or the translated slug
    other: Neighbour | None = None
    why: str = ""  # for translation_of: which of its rules

    def message(self, address: Callable[[str], str]) -> str:
        """In words, with ``address`` saying where an article is for this reader:
        "stroke.md" for a file, "/article/stroke" on a web page."""
        if self.field == "translation_of":
            return self._translation_message(address)
        if self.field == "title":
            return f"the title {self.value!r} is already the title of {address(self.other.slug)}"
        if self.field == "related" and self.severity == "error":
            return (
                f"related article {self.value!r} does not exist: there is no {address(self.value)}"
            )
        if self.field == "related":
            return "an article cannot be related to itself"
        return (
            f"“{self.value}” is also a name of “{self.other.title}” "
            f"({address(self.other.slug)}); search and the A–Z will offer both"
        )

    def _translation_message(self, address: Callable[[str], str]) -> str:
        target = address(self.value)
        if self.why == "itself":
            return "an article cannot be a translation of itself"
        if self.why == "missing":
            return f"translation_of {self.value!r} does not exist: there is no {target}"
        if self.why == "same language":
            return f"{target} is in the same language; a translation is in another one"
        if self.why == "chain":
            return (
                f"{target} is itself a translation (of {address(self.other.translation_of)}); "
                "name the original article"
            )
        language = LANGUAGES[self.other.lang].name if self.other.lang in LANGUAGES else ""
        return f"{target} already has a {language} translation: {address(self.other.slug)}"


class Neighbours:
    """The rules that hold between articles, in one place for ``check``, ``reindex``,
    ``update`` and the editor: a title is unique (:func:`title_key`), a related article
    exists and is not the article itself, and a name shared with another article is
    worth a notice. Built once from the other articles, so checking each of 50,000 is a
    few dictionary lookups, not a scan."""

    def __init__(
        self, others: Iterable[Neighbour], existing: Container[str], *, notices: bool = True
    ):
        """``notices`` False: only the rules that refuse an article are checked (a shared
        other name is not looked for), which is all an update needs; at 50,000 articles
        indexing every name took half a second of each save."""
        # Titles and names are unique within a language: "Diabetes" is the title of the
        # English article and of its Spanish translation.
        self._by_title: dict[tuple[str, str], list[Neighbour]] = defaultdict(list)
        self._by_name: dict[tuple[str, str], list[Neighbour]] = defaultdict(list)
        self._by_slug: dict[str, Neighbour] = {}
        self._translations: dict[tuple[str, str], list[Neighbour]] = defaultdict(list)
        for other in others:
            self._by_slug[other.slug] = other
            self._by_title[other.lang, title_key(other.title)].append(other)
            if notices:
                for name in dict.fromkeys(fold(n) for n in other.names):
                    self._by_name[other.lang, name].append(other)
            if other.translation_of:
                self._translations[other.translation_of, other.lang].append(other)
        self.existing = existing  # the slugs a related link may name

    def clashes(
        self,
        slug: str,
        title: str,
        names: Iterable[str],
        related: Iterable[str],
        lang: str = DEFAULT_LANGUAGE,
        translation_of: str | None = None,
    ) -> list[Clash]:
        """What the article ``slug`` breaks against the others (never against itself)."""
        found: list[Clash] = []
        key = title_key(title)
        for other in self._by_title.get((lang, key), ()) if key else ():
            if other.slug != slug:
                found.append(Clash("title", "error", title, other))
        for wanted in dict.fromkeys(related):
            if wanted == slug:
                found.append(Clash("related", "warning", wanted))
            elif wanted not in self.existing:
                found.append(Clash("related", "error", wanted))
        for name in dict.fromkeys(n.strip() for n in names):
            for other in self._by_name.get((lang, fold(name)), ()):
                if other.slug != slug and title_key(other.title) != key:
                    where = "title" if title_key(name) == key else "also_called"
                    found.append(Clash(where, "notice", name, other))
        if translation_of:
            found.extend(self._translation_clashes(slug, lang, translation_of))
        return found

    def clashes_of(self, article: Article) -> list[Clash]:
        """:meth:`clashes` for a parsed article."""
        return self.clashes(
            article.slug,
            article.title,
            article.names,
            article.related,
            article.lang,
            article.translation_of,
        )

    def _translation_clashes(self, slug: str, lang: str, target: str) -> list[Clash]:
        """A translation names an existing article in another language, an original
        (not a translation), and is that article's only translation into its language."""
        if target == slug:
            return [Clash("translation_of", "error", target, why="itself")]
        if target not in self.existing:
            return [Clash("translation_of", "error", target, why="missing")]
        original = self._by_slug.get(target)
        if original is None:  # a file that does not parse: its own error says so
            return []
        if original.lang == lang:
            return [Clash("translation_of", "error", target, original, why="same language")]
        if original.translation_of:
            return [Clash("translation_of", "error", target, original, why="chain")]
        return [
            Clash("translation_of", "error", target, other, why="taken")
            for other in self._translations.get((target, lang), ())
            if other.slug != slug
        ]


class ArticleError(Exception):
    """An article file that cannot be used; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Folder:
    """The result of reading a whole content folder: the usable articles and every problem."""

    articles: dict[str, Article] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Digest of the bytes each article was parsed from: what the index says it holds.
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """Return (yaml text, body text, line number where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ArticleError(
            [Problem(path, "the file must start with a '---' line, then the front matter", line=1)]
        )
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            return "".join(lines[1 : number - 1]), "".join(lines[number:]), number + 1
    raise ArticleError([Problem(path, "the front matter has no closing '---' line", line=1)])


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_NAME_LENGTH = 200  # a title or other name; the longest MedlinePlus name is 80
MAX_TEXT_LENGTH = 2000  # kind, reviewer, source, source address


def parse_date(value: Any) -> tuple[dt.date | None, str | None]:
    """A review date as the file holds it: (the date, None) or (None, what is wrong).

    Only ``YYYY-MM-DD``: a real calendar day, not in the future. The editor and the
    parser both ask this, so a date one accepts the other never refuses."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            return None, f"{_shorten(text)!r} is not a date; write it as YYYY-MM-DD"
        try:
            value = dt.date.fromisoformat(text)
        except ValueError as exc:  # 2025-02-30, 2025-13-45
            return None, f"{text!r} is not a real date ({exc}); write it as YYYY-MM-DD"
    if not isinstance(value, dt.date):
        return None, "reviewed must be a date written as YYYY-MM-DD"
    if value > dt.date.today():
        return None, f"the review date {value.isoformat()} is in the future"
    return value, None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def load_yaml_file(text: str, path: str) -> tuple[Any, list[Problem]]:
    """A whole YAML file a librarian writes (the thesaurus, the emergency words): its
    data, or None and the problem with the line it is on. Safe loading only, and nothing
    PyYAML raises gets past (it raises a bare ValueError for 2025-02-30)."""
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        return None, [Problem(path, f"not valid YAML: {getattr(exc, 'problem', exc)}", line=line)]
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        return None, [Problem(path, f"cannot be read: {exc}", line=1)]


def load_front_matter(front: str, path: str) -> dict[str, Any]:
    """The front matter's fields, or ArticleError saying where it cannot be read.

    The one reader of front matter (the parser and the editor's draft both call it).
    Anything the YAML can hold comes back as plain values; nothing a librarian types can
    raise anything but ArticleError (explicit tags such as ``!!timestamp`` or absurd
    nesting raise other errors inside PyYAML, so every exception is turned into one)."""
    try:
        # _FrontMatterLoader is a SafeLoader: never the unsafe loader.
        meta = yaml.load(front, Loader=_FrontMatterLoader)  # nosec B506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # Marks count from the front matter's first line; the file has '---' above it.
        # A mark at the end of the stream is clamped to the last front-matter line.
        last_line = front.count("\n") + 1
        line = min(mark.line + 2, last_line) if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ArticleError(
            [Problem(path, f"the front matter is not valid YAML: {reason}", line=line)]
        ) from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ArticleError(
            [Problem(path, f"the front matter cannot be read: {exc}", line=2)]
        ) from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ArticleError([Problem(path, "the front matter must be 'field: value' lines", line=2)])
    return meta


def _field_line(front: str, name: str) -> int | None:
    match = re.search(rf"^{re.escape(name)}\s*:", front, re.MULTILINE)
    return front.count("\n", 0, match.start()) + 2 if match else None


def _string_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    return None


def _split_body(body: str, first_line: int, path: str) -> tuple[str, list[Section], list[Problem]]:
    """The summary is what comes before the first ``##`` heading; each heading starts a section."""
    problems: list[Problem] = []
    intro: list[str] = []
    sections: list[tuple[str, list[str], int]] = []
    in_fence = False
    for offset, line in enumerate(body.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            heading = match.group(1).strip()
            if not heading:
                problems.append(
                    Problem(path, "a '##' heading has no text", line=first_line + offset)
                )
                continue
            sections.append((heading, [], first_line + offset))
        elif sections:
            sections[-1][1].append(line)
        else:
            intro.append(line)
    blocks = care.split(body, lambda line: bool(_HEADING.match(line)))[1] if ":::" in body else []
    for mistake in blocks:
        problems.append(Problem(path, mistake.message, line=first_line + mistake.offset))
    summary = "\n".join(intro).strip()
    built: list[Section] = []
    anchors: set[str] = set()
    for heading, lines, line_number in sections:
        anchor = slugify(heading)
        if anchor in anchors:
            problems.append(
                Problem(
                    path,
                    f"the heading {heading!r} appears twice",
                    line=line_number,
                    severity="warning",
                )
            )
            suffix = 2
            while f"{anchor}-{suffix}" in anchors:
                suffix += 1
            anchor = f"{anchor}-{suffix}"
        anchors.add(anchor)
        built.append(Section(heading, anchor, "\n".join(lines).strip()))
    if not summary:
        problems.append(
            Problem(
                path,
                "there is no summary paragraph before the first '##' heading",
                line=first_line,
                severity="warning",
            )
        )
    return summary, built, problems


def _figure_problems(
    body: str, first_line: int, path: str, media_dir: Path | None
) -> list[Problem]:
    problems: list[Problem] = []
    if "![" not in body:  # no image: skip the scan
        return problems
    lines = body.splitlines()
    for ref in media.images_in(body):
        line = first_line + ref.offset
        messages = media.mistakes(ref, media_dir)
        here = ref.offset

        def blank(n: int) -> bool:
            return not 0 <= n < len(lines) or not lines[n].strip()

        if not (media.IMAGE.fullmatch(lines[here].strip()) and blank(here - 1) and blank(here + 1)):
            messages.append("put an image on a line of its own, with blank lines around it")
        problems.extend(Problem(path, message, line=line) for message in messages)
    return problems


def _once_each(names: list[str]) -> tuple[str, ...]:
    """Each name once, as first written ("Lungs and breathing" and "Lungs and Breathing"
    are one group)."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(fold(name), name)
    return tuple(seen.values())


def parse_article(
    text: str, path: str | Path, media_dir: Path | None = None
) -> tuple[Article, list[Problem]]:
    """Read one article. Raises ArticleError when it cannot be used; returns warnings otherwise.

    Checks that need the other articles (related slugs, duplicate titles) are made by
    :func:`load_folder`, which sees them all. A figure's file is looked for in
    ``media_dir``, by default the media folder beside an article given by its full path
    (a bare file name is judged without its folder).
    """
    path = Path(path)
    if media_dir is None and path.is_absolute():
        media_dir = path.parent / media.FOLDER
    shown = str(path)
    slug = path.stem
    problems: list[Problem] = []
    if path.suffix != ".md" or not SLUG_PATTERN.match(slug):
        problems.append(
            Problem(
                shown,
                "the file name must be a slug: lowercase letters, digits and "
                "hyphens, ending in .md (for example heart-attack.md)",
                field="slug",
            )
        )
    front, body, body_line = split_front_matter(text, shown)
    meta = load_front_matter(front, shown)

    def bad(name: str, message: str) -> None:
        problems.append(Problem(shown, message, field=name, line=_field_line(front, name)))

    title = meta.get("title")
    if not isinstance(title, str | int | float) or not str(title).strip():
        bad("title", "the title is missing or empty")
        title = ""
    title = str(title).strip()
    if len(title) > MAX_NAME_LENGTH:
        bad("title", f"the title is {len(title)} characters long; at most {MAX_NAME_LENGTH}")

    lists: dict[str, list[str]] = {}
    for name in (f.name for f in FIELDS if f.is_list):
        values = _string_list(meta.get(name))
        if values is None:
            bad(name, f"{name} must be a list of names, like [First name, Second name]")
            values = []
        lists[name] = [v.strip() for v in values if v.strip()]
        for value in lists[name]:
            if len(value) > MAX_NAME_LENGTH:
                bad(name, f"{_shorten(value)!r} is longer than {MAX_NAME_LENGTH} characters")
    for related in lists["related"]:
        if not SLUG_PATTERN.match(related):
            bad(
                "related",
                f"{_shorten(related)!r} is not a slug (lowercase letters, digits, hyphens)",
            )

    reviewed, message = parse_date(meta.get("reviewed"))
    if message:
        bad("reviewed", message)

    texts: dict[str, str | None] = {}
    for name in (f.name for f in FIELDS if f.kind in ("text", "url") and not f.required):
        value = meta.get(name)
        if value is not None and not isinstance(value, str | int | float):
            bad(name, f"{name} must be plain text")
            value = None
        texts[name] = str(value).strip() if value is not None else None
        if texts[name] is not None and len(texts[name]) > MAX_TEXT_LENGTH:
            bad(name, f"{name} is longer than {MAX_TEXT_LENGTH} characters")

    lang = (texts["lang"] or DEFAULT_LANGUAGE).lower()
    if lang not in LANGUAGES:
        known = ", ".join(f"{code} ({language.name})" for code, language in LANGUAGES.items())
        bad("lang", f"lang {_shorten(lang)!r} is not a language of this site: {known}")
    translation_of = texts["translation_of"] or None
    if translation_of is not None and not SLUG_PATTERN.match(translation_of):
        bad(
            "translation_of",
            f"{_shorten(translation_of)!r} is not a slug (lowercase letters, digits, hyphens)",
        )

    for unknown in sorted(set(map(str, meta)) - KNOWN_FIELDS):
        problems.append(
            Problem(
                shown,
                f"unknown field {unknown!r} is ignored",
                field=unknown,
                line=_field_line(front, unknown),
                severity="warning",
            )
        )

    summary, sections, body_problems = _split_body(body, body_line, shown)
    problems.extend(body_problems)
    problems.extend(_figure_problems(body, body_line, shown, media_dir))
    if any(p.severity == "error" for p in problems):
        raise ArticleError(problems)
    article = Article(
        slug=slug,
        title=title,
        also_called=tuple(n for n in dict.fromkeys(lists["also_called"]) if fold(n) != fold(title)),
        kind=texts["kind"],
        reviewed=reviewed,
        reviewed_by=texts["reviewed_by"],
        related=tuple(dict.fromkeys(lists["related"])),
        search_aliases=tuple(
            n
            for n in dict.fromkeys(lists["search_aliases"])
            if fold(n) not in {fold(name) for name in (title, *lists["also_called"])}
        ),
        source=texts["source"],
        source_url=texts["source_url"],
        groups=_once_each(lists["groups"]),
        lang=lang,
        translation_of=translation_of,
        summary=summary,
        sections=tuple(sections),
    )
    return article, problems


def digest_of(data: bytes) -> str:
    """Identifies one version of an article file (the index records it, the health check
    and the editor compare it)."""
    return hashlib.sha256(data).hexdigest()[:16]


def read_source(path: Path) -> tuple[str, str]:
    """The file's text and the digest of exactly those bytes, read once."""
    try:
        data = path.read_bytes()
        return data.decode("utf-8"), digest_of(data)
    except UnicodeDecodeError as exc:
        raise ArticleError(
            [Problem(str(path), f"the file is not UTF-8 text ({exc.reason})")]
        ) from exc
    except OSError as exc:
        raise ArticleError(
            [Problem(str(path), f"the file cannot be read: {exc.strerror}")]
        ) from exc


def read_article(path: Path) -> tuple[Article, list[Problem]]:
    text, _ = read_source(path)
    return parse_article(text, path)


def article_paths(content_dir: Path) -> list[Path]:
    return sorted(p for p in content_dir.glob("*.md") if p.is_file())


def load_folder(content_dir: Path, paths: Iterable[Path] | None = None) -> Folder:
    """Read every article and check them against each other.

    An article whose own problems are errors is left out; an article whose related
    slug is missing or whose title repeats another's is left out too, so what comes
    back in ``articles`` is always safe to publish.
    """
    folder = Folder()
    if not content_dir.is_dir():
        folder.problems.append(Problem(str(content_dir), "the content folder does not exist"))
        return folder
    parsed: dict[str, Article] = {}
    listed = article_paths(content_dir) if paths is None else None
    for path in paths if paths is not None else listed:
        try:
            text, digest = read_source(path)
            article, problems = parse_article(text, path)
        except ArticleError as exc:
            folder.problems.extend(exc.problems)
            continue
        folder.problems.extend(problems)
        parsed[article.slug] = article
        folder.digests[article.slug] = digest

    # Which slugs a related link or a translation may name. Reading a few files (an
    # update), the folder is not listed: at 50,000 files that took 1.2 s of each save,
    # for the one or two slugs an article links to.
    existing: Container[str] = (
        set(parsed) | {p.stem for p in listed}
        if listed is not None
        else _FilesIn(content_dir, set(parsed))
    )
    neighbours = Neighbours((neighbour_of(a) for a in parsed.values()), existing)
    refused: set[str] = set()
    for article in parsed.values():
        for clash in neighbours.clashes_of(article):
            if clash.severity == "error":
                refused.add(article.slug)
            field = clash.field
            folder.problems.append(
                Problem(
                    _path(content_dir, article.slug),
                    clash.message(lambda slug: f"{slug}.md"),
                    field=field,
                    line=_line_of(content_dir, article.slug, field)
                    if clash.severity == "error"
                    else None,
                    severity=clash.severity,
                )
            )

    folder.articles = {slug: a for slug, a in parsed.items() if slug not in refused}
    return folder


class _FilesIn:
    """A slug exists when it was just read or its file is in the folder, asked one slug
    at a time."""

    def __init__(self, folder: Path, read: set[str]):
        self.folder = folder
        self.read = read

    def __contains__(self, slug: object) -> bool:
        return slug in self.read or (
            isinstance(slug, str)
            and bool(SLUG_PATTERN.match(slug))
            and (self.folder / f"{slug}.md").is_file()
        )


def neighbour_of(article: Article) -> Neighbour:
    return Neighbour(
        article.slug, article.title, article.names, article.lang, article.translation_of
    )


def _path(content_dir: Path, slug: str) -> str:
    return str(content_dir / f"{slug}.md")


def _line_of(content_dir: Path, slug: str, name: str) -> int | None:
    try:
        front, _, _ = split_front_matter(
            (content_dir / f"{slug}.md").read_text(encoding="utf-8"), slug
        )
    except (OSError, ArticleError, UnicodeDecodeError):
        return None
    return _field_line(front, name)


@dataclass(frozen=True)
class FileState:
    """One content file as last read: what it parsed to, its errors, its digest."""

    article: Article | None
    errors: tuple[str, ...]
    digest: str


class ContentFolder:
    """The content folder, each file read again only when its size or modification time
    changes: the editor's dashboard and checks, and ``/healthz``'s comparison with the
    index, all poll it, and re-reading 50,000 files each time would be the load. The one
    cached reader of ``content/``. A file's digest is kept apart from its parse, so
    ``/healthz`` never parses what only the editor needs. Thread-safe: the last complete
    read wins."""

    def __init__(self, content_dir: Path):
        self.content_dir = content_dir
        # slug -> ((mtime, size), digest, parsed state or None until asked for)
        self._known: dict[str, tuple[tuple[int, int], str, FileState | None]] = {}
        self._guard = threading.Lock()

    def _stats(self) -> dict[str, tuple[int, int]]:
        seen: dict[str, tuple[int, int]] = {}
        with contextlib.suppress(FileNotFoundError), os.scandir(self.content_dir) as entries:
            for entry in entries:
                if entry.name.endswith(".md") and entry.is_file():
                    try:
                        st = entry.stat()
                    except FileNotFoundError:
                        continue
                    seen[entry.name[:-3]] = (st.st_mtime_ns, st.st_size)
        return seen

    def _read(self, parse: bool) -> dict[str, tuple[tuple[int, int], str, FileState | None]]:
        seen = self._stats()
        with self._guard:
            known = dict(self._known)
        for slug, key in seen.items():
            old = known.get(slug)
            if old is not None and old[0] == key and (old[2] is not None or not parse):
                continue
            path = self.content_dir / f"{slug}.md"
            try:
                text, digest = read_source(path)
            except ArticleError as exc:
                if not path.exists():
                    continue
                known[slug] = (key, "", FileState(None, tuple(p.message for p in exc.problems), ""))
                continue
            state = None
            if parse:
                try:
                    article, problems = parse_article(text, path)
                    errors = tuple(p.message for p in problems if p.severity == "error")
                except ArticleError as exc:
                    article, errors = None, tuple(p.message for p in exc.problems)
                state = FileState(article, errors, digest)
            known[slug] = (key, digest, state)
        known = {slug: value for slug, value in known.items() if slug in seen}
        with self._guard:
            self._known = known
        return known

    def digests(self) -> dict[str, str]:
        """Every article file's digest by slug ("" for one that cannot be read)."""
        return {slug: digest for slug, (_, digest, _) in self._read(parse=False).items()}

    def files(self) -> dict[str, FileState]:
        """Every article file whose name is a slug, parsed (``check`` reports the others)."""
        return {
            slug: state
            for slug, (_, _, state) in self._read(parse=True).items()
            if state and SLUG_PATTERN.match(slug)
        }

    def articles(self) -> dict[str, Article]:
        """Every readable article by slug."""
        return {slug: f.article for slug, f in self.files().items() if f.article}
