"""The librarians' side without the web: accounts, drafts, the editor's saves, conflicts,
renames, trash, history and the failed-searches tally, against real files, a real SQLite
database and a real Whoosh index in temporary folders."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from encyclopedia.articles import load_folder
from encyclopedia.config import Settings
from encyclopedia.librarian import AccountError, EditConflict, EditRefused, Workspace
from encyclopedia.librarian.drafts import Draft
from encyclopedia.librarian.failed_searches import keepable
from encyclopedia.librarian.thesaurus_edit import ThesaurusEditError, with_leads_to
from encyclopedia.search import Library, rebuild
from encyclopedia.search.builds import current_build, writer_lock
from encyclopedia.search.thesaurus import read_thesaurus
from encyclopedia.search.updating import changed_since_build
from tests.conftest import PASSWORD, SHIPPED_CONTENT


@pytest.fixture
def site(tmp_path: Path, content_copy: Path):
    index = tmp_path / "index"
    rebuild(content_copy, index)
    settings = Settings.from_env(
        content_dir=content_copy, index_dir=index, instance_dir=tmp_path / "instance"
    )
    workspace = Workspace.from_settings(settings)
    library = Library(index, thesaurus=content_copy / "thesaurus.yaml")
    return workspace, library, content_copy


def titles(library: Library, query: str) -> list[str]:
    return [hit.title for hit in library.search(query).hits]


def new_draft(**fields) -> Draft:
    values = {
        "slug": "frozen-shoulder",
        "title": "Frozen shoulder",
        "also_called": ["Adhesive capsulitis"],
        "kind": "condition",
        "reviewed": "2025-02-03",
        "reviewed_by": "ann",
        "related": ["back-pain"],
        "body": "Frozen shoulder makes the shoulder stiff and painful.\n\n## Symptoms\n\nPain.",
    }
    values.update(fields)
    return Draft(**values)


# Accounts -----------------------------------------------------------------------------


def test_accounts_hash_passwords_and_verify_them(tmp_path: Path):
    workspace = Workspace.from_settings(Settings.from_env(instance_dir=tmp_path))
    accounts = workspace.accounts
    accounts.add("ann", PASSWORD)
    stored = workspace.db.read("SELECT password FROM librarians")[0]["password"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.verify("ann", PASSWORD).name == "ann"
    assert accounts.verify("ANN", PASSWORD).name == "ann"  # names ignore case
    assert accounts.verify("ann", "wrong password") is None
    assert accounts.verify("bob", PASSWORD) is None
    accounts.set_password("ann", "a brand new passphrase")
    assert accounts.verify("ann", PASSWORD) is None
    assert accounts.verify("ann", "a brand new passphrase")
    accounts.remove("ann")
    assert accounts.verify("ann", "a brand new passphrase") is None


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("ann", "short", "at least 10"),
        ("a", PASSWORD, "2 to 40"),
        ("ann smith", PASSWORD, "2 to 40"),
        ("../x", PASSWORD, "2 to 40"),
    ],
)
def test_accounts_refuse_bad_names_and_passwords(tmp_path: Path, name, password, message):
    accounts = Workspace.from_settings(Settings.from_env(instance_dir=tmp_path)).accounts
    with pytest.raises(AccountError, match=message):
        accounts.add(name, password)
    assert accounts.all() == []


def test_accounts_refuse_a_second_account_with_the_same_name(tmp_path: Path):
    accounts = Workspace.from_settings(Settings.from_env(instance_dir=tmp_path)).accounts
    accounts.add("ann", PASSWORD)
    with pytest.raises(AccountError, match="already"):
        accounts.add("Ann", PASSWORD)
    with pytest.raises(AccountError, match="no librarian"):
        accounts.remove("bob")


# Drafts -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SHIPPED_CONTENT.glob("*.md")), ids=lambda p: p.stem)
def test_a_draft_of_a_shipped_article_reads_back_as_the_same_article(path: Path):
    text = path.read_text(encoding="utf-8")
    draft = Draft.from_text(path.stem, text)
    again = Draft.from_text(path.stem, draft.to_text())
    assert again == draft
    assert draft.to_text().splitlines()[1:] == [
        line for line in text.splitlines()[1:] if line != "related: []"
    ]


def test_a_draft_keeps_fields_the_form_does_not_know_and_quotes_what_yaml_would_misread():
    text = "---\ntitle: 'Yes: no'\ncolour: blue\n---\nBody.\n"
    draft = Draft.from_text("x", text)
    assert draft.title == "Yes: no" and draft.extra == {"colour": "blue"}
    draft.also_called = ["a, b", "#hash", "null"]
    again = Draft.from_text("x", draft.to_text())
    assert again.also_called == ["a, b", "#hash", "null"]
    assert again.extra == {"colour": "blue"}


def test_a_file_with_unreadable_front_matter_opens_with_everything_in_the_body():
    text = "---\ntitle: [unclosed\n---\nBody.\n"
    draft = Draft.from_text("x", text)
    assert draft.body == text


# Validation ---------------------------------------------------------------------------


def test_validation_puts_each_problem_next_to_its_field(site):
    workspace, _, _ = site
    result = workspace.editor.validate(
        new_draft(slug="Bad Slug", title="", reviewed="2024-13-40", related=["no-such-article"])
    )
    assert set(result.errors) == {"slug", "title", "reviewed", "related"}
    result = workspace.editor.validate(new_draft(related=["no-such-article"]))
    assert result.errors == {
        "related": [
            "related article 'no-such-article' does not exist: there is no /article/no-such-article"
        ]
    }


def test_validation_refuses_a_title_or_address_another_article_has(site):
    workspace, _, _ = site
    result = workspace.editor.validate(new_draft(slug="kyphoplasty", title="Heart attack"))
    assert "there is already an article at /article/kyphoplasty" in result.errors["slug"]
    assert any("already the title of /article/heart-attack" in m for m in result.errors["title"])
    # Editing an article does not clash with itself.
    draft, _ = workspace.editor.load("heart-attack")
    assert workspace.editor.validate(draft, original="heart-attack").ok


def test_validation_warns_when_another_article_uses_an_also_called_name(site):
    workspace, _, _ = site
    result = workspace.editor.validate(new_draft(also_called=["Balloon kyphoplasty"]))
    assert result.ok
    assert result.warnings["also_called"] == [
        "“Balloon kyphoplasty” is also a name of “Kyphoplasty” (/article/kyphoplasty); "
        "search and the A–Z will offer both"
    ]


def test_validation_reports_a_future_review_date(site):
    workspace, _, _ = site
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert "reviewed" in workspace.editor.validate(new_draft(reviewed=tomorrow)).errors


# Saving -------------------------------------------------------------------------------


def test_a_new_article_is_saved_with_history_and_searchable_at_once(site):
    workspace, library, content = site
    saved = workspace.editor.save(new_draft(), "ann", note="first version")
    assert saved.changed and "live" in saved.indexed
    assert titles(library, "adhesive capsulitis")[0] == "Frozen shoulder"
    assert any(e.name == "Frozen shoulder" and e.articles for e in library.site_map("f"))
    assert any(e.name == "Adhesive capsulitis" and e.see for e in library.site_map("a"))
    history = workspace.editor.history("frozen-shoulder")
    assert [(v.author, v.action, v.note) for v in history] == [("ann", "created", "first version")]
    assert (content / "frozen-shoulder.md").read_text() == history[0].text
    assert [e.action for e in workspace.audit.recent(1)] == ["created"]


def test_an_edit_keeps_the_version_it_replaces_even_one_written_by_hand(site):
    workspace, library, content = site
    path = content / "asthma.md"
    by_hand = path.read_text().replace("Asthma is", "Asthma (by hand) is", 1)
    path.write_text(by_hand)
    draft, digest = workspace.editor.load("asthma")
    draft.also_called.append("Wheezy chest")
    workspace.editor.save(draft, "ann", original="asthma", base_digest=digest)
    history = workspace.editor.history("asthma")
    assert [v.author for v in history] == ["ann", "(outside the editor)"]
    assert history[1].text == by_hand
    assert titles(library, "wheezy chest")[0] == "Asthma"


def test_nothing_is_written_when_the_draft_has_errors(site):
    workspace, _, content = site
    before = (content / "asthma.md").read_bytes()
    draft, digest = workspace.editor.load("asthma")
    draft.title = ""
    with pytest.raises(EditRefused) as refused:
        workspace.editor.save(draft, "ann", original="asthma", base_digest=digest)
    assert "title" in refused.value.validation.errors
    assert (content / "asthma.md").read_bytes() == before
    assert workspace.editor.history("asthma")[0].author == "(outside the editor)"
    assert workspace.audit.recent() == []


def test_the_later_of_two_edits_from_the_same_version_is_refused(site):
    workspace, _, content = site
    first, digest = workspace.editor.load("asthma")
    second, _ = workspace.editor.load("asthma")
    first.also_called.append("First librarian's name")
    workspace.editor.save(first, "ann", original="asthma", base_digest=digest)
    second.also_called.append("Second librarian's name")
    with pytest.raises(EditConflict) as conflict:
        workspace.editor.save(second, "bob", original="asthma", base_digest=digest)
    assert "ann saved a newer version" in str(conflict.value)
    assert "First librarian's name" in conflict.value.current_text
    text = (content / "asthma.md").read_text()
    assert "First librarian's name" in text and "Second librarian's name" not in text


def test_simultaneous_saves_of_one_article_let_exactly_one_through(site):
    workspace, _, _ = site
    _, digest = workspace.editor.load("asthma")
    outcomes: list[str] = []

    def edit(name: str) -> None:
        draft, _ = workspace.editor.load("asthma")
        draft.also_called.append(f"{name} name")
        try:
            workspace.editor.save(draft, name, original="asthma", base_digest=digest)
            outcomes.append("saved")
        except EditConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(f"librarian{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]


def test_renaming_moves_history_relinks_related_articles_and_redirects(site):
    workspace, library, content = site
    draft, digest = workspace.editor.load("vertebroplasty")
    draft.slug = "vertebral-augmentation"
    workspace.editor.save(draft, "ann", original="vertebroplasty", base_digest=digest)
    assert not (content / "vertebroplasty.md").exists()
    assert workspace.editor.redirect("vertebroplasty") == "vertebral-augmentation"
    assert [v.action for v in workspace.editor.history("vertebral-augmentation")] == [
        "renamed",
        "outside",
    ]
    kyphoplasty, _ = workspace.editor.load("kyphoplasty")
    assert "vertebral-augmentation" in kyphoplasty.related
    assert "vertebroplasty" not in kyphoplasty.related
    assert not load_folder(content).errors  # still publishable
    assert library.article("vertebroplasty") is None
    assert library.article("vertebral-augmentation").title == "Vertebroplasty"
    # Renaming again keeps the first address pointing at the latest one.
    draft, digest = workspace.editor.load("vertebral-augmentation")
    draft.slug = "vertebroplasty-procedure"
    workspace.editor.save(draft, "ann", original="vertebral-augmentation", base_digest=digest)
    assert workspace.editor.redirect("vertebroplasty") == "vertebroplasty-procedure"


def linking_to(editor, slug: str) -> set[str]:
    return {s for s, article in editor.articles().items() if slug in article.related}


def test_deleting_moves_to_the_trash_and_restoring_brings_it_back(site):
    workspace, library, content = site
    linking = linking_to(workspace.editor, "vertebroplasty")
    assert "kyphoplasty" in linking
    text = (content / "vertebroplasty.md").read_text()
    _, digest = workspace.editor.load("vertebroplasty")
    workspace.editor.delete("vertebroplasty", "ann", base_digest=digest, note="duplicate")
    assert not (content / "vertebroplasty.md").exists()
    assert library.article("vertebroplasty") is None
    assert "Vertebroplasty" not in titles(library, "vertebroplasty")
    assert not load_folder(content).errors  # links to it were removed
    kyphoplasty, _ = workspace.editor.load("kyphoplasty")
    assert "vertebroplasty" not in kyphoplasty.related
    [item] = workspace.editor.trash()
    assert (item.slug, item.deleted_by) == ("vertebroplasty", "ann")
    workspace.editor.restore_from_trash(item.id, "bob")
    assert workspace.editor.trash() == []
    assert (content / "vertebroplasty.md").read_text() == text
    assert library.article("vertebroplasty").title == "Vertebroplasty"
    actions = [v.action for v in workspace.editor.history("vertebroplasty")]
    assert actions == ["undeleted", "deleted", "outside"]
    # The related links that deleting removed are back, each a version in its history.
    kyphoplasty, _ = workspace.editor.load("kyphoplasty")
    assert "vertebroplasty" in kyphoplasty.related
    latest = workspace.editor.history("kyphoplasty")[0]
    assert (latest.action, latest.author) == ("relinked", "bob")
    assert "put back" in latest.note
    assert "vertebroplasty" in [r.slug for r in library.article("kyphoplasty").related]
    assert linking_to(workspace.editor, "vertebroplasty") == linking
    assert not load_folder(content).errors


def test_an_earlier_version_can_be_restored_and_compared(site):
    workspace, library, content = site
    original = (content / "asthma.md").read_text()
    draft, digest = workspace.editor.load("asthma")
    draft.title = "Asthma (lung condition)"
    workspace.editor.save(draft, "ann", original="asthma", base_digest=digest)
    first = workspace.editor.history("asthma")[-1]
    _, digest = workspace.editor.load("asthma")
    workspace.editor.restore_revision("asthma", first.id, "bob", digest)
    assert (content / "asthma.md").read_text() == original
    assert library.article("asthma").title == "Asthma"
    history = workspace.editor.history("asthma")
    assert history[0].action == "restored" and "version 1" in history[0].note


def test_a_save_during_a_full_reindex_is_in_the_index_it_publishes(site, tmp_path: Path):
    workspace, library, content = site
    workspace.editor.publish_wait = 0.1
    saved: list = []

    def save_midway(article) -> None:
        if not saved:  # the build has read the folder: this edit comes too late for it
            draft, digest = workspace.editor.load("asthma")
            draft.also_called.append("Saved during the rebuild")
            saved.append(workspace.editor.save(draft, "ann", original="asthma", base_digest=digest))

    rebuild(content, workspace.editor.index_dir, progress=save_midway)
    assert "full reindex is running" in saved[0].indexed
    assert changed_since_build(current_build(workspace.editor.index_dir), content) == []
    assert titles(library, "saved during the rebuild")[0] == "Asthma"


def test_a_save_while_the_index_is_locked_is_applied_when_the_lock_is_free(site):
    workspace, library, _ = site
    workspace.editor.publish_wait = 0.1
    draft, digest = workspace.editor.load("asthma")
    draft.also_called.append("Waited for the lock")
    with writer_lock(workspace.editor.index_dir):
        saved = workspace.editor.save(draft, "ann", original="asthma", base_digest=digest)
        assert titles(library, "waited for the lock")[:1] != ["Asthma"]
    assert "searchable as soon as" in saved.indexed
    workspace.editor.deferred.join(timeout=10)
    assert titles(library, "waited for the lock")[0] == "Asthma"


# Failed searches and the thesaurus ----------------------------------------------------


def test_failed_searches_keep_query_text_and_counts_only(site):
    workspace, _, _ = site
    tally = workspace.failed_searches
    for _ in range(3):
        tally.record("Sore Tummy", "no results")
    tally.record("diabetis", "corrected", "diabetes")
    tally.record("results for jane@example.com", "no results")
    tally.record("my number 0161 496 0000", "no results")
    top = tally.top()
    assert [(s.query, s.count, s.kind) for s in top] == [
        ("sore tummy", 3, "no results"),
        ("diabetis", 1, "corrected"),
    ]
    columns = {row["name"] for row in workspace.db.read("PRAGMA table_info(failed_searches)")}
    assert columns == {"query", "kind", "corrected_to", "count", "last_day"}
    assert keepable("x" * 101) is None and keepable("   ") is None


def test_a_thesaurus_entry_is_appended_without_losing_comments(site):
    _, library, content = site
    path = content / "thesaurus.yaml"
    before = path.read_text()
    path.write_text(with_leads_to(before, "frozen arm", "Low back pain"))
    after = path.read_text()
    assert after.startswith(before.rstrip("\n")) and after.endswith(
        "  frozen arm: [Low back pain]\n"
    )
    _, problems = read_thesaurus(path)
    assert not [p for p in problems if p.severity == "error"]
    assert titles(library, "frozen arm")[0] == "Low back pain"
    with pytest.raises(ThesaurusEditError, match="already"):
        with_leads_to(after, "Frozen  arm", "Asthma")
    assert path.read_text() == after


def test_failed_search_counts_from_several_workers_add_up(tmp_path: Path):
    settings = Settings.from_env(instance_dir=tmp_path)
    first = Workspace.from_settings(settings).failed_searches
    second = Workspace.from_settings(settings).failed_searches  # another worker's view
    for _ in range(500):
        first.record("sore tummy", "no results")
        second.record("sore tummy", "no results")
    second.record("tummy bug", "no results")
    first.flush()
    assert [(s.query, s.count) for s in second.top()] == [("sore tummy", 1000), ("tummy bug", 1)]


def test_a_database_from_before_the_trash_kept_links_is_brought_up_to_date(tmp_path: Path):
    import sqlite3

    from encyclopedia.librarian.database import SCHEMA_VERSION, Database

    path = tmp_path / "librarians.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE trash (id INTEGER PRIMARY KEY, slug TEXT NOT NULL, title TEXT NOT NULL,"
        " text TEXT NOT NULL, deleted_by TEXT NOT NULL, deleted_at TEXT NOT NULL)"
    )
    old.execute("INSERT INTO trash VALUES (1, 'a', 'A', 'text', 'ann', 'then')")
    old.commit()
    old.close()
    db = Database(path)
    [row] = db.read("SELECT slug, linked_from FROM trash")
    assert (row["slug"], row["linked_from"]) == ("a", "")
    assert db.read("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert db.read("SELECT COUNT(*) FROM helpful")[0][0] == 0  # schema 3's table, added


def test_a_diff_marks_the_words_that_changed_inside_a_changed_line():
    from encyclopedia.librarian.diffing import diff

    old = "title: Asthma\nAsthma narrows the airways and makes breathing hard.\nSame line.\n"
    new = "title: Asthma\nAsthma narrows the small airways and makes breathing hard.\nSame line.\n"
    lines = diff(old, new)
    removed = next(line for line in lines if line.kind == "del")
    added = next(line for line in lines if line.kind == "add")
    assert [text.strip() for text, changed in added.parts if changed] == ["small"]
    assert "".join(text for text, _ in added.parts) == added.text
    assert not any(changed for _, changed in removed.parts)  # nothing was taken out
    assert all(line.parts == () for line in lines if line.kind == "same")
