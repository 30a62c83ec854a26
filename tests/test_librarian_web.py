"""The librarian pages through the real app and its test client: sign-in, CSRF, rate
limits, every page refusing the signed-out, and the editing workflow end to end."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import html5lib
import pytest

from encyclopedia import create_app
from encyclopedia.search import rebuild
from tests.conftest import PASSWORD, csrf_token, form_data, sign_in, write_article


def assert_valid_html(response) -> None:
    html5lib.HTMLParser(strict=True).parse(response.data)


def folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def article_element(html: str) -> str:
    return re.search(r'<article class="article".*?</article>', html, re.S).group(0)


# Signed out -------------------------------------------------------------------------


def test_every_librarian_address_sends_the_signed_out_to_sign_in(desk):
    client = desk.test_client()
    content = desk.extensions["settings"].content_dir
    before = folder_digest(content)
    checked = 0
    for rule in desk.url_map.iter_rules():
        if not rule.rule.startswith("/librarian") or rule.endpoint == "auth.login":
            continue
        url = rule.rule
        for name, value in {
            "slug": "asthma",
            "revision_id": "1",
            "item_id": "1",
            "key": "about.md",
        }.items():
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
        assert "<" not in url, f"unfilled argument in {rule.rule}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"title": "Hacked"})
            if rule.endpoint == "auth.logout":
                assert response.status_code in (303, 400), url
                continue
            assert response.status_code == 302, f"{method} {url}: {response.status_code}"
            assert response.location.startswith("/librarian/login?next="), url
            checked += 1
    assert checked >= 15
    assert folder_digest(content) == before


def test_sign_in_rejects_a_wrong_password_and_rate_limits_repeated_failures(tmp_path, content_copy):
    rebuild(content_copy, tmp_path / "index")
    app = create_app(
        {
            "content_dir": content_copy,
            "index_dir": tmp_path / "index",
            "instance_dir": tmp_path / "instance",
            "login_limit": "3 per minute",
            "TESTING": True,
        }
    )
    app.extensions["workspace"].accounts.add("ann", PASSWORD)
    client = app.test_client()
    for _ in range(3):
        response = sign_in(client, password="wrong password!")
        assert response.status_code == 401
        assert "That name and password do not match an account." in response.text
    response = sign_in(client)
    assert response.status_code == 429
    assert "Too many failed sign-ins from your address" in response.text
    assert "Traceback" not in response.text


def test_a_successful_sign_in_does_not_count_towards_the_limit(tmp_path, content_copy):
    rebuild(content_copy, tmp_path / "index")
    app = create_app(
        {
            "content_dir": content_copy,
            "index_dir": tmp_path / "index",
            "instance_dir": tmp_path / "instance",
            "login_limit": "2 per minute",
            "TESTING": True,
        }
    )
    app.extensions["workspace"].accounts.add("ann", PASSWORD)
    for _ in range(4):
        client = app.test_client()
        assert sign_in(client).status_code == 303


def test_sign_in_sets_a_hardened_session_cookie_and_refuses_open_redirects(desk):
    client = desk.test_client()
    token = csrf_token(client.get("/librarian/login").text)
    response = client.post(
        "/librarian/login?next=https://evil.example/",
        data={"csrf_token": token, "name": "ann", "password": PASSWORD},
    )
    assert response.status_code == 303 and response.location == "/librarian"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_when_served_over_https(tmp_path, shipped_index, monkeypatch):
    content, index = shipped_index
    monkeypatch.setenv("ENCYCLOPEDIA_HTTPS", "1")
    app = create_app(
        {"content_dir": content, "index_dir": index, "instance_dir": tmp_path, "TESTING": True}
    )
    app.extensions["workspace"].accounts.add("ann", PASSWORD)
    client = app.test_client()
    response = sign_in(client)
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_form_without_its_csrf_token_changes_nothing(ann, desk):
    content = desk.extensions["settings"].content_dir
    before = folder_digest(content)
    page = ann.get("/librarian/edit/asthma").text
    data = form_data(page)
    data.pop("csrf_token")
    data["title"] = "Changed without a token"
    data["save"] = "Save"
    response = ann.post("/librarian/edit/asthma", data=data)
    assert response.status_code == 400
    assert "This form has expired or did not come from this site" in response.text
    assert folder_digest(content) == before


def test_signing_out_ends_the_session(ann):
    token = csrf_token(ann.get("/librarian").text)
    response = ann.post("/librarian/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert ann.get("/librarian").status_code == 302


def test_librarian_pages_are_never_cached_and_are_valid_html(ann):
    for url in (
        "/librarian",
        "/librarian/new",
        "/librarian/edit/asthma",
        "/librarian/history/asthma",
        "/librarian/trash",
        "/librarian/searches",
        "/librarian/log",
        "/librarian/reindex",
        "/librarian/delete/asthma",
    ):
        response = ann.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"
        assert_valid_html(response)


def test_a_removed_librarian_is_signed_out_at_once(ann, desk):
    desk.extensions["workspace"].accounts.remove("ann")
    assert ann.get("/librarian").status_code == 302


# The dashboard ----------------------------------------------------------------------


def test_dashboard_flags_articles_overdue_for_review_and_filters(ann, desk):
    content = desk.extensions["settings"].content_dir
    path = content / "asthma.md"
    path.write_text(re.sub(r"reviewed: .*", "reviewed: 2019-05-01", path.read_text(), count=1))
    page = ann.get("/librarian?show=overdue").text
    assert "Asthma" in page and "Due for review" in page
    page = ann.get("/librarian?q=kypho").text
    assert "Kyphoplasty" in page and "Asthma" not in page
    # Another name finds its article too.
    assert "Kyphoplasty" in ann.get("/librarian?q=balloon").text


# Editing ----------------------------------------------------------------------------


def new_article(ann, **overrides) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(ann.get("/librarian/new").text),
        "slug": "frozen-shoulder",
        "title": "Frozen shoulder",
        "also_called": "Adhesive capsulitis\nStiff shoulder",
        "kind": "condition",
        "reviewed": "2025-02-03",
        "reviewed_by": "ann",
        "related": "back-pain",
        "source": "",
        "source_url": "",
        "body": "Frozen shoulder makes the shoulder stiff and painful.\n\n## Symptoms\n\nPain.",
        "note": "new article",
        "base": "",
    }
    data.update(overrides)
    return data


def test_errors_are_shown_next_to_their_fields_and_nothing_is_saved(ann, desk):
    content = desk.extensions["settings"].content_dir
    data = new_article(
        ann, title="Heart attack", related="no-such-article", reviewed="03/02/2025", save="Save"
    )
    response = ann.post("/librarian/new", data=data)
    assert response.status_code == 422
    assert_valid_html(response)
    page = response.text
    for field in ("title", "related", "reviewed"):
        assert f'id="field-{field}-errors"' in page
        assert re.search(rf'id="field-{field}"[^>]*aria-invalid="true"', page) or re.search(
            rf'aria-invalid="true"[^>]*id="field-{field}"', page
        )
    assert "is already the title of /article/heart-attack" in page
    assert "there is no /article/no-such-article" in page
    assert "is not a date" in page
    assert not (content / "frozen-shoulder.md").exists()
    # The librarian's text is still there to fix.
    assert "Frozen shoulder makes the shoulder stiff" in page


def test_a_shared_other_name_is_a_warning_naming_the_other_article(ann):
    data = new_article(ann, also_called="Balloon kyphoplasty", preview="Preview")
    page = ann.post("/librarian/new", data=data).text
    assert "“Balloon kyphoplasty” is also a name of “Kyphoplasty” (/article/kyphoplasty)" in page


def test_the_preview_is_the_public_page(ann, client_for_public=None):
    page = ann.get("/librarian/edit/kyphoplasty").text
    data = form_data(page)
    data["preview"] = "Preview"
    preview = ann.post("/librarian/edit/kyphoplasty", data=data)
    assert preview.status_code == 200
    public = ann.get("/article/kyphoplasty")
    assert article_element(preview.text) == article_element(public.text)


def test_a_saved_article_is_searchable_and_in_the_a_to_z_within_a_second(ann):
    started = time.perf_counter()
    response = ann.post("/librarian/new", data=new_article(ann, save="Save"))
    assert response.status_code == 303
    assert response.location == "/librarian/edit/frozen-shoulder"
    search = ann.get("/search?q=adhesive+capsulitis").text
    a_to_z = ann.get("/a-z/s").text
    elapsed = time.perf_counter() - started
    assert "Frozen shoulder" in search
    assert "Stiff shoulder" in a_to_z and "/article/frozen-shoulder" in a_to_z
    assert elapsed < 1.0
    assert "Saved. The change is live" in ann.get("/librarian/edit/frozen-shoulder").text


def test_the_later_of_two_librarians_editing_at_once_is_refused_with_the_diff(ann, desk):
    desk.extensions["workspace"].accounts.add("bob", PASSWORD)
    bob = desk.test_client()
    sign_in(bob, "bob")
    ann_form = form_data(ann.get("/librarian/edit/asthma").text)
    bob_form = form_data(bob.get("/librarian/edit/asthma").text)
    ann_form.update(also_called=ann_form["also_called"] + "\nAnn's name", save="Save")
    assert ann.post("/librarian/edit/asthma", data=ann_form).status_code == 303
    bob_form.update(also_called=bob_form["also_called"] + "\nBob's name", save="Save")
    response = bob.post("/librarian/edit/asthma", data=bob_form)
    assert response.status_code == 409
    assert_valid_html(response)
    # The words that changed are marked inside each line; read the lines as text.
    assert '<mark class="changed">Ann</mark>' in response.text
    page = re.sub(r'<mark class="changed">|</mark>', "", response.text)
    assert "Someone else changed this article" in page and "ann saved a newer version" in page
    assert re.search(r"<del>[^\n]*Ann&#39;s name[^\n]*</del>", page)
    assert re.search(r"<ins>[^\n]*Bob&#39;s name[^\n]*</ins>", page)
    text = (desk.extensions["settings"].content_dir / "asthma.md").read_text()
    assert "Ann's name" in text and "Bob's name" not in text


def test_renaming_keeps_the_old_address_working(ann):
    data = form_data(ann.get("/librarian/edit/vertebroplasty").text)
    data.update(slug="vertebral-augmentation", save="Save")
    response = ann.post("/librarian/edit/vertebroplasty", data=data)
    assert response.location == "/librarian/edit/vertebral-augmentation"
    old = ann.get("/article/vertebroplasty")
    assert old.status_code == 301 and old.location == "/article/vertebral-augmentation"
    assert ann.get("/article/vertebral-augmentation").status_code == 200
    # Related links elsewhere follow the rename.
    assert "/article/vertebral-augmentation" in ann.get("/article/kyphoplasty").text


def test_delete_to_trash_and_restore(ann):
    page = ann.get("/librarian/delete/vertebroplasty").text
    assert "Kyphoplasty" in page  # it says which articles link to it
    response = ann.post(
        "/librarian/delete/vertebroplasty",
        data={
            "csrf_token": csrf_token(page),
            "base": re.search(r'name="base" value="(\w+)"', page).group(1),
        },
    )
    assert response.status_code == 303
    assert ann.get("/article/vertebroplasty").status_code == 404
    trash = ann.get("/librarian/trash").text
    assert "Vertebroplasty" in trash
    action = re.search(r'action="(/librarian/trash/\d+/restore)"', trash).group(1)
    response = ann.post(action, data={"csrf_token": csrf_token(trash)})
    assert response.status_code == 303
    assert ann.get("/article/vertebroplasty").status_code == 200
    assert "The trash is empty" in ann.get("/librarian/trash").text


def test_history_compares_and_restores_versions(ann):
    data = form_data(ann.get("/librarian/edit/asthma").text)
    data.update(title="Asthma in adults", note="narrower title", save="Save")
    ann.post("/librarian/edit/asthma", data=data)
    history = ann.get("/librarian/history/asthma").text
    assert "narrower title" in history and "ann" in history
    ids = re.findall(r'name="a" value="(\d+)"', history)
    diff = ann.get(f"/librarian/history/asthma/diff?a={ids[1]}&b={ids[0]}")
    assert diff.status_code == 200
    assert '<mark class="changed"> in adults</mark>' in diff.text  # the words that changed
    text = re.sub(r'<mark class="changed">|</mark>', "", diff.text)
    assert "title: Asthma in adults" in text and "title: Asthma</del>" in text
    action = re.search(r'action="(/librarian/history/asthma/\d+/restore)"', history).group(1)
    base = re.search(r'name="base" value="(\w+)"', history).group(1)
    response = ann.post(action, data={"csrf_token": csrf_token(history), "base": base})
    assert response.status_code == 303
    assert "<h1>Asthma</h1>" in ann.get("/article/asthma").text


@pytest.mark.parametrize(
    "url",
    [
        "/librarian/edit/no-such-article",
        "/librarian/history/no-such-article",
        "/librarian/history/asthma/999999",
        "/librarian/edit/..%2F..%2Fetc%2Fpasswd",
        "/librarian/history/asthma/diff?a=1&b=999999",
    ],
)
def test_unknown_articles_and_versions_are_plain_404s(ann, url):
    response = ann.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.text


def test_a_bad_diff_request_is_a_400(ann):
    assert ann.get("/librarian/history/asthma/diff?a=x&b=1").status_code == 400


# Failed searches, the audit log and reindexing --------------------------------------


def test_failed_searches_are_counted_and_can_become_another_name(ann):
    for _ in range(3):
        ann.get("/search?q=zzqqxx+blorp")
    ann.get("/search?q=diabetis")
    page = ann.get("/librarian/searches").text
    assert re.search(r"zzqqxx blorp</th>\s*<td>3</td>", page)
    assert "corrected to “diabetes”" in page
    response = ann.post(
        "/librarian/searches/name",
        data={"csrf_token": csrf_token(page), "query": "zzqqxx blorp", "slug": "asthma"},
    )
    assert response.status_code == 303
    found = ann.get("/api/search?q=zzqqxx+blorp").get_json()
    assert found["results"][0]["slug"] == "asthma"
    assert "zzqqxx blorp</th>" not in ann.get("/librarian/searches").text
    assert (
        "another name “zzqqxx blorp” from searches that failed"
        in ann.get("/librarian/history/asthma").text
    )


def test_a_misspelling_becomes_a_hidden_alias_that_patients_never_see(ann):
    """ "Add as another name" had published the misspelling itself in Also called and
    the A–Z; a hidden search alias finds the article and is shown nowhere."""
    ann.get("/search?q=zzhartattak")
    page = ann.get("/librarian/searches").text
    row = r"zzhartattak</th>\s*<td>1</td>\s*<td>found nothing[^<]*</td>\s*<td>nothing"
    assert re.search(row, page)  # what it finds now: nothing
    response = ann.post(
        "/librarian/searches/alias",
        data={"csrf_token": csrf_token(page), "query": "zzhartattak", "slug": "heart-attack"},
    )
    assert response.status_code == 303 and "tried=zzhartattak" in response.headers["Location"]
    after = ann.get(response.headers["Location"]).text
    assert re.search(r"“zzhartattak” now finds</h2><ol><li>Heart attack</li>", after)
    hit = ann.get("/api/search?q=zzhartattak").get_json()["results"][0]
    assert hit["slug"] == "heart-attack" and hit["matched_name"] is None
    assert "zzhartattak" not in ann.get("/article/heart-attack").text.casefold()
    assert "zzhartattak" not in ann.get("/a-z/z").text.casefold()
    assert ann.get("/api/suggest?q=zzhart").get_json()["suggestions"] == []
    text = (ann.application.extensions["settings"].content_dir / "heart-attack.md").read_text()
    assert "search_aliases: [zzhartattak]" in text
    assert "also_called" not in text or "zzhartattak" not in text.split("search_aliases")[0]


def test_a_failed_search_can_become_a_thesaurus_entry_without_a_reindex(ann):
    ann.get("/search?q=blorpy+twinge")
    page = ann.get("/librarian/searches").text
    response = ann.post(
        "/librarian/searches/thesaurus",
        data={"csrf_token": csrf_token(page), "query": "blorpy twinge", "slug": "back-pain"},
    )
    assert response.status_code == 303
    found = ann.get("/api/search?q=blorpy+twinge").get_json()
    assert found["results"][0]["slug"] == "back-pain"


def test_teaching_a_search_needs_a_real_article(ann):
    ann.get("/search?q=zzqqxx+blorp")
    page = ann.get("/librarian/searches").text
    response = ann.post(
        "/librarian/searches/name",
        data={"csrf_token": csrf_token(page), "query": "zzqqxx blorp", "slug": "../secret"},
    )
    assert response.status_code == 303
    assert "Choose the article" in ann.get("/librarian/searches").text


def test_every_change_is_in_the_audit_log(ann):
    ann.post("/librarian/new", data=new_article(ann, save="Save"))
    page = ann.get("/librarian/log").text
    assert "signed in" in page and "created" in page and "frozen-shoulder" in page


def test_full_reindex_from_the_dashboard_publishes_a_new_build(ann, desk):
    library = desk.extensions["library"]
    before = library.version
    page = ann.get("/librarian/reindex").text
    response = ann.post("/librarian/reindex", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    # The page shown straight after is the new run, following itself: never the last
    # run as finished, never the button again, never "0 of 0 articles".
    page = ann.get(response.headers["Location"]).text
    assert "Last reindex finished" not in page and "Reindex everything now" not in page
    assert ("Reindex starting" in page or "Reindex running" in page) and "by ann" in page
    assert '<meta http-equiv="refresh"' in page and "0 of 0" not in page
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = ann.get("/librarian/reindex").text
        assert "0 of 0" not in page
        if "Last reindex finished" in page:
            break
        time.sleep(0.2)
    assert "Last reindex finished" in page and "by ann" in page
    assert '<meta http-equiv="refresh"' not in page and "Reindex everything now" in page
    assert library.version != before
    assert ann.get("/search?q=asthma").status_code == 200
    # The command records its result in the audit log just after it publishes.
    while time.monotonic() < deadline and "reindexed" not in ann.get("/librarian/log").text:
        time.sleep(0.1)
    log = ann.get("/librarian/log").text
    assert "reindex started" in log and "reindexed" in log


def test_a_reindex_asked_for_that_never_starts_is_shown_stopped(ann, desk):
    import datetime as dt
    import json

    from encyclopedia.search.reindex_status import STATUS, announce_reindex

    index = desk.extensions["settings"].index_dir
    announce_reindex(index, "ann")
    assert "Reindex starting" in ann.get("/librarian/reindex").text
    status = json.loads((index / STATUS).read_text())
    status["started"] = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    (index / STATUS).write_text(json.dumps(status))
    page = ann.get("/librarian/reindex").text
    assert "Last reindex stopped" in page and "did not start" in page
    assert "Reindex everything now" in page


def test_the_dashboard_reindex_publishes_past_one_broken_file(ann, desk):
    content = desk.extensions["settings"].content_dir
    (content / "broken.md").write_text("---\ntitle: Broken\nreviewed: 2025-02-30\n---\nText.\n")
    page = ann.get("/librarian/reindex").text
    ann.post("/librarian/reindex", data={"csrf_token": csrf_token(page)})
    deadline = time.monotonic() + 60
    page = ann.get("/librarian/reindex").text
    while time.monotonic() < deadline and not ("Last reindex" in page and "by ann" in page):
        time.sleep(0.2)
        page = ann.get("/librarian/reindex").text
    assert "Last reindex finished" in page and "1 file(s) left out for their errors" in page


def test_dashboard_lists_files_with_problems_and_what_is_wrong(ann, desk):
    content = desk.extensions["settings"].content_dir
    (content / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n")
    path = content / "gallstones.md"
    path.write_text(path.read_text().replace("related: [", "related: [no-such-thing, ", 1))
    page = ann.get("/librarian?show=problems").text
    assert "broken" in page and "not valid YAML" in page
    assert "related article &#39;no-such-thing&#39; does not exist" in page
    assert "Asthma" not in page


def test_the_review_queue_puts_the_most_overdue_first_and_marks_reviewed(ann, desk):
    import datetime as dt

    content = desk.extensions["settings"].content_dir
    write_article(content, "never-reviewed", "title: Never reviewed")
    write_article(content, "also-never-reviewed", "title: Also never reviewed")
    page = ann.get("/librarian/review").text
    rows = re.findall(r'<th scope="row"><a href="/librarian/edit/([a-z0-9-]+)">', page)
    assert rows[:2] == ["also-never-reviewed", "never-reviewed"]  # never reviewed: due now
    rows.remove("also-never-reviewed")
    listing = {r.slug: r for r in desk.extensions["workspace"].editor.listing()}
    due = [listing[slug].next_review for slug in rows[1:]]
    assert due == sorted(due) and len(due) == len(listing) - 2
    # Dates in words, as people read them.
    oldest = listing[rows[1]].reviewed
    assert f"{oldest.day} {oldest:%B %Y}" in page and oldest.isoformat() + "<" not in page

    response = ann.post(
        "/librarian/review/never-reviewed",
        data={"csrf_token": csrf_token(page), "note": "checked against NHS guidance"},
    )
    assert response.status_code == 303
    text = (content / "never-reviewed.md").read_text()
    assert f"reviewed: {dt.date.today().isoformat()}" in text and "reviewed_by: ann" in text
    history = ann.get("/librarian/history/never-reviewed").text
    assert "marked reviewed; checked against NHS guidance" in history
    page = ann.get("/librarian/review").text
    rows = re.findall(r'<th scope="row"><a href="/librarian/edit/([a-z0-9-]+)">', page)
    assert rows[-1] == "never-reviewed"  # reviewed today: due last
    assert (
        ann.post("/librarian/review/no-such", data={"csrf_token": csrf_token(page)}).status_code
        == 404
    )


def test_the_preview_measures_the_reading_level_and_marks_the_longest_sentences(ann):
    page = ann.get("/librarian/edit/kyphoplasty").text
    long = (
        "This sentence has been written, quite deliberately and for the purpose of this "
        "test alone, to run on well beyond the length that plain-language guides advise "
        "for patients, with clause after clause and comma after comma until it ends."
    )
    form = {
        "csrf_token": csrf_token(page),
        "slug": "kyphoplasty",
        "title": "Kyphoplasty",
        "body": f"Kyphoplasty treats a broken bone in the spine. {long}\n\n## Risks\n\nPain.\n",
        "base": re.search(r'name="base" type="hidden" value="([^"]*)"', page).group(1),
        "preview": "Preview",
    }
    preview = ann.post("/librarian/edit/kyphoplasty", data=form).text
    assert "Reading level" in preview and "the target is 11" in preview
    age = float(re.search(r"Reading age about <strong>([\d.]+)</strong>", preview).group(1))
    assert 6 < age < 30
    assert f"<mark>{long}</mark>" in preview.replace("&#39;", "'")
    plain = dict(form, body="Kyphoplasty fixes a broken bone in the back. It is quick. It helps.\n")
    easy = ann.post("/librarian/edit/kyphoplasty", data=plain).text
    easy_age = float(re.search(r"Reading age about <strong>([\d.]+)</strong>", easy).group(1))
    assert easy_age < age and "Within the target" in easy and "<mark>" not in easy


def test_dates_are_in_words_on_every_page_a_person_reads(ann, client):
    import datetime as dt

    from encyclopedia.web import in_words

    assert in_words("2023-08-12") == "12 August 2023"
    assert in_words("2026-12-03T06:30:05+00:00") == "3 December 2026 at 06:30 UTC"
    assert in_words("not a date") == "not a date" and in_words(None) == ""
    assert ">12 June 2025</time>" in client.get("/article/kyphoplasty").text
    today = dt.date.today()
    spoken = f"{today.day} {today:%B %Y}"
    for url in ("/librarian", "/librarian/log", "/librarian/history/kyphoplasty"):
        ann.get("/librarian/review")
        page = ann.get(url).text
        assert spoken in page or url == "/librarian/history/kyphoplasty", url
        assert not re.search(r">\d{4}-\d\d-\d\d[T<]", page), url


def test_a_fix_is_previewed_before_and_after_then_saved(ann, desk):
    content = desk.extensions["settings"].content_dir
    ann.get("/search?q=zzhartattak")
    ann.get("/search?q=blorpy+twinge")
    page = ann.get("/librarian/searches").text
    original = (content / "heart-attack.md").read_text()
    form = {"csrf_token": csrf_token(page), "query": "zzhartattak", "slug": "heart-attack"}
    preview = ann.post("/librarian/searches/preview", data={**form, "tool": "alias"}).text
    assert "“zzhartattak” as a hidden search alias of Heart attack" in preview
    assert re.search(r"<h3>Finds now</h3><p>nothing</p>", preview)
    assert re.search(r'<h3>Will find</h3><ol class="after"><li>Heart attack</li>', preview)
    assert (content / "heart-attack.md").read_text() == original  # nothing saved yet
    saved = ann.post("/librarian/searches/teach", data={**form, "tool": "alias"})
    assert saved.status_code == 303
    assert ann.get("/api/search?q=zzhartattak").get_json()["results"][0]["slug"] == "heart-attack"

    thesaurus = (content / "thesaurus.yaml").read_text()
    form = {"csrf_token": csrf_token(page), "query": "blorpy twinge", "slug": "back-pain"}
    preview = ann.post("/librarian/searches/preview", data={**form, "tool": "thesaurus"}).text
    assert re.search(r'<h3>Will find</h3><ol class="after"><li>Low back pain</li>', preview)
    assert (content / "thesaurus.yaml").read_text() == thesaurus
    assert ann.get("/api/search?q=blorpy+twinge").get_json()["results"] == []
    bad = ann.post("/librarian/searches/preview", data={**form, "tool": "guess"})
    assert bad.status_code == 303


def test_failed_searches_are_grouped_by_the_article_they_most_likely_meant(ann):
    ann.get("/search?q=kyphoplsty")  # corrected: counted, and finds Kyphoplasty now
    ann.get("/search?q=zzqqxx")
    page = ann.get("/librarian/searches").text
    meant = page.index("Most likely meant: Kyphoplasty")
    assert meant < page.index("kyphoplsty</th>") < page.index("No likely article")
    assert page.index("No likely article") < page.index("zzqqxx</th>")
    assert re.search(
        r'name="slug" list="article-slugs" autocomplete="off" value="kyphoplasty"', page
    )


def test_the_thesaurus_is_edited_versioned_compared_and_restored(ann, desk):
    content = desk.extensions["settings"].content_dir
    path = content / "thesaurus.yaml"
    original = path.read_text()
    page = ann.get("/librarian/thesaurus").text
    base = re.search(r'name="base" value="(\w*)"', page).group(1)
    edited = original + "\nleads_to2: oops\n"
    refused = ann.post(
        "/librarian/thesaurus", data={"csrf_token": csrf_token(page), "base": base, "text": edited}
    )
    assert refused.status_code == 422 and "unknown part" in refused.text
    assert path.read_text() == original  # nothing written

    edited = original.replace("leads_to:", "leads_to:\n  podagra: [gout]", 1)
    saved = ann.post(
        "/librarian/thesaurus",
        data={"csrf_token": csrf_token(page), "base": base, "text": edited, "note": "gout"},
    )
    assert saved.status_code == 303 and "podagra: [gout]" in path.read_text()
    stale = ann.post(  # the same base again: someone changed it since
        "/librarian/thesaurus", data={"csrf_token": csrf_token(page), "base": base, "text": "x"}
    )
    assert stale.status_code == 409 and "Someone else changed the thesaurus" in stale.text

    ann.get("/search?q=blorpy+twinge")
    searches = ann.get("/librarian/searches").text
    ann.post(
        "/librarian/searches/thesaurus",
        data={"csrf_token": csrf_token(searches), "query": "blorpy twinge", "slug": "back-pain"},
    )
    found = ann.get("/api/search?q=blorpy+twinge").get_json()["results"]
    assert found[0]["slug"] == "back-pain"
    history = ann.get("/librarian/history/thesaurus.yaml").text
    assert "entry added: blorpy twinge → Low back pain" in history
    assert "edited: gout" in history and "(outside the editor)" in history
    ids = re.findall(r'name="a" value="(\d+)"', history)
    compared = ann.get(f"/librarian/history/thesaurus.yaml/diff?a={ids[-1]}&b={ids[0]}").text
    assert "podagra" in compared and "blorpy twinge" in compared

    first = ids[-1]  # the file as it was before the editor touched it
    base = re.search(r'name="base" value="(\w+)"', history).group(1)
    restored = ann.post(
        f"/librarian/history/thesaurus.yaml/{first}/restore",
        data={"csrf_token": csrf_token(history), "base": base},
    )
    assert restored.status_code == 303 and path.read_text() == original
    assert ann.get("/api/search?q=blorpy+twinge").get_json()["results"] == []
    assert "restored: restored version 1" in ann.get("/librarian/history/thesaurus.yaml").text


def test_a_thesaurus_that_is_not_utf8_still_opens_and_a_save_mends_it(ann, desk):
    path = desk.extensions["settings"].content_dir / "thesaurus.yaml"
    path.write_bytes(b"leads_to:\n  caf\xe9: [coffee]\n")
    page = ann.get("/librarian/thesaurus")
    assert page.status_code == 200 and "caf\ufffd" in page.text
    base = re.search(r'name="base" value="(\w*)"', page.text).group(1)
    text = "leads_to:\n  cafe: [coffee]\n"
    saved = ann.post(
        "/librarian/thesaurus",
        data={"csrf_token": csrf_token(page.text), "base": base, "text": text},
    )
    assert saved.status_code == 303 and path.read_text() == text
