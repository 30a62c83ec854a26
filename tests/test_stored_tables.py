"""What a worker keeps from the build instead of making at start: each language's
suggestion table (written by the build's writer), the hashed word lists (kept by the
first process), and the catalog entries of articles an update did not touch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from encyclopedia.search import Library, rebuild, vocabulary
from encyclopedia.search.builds import CACHE, current_build
from encyclopedia.search.snapshot import Snapshot
from encyclopedia.search.stored_tables import TABLES_KEY
from encyclopedia.search.updating import update_article
from tests.conftest import SHIPPED_CONTENT, write_article

PREFIXES = ["a", "as", "hea", "heart", "hart", "diab", "cifo", "ataq", "kyph", "bal", "zz"]


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    content = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, content)
    rebuild(content, tmp_path / "index")
    return content, tmp_path / "index"


def tables_of(index: Path) -> dict:
    build = current_build(index)
    return json.loads((build / "catalog.json").read_text(encoding="utf-8"))[TABLES_KEY]


def everything(snapshot: Snapshot, lang: str) -> tuple:
    """All that a language's tables answer: suggestions, the A–Z, the planner's names."""
    tables = snapshot.tables(lang)
    slugs = lambda entries: [e.slug for e in entries]  # noqa: E731
    return (
        [[s.to_dict() for s in tables.suggestions.suggest(p)] for p in PREFIXES],
        {
            letter: [(e.name, slugs(e.articles), slugs(e.see)) for e in rows]
            for letter, rows in tables.site_map.items()
        },
        sorted(tables.name_keys),
        slugs(tables.suggestions.entries_named("Balloon kyphoplasty")),
        slugs(tables.suggestions.resembling("kyphoplsty")),
    )


def made_in_memory(index: Path) -> Snapshot:
    """The same build, its tables made by the reader as a build without them would be."""
    snapshot = Snapshot(current_build(index))
    snapshot._stored_tables = None
    return snapshot


def test_a_build_keeps_each_languages_table_and_readers_use_it_to_the_same_effect(site):
    _, index = site
    kept = tables_of(index)
    assert set(kept) == {"generation", "en", "es"}
    for code in ("en", "es"):
        assert (current_build(index) / kept[code]["file"]).is_file()
        stored = everything(Snapshot(current_build(index)), code)
        assert everything(made_in_memory(index), code) == stored
        assert stored[0][PREFIXES.index("heart" if code == "en" else "ataq")]  # not empty


def test_an_edit_of_the_text_keeps_the_table_and_a_new_name_replaces_it(site):
    content, index = site
    library = Library(index, semantic=False)
    before = tables_of(index)
    path = content / "kyphoplasty.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence.\n", "utf-8")
    update_article(content, index, "kyphoplasty")
    assert tables_of(index)["en"] == before["en"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: Kyphoplasty", "title: Kyphoplasty surgery", 1), "utf-8")
    update_article(content, index, "kyphoplasty")
    after = tables_of(index)
    assert after["en"]["file"] != before["en"]["file"] and after["es"] == before["es"]
    build = current_build(index)
    assert sorted(p.name for p in build.glob("tables-*.npz")) == sorted(
        [after["en"]["file"], after["es"]["file"]]
    )
    assert library.suggest("kyphoplasty s")[0].name == "Kyphoplasty surgery"
    fresh = Library(index, semantic=False)  # a new worker reads the new file
    assert fresh.suggest("kyphoplasty s")[0].name == "Kyphoplasty surgery"
    assert everything(fresh.snapshot(), "en") == everything(made_in_memory(index), "en")


@pytest.mark.parametrize("damage", ["truncated", "missing", "other names", "not arrays"])
def test_a_damaged_or_mismatched_table_is_made_again_never_served_wrong(site, damage, caplog):
    content, index = site
    expected = everything(Snapshot(current_build(index)), "en")
    build = current_build(index)
    kept = tables_of(index)["en"]
    path = build / kept["file"]
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "missing":
        path.unlink()
    elif damage == "not arrays":
        path.write_bytes(b"PK\x03\x04 not a zip at all")
    else:
        catalog = json.loads((build / "catalog.json").read_text(encoding="utf-8"))
        catalog[TABLES_KEY]["en"]["names"] = "0" * 32
        (build / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    assert everything(Snapshot(build), "en") == expected
    assert "suggestion table" in caplog.text
    assert Library(index, semantic=False).health(content).in_sync


def test_an_update_reuses_the_entries_of_articles_it_did_not_touch(site):
    content, index = site
    library = Library(index, semantic=False)
    before = library.snapshot()
    write_article(content, "lupus", "title: Lupus", "An autoimmune disease.\n")
    update_article(content, index, "lupus")
    after = library.snapshot()
    assert after is not before and "lupus" in after.catalog
    assert after.catalog["asthma"] is before.catalog["asthma"]
    assert library.suggest("lupu")[0].slug == "lupus"
    rebuild(content, index)  # a new build: nothing is taken from the old one
    rebuilt = library.snapshot()
    assert rebuilt.catalog["asthma"] is not before.catalog["asthma"]
    assert rebuilt.catalog["asthma"] == before.catalog["asthma"]


def test_the_word_lists_are_kept_hashed_between_starts(tmp_path: Path):
    words = tmp_path / "words"
    words.write_text("achalasia\nuveitis\nKidney\ncafé\n", encoding="utf-8")
    load = vocabulary.read  # not load(): the process keeps what it read first
    first = load((words,), tmp_path / CACHE)
    assert all(w in first for w in ("achalasia", "uveitis", "kidney", "cafe", "Café"))
    assert "aphasia" not in first and first.sources == ("words",)
    (kept,) = (tmp_path / CACHE).glob("vocabulary-*.npy")
    # What the next start reads is the cache, not the list: put a word only there.
    np.save(kept, np.array([vocabulary.word_hash("onlyinthecache")]), allow_pickle=False)
    cached = load((words,), tmp_path / CACHE)
    assert "onlyinthecache" in cached and cached.sources == ("words",)
    # A changed list is read again, and the cache of the old one removed.
    words.write_text("achalasia\nuveitis\n", encoding="utf-8")
    again = load((words,), tmp_path / CACHE)
    assert "onlyinthecache" not in again and "achalasia" in again and "kidney" not in again
    assert [p.name for p in (tmp_path / CACHE).glob("vocabulary-*.npy")] != [kept.name]
    assert len(list((tmp_path / CACHE).glob("vocabulary-*.npy"))) == 1


def test_a_cache_that_cannot_be_written_or_read_changes_nothing(tmp_path: Path):
    words = tmp_path / "words"
    words.write_text("achalasia\n", encoding="utf-8")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    load = vocabulary.read
    assert "achalasia" in load((words,), blocked / CACHE)
    cache = tmp_path / CACHE
    load((words,), cache)
    for kept in cache.glob("vocabulary-*.npy"):
        kept.write_bytes(b"not numpy")
    assert "achalasia" in load((words,), cache)


def test_a_process_that_has_the_lists_leaves_them_for_a_new_index_folder(tmp_path: Path):
    words = tmp_path / "words"
    words.write_text("achalasia\nuveitis\n", encoding="utf-8")
    first = vocabulary.load((words,), tmp_path / "one" / CACHE)
    again = vocabulary.load((words,), tmp_path / "two" / CACHE)
    assert again is first  # read once per process...
    assert len(list((tmp_path / "two" / CACHE).glob("vocabulary-*.npy"))) == 1  # ...kept
    assert "uveitis" in vocabulary.read((words,), tmp_path / "two" / CACHE)


def test_a_table_whose_rows_point_past_an_articles_names_is_not_used(site, caplog):
    """A damaged file whose catalog digest still matches (a flipped bit) is refused by
    the table itself, never read past an article's names."""
    _, index = site
    build = current_build(index)
    expected = everything(Snapshot(build), "en")
    path = build / tables_of(index)["en"]["file"]
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name].copy() for name in stored.files}
    arrays["codes"][0] |= 0xFFF  # the 4,095th name of its article
    np.savez(path, **arrays)
    assert everything(Snapshot(build), "en") == expected
    assert "not used" in caplog.text
