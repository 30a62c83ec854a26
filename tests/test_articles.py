"""Article files: what parses, and the message a librarian gets for each mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from encyclopedia.articles import ArticleError, load_folder, parse_article, read_article
from tests.conftest import SHIPPED_CONTENT, write_article


def only_error(folder_or_exc) -> str:
    problems = folder_or_exc.errors if hasattr(folder_or_exc, "errors") else folder_or_exc.problems
    assert len(problems) == 1, problems
    return str(problems[0])


def test_full_article_parses_with_summary_and_sections(content: Path):
    path = write_article(
        content,
        "kyphoplasty",
        """
        title: Kyphoplasty
        also_called: [Balloon kyphoplasty, Osteoporosis - kyphoplasty]
        kind: procedure
        reviewed: 2023-08-12
        reviewed_by: A. Reviewer, MD
        """,
        """
        A short summary.

        ## Description
        How it is done.

        ## Outlook (Prognosis)
        Good.
        """,
    )
    article, problems = read_article(path)
    assert problems == []
    assert article.slug == "kyphoplasty"
    assert article.also_called == ("Balloon kyphoplasty", "Osteoporosis - kyphoplasty")
    assert article.reviewed == dt.date(2023, 8, 12)
    assert article.summary == "A short summary."
    assert [s.heading for s in article.sections] == ["Description", "Outlook (Prognosis)"]
    assert [s.anchor for s in article.sections] == ["description", "outlook-prognosis"]


def test_only_title_is_required(content: Path):
    article, _ = read_article(write_article(content, "a", "title: Just a title"))
    assert article.title == "Just a title"
    assert article.also_called == () and article.related == () and article.reviewed is None


def test_bad_yaml_names_file_and_line(content: Path):
    path = write_article(content, "bad", "title: Fine\nalso_called: [unclosed, list\nkind: x")
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    message = only_error(caught.value)
    assert "bad.md:" in message and "not valid YAML" in message
    assert caught.value.problems[0].line is not None and caught.value.problems[0].line >= 3


def test_missing_title_is_an_error_naming_the_field(content: Path):
    path = write_article(content, "untitled", "kind: condition")
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    assert "[title]" in only_error(caught.value)


def test_missing_front_matter_is_an_error(content: Path):
    path = content / "plain.md"
    path.write_text("Just text, no front matter.\n", encoding="utf-8")
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    assert "plain.md:1" in only_error(caught.value)


def test_unclosed_front_matter_is_an_error(content: Path):
    path = content / "open.md"
    path.write_text("---\ntitle: Open\nNo closing line\n", encoding="utf-8")
    with pytest.raises(ArticleError, match="no closing"):
        read_article(path)


def test_bad_date_is_an_error_on_its_line(content: Path):
    path = write_article(content, "dated", "title: Dated\nreviewed: last spring")
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    assert caught.value.problems[0].field == "reviewed"
    assert caught.value.problems[0].line == 3
    assert "YYYY-MM-DD" in str(caught.value.problems[0])


def test_future_review_date_is_an_error(content: Path):
    path = write_article(content, "future", "title: Future\nreviewed: 2999-01-01")
    with pytest.raises(ArticleError, match="future"):
        read_article(path)


def test_also_called_must_be_a_list_of_names(content: Path):
    path = write_article(content, "odd", "title: Odd\nalso_called: {a: b}")
    with pytest.raises(ArticleError) as caught:
        read_article(path)
    assert caught.value.problems[0].field == "also_called"


def test_unknown_field_is_a_warning_not_a_crash(content: Path):
    article, problems = read_article(write_article(content, "w", "title: W\ncolour: blue"))
    assert article.title == "W"
    assert [(p.severity, p.field) for p in problems] == [("warning", "colour")]


def test_file_name_must_be_a_slug(content: Path):
    path = write_article(content, "Bad_Name", "title: Bad name")
    with pytest.raises(ArticleError, match="slug"):
        read_article(path)


def test_non_utf8_file_is_an_error_not_a_crash(content: Path):
    path = content / "latin.md"
    path.write_bytes("---\ntitle: Ménière\n---\nx\n".encode("latin-1"))
    with pytest.raises(ArticleError, match="UTF-8"):
        read_article(path)


def test_related_slug_that_does_not_exist_is_an_error(content: Path):
    write_article(content, "a", "title: A\nrelated: [b, missing-one]")
    write_article(content, "b", "title: B")
    folder = load_folder(content)
    message = only_error(folder)
    assert "a.md:3" in message and "[related]" in message and "missing-one" in message
    assert set(folder.articles) == {"b"}


def test_title_another_article_has_is_an_error_for_both(content: Path):
    write_article(content, "one", "title: Heart attack")
    write_article(content, "two", "title: heart ATTACK")
    folder = load_folder(content)
    assert len(folder.errors) == 2
    assert all(p.field == "title" for p in folder.errors)
    assert "two.md" in str(folder.errors[0]) and folder.articles == {}


def test_name_shared_by_two_articles_is_allowed_and_mentioned(content: Path):
    write_article(content, "cabg", "title: Coronary bypass\nalso_called: [Bypass surgery]")
    write_article(content, "gastric", "title: Weight-loss surgery\nalso_called: [bypass surgery]")
    folder = load_folder(content)
    assert folder.errors == []
    notices = [p for p in folder.problems if p.severity == "notice"]
    # Each file is told, naming the other: whoever opens either one sees it.
    assert sorted(Path(n.path).stem for n in notices) == ["cabg", "gastric"]
    assert (
        "“Weight-loss surgery” (gastric.md)"
        in {n.path: n.message for n in notices}[str(content / "cabg.md")]
    )
    assert all("bypass surgery" in n.message.lower() for n in notices)
    assert set(folder.articles) == {"cabg", "gastric"}


def test_every_problem_in_a_folder_is_listed(content: Path):
    write_article(content, "no-title", "kind: x")
    write_article(content, "bad-date", "title: D\nreviewed: soon")
    write_article(content, "fine", "title: Fine")
    folder = load_folder(content)
    assert {Path(p.path).name for p in folder.errors} == {"no-title.md", "bad-date.md"}
    assert set(folder.articles) == {"fine"}


def test_headings_inside_code_fences_are_not_sections():
    article, _ = parse_article(
        "---\ntitle: T\n---\nSummary.\n\n```\n## not a heading\n```\n\n## Real\nText\n", "t.md"
    )
    assert [s.heading for s in article.sections] == ["Real"]


def test_the_shipped_content_has_no_errors_and_enough_articles():
    folder = load_folder(SHIPPED_CONTENT)
    assert folder.errors == []
    assert len(folder.articles) >= 40
    warnings = [p for p in folder.problems if p.severity == "warning"]
    assert warnings == []
    titles = {a.title for a in folder.articles.values()}
    assert {
        "Kyphoplasty",
        "Osteoporosis",
        "Ménière disease",
        "Alzheimer's disease",
        "5-HIAA test",
    } <= titles


def test_shipped_kyphoplasty_has_every_medlineplus_section():
    article, _ = read_article(SHIPPED_CONTENT / "kyphoplasty.md")
    assert [s.heading for s in article.sections] == [
        "Description",
        "Why the Procedure Is Performed",
        "Risks",
        "Before the Procedure",
        "After the Procedure",
        "Outlook (Prognosis)",
        "References",
    ]
    assert "Balloon kyphoplasty" in article.also_called


def test_the_content_folder_is_read_again_only_where_a_file_changed(content: Path):
    from encyclopedia.articles import ContentFolder, digest_of

    write_article(content, "asthma", "title: Asthma")
    write_article(content, "broken", "title: [unclosed")
    (content / "Not A Slug.md").write_text("---\ntitle: X\n---\nText.\n")
    folder = ContentFolder(content)
    digests = folder.digests()  # what /healthz asks: no article is parsed for it
    assert set(digests) == {"asthma", "broken", "Not A Slug"}
    assert digests["asthma"] == digest_of((content / "asthma.md").read_bytes())
    files = folder.files()
    assert set(files) == {"asthma", "broken"}  # check reports the badly named file
    assert files["asthma"].article.title == "Asthma" and files["broken"].errors
    first = files["asthma"]
    assert folder.files()["asthma"] is first  # unchanged: not read again
    write_article(content, "asthma", "title: Asthma\nalso_called: [Wheezing]")
    changed = folder.files()["asthma"]
    assert changed is not first and changed.article.also_called == ("Wheezing",)
    (content / "broken.md").unlink()
    assert "broken" not in folder.files() and "broken" not in folder.digests()
