"""A librarian's session in headless chromium: sign in, create an article, find it in
search and the A–Z, edit it, restore the earlier version, sign out; and axe-core on
every librarian page, including the editor with errors and a preview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import serve
from tests.conftest import PASSWORD
from tests.test_accessibility import violations


@pytest.fixture
def site(desk):
    with serve(desk) as url:
        yield url


@pytest.fixture
def page(browser):
    # bypass_csp only so axe can be injected; the site's own scripts run under its CSP.
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def sign_in(page: Page, site: str) -> None:
    page.goto(site + "/librarian")
    expect(page).to_have_url(re.compile(r"/librarian/login\?next="))
    page.get_by_label("Name").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Articles", level=1)).to_be_visible()


def test_a_librarian_creates_edits_restores_and_signs_out(page: Page, site: str):
    sign_in(page, site)
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Frozen shoulder")
    page.get_by_label("Address (slug)").fill("frozen-shoulder")
    page.get_by_label("Also called").fill("Adhesive capsulitis")
    page.get_by_label("Related articles").fill("back-pain")
    page.get_by_label("Text", exact=True).fill(
        "Frozen shoulder makes the shoulder stiff and painful.\n\n## Symptoms\n\nStiffness."
    )
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview: the page as patients will see it")
    expect(preview.get_by_role("heading", name="Frozen shoulder", level=1)).to_be_visible()
    expect(preview.get_by_text("Also called: Adhesive capsulitis")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("The change is live")

    # A patient finds it at once, in search and in the A–Z.
    page.goto(site + "/search?q=adhesive+capsulitis")
    expect(page.locator(".result h2 a").first).to_have_text("Frozen shoulder")
    page.goto(site + "/a-z/a")
    page.get_by_role("link", name="Frozen shoulder").first.click()
    expect(page.get_by_role("heading", name="Frozen shoulder", level=1)).to_be_visible()

    # Edit the title, then restore the first version from the history.
    page.goto(site + "/librarian/edit/frozen-shoulder")
    page.get_by_label("Title").fill("Frozen shoulder (adhesive capsulitis)")
    page.get_by_label("What changed").fill("longer title")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    page.goto(site + "/article/frozen-shoulder")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Frozen shoulder (adhesive capsulitis)"
    )
    page.goto(site + "/librarian/history/frozen-shoulder")
    expect(page.get_by_text("longer title")).to_be_visible()
    page.get_by_role("button", name="Compare the chosen versions").click()
    expect(page.locator("del").filter(has_text="title: Frozen shoulder")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.locator(".flash")).to_contain_text("Restored the earlier version")
    page.goto(site + "/article/frozen-shoulder")
    expect(page.get_by_role("heading", level=1)).to_have_text("Frozen shoulder")

    # Sign out: the librarian pages are closed again.
    page.goto(site + "/librarian")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flash")).to_contain_text("You are signed out")
    page.goto(site + "/librarian/edit/frozen-shoulder")
    expect(page).to_have_url(re.compile(r"/librarian/login"))


def test_errors_are_announced_and_linked_to_their_fields(page: Page, site: str):
    sign_in(page, site)
    page.goto(site + "/librarian/new")
    page.get_by_label("Title").fill("Heart attack")
    page.get_by_label("Address (slug)").fill("heart-attack-2")
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not saved")
    alert.get_by_role("link", name="Title").click()
    expect(page.get_by_label("Title")).to_be_focused()
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize(
    "path",
    [
        "/librarian/login",
        "/librarian",
        "/librarian/new",
        "/librarian/edit/kyphoplasty",
        "/librarian/history/kyphoplasty",
        "/librarian/delete/kyphoplasty",
        "/librarian/trash",
        "/librarian/review",
        "/librarian/thesaurus",
        "/librarian/history/thesaurus.yaml",
        "/librarian/images",
        "/librarian/files/about.md",
        "/librarian/files/emergency.yaml",
        "/librarian/searches",
        "/librarian/log",
        "/librarian/reindex",
    ],
)
def test_no_serious_accessibility_violations_on_librarian_pages(page: Page, site: str, path):
    if path != "/librarian/login":
        sign_in(page, site)
    page.goto(site + "/search?q=zzqqxx")  # so the failed-searches table has a row
    page.goto(site + path)
    assert violations(page) == []


def test_no_violations_in_the_editor_with_errors_and_a_preview(page: Page, site: str):
    sign_in(page, site)
    page.goto(site + "/librarian/edit/kyphoplasty")
    page.get_by_label("Also called").fill("Balloon kyphoplasty\nHeart attack")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("is also a name of “Heart attack”")).to_be_visible()
    assert violations(page) == []
    page.get_by_label("Reviewed on").fill("")
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert violations(page) == []


def test_an_image_is_uploaded_in_the_editor_and_shown_in_the_preview(
    page: Page, site: str, tmp_path
):
    from PIL import Image

    photo = tmp_path / "ankle.png"
    Image.new("RGB", (300, 200), (30, 90, 160)).save(photo)
    sign_in(page, site)
    page.goto(site + "/librarian/edit/sprained-ankle")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="upload an image").click()
    images = opened.value
    images.get_by_label("Image file").set_input_files(str(photo))
    images.get_by_label("Alt text").fill("A blue rectangle standing for a swollen ankle")
    images.get_by_label("Caption").fill("A sprained ankle swells on the outer side")
    images.get_by_role("button", name="Upload").click()
    expect(images.get_by_role("status", name=re.compile("Stored"))).to_contain_text("300 × 200")
    assert violations(images) == []
    line = images.get_by_label("Paste this line into the article:").input_value()
    assert line.startswith("![A blue rectangle standing for a swollen ankle](media/")

    body = page.get_by_label("Text", exact=True)
    body.fill(body.input_value() + "\n\n" + line + "\n")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview: the page as patients will see it")
    figure = preview.locator("figure")
    expect(figure.get_by_role("img", name="A blue rectangle")).to_be_visible()
    expect(figure.locator("figcaption")).to_have_text("A sprained ankle swells on the outer side")
    shown = figure.get_by_role("img")
    shown.scroll_into_view_if_needed()
    assert shown.evaluate("img => img.decode().then(() => img.naturalWidth)") == 300
    assert violations(page) == []


def test_the_reindex_page_follows_a_run_to_its_end_without_script(browser, site: str):
    """With JavaScript off, as the page promises: the new run is shown at once (not the
    last one as finished), the page refreshes itself, and it ends on the finished run."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site + "/librarian/reindex")
        page.get_by_role("button", name="Reindex everything now").click()
        status = page.get_by_role("heading", level=2)
        expect(status).to_have_text(re.compile("Reindex (starting|running)"))
        expect(page.get_by_role("button", name="Reindex everything now")).to_have_count(0)
        expect(page.get_by_text("0 of 0")).to_have_count(0)
        # No reload by the test: the page's own refresh brings the end.
        expect(status).to_have_text("Last reindex finished", timeout=60_000)
        expect(page.get_by_text("by ann")).to_be_visible()
        expect(page.get_by_role("button", name="Reindex everything now")).to_be_visible()
    finally:
        context.close()


def test_a_failed_search_fix_is_previewed_then_saved(page: Page, site: str):
    page.goto(site + "/search?q=zzhartattak")
    sign_in(page, site)
    page.get_by_role("link", name="Searches that failed", exact=True).click()
    row = page.get_by_role("row", name=re.compile("zzhartattak"))
    row.get_by_label("Article for “zzhartattak”").fill("heart-attack")
    row.get_by_label("a hidden search alias").check()
    row.get_by_role("button", name="Preview the fix for “zzhartattak”").click()
    preview = page.get_by_role("region", name=re.compile("“zzhartattak” as a hidden search alias"))
    expect(preview.locator("ol.after li").first).to_have_text("Heart attack")
    expect(preview.get_by_text("nothing")).to_be_visible()  # what it finds now
    assert violations(page) == []
    preview.get_by_role("button", name="Save this fix").click()
    expect(page.locator(".flash")).to_contain_text("patients never see it")
    expect(page.get_by_role("region", name="“zzhartattak” now finds")).to_contain_text(
        "Heart attack"
    )


def test_the_address_follows_the_title_and_related_articles_are_picked_by_name(
    page: Page, site: str
):
    sign_in(page, site)
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Frozen shoulder")
    expect(page.get_by_label("Address (slug)")).to_have_value("frozen-shoulder")
    page.get_by_label("Address (slug)").fill("shoulder-frozen")  # the librarian's choice wins
    page.get_by_label("Title").fill("Frozen shoulder (adhesive capsulitis)")
    page.wait_for_timeout(400)
    expect(page.get_by_label("Address (slug)")).to_have_value("shoulder-frozen")

    picker = page.get_by_role("combobox", name="Add a related article")
    picker.fill("osteopor")
    page.get_by_role("option", name="Osteoporosis", exact=True).click()
    expect(page.get_by_label("Related articles")).to_have_value("osteoporosis")
    picker.fill("kypho")
    expect(page.get_by_role("option").first).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(page.get_by_label("Related articles")).to_have_value("osteoporosis\nkyphoplasty")
    expect(picker).to_have_value("")
    assert violations(page) == []


def test_without_script_a_new_article_gets_its_address_from_its_title(browser, site: str):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site + "/librarian/new")
        expect(page.get_by_label("Add a related article")).to_be_hidden()
        page.get_by_label("Title").fill("Tennis elbow")
        page.get_by_label("Text", exact=True).fill(
            "Tennis elbow is pain on the outside of the elbow."
        )
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_label("Address (slug)")).to_have_value("tennis-elbow")
    finally:
        context.close()


def test_the_review_queue_marks_an_article_reviewed(page: Page, site: str):
    sign_in(page, site)
    page.get_by_role("link", name="Review queue").click()
    first = page.get_by_role("row").nth(1)
    title = first.get_by_role("link").inner_text()
    expect(first).to_contain_text("Due for review")
    first.get_by_label(f"Note for {title} (optional)").fill("checked the sources")
    first.get_by_role("button", name=f"Mark reviewed {title}").click()
    expect(page.locator(".flash")).to_contain_text("marked reviewed today by ann")
    # Reviewed today: last in the queue, next due in two years, in words.
    last = page.get_by_role("row").last
    expect(last.get_by_role("link")).to_have_text(title)
    expect(last).to_contain_text("by ann")
    expect(last).not_to_contain_text("Due for review")
    assert violations(page) == []
