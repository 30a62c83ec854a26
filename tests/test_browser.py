"""What a patient sees and clicks, in headless chromium driven by Playwright."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_search_open_top_result_and_follow_an_a_to_z_cross_reference(page: Page, base_url):
    page.goto(base_url + "/")
    box = page.get_by_role("combobox", name="Search the encyclopedia").first
    box.fill("balloon kyphoplasty")
    box.press("Enter")
    expect(page).to_have_title("balloon kyphoplasty: search results | Health Encyclopedia")
    expect(page.locator(".result-count")).to_contain_text("articles found")
    first = page.locator(".result").first
    expect(first.locator(".matched-name")).to_have_text("Balloon kyphoplasty → Kyphoplasty")
    expect(first.locator("mark").first).to_be_visible()
    first.get_by_role("link", name="Kyphoplasty").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kyphoplasty")
    page.get_by_role("link", name="Risks").first.click()
    assert page.url.endswith("#risks")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="A–Z index").click()
    page.get_by_role("navigation", name="Browse A to Z").get_by_role(
        "link", name="B", exact=True
    ).click()
    entry = page.locator(".az-list li", has_text="Balloon kyphoplasty, see")
    expect(entry).to_have_count(1)
    entry.get_by_role("link", name="Kyphoplasty").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kyphoplasty")


def test_letters_without_entries_are_shown_but_not_links(page: Page, base_url):
    page.goto(base_url + "/a-z")
    nav = page.get_by_role("navigation", name="Browse A to Z")
    expect(nav.get_by_text("X", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="X", exact=True)).to_have_count(0)


def test_pages_fit_a_phone_screen(browser, base_url):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        for path in ("/", "/search?q=heart+attack", "/article/kyphoplasty", "/a-z/b"):
            page.goto(base_url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
            expect(page.get_by_role("combobox").first).to_be_visible()
    finally:
        context.close()


def test_print_hides_navigation_and_keeps_the_site_name(page: Page, base_url):
    page.goto(base_url + "/article/kyphoplasty")
    page.emulate_media(media="print")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".site-name")).to_be_visible()  # whose page this is, on paper
    expect(page.locator(".toc")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_misspelled_address_offers_the_article(page: Page, base_url):
    response = page.goto(base_url + "/article/kyphoplsty")
    assert response.status == 404
    page.get_by_role("link", name="Kyphoplasty").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kyphoplasty")


def test_suggestions_work_with_the_keyboard_only(page: Page, base_url):
    page.goto(base_url + "/a-z")
    for _ in range(10):  # Tab from the top of the page to the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('role')") == "combobox":
            break
    box = page.locator("input[role=combobox]:focus")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("balloon", delay=30)
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text("Balloon kyphoplasty → Kyphoplasty")

    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("ArrowDown")  # reopens
    expect(listbox).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(base_url + "/article/kyphoplasty")


def test_enter_without_choosing_a_suggestion_searches(page: Page, base_url):
    page.goto(base_url + "/")
    box = page.locator("#home-q")
    box.fill("hart atack")
    box.press("Enter")
    expect(page.locator(".correction")).to_contain_text("Showing results for heart attack")
    expect(page.locator(".result").first.get_by_role("link")).to_have_text("Heart attack")


def test_search_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        page.locator("#home-q").fill("kyphoplasty")
        page.locator("#home-q").press("Enter")
        expect(page.locator(".result").first.get_by_role("link")).to_have_text("Kyphoplasty")
    finally:
        context.close()


def test_a_patient_turns_the_pages_of_a_long_letter(page: Page, shipped_index):
    """Four entries to a page, so the shipped B has seven: follow the guide names."""
    from encyclopedia import create_app
    from tests.browser import serve

    content, index = shipped_index
    app = create_app({"content_dir": content, "index_dir": index, "site_map_page_size": 4})
    with serve(app) as url:
        page.goto(url + "/a-z/b")
        expect(page).to_have_title("A–Z index: B, page 1 of 7 | Health Encyclopedia")
        guides = page.get_by_role("navigation", name="Pages of B")
        expect(guides.locator("[aria-current=page]")).to_have_text("Back pain – Bariatric surgery")
        guides.get_by_role("link", name="Brittle bones – Broken vertebra").click()
        expect(page).to_have_url(url + "/a-z/b?page=5")
        expect(page.locator(".az-list li").first).to_contain_text("Brittle bones")
        page.get_by_role("link", name="Next: Bronchial asthma – Bullseye rash infection").click()
        expect(page.locator(".az-list li", has_text="Bronchial asthma")).to_have_count(1)
        page.get_by_role("link", name="Previous: Brittle bones – Broken vertebra").click()
        expect(page).to_have_url(url + "/a-z/b?page=5")


def test_an_article_prints_with_its_address_dates_and_disclaimer_and_no_navigation(
    page: Page, base_url
):
    page.goto(base_url + "/article/kyphoplasty")
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    expect(page.locator(".print-only")).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator(".print-only")).to_be_visible()
    expect(page.locator(".print-only")).to_contain_text("/article/kyphoplasty")
    expect(page.locator(".review")).to_contain_text("Next review due")
    expect(page.locator(".site-footer")).to_contain_text("does not replace advice")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".search-form").first).to_be_hidden()
    expect(page.get_by_role("button", name="Print this page")).to_be_hidden()
    page.emulate_media(media="screen")


def test_care_callouts_and_a_figure_are_seen_on_screen_and_on_paper(page: Page, base_url):
    page.goto(base_url + "/article/asthma")
    notes = page.get_by_role("note")
    for label, title in [
        ("Emergency", "Call your emergency number now"),
        ("Urgent advice", "Get medical help today"),
        ("Non-urgent advice", "See a doctor if"),
    ]:
        callout = notes.filter(has_text=label).filter(has_text=title)
        expect(callout).to_have_count(1)
        expect(callout).to_be_visible()
    figure = page.locator("figure").first
    image = figure.get_by_role("img", name="Two airways cut across")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    expect(figure.locator("figcaption")).to_contain_text("airways swell")
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0  # loaded
    page.emulate_media(media="print")
    expect(notes.filter(has_text="Emergency")).to_be_visible()
    expect(image).to_be_visible()
    emergency_border = notes.filter(has_text="Emergency").evaluate(
        "e => getComputedStyle(e).borderLeftWidth"
    )
    assert emergency_border == "8px"  # the level still shows on paper, in black and white
    page.emulate_media(media="screen")


def test_a_patient_says_a_page_did_not_help(page: Page, base_url):
    page.goto(base_url + "/article/asthma")
    form = page.get_by_role("group", name="Was this page helpful?")
    form.get_by_role("button", name="No").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    page.get_by_role("link", name="Back to the article").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asthma")


def test_a_patient_switches_an_article_to_spanish_and_searches_in_spanish(page: Page, base_url):
    page.goto(base_url + "/article/kyphoplasty")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Español").click()
    expect(page).to_have_url(base_url + "/es/article/cifoplastia")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cifoplastia")
    # The interface is Spanish, suggestions come from the Spanish names.
    box = page.get_by_role("combobox", name="Buscar en la enciclopedia").first
    box.fill("balon")
    box.press_sequentially(" ", delay=30)  # typed, so the script asks for suggestions
    listbox = page.get_by_role("listbox", name="Sugerencias")
    expect(listbox.get_by_role("option").first).to_contain_text("Cifoplastia con balón")
    box.fill("presion alta")
    box.press("Enter")
    expect(page).to_have_url(base_url + "/es/search?q=presion+alta")
    first = page.locator("ol.results li").first
    expect(first.get_by_role("link")).to_have_text("Presión arterial alta")
    expect(page.locator(".result-count")).to_contain_text("artículos encontrados")
    # And back to English from the result's article.
    first.get_by_role("link").click()
    page.get_by_role("navigation", name="Sitio").get_by_role("link", name="English").click()
    expect(page).to_have_url(base_url + "/article/high-blood-pressure")
    expect(page.get_by_role("heading", level=1)).to_have_text("High blood pressure")
