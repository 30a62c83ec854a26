"""Real words are left alone by spelling correction; adjectives lead to their nouns.

On the 1,017 MedlinePlus topics, with Debian's word lists as `make test` installs them:
"achalasia" had been corrected to "aphasia", another article's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encyclopedia.config import DICTIONARIES
from encyclopedia.normalize import fold
from encyclopedia.search import Library, vocabulary
from encyclopedia.search.vocabulary import Vocabulary


def test_make_test_installs_the_word_lists():
    for path in DICTIONARIES:
        assert path.is_file(), f"{path}: `make test` installs wamerican and hunspell-en-med"
    found = vocabulary.load(DICTIONARIES)
    assert len(found) > 100_000
    assert {"achalasia", "uveitis", "police", "bold"} <= {
        w for w in ("achalasia", "uveitis", "police", "bold", "astma") if w in found
    }
    assert "astma" not in found and "pnuemonia" not in found


def test_word_lists_and_hunspell_files_are_read_as_words(tmp_path: Path):
    words = tmp_path / "words"
    words.write_text("Hart\nAlzheimer's\ncafé\nab\n", encoding="utf-8")
    dic = tmp_path / "med.dic"
    dic.write_text("3\n    a comment line, not a word\n\nachalasia/S\n5-hydroxy\n", "utf-8")
    found = vocabulary.load((words, dic, tmp_path / "missing"))
    assert found.sources == ("words", "med.dic")
    for word in ("hart", "HART", "alzheimers", "Alzheimer's", "cafe", "café", "achalasia"):
        assert word in found, word
    for word in ("ab", "comment", "5-hydroxy", "hydroxy", "achalasias"):
        assert word not in found, word


def test_no_word_lists_is_said_and_nothing_is_known(tmp_path: Path):
    found = vocabulary.load((tmp_path / "nothing-here",))
    assert len(found) == 0 and "achalasia" not in found
    assert found.describe().startswith("none")


@given(st.text(min_size=1, max_size=20))
def test_a_word_is_known_however_it_is_cased_or_accented(word: str):
    known = Vocabulary.of([word])
    assert word in known and word.upper() in known and fold(word) in known


@pytest.fixture(scope="module")
def topics(medlineplus):
    content, index = medlineplus
    return Library(index, thesaurus=content / "thesaurus.yaml")


@pytest.fixture(scope="module")
def topics_without_word_lists(medlineplus):
    content, index = medlineplus
    return Library(index, thesaurus=content / "thesaurus.yaml", dictionaries=())


@pytest.mark.parametrize("query", ["achalasia", "uveitis", "police heel", "bold", "loose weight"])
def test_a_real_word_is_neither_corrected_nor_offered_a_correction(topics, query):
    plan = topics.plan(query)
    assert plan.corrections == () and plan.did_you_mean is None
    assert plan.searched == query


def test_without_word_lists_the_names_alone_decide_as_before(topics_without_word_lists):
    plan = topics_without_word_lists.plan("achalasia")
    assert [c.right for c in plan.corrections] == ["aphasia"]
    assert "word lists: none" in " ".join(
        topics_without_word_lists.health(Path("/nonexistent")).warnings()
    )


def test_a_real_word_is_corrected_into_a_longer_name(topics):
    """Although "hart" is a word (a deer), "heart attack" names an article: the correction
    explains the query better than the word did."""
    plan = topics.plan("hart attack")
    assert plan.searched == "heart attack"
    assert topics.search("hart attack").hits[0].slug == "heart-attack"
    # The mistyped word is mended first, so the real one beside it can make the name.
    assert topics.plan("hart atack").searched == "heart attack"
    plan = topics.plan("prostrate cancer")
    assert plan.searched == "prostate cancer"


def test_a_real_medical_word_no_article_holds_is_reached_by_meaning(topics):
    found = topics.search("achalasia")
    assert found.hits[0].slug == "esophagus-disorders", [h.slug for h in found.hits[:3]]
    assert found.did_you_mean is None and found.searched is None


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("exercise for asthmatics", "asthma"),
        ("arthritic knees", "arthritis"),
        ("anemic and tired", "anemia"),
        ("my son is a hemophiliac", "hemophilia"),
        ("epileptic fits", "epilepsy"),
    ],
)
def test_an_adjective_leads_to_the_article_on_its_noun(topics, query, slug):
    plan = topics.plan(query)
    assert any(
        alternative.reason and alternative.reason.split(" = ")[1] in slug
        for slot in plan.slots
        for alternative in slot.alternatives
    ), plan.slots
    slugs = [h.slug for h in topics.search(query).hits[:3]]
    assert slug in slugs, slugs


def test_health_names_the_word_lists(topics, medlineplus):
    said = topics.health(medlineplus[0]).to_dict()["vocabulary"]
    assert "american-english" in said and "en_med_glut.dic" in said


def test_an_unknown_stage_cannot_be_left_out(medlineplus):
    with pytest.raises(ValueError, match="no such stage"):
        Library(medlineplus[1], without=("spelling",))


def test_ablation_switches_turn_their_stage_off(medlineplus):
    content, index = medlineplus
    plain = Library(index, thesaurus=content / "thesaurus.yaml", without=("correction", "names"))
    plan = plain.plan("hart attack")
    assert plan.corrections == () and plan.boosts == ()
