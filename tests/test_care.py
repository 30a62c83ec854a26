"""Care callouts ("When to get help"): how a librarian writes them, what `check` says
of a broken one, what a patient sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encyclopedia import care
from encyclopedia.articles import ArticleError, load_folder, parse_article
from encyclopedia.rendering import html_text, render_markdown
from tests.conftest import write_article

ARTICLE = """---
title: Asthma
---
Summary.

## When to Contact a Medical Professional

{body}
"""


def problems_of(body: str) -> list[str]:
    try:
        _, problems = parse_article(ARTICLE.format(body=body), "asthma.md")
    except ArticleError as exc:
        problems = exc.problems
    return [f"{p.line}: {p.message}" for p in problems if p.severity == "error"]


def test_each_level_renders_as_a_labelled_callout_with_its_default_title():
    for name, level in care.LEVELS.items():
        html = render_markdown(f"Before.\n\n::: {name}\n- one sign\n- another\n:::\n\nAfter.")
        assert f'<div class="care care-{name}" role="note">' in html
        assert f'<p class="care-label">{level.label}</p>' in html
        assert f"<strong>{level.title}</strong>" in html
        assert "<li>one sign</li>" in html and "<p>After.</p>" in html
        assert ":::" not in html


def test_a_callout_may_give_its_own_title_which_is_escaped():
    html = render_markdown("::: urgent Get help today if <your> child:\nHas a fever.\n:::")
    assert "<strong>Get help today if &lt;your&gt; child:</strong>" in html
    assert "<p>Has a fever.</p>" in html


def test_the_inside_of_a_callout_is_sanitised_like_any_text():
    html = render_markdown(
        '::: emergency\n<script>alert(1)</script> <a href="javascript:x">x</a>\n:::'
    )
    assert "<script" not in html and "javascript:" not in html


def test_a_code_fence_keeps_its_colons_as_text():
    html = render_markdown("```\n::: emergency\n```\n")
    assert "care" not in html and "::: emergency" in html


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (":::warning\nx\n:::", "unknown care level 'warning'; use one of doctor, urgent"),
        ("::: emergency\n- chest pain", "this callout is not closed with ':::'"),
        ("::: emergency\n:::", "the emergency callout is empty"),
        (":::", "':::' closes no block"),
        ("::: doctor\nx\n::: urgent\ny\n:::", "another callout starts before this one is closed"),
        ("::: doctor\nx\n## Outlook\n:::", "not closed with ':::' before the next heading"),
        ("::: urgent " + "t" * 201 + "\nx\n:::", "title is over 200 characters"),
    ],
)
def test_check_names_a_broken_callout_and_its_line(body: str, expected: str):
    found = problems_of(body)
    assert any(expected in p for p in found), found
    assert all(p.startswith("8: ") for p in found if expected in p)  # the ':::' line


def test_a_broken_callout_keeps_every_word_in_the_preview():
    html = render_markdown("::: warning\nTake care.\n:::")
    assert "Take care." in html and "care-" not in html


def test_check_refuses_to_publish_an_article_with_a_broken_callout(content: Path):
    write_article(content, "asthma", "title: Asthma", "Summary.\n\n::: emergency\n- x\n")
    folder = load_folder(content)
    assert "asthma" not in folder.articles
    assert any("not closed" in p.message for p in folder.errors)


def test_shipped_articles_tell_patients_when_to_get_help(client):
    for slug in ("heart-attack", "stroke", "asthma"):
        html = client.get(f"/article/{slug}").text
        assert 'class="care care-emergency" role="note"' in html, slug
    html = client.get("/article/asthma").text
    assert all(f"care-{level}" in html for level in care.LEVELS)


def test_callout_words_are_searchable_and_read_as_sentences():
    text = html_text(render_markdown("::: doctor\n- wheezing at night\n:::"))
    assert text == "Non-urgent advice. See a doctor if: wheezing at night."


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [":::", "::: emergency", "::: doctor Title", "::: nope", "```", "## H", "text", ""]
        )
        | st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20),
        max_size=12,
    )
)
def test_any_text_splits_without_losing_a_word(lines: list[str]):
    """Whatever a librarian types, nothing raises and every line that is not a block
    marker reaches the page (inside a callout or as plain text)."""
    text = "\n".join(lines)
    segments, mistakes = care.split(text, lambda line: line.startswith("## "))
    kept = "\n".join(s.markdown for s in segments)
    for line in lines:
        marker = line.strip().startswith(":::")
        if line.strip() and not marker:
            assert line.strip() in kept
    assert all(0 <= m.offset < max(len(text.splitlines()), 1) for m in mistakes)
    render_markdown(text)
