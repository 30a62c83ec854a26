"""An article's language and the article it translates (issue 17's content rules): parsed,
checked against the other articles by check, reindex, update and the editor alike, and
kept in the index's catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encyclopedia.articles import ArticleError, load_folder, parse_article
from encyclopedia.search import PublishRefused, rebuild
from encyclopedia.search.builds import current_build
from encyclopedia.search.snapshot import Snapshot
from encyclopedia.search.updating import update_article
from tests.conftest import csrf_token, write_article
from tests.test_librarian_web import new_article


def front(title: str, *extra: str) -> str:
    return "\n".join([f"title: {title}", *extra])


def errors(folder) -> list[str]:
    return [f"{Path(p.path).name}: {p.message}" for p in folder.errors]


def test_english_is_the_default_and_spanish_is_known(content: Path):
    english = write_article(content, "kyphoplasty", front("Kyphoplasty"))
    spanish = write_article(
        content, "cifoplastia", front("Cifoplastia", "lang: ES", "translation_of: kyphoplasty")
    )
    assert parse_article(english.read_text(), english)[0].lang == "en"
    article, _ = parse_article(spanish.read_text(), spanish)
    assert (article.lang, article.translation_of) == ("es", "kyphoplasty")
    assert errors(load_folder(content)) == []


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("lang: fr", "lang 'fr' is not a language of this site: en (English), es (Spanish)"),
        ("translation_of: Not A Slug", "'Not A Slug' is not a slug"),
    ],
)
def test_a_bad_language_or_translation_slug_is_an_error_with_its_line(content, extra, said):
    path = write_article(content, "asma", front("Asma", extra))
    with pytest.raises(ArticleError) as caught:
        parse_article(path.read_text(), path)
    [problem] = caught.value.problems
    assert said in problem.message and problem.line == 3  # the file's line: "---" is 1


@given(st.one_of(st.integers(), st.lists(st.text(max_size=3)), st.text(max_size=12)))
def test_any_value_of_lang_is_read_or_refused_never_a_crash(value):
    text = f"---\ntitle: Asma\nlang: {value!r}\n---\nResumen.\n"
    try:
        article, _ = parse_article(text, "asma.md")
    except ArticleError as exc:
        assert all(p.field == "lang" for p in exc.problems)
    else:
        assert article.lang in ("en", "es")


def test_titles_are_unique_within_a_language_not_across_languages(content: Path):
    write_article(content, "diabetes", front("Diabetes"))
    write_article(content, "diabetes-es", front("Diabetes", "lang: es", "translation_of: diabetes"))
    assert errors(load_folder(content)) == []
    write_article(content, "diabetes-2", front("Diabetes"))
    assert any("already the title of" in e for e in errors(load_folder(content)))


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({"asma": ("Asma", "lang: es", "translation_of: asthma")}, "does not exist"),
        ({"asma": ("Asma", "lang: es", "translation_of: asma")}, "translation of itself"),
        ({"wheezing": ("Wheezing", "translation_of: asthma")}, "in the same language"),
        (
            {
                "asma": ("Asma", "lang: es", "translation_of: asthma"),
                "asma-2": ("Asma bronquial", "lang: es", "translation_of: asthma"),
            },
            "already has a Spanish translation",
        ),
        (
            {
                "asma": ("Asma", "lang: es", "translation_of: asthma"),
                "asthma-again": ("Asthma again", "translation_of: asma"),
            },
            "is itself a translation",
        ),
    ],
)
def test_translation_rules_are_errors_that_name_the_articles(content: Path, files, said):
    write_article(content, "asthma", front("Asthma"))
    for slug, lines in files.items():
        if slug != "asthma":
            write_article(content, slug, front(*lines))
    if said == "does not exist":
        (content / "asthma.md").unlink()
    found = errors(load_folder(content))
    assert any(said in e for e in found), found


def test_the_catalog_keeps_the_language_and_a_bad_update_is_refused(tmp_path: Path, content):
    write_article(content, "kyphoplasty", front("Kyphoplasty"))
    write_article(
        content, "cifoplastia", front("Cifoplastia", "lang: es", "translation_of: kyphoplasty")
    )
    index = tmp_path / "index"
    rebuild(content, index)
    snapshot = Snapshot(current_build(index))
    entry = snapshot.catalog["cifoplastia"]
    assert (entry.lang, entry.translation_of) == ("es", "kyphoplasty")
    assert snapshot.catalog["kyphoplasty"].lang == "en"
    snapshot.close()
    write_article(
        content,
        "cifoplastia-2",
        front("Cifoplastia con balón", "lang: es", "translation_of: kyphoplasty"),
    )
    with pytest.raises(PublishRefused) as refused:
        update_article(content, index, "cifoplastia-2")
    assert "already has a Spanish translation" in str(refused.value.problems[0])


def test_the_editor_shows_a_translation_error_next_to_its_field(ann):
    data = new_article(
        ann,
        slug="hombro-congelado",
        title="Hombro congelado",
        lang="es",
        translation_of="no-such-article",
        save="Save",
        related="",
    )
    data["csrf_token"] = csrf_token(ann.get("/librarian/new").text)
    response = ann.post("/librarian/new", data=data)
    assert response.status_code == 422
    assert "translation_of &#39;no-such-article&#39; does not exist" in response.text or (
        "translation_of 'no-such-article' does not exist" in response.text
    )
