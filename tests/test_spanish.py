"""Spanish as a first-class language: its analysis, collation and A–Z, its search, its
pages (addresses, interface, hreflang, the language switch), the APIs' ``lang``, the
librarians' translation lists, and the message catalogue. Real indexes, the real app."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from encyclopedia import create_app
from encyclopedia.languages import SPANISH
from encyclopedia.search import Library
from encyclopedia.search.engine.schema import analyzer_for
from encyclopedia.search.publishing import rebuild
from encyclopedia.search.wording import SPANISH_WORDS
from encyclopedia.web.i18n import TRANSLATIONS
from tests.conftest import write_article


def terms(text: str) -> list[str]:
    return [t.text for t in analyzer_for("es")(text)]


# -- analysis and collation ------------------------------------------------------------


def test_spanish_analysis_folds_accents_keeps_enye_and_stems():
    assert terms("balón") == terms("balon") == terms("BALÓN")
    assert terms("año") != terms("ano")  # ñ is a letter of its own
    assert terms("fracturas") == terms("fractura")  # Snowball's Spanish stemmer
    assert terms("la presión de la sangre") == terms("presion sangre")  # stop words
    assert SPANISH_WORDS.name_key("Cifoplastia con balón") == SPANISH_WORDS.name_key(
        "cifoplastia con balon"
    )
    assert SPANISH_WORDS.name_key("Fracturas") == SPANISH_WORDS.name_key("fractura")
    assert SPANISH_WORDS.name_key("Presiones") == SPANISH_WORDS.name_key("presión")


def test_spanish_order_puts_enye_after_n_ignores_accents_and_files_digraphs_under_c_and_l():
    names = ["Ñame", "Nuez", "Oído", "Chancro", "Cáncer", "Cuello", "Llaga", "Lupus", "Ácido"]
    ordered = sorted(names, key=SPANISH.sort_key)
    assert ordered == [
        "Ácido",
        "Cáncer",
        "Chancro",
        "Cuello",
        "Llaga",
        "Lupus",
        "Nuez",
        "Ñame",
        "Oído",
    ]
    assert [SPANISH.initial(n) for n in ("Ñame", "Chancro", "Llaga", "Ácido")] == [
        "Ñ",
        "C",
        "L",
        "A",
    ]


@pytest.fixture
def bilingual(tmp_path: Path, content: Path) -> Library:
    """A small bilingual site: names with ñ, accents and digraphs on both sides."""
    write_article(content, "nosebleed", "title: Nosebleed\nkind: symptom")
    write_article(
        content,
        "sangrado-nasal",
        "title: Sangrado nasal\nalso_called: [Hemorragia nasal, Ñañaras]\nkind: symptom\n"
        "lang: es\ntranslation_of: nosebleed",
        "Sangre que sale por la nariz.\n",
    )
    write_article(content, "chancro", "title: Chancro\nlang: es", "Una llaga.\n")
    write_article(content, "llaga", "title: Llaga\nalso_called: [Úlcera]\nlang: es", "Herida.\n")
    write_article(content, "nuez", "title: Nuez de Adán\nlang: es", "Cartílago.\n")
    write_article(content, "cancer", "title: Cáncer\nlang: es", "Células que crecen.\n")
    rebuild(content, tmp_path / "index")
    return Library(tmp_path / "index")


def test_the_spanish_a_to_z_has_enye_after_n_and_its_cross_references(bilingual: Library):
    letters = bilingual.letters("es")
    assert list(letters)[13:16] == ["N", "Ñ", "O"]
    assert letters["Ñ"] == 1 and letters["N"] == 1 and letters["C"] == 2 and letters["L"] == 1
    assert [e.name for e in bilingual.site_map("c", "es")] == ["Cáncer", "Chancro"]
    (enye,) = bilingual.site_map("ñ", "es")
    assert enye.name == "Ñañaras" and [a.slug for a in enye.see] == ["sangrado-nasal"]
    (ulcer,) = bilingual.site_map("u", "es")
    assert ulcer.name == "Úlcera" and [a.slug for a in ulcer.see] == ["llaga"]
    # Each language's A–Z holds its own articles only.
    assert sum(bilingual.letters("en").values()) == 1
    assert [e.name for e in bilingual.site_map("n")] == ["Nosebleed"]


def test_spanish_suggestions_fold_accents_and_keep_enye(bilingual: Library):
    assert [s.slug for s in bilingual.suggest("ulc", lang="es")] == ["llaga"]
    assert [s.name for s in bilingual.suggest("ñañ", lang="es")] == ["Ñañaras"]
    assert bilingual.suggest("ulc") == []  # English suggestions: English names only


# -- search on the shipped articles ------------------------------------------------------

PROMISES = {
    "cifoplastia con balon": "cifoplastia",
    "cifoplastia con balón": "cifoplastia",
    "CIFOPLASTIA": "cifoplastia",
    "vertebra rota": "fracturas-por-compresion-de-la-espalda",
    "azúcar en la sangre": "diabetes-tipo-2",
    "presion alta": "presion-arterial-alta",
    "infarto": "ataque-cardiaco",
    "derrame cerebral": "accidente-cerebrovascular",
    "pulmonia": "neumonia",
    "migraña": "migrana",
    "piedras en el riñón": "calculos-renales",
    "diabetis tipo 1": "diabetes-tipo-1",
    "ardor al orinar": "infeccion-urinaria",
}


@pytest.mark.parametrize(("query", "slug"), PROMISES.items())
def test_spanish_queries_find_their_article_first(library: Library, query: str, slug: str):
    found = library.search(query, lang="es")
    assert found.hits and found.hits[0].slug == slug
    assert found.lang == "es" and all(
        library.snapshot().catalog[h.slug].lang == "es" for h in found.hits
    )


def test_a_search_in_one_language_never_returns_the_other(library: Library):
    assert [h.slug for h in library.search("kyphoplasty", lang="es").hits] == []
    english = library.search("osteoporosis")
    assert english.hits[0].slug == "osteoporosis"
    assert "osteoporosis-es" not in {h.slug for h in english.hits}
    assert library.search("osteoporosis", lang="es").hits[0].slug == "osteoporosis-es"


def test_spanish_spelling_is_corrected_from_spanish_names(library: Library):
    found = library.search("neumonya", lang="es")
    assert found.hits[0].slug == "neumonia" and found.searched == "neumonia"
    # Without accents is not a misspelling; without the ñ it is one word away.
    assert library.search("neumonia", lang="es").searched is None
    assert library.search("migrana", lang="es").searched == "migraña"


def test_spanish_snippets_mark_the_spanish_words(library: Library):
    hit = library.search("cemento", lang="es").hits[0]
    assert hit.slug == "cifoplastia"
    assert re.search(r"<mark[^>]*>cemento</mark>", hit.snippet)


def test_a_bad_language_is_a_clear_error(library: Library, client):
    from encyclopedia.search import BadRequest

    with pytest.raises(BadRequest, match="lang must be one of"):
        library.search("asma", lang="fr")
    response = client.get("/api/search?q=asma&lang=xx")
    assert response.status_code == 400 and "lang must be one of" in response.json["message"]


# -- pages -------------------------------------------------------------------------------


def alternates(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<link rel="alternate" hreflang="(\w+)" href="([^"]+)"', html))


def test_an_article_and_its_translation_point_at_each_other(client):
    english = client.get("/article/kyphoplasty").text
    spanish = client.get("/es/article/cifoplastia").text
    both = {
        ("en", "http://localhost/article/kyphoplasty"),
        ("es", "http://localhost/es/article/cifoplastia"),
    }
    assert alternates(english) == alternates(spanish) == both
    assert '<html lang="es">' in spanish and '<html lang="en">' in english
    switch = re.search(r'class="language-switch">(.*?)</span>', spanish).group(1)
    assert 'href="http://localhost/article/kyphoplasty"' in switch and ">English<" in switch
    assert 'href="/es/article/cifoplastia"' in english  # "En español: Cifoplastia"
    # The interface is Spanish, through the catalogue; the callouts were rendered so.
    assert "También llamado:" in spanish and "Artículos relacionados" not in english
    assert "Consejo urgente" in spanish and "12 de junio de 2025" in spanish
    assert "Was this page helpful?" in english and "¿Le resultó útil esta página?" in spanish


def test_an_article_lives_at_its_own_language_address(client):
    assert client.get("/es/article/kyphoplasty").headers["Location"] == "/article/kyphoplasty"
    assert client.get("/article/cifoplastia").headers["Location"] == "/es/article/cifoplastia"
    missing = client.get("/es/no-such-page")
    assert missing.status_code == 404 and "Página no encontrada" in missing.text


def test_an_article_without_translation_switches_to_the_other_home_page(client):
    html = client.get("/article/lupus").text
    assert alternates(html) == set()
    assert re.search(r'class="language-switch"><a href="/es/"', html)


def test_a_search_with_nothing_in_its_language_offers_the_other(client):
    spanish_page = client.get("/es/search?q=heart+attack").text
    offered = re.search(r'class="other-language" lang="en".*?</section>', spanish_page, re.S)
    assert offered and 'href="/article/heart-attack"' in offered.group(0)
    english_page = client.get("/search?q=cifoplastia").text
    offered = re.search(r'class="other-language" lang="es".*?</section>', english_page, re.S)
    assert offered and 'href="/es/article/cifoplastia"' in offered.group(0)
    # A search that found something in its language offers nothing else.
    assert "other-language" not in client.get("/es/search?q=asma").text


def test_the_spanish_a_to_z_and_browse_pages(client):
    page = client.get("/es/a-z/c").text
    assert "Cifoplastia con balón</a>" not in page  # another name: "see", not a title
    assert re.search(
        r"Cifoplastia con balón, ver\s*<a class=\"see\" href=\"/es/article/cifoplastia\"", page
    )
    assert client.get("/es/a-z/ñ").status_code == 200
    assert client.get("/a-z/ñ").status_code == 404  # English has no Ñ section
    browse = client.get("/es/browse").text
    assert ">Enfermedades</a>" in browse and ">Procedimientos y cirugía</a>" in browse


def test_the_apis_take_lang(client):
    suggested = client.get("/api/suggest?q=cifo&lang=es").json
    assert suggested["lang"] == "es"
    assert suggested["suggestions"][0] == {
        "name": "Cifoplastia",
        "title": "Cifoplastia",
        "slug": "cifoplastia",
        "url": "/es/article/cifoplastia",
    }
    searched = client.get("/api/search?q=asma&lang=es").json
    assert searched["lang"] == "es" and searched["results"][0]["url"] == "/es/article/asma"
    listed = client.get("/api/articles?lang=es").json
    assert listed["lang"] == "es" and {a["lang"] for a in listed["articles"]} == {"es"}
    article = client.get("/api/articles/cifoplastia").json
    assert article["lang"] == "es" and article["translations"][0]["slug"] == "kyphoplasty"
    feed = client.get("/feed.atom").text
    assert '<entry xml:lang="es">' in feed and '<entry xml:lang="en">' in feed
    assert 'hreflang="es" href="http://localhost/es/article/cifoplastia"' in feed


# -- librarians ---------------------------------------------------------------------------


def test_the_dashboard_lists_missing_and_outdated_translations(ann, desk):
    content = desk.extensions["settings"].content_dir
    untranslated = ann.get("/librarian?show=untranslated").text
    assert ">Concussion<" in untranslated and ">Kyphoplasty<" not in untranslated
    assert "Cifoplastia" not in untranslated
    assert "Older than its original" not in ann.get("/librarian").text
    # The original is reviewed again after its translation: the translation is listed.
    path = content / "kyphoplasty.md"
    path.write_text(path.read_text().replace("reviewed: 2025-06-12", "reviewed: 2026-11-30"))
    outdated = ann.get("/librarian?show=outdated").text
    assert "Cifoplastia" in outdated and "Older than its original" in outdated
    assert "Asma" not in outdated


def test_the_editor_says_which_translations_exist(ann):
    page = ann.get("/librarian/edit/kyphoplasty").text
    assert re.search(
        r"Published in: English \(this article\); <a [^>]*>Spanish: Cifoplastia</a>", page
    )
    assert "No translation yet" in ann.get("/librarian/edit/concussion").text


# -- the message catalogue -----------------------------------------------------------------


def test_the_compiled_catalogue_is_the_translated_source(tmp_path: Path):
    """The shipped .mo is the .po compiled, every message translated: an edit of the
    .po without `make translations` fails here, not on a Spanish page."""
    po_path = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po, (po_path.with_suffix(".mo")).open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)

    def plain(value):  # a plural is a tuple in a .po and a list in a .mo
        return tuple(value) if isinstance(value, list | tuple) else value

    def pairs(catalogue) -> dict:
        return {plain(m.id): plain(m.string) for m in catalogue if m.id and not m.fuzzy}

    translated = pairs(source)
    assert all(all(t) if isinstance(t, tuple) else t for t in translated.values())
    assert pairs(compiled) == translated


def test_every_interface_string_is_in_the_catalogue(tmp_path: Path):
    """What pybabel extracts today is what the catalogue translates: a new string in a
    template without its Spanish fails here."""
    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "translatable",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert wanted <= have, sorted(wanted - have)


def test_a_fresh_app_serves_spanish_without_setup(tmp_path: Path, content: Path):
    write_article(content, "asma", "title: Asma\nlang: es", "El asma.\n")
    rebuild(content, tmp_path / "index")
    client = create_app({"content_dir": content, "index_dir": tmp_path / "index"}).test_client()
    page = client.get("/es/article/asma")
    assert page.status_code == 200 and "Buscar" in page.text


def test_spanish_patient_queries_meet_their_targets(library: Library):
    """The 60 Spanish queries of tests/relevance/spanish.tsv (bench/relevance.py prints
    them by kind, with an ablation): at least 9 in 10 first, all but one in the top 10."""
    from encyclopedia.search.evaluation import evaluate, load_title_cases, project_ranker
    from tests.conftest import SHIPPED_CONTENT

    cases = load_title_cases(
        Path(__file__).parent / "relevance" / "spanish.tsv", SHIPPED_CONTENT, lang="es"
    )
    assert len(cases) >= 50 and all(case.expected for case in cases)
    score = evaluate(cases, project_ranker(library, "es"))["all"]
    assert score.success_at_1 >= 0.90, score.misses
    assert score.success_at_10 >= 0.98, score.misses


def test_an_emergency_written_in_spanish_gets_the_callout_in_spanish(client):
    page = client.get("/es/search?q=mi+papa+no+puede+respirar").text
    assert "Si esto está pasando ahora, llame al número de emergencias" in page
    assert "988" in client.get("/es/search?q=quiero+hacerme+daño").text


def test_a_spanish_search_with_no_good_answer_says_so(library: Library, client):
    """Spanish has no meaning stage: the words say when the best hit does not answer."""
    toothache = library.search("dolor de muelas", lang="es")
    assert toothache.hits and toothache.weak  # "dolor" alone found Low back pain
    assert not library.search("presion alta", lang="es").weak
    assert not library.search("hormigueo en las manos", lang="es").weak  # Diabetes says it
    page = client.get("/es/search?q=dolor+de+muelas").text
    assert (
        "No tenemos ningún artículo que coincida bien con <strong>dolor de muelas</strong>" in page
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_name_has_a_section_and_a_place_in_each_language(name: str):
    """Whatever a title holds (Greek, ligatures, emoji, combining marks), each language
    files it under one of its own A–Z sections and sorts it; folding twice is folding."""
    from encyclopedia.languages import LANGUAGES

    for language in LANGUAGES.values():
        assert language.initial(name) in language.letters
        folded = language.fold(name)
        assert language.fold(folded) == folded
        assert sorted([name, "ñu", "nube"], key=language.sort_key)  # comparable, no error
    assert SPANISH_WORDS.name_key(SPANISH_WORDS.fold(name)) == SPANISH_WORDS.name_key(name)


def test_a_spanish_page_takes_its_helpful_answer_and_thanks_in_spanish(desk):
    """The same endpoint, limited and counted the same, at the Spanish address."""
    client = desk.test_client()
    response = client.post("/es/article/cifoplastia/helpful", data={"answer": "yes"})
    assert response.status_code == 200 and "Gracias" in response.text
    assert 'href="/es/article/cifoplastia"' in response.text
    assert (
        client.post("/es/article/cifoplastia/helpful", data={"answer": "tal vez"}).status_code
        == 400
    )
