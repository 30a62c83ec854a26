"""The librarians' forms. Flask-WTF gives each one a CSRF token; the checks that need the
other articles (a duplicate title, an unknown related slug) are the editor's, so the web
form and the command line judge an article the same way."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from encyclopedia.librarian.drafts import Draft, split_lines


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your librarian name.")])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=1024)]
    )
    submit = SubmitField("Sign in")


class ArticleForm(FlaskForm):
    slug = StringField(
        "Address (slug)",
        description="The page's address: lowercase letters, digits and hyphens, "
        "like heart-attack. Changing it keeps the old address working.",
    )
    title = StringField("Title")
    also_called = TextAreaField(
        "Also called", description="Other names patients use, one per line."
    )
    search_aliases = TextAreaField(
        "Hidden search aliases",
        description="Misspellings and run-together words that should find this article "
        "(heartattack, hart attack), one per line. Searchable, never shown to patients.",
    )
    kind = StringField(
        "Kind", description="condition, procedure, test, symptom, injury, ... (optional)"
    )
    reviewed = StringField(
        "Reviewed on",
        description="The day of the last review: type it or pick it from the calendar, "
        "in the date format your browser shows.",
    )
    reviewed_by = StringField("Reviewed by")
    related = TextAreaField(
        "Related articles", description="Addresses (slugs) of related articles, one per line."
    )
    source = StringField("Source (optional)")
    source_url = StringField("Source address (optional)")
    body = TextAreaField(
        "Text",
        description="Markdown. The first paragraphs are the summary; each '## Heading' "
        "starts a section.",
    )
    note = StringField("What changed (optional)", validators=[Length(max=500)])
    base = HiddenField()
    preview = SubmitField("Preview")
    save = SubmitField("Save")

    def fill(self, draft: Draft, base: str = "") -> None:
        self.slug.data = draft.slug
        self.title.data = draft.title
        self.also_called.data = "\n".join(draft.also_called)
        self.search_aliases.data = "\n".join(draft.search_aliases)
        self.kind.data = draft.kind
        self.reviewed.data = draft.reviewed
        self.reviewed_by.data = draft.reviewed_by
        self.related.data = "\n".join(draft.related)
        self.source.data = draft.source
        self.source_url.data = draft.source_url
        self.body.data = draft.body
        self.base.data = base

    def draft(self, extra: dict | None = None) -> Draft:
        return Draft(
            slug=(self.slug.data or "").strip(),
            title=self.title.data or "",
            also_called=split_lines(self.also_called.data or ""),
            search_aliases=split_lines(self.search_aliases.data or ""),
            kind=self.kind.data or "",
            reviewed=(self.reviewed.data or "").strip(),
            reviewed_by=self.reviewed_by.data or "",
            related=split_lines(self.related.data or ""),
            source=self.source.data or "",
            source_url=self.source_url.data or "",
            body=self.body.data or "",
            extra=dict(extra or {}),
        )
