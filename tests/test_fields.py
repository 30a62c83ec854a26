"""The fields' table (encyclopedia/fields.py) is the one owner of the front-matter fields:
everything that lists them agrees with it, and every field is documented."""

from __future__ import annotations

import dataclasses
import re

from encyclopedia.articles import KNOWN_FIELDS, Article
from encyclopedia.fields import FIELDS, NAMES
from encyclopedia.librarian.drafts import ORDER, Draft
from encyclopedia.librarian.editor import FORM_FIELDS
from tests.conftest import PROJECT_ROOT, write_article


def test_every_list_of_fields_is_the_table():
    assert set(NAMES) == KNOWN_FIELDS and ORDER == NAMES
    assert ("slug", *NAMES, "body") == FORM_FIELDS
    assert [f.name for f in dataclasses.fields(Draft)] == ["slug", *NAMES, "body", "extra"]
    assert set(NAMES) <= {f.name for f in dataclasses.fields(Article)}


def test_every_field_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    example = readme[readme.index("## Writing articles") :]
    example = example[: example.index("```", example.index("```markdown") + 3)]
    documented = set(re.findall(r"^(\w+):", example, re.MULTILINE))
    assert set(NAMES) - documented == set(), "document these fields in README's example"


def test_the_form_has_one_input_per_field_with_the_tables_label(ann):
    page = ann.get("/librarian/new").text
    for f in FIELDS:
        assert f'<label for="field-{f.name}">{f.label}</label>' in page, f.name
        assert f'name="{f.name}"' in page


def test_a_file_round_trips_through_the_draft_field_by_field(content):
    path = write_article(
        content,
        "asthma",
        """
        title: Asthma
        also_called: [Bronchial asthma, Wheezing illness]
        search_aliases: [asma]
        kind: condition
        reviewed: 2024-05-01
        reviewed_by: Ann
        related: [copd]
        source: Somewhere
        source_url: https://example.org/asthma
        custom: kept
        """,
        "Airways narrow.\n",
    )
    text = path.read_text()
    draft = Draft.from_text("asthma", text)
    assert draft.search_aliases == ["asma"] and draft.reviewed == "2024-05-01"
    assert draft.extra == {"custom": "kept"}
    again = Draft.from_text("asthma", draft.to_text())
    assert again == draft
