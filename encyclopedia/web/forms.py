"""The librarians' forms. Flask-WTF gives each one a CSRF token; the checks that need the
other articles (a duplicate title, an unknown related slug) are the editor's, so the web
form and the command line judge an article the same way."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from encyclopedia import media
from encyclopedia.fields import FIELDS
from encyclopedia.librarian.drafts import Draft, split_lines


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your librarian name.")])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=1024)]
    )
    submit = SubmitField("Sign in")


class ImageForm(FlaskForm):
    """An image to show in articles. Its type is judged from its bytes by the media
    module (not from its name or the browser's word), which also re-encodes it."""

    image = FileField(
        "Image file",
        validators=[FileRequired("Choose an image file.")],
        description=f"PNG, JPEG or WebP, up to {media.MAX_BYTES // (1024 * 1024)} MB. "
        "It is re-encoded, which removes the camera's details and location.",
    )
    alt = StringField(
        "Alt text",
        validators=[
            DataRequired("Say what the image shows, for people who cannot see it."),
            Length(max=media.MAX_ALT),
        ],
        description="What the image shows, for people who cannot see it "
        '("Side view of the spine with one vertebra collapsed").',
    )
    caption = StringField(
        "Caption",
        validators=[
            DataRequired("Write the caption shown under the image."),
            Length(max=media.MAX_CAPTION),
        ],
        description="Shown under the image for everyone.",
    )
    submit = SubmitField("Upload")


class ArticleForm(FlaskForm):
    """One input per front-matter field, made from the fields' table (with its label and
    help), plus the address, the Markdown text and the note."""

    slug = StringField(
        "Address (slug)",
        description="The page's address: lowercase letters, digits and hyphens, "
        "like heart-attack. Changing it keeps the old address working.",
    )
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
        for f in FIELDS:
            value = getattr(draft, f.name)
            self[f.name].data = "\n".join(value) if f.is_list else value
        self.body.data = draft.body
        self.base.data = base

    def draft(self, extra: dict | None = None) -> Draft:
        draft = Draft(
            slug=(self.slug.data or "").strip(),
            body=self.body.data or "",
            extra=dict(extra or {}),
        )
        for f in FIELDS:
            text = self[f.name].data or ""
            setattr(draft, f.name, split_lines(text) if f.is_list else text.strip())
        return draft


for _field in FIELDS:
    setattr(
        ArticleForm,
        _field.name,
        (TextAreaField if _field.is_list else StringField)(_field.label, description=_field.help),
    )
