"""Take the README's screenshot of a search results page: ``python -m tests.screenshot OUT``."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from encyclopedia import create_app
from encyclopedia.search import rebuild
from tests.browser import CHROMIUM_ARGS, chromium_path, serve
from tests.conftest import SHIPPED_CONTENT


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(SHIPPED_CONTENT, content)
        rebuild(content, Path(tmp) / "index")
        app = create_app({"content_dir": content, "index_dir": Path(tmp) / "index"})
        with serve(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1000, "height": 760})
            page.goto(url + "/search?q=balloon+kyphoplasty")
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=out)
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/search-results.png")
