"""axe-core in headless chromium: no serious or critical violations on any page kind,
and the site can be used with the keyboard alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def page(browser):
    """A page whose CSP lets the test inject axe (the site's own CSP forbids inline script)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def violations(page: Page) -> list[dict]:
    assert AXE.exists(), "axe-core is missing: 'make test' installs it (npm ci)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=heart+attack",
        "/search?q=diabetis",
        "/search?q=zzzqqq",
        "/article/kyphoplasty",
        "/article/asthma",
        "/about",
        "/browse",
        "/browse/group/bones-joints-and-muscles",
        "/search?q=blood&kind=test",
        "/a-z",
        "/a-z/b",
        "/article/no-such-page",
        # Spanish pages: the same checks, the language attribute included.
        "/es/",
        "/es/article/cifoplastia",
        "/es/search?q=presion+alta",
        "/es/search?q=heart+attack",
        "/es/a-z/c",
        "/es/browse",
        "/es/no-such-page",
    ],
)
def test_no_serious_accessibility_violations(page: Page, base_url: str, path: str):
    page.goto(base_url + path)
    assert violations(page) == []
    # The page says its language (axe's html-has-lang and html-lang-valid), and it is
    # the language of the address.
    expected = "es" if path.startswith("/es/") else "en"
    assert page.locator("html").get_attribute("lang") == expected


def test_no_violations_with_suggestions_open(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.locator("#home-q").press_sequentially("heart", delay=20)
    expect(page.get_by_role("listbox")).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert violations(page) == []


def focused(page: Page) -> str:
    return page.evaluate(
        "(() => { const e = document.activeElement; return e.tagName + ' ' +"
        " (e.getAttribute('href') || e.getAttribute('name') || e.textContent.trim()); })()"
    )


def tab_to(page: Page, target: str, limit: int = 80) -> None:
    """Press Tab until ``target`` ("A /a-z/k", "INPUT q") has the focus, as a keyboard
    user would; fail plainly if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return
    raise AssertionError(f"{target!r} never received focus in {limit} presses of Tab")


def test_keyboard_only_search_open_result_and_browse_a_to_z(page: Page, base_url: str):
    page.goto(base_url + "/")
    tab_to(page, "INPUT q")
    page.keyboard.type("osteoporosis")
    page.keyboard.press("Enter")  # no suggestion chosen: Enter searches
    expect(page.locator(".result-count")).to_be_visible()
    tab_to(page, "A /article/osteoporosis")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Osteoporosis")

    page.goto(base_url + "/a-z")
    tab_to(page, "A /a-z/k")
    page.keyboard.press("Enter")
    expect(page).to_have_url(base_url + "/a-z/k")
    tab_to(page, "A /article/kyphoplasty")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kyphoplasty")


def test_skip_link_moves_focus_to_the_content(page: Page, base_url: str):
    page.goto(base_url + "/article/kyphoplasty")
    page.keyboard.press("Tab")
    assert focused(page) == "A #main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
