"""Real things in temporary folders: a copy of the shipped articles, a real Whoosh index
built from them, and the real Flask app pointed at both."""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from html import unescape
from pathlib import Path

import pytest

from encyclopedia import create_app
from encyclopedia.config import Settings
from encyclopedia.search import Library, rebuild

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONTENT = PROJECT_ROOT / "content"
MEDLINEPLUS_JSON = Settings.from_env().medlineplus_json  # config.py says where it is


def write_article(folder: Path, slug: str, front: str, body: str = "A summary.\n") -> Path:
    """Write ``folder/slug.md`` from front matter and body given as indented blocks."""
    path = folder / f"{slug}.md"
    path.write_text(
        "---\n" + textwrap.dedent(front).strip() + "\n---\n" + textwrap.dedent(body),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session", autouse=True)
def instance_folder(tmp_path_factory: pytest.TempPathFactory):
    """Librarian databases go to a temporary folder, never the checkout's instance/, for
    every app and every command the tests start (subprocesses inherit the variable).
    Set for the session and restored after it, not at import."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("instance")
        patch.setenv("ENCYCLOPEDIA_INSTANCE_DIR", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def environment_restored():
    """Each test leaves the environment as it found it (as Flask's own suite does): a
    setting one test changes must not reach the next."""
    saved = dict(os.environ)
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shipped content/, copied and indexed once for the tests that only read."""
    root = tmp_path_factory.mktemp("shipped")
    content = root / "content"
    shutil.copytree(SHIPPED_CONTENT, content)
    index = root / "index"
    rebuild(content, index)
    return content, index


@pytest.fixture(scope="session")
def medlineplus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The 1,017 MedlinePlus topics imported into a temporary folder and indexed once."""
    from encyclopedia.importing import import_medlineplus

    root = tmp_path_factory.mktemp("medlineplus")
    import_medlineplus(MEDLINEPLUS_JSON, root / "content")
    rebuild(root / "content", root / "index")
    return root / "content", root / "index"


@pytest.fixture(scope="session")
def library(shipped_index: tuple[Path, Path]) -> Library:
    content, index = shipped_index
    return Library(index, thesaurus=content / "thesaurus.yaml")


@pytest.fixture(scope="session")
def lexical_library(shipped_index: tuple[Path, Path]) -> Library:
    """The same index searched by words alone, as a site without the model is."""
    content, index = shipped_index
    return Library(index, thesaurus=content / "thesaurus.yaml", semantic=False)


@pytest.fixture(scope="session")
def app(shipped_index: tuple[Path, Path]):
    content, index = shipped_index
    return create_app({"content_dir": content, "index_dir": index, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """An empty content folder of one's own, for tests that write articles."""
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped articles, for tests that change them."""
    folder = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, folder)
    return folder


@pytest.fixture(scope="session")
def base_url(app):
    """The app served on a loopback port, for the browser tests."""
    from tests.browser import serve

    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    """The CSRF token a page's form carries, as a browser would send it back."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


def form_data(html: str) -> dict[str, str]:
    """What the edit form would send back unchanged, as a browser would."""
    data = {"csrf_token": csrf_token(html)}
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html):
        data.setdefault(name, value)
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html, re.S
    ):
        data[name] = value
    return {k: unescape(v) for k, v in data.items() if k not in ("preview", "save")}


def librarian_site(content: Path, root: Path):
    """The articles in ``content`` indexed into ``root``, and the app serving them with
    its own database holding one librarian, ann."""
    index = root / "index"
    rebuild(content, index)
    app = create_app(
        {
            "content_dir": content,
            "index_dir": index,
            "instance_dir": root / "instance",
            "TESTING": True,
        }
    )
    app.extensions["workspace"].accounts.add("ann", PASSWORD)
    return app


@pytest.fixture
def desk(tmp_path: Path, content_copy: Path):
    """A private site for the librarian tests: its own articles, index and database,
    with one librarian, ann."""
    return librarian_site(content_copy, tmp_path)


def sign_in(client, name: str = "ann", password: str = PASSWORD):
    token = csrf_token(client.get("/librarian/login").text)
    return client.post(
        "/librarian/login", data={"csrf_token": token, "name": name, "password": password}
    )


@pytest.fixture
def ann(desk):
    """A test client signed in as ann."""
    client = desk.test_client()
    assert sign_in(client).status_code == 303
    return client
