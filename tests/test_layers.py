"""Who may import what: the seams the README's "How it works" promises, checked on the
source so a shortcut through one fails here rather than in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "encyclopedia"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def uses(path: Path, package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in imports(path))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_engine_imports_whoosh(path: Path):
    if (PACKAGE / "search" / "engine") in path.parents:
        return
    assert not uses(path, "whoosh"), f"{path.name} imports Whoosh: go through search.engine"


@pytest.mark.parametrize(
    "path",
    [*modules("search"), *modules("librarian")],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_search_and_librarian_code_never_import_flask(path: Path):
    assert not uses(path, "flask"), f"{path.name} imports Flask"
    assert not uses(path, "encyclopedia.web"), f"{path.name} imports the web layer"


@pytest.mark.parametrize("path", modules("web"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_web_code_never_reaches_into_the_engine(path: Path):
    assert not uses(path, "encyclopedia.search.engine"), f"{path.name} reaches into the engine"


def test_the_engine_is_really_where_whoosh_is():
    assert sum(uses(p, "whoosh") for p in modules("search/engine")) >= 5


TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: p.name)
def test_tests_never_import_the_benchmarks(path: Path):
    """Benchmarks change freely; a test that borrowed their code would change with them."""
    assert not uses(path, "bench"), f"{path.name} imports bench/"


def test_every_package_is_installed_by_pyproject():
    """setuptools installs the packages pyproject.toml lists, no more: a new package left
    out works in a checkout and is missing from a wheel (search.engine once was)."""
    import tomllib

    listed = set(
        tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(init.parent.relative_to(PACKAGE.parent).parts)
        for init in PACKAGE.rglob("__init__.py")
    }
    assert found == listed
