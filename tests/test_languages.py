"""What differs between the languages articles can be in: folding, Spanish collation and
A–Z sections, and Spanish analysis (groundwork for the Spanish encyclopedia, issue 17)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encyclopedia.languages import ENGLISH, LANGUAGES, SPANISH
from encyclopedia.normalize import initial, sort_key
from encyclopedia.search import LETTERS
from encyclopedia.search.engine.schema import analyze, analyzer_for


def spanish_terms(text: str) -> list[str]:
    return [token.text for token in analyzer_for("es")(text)]


def test_spanish_names_sort_as_a_spanish_reader_expects():
    names = ["Ocio", "Ñandú", "Nube", "Niño", "Llanto", "Lupus", "Cifoplastia", "Chocolate"]
    names += ["Azúcar", "Ácido", "ano", "año", "anorexia", "Pan dulce", "Paño"]
    assert sorted(names, key=SPANISH.sort_key) == [
        "Ácido",
        "ano",
        "anorexia",
        "año",
        "Azúcar",
        "Chocolate",
        "Cifoplastia",
        "Llanto",
        "Lupus",
        "Niño",
        "Nube",
        "Ñandú",
        "Ocio",
        "Pan dulce",
        "Paño",
    ]


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("Ñandú", "Ñ"),
        ("ñame", "Ñ"),
        ("Chocolate", "C"),
        ("Llanto", "L"),
        ("Ácido úrico", "A"),
        ("Úlcera", "U"),
        ("5-HIAA", "0-9"),
        ("¿Qué es la cifoplastia?", "Q"),
    ],
)
def test_spanish_a_to_z_sections(name: str, section: str):
    assert SPANISH.initial(name) == section
    assert section in SPANISH.letters


def test_the_spanish_a_to_z_has_enye_after_n():
    letters = SPANISH.letters
    assert letters.index("Ñ") == letters.index("N") + 1 == letters.index("O") - 1
    assert len(letters) == 28  # 27 letters and 0-9


def test_spanish_folding_ignores_accents_but_keeps_enye():
    assert SPANISH.fold("Cifoplastia con BALÓN") == SPANISH.fold("cifoplastia con balon")
    assert SPANISH.fold("Año") == "año" != SPANISH.fold("ano")
    assert SPANISH.fold("pingüino") == "pinguino"
    assert SPANISH.fold("Niño") == SPANISH.fold("nin\u0303o")  # decomposed input too


def test_spanish_analysis_stems_folds_accents_keeps_enye_and_drops_stop_words():
    assert spanish_terms("Cifoplastia con balón") == spanish_terms("cifoplastias con balon")
    assert spanish_terms("Cifoplastia con balón") == ["cifoplasti", "balon"]
    assert spanish_terms("año") != spanish_terms("ano")
    assert spanish_terms("fracturas por compresión") == spanish_terms("fractura compresion")
    assert spanish_terms("diabético") == spanish_terms("diabetes")
    assert spanish_terms("pingüino") == spanish_terms("pinguino")


def test_english_is_unchanged_by_the_language_table():
    assert ENGLISH.letters == LETTERS and LANGUAGES["en"] is ENGLISH
    assert analyzer_for("en") is analyzer_for(ENGLISH.code)
    assert [t.text for t in analyzer_for("en")("Ménière disease")] == analyze("Ménière disease")
    with pytest.raises(KeyError):
        analyzer_for("xx")


@given(st.text(max_size=30))
def test_english_sort_and_sections_agree_with_the_site_wide_rules(name: str):
    assert ENGLISH.sort_key(name) == sort_key(name)
    assert ENGLISH.initial(name) == initial(name)


@given(st.text(max_size=30))
def test_spanish_rules_take_any_text(name: str):
    assert SPANISH.initial(name) in SPANISH.letters
    SPANISH.sort_key(name)
    spanish_terms(name)
