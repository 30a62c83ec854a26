"""Figures: images beside the articles, how an article names one, what check says of a
bad one, how an upload is judged and cleaned, and how the site serves them."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from encyclopedia import media
from encyclopedia.articles import ArticleError, parse_article
from encyclopedia.rendering import html_text, render_markdown
from tests.conftest import SHIPPED_CONTENT, csrf_token

GPS = 0x8825  # the EXIF tag holding a photo's location


def jpeg_with_location(size=(120, 80)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[GPS] = {1: "N", 2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"patient: Jane Doe")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Dr Somebody, Ward 7")
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


# Storing an upload --------------------------------------------------------------------


def test_a_photo_loses_its_location_camera_and_comment(tmp_path: Path):
    stored = media.store_upload(jpeg_with_location(), tmp_path, "Swollen ankle")
    data = (tmp_path / stored.name).read_bytes()
    assert re.fullmatch(r"swollen-ankle-[0-9a-f]{10}\.jpg", stored.name)
    saved = Image.open(io.BytesIO(data))
    assert saved.format == "JPEG" and (saved.width, saved.height) == (120, 80)
    assert not saved.getexif() and b"PhoneMaker" not in data and b"Jane Doe" not in data


def test_a_png_keeps_its_transparency_and_loses_its_text(tmp_path: Path):
    stored = media.store_upload(png_with_text(), tmp_path, "x")
    data = (tmp_path / stored.name).read_bytes()
    saved = Image.open(io.BytesIO(data))
    assert saved.mode == "RGBA" and b"Ward 7" not in data and not saved.text


def test_bytes_hidden_after_an_image_are_not_kept(tmp_path: Path):
    payload = png_with_text() + b"<script>alert(1)</script>"
    stored = media.store_upload(payload, tmp_path, "x")
    assert b"<script>" not in (tmp_path / stored.name).read_bytes()


def test_the_type_is_judged_by_the_bytes_not_the_name(tmp_path: Path):
    for data in (b"<svg onload='alert(1)'/>", b"%PDF-1.4 ...", b"GIF89a" + b"\0" * 40):
        with pytest.raises(media.UploadRefused, match="not a PNG, JPEG or WebP"):
            media.store_upload(data, tmp_path, "x")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(media.UploadRefused):
        media.store_upload(gif.getvalue(), tmp_path, "x")
    assert not any(tmp_path.iterdir())


def test_a_decompression_bomb_and_an_oversized_file_are_refused(tmp_path: Path):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 Mpx in a few kilobytes
    assert len(out.getvalue()) < media.MAX_BYTES
    with pytest.raises(media.UploadRefused, match="too many pixels"):
        media.store_upload(out.getvalue(), tmp_path, "x")
    with pytest.raises(media.UploadRefused, match="over 5 MB"):
        media.store_upload(b"\0" * (media.MAX_BYTES + 1), tmp_path, "x")
    with pytest.raises(media.UploadRefused, match="empty"):
        media.store_upload(b"", tmp_path, "x")


def test_a_large_image_is_scaled_down_and_the_same_upload_is_stored_once(tmp_path: Path):
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (10, 120, 80)).save(out, "JPEG")
    first = media.store_upload(out.getvalue(), tmp_path, "Wide")
    again = media.store_upload(out.getvalue(), tmp_path, "Wide")
    assert (first.width, first.height) == (media.MAX_SIDE, 400)
    assert first.name == again.name and len(list(tmp_path.iterdir())) == 1


# How an article names a figure ---------------------------------------------------------


def errors_of(body: str, media_dir: Path | None = None) -> list[str]:
    text = f"---\ntitle: Asthma\n---\nSummary.\n\n{body}\n"
    try:
        _, problems = parse_article(text, "asthma.md", media_dir)
    except ArticleError as exc:
        problems = exc.problems
    return [f"{p.line}: {p.message}" for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('![](media/a.png "Caption")', "needs alt text"),
        ("![Airways](media/a.png)", "needs a caption"),
        ('![Airways](https://example.org/a.png "C")', "is not in content/media"),
        ('![Airways](../secret.png "C")', "is not in content/media"),
        ('![Airways](media/gone.png "C")', "there is no image content/media/gone.png"),
        ('See ![Airways](media/a.png "C") here', "on a line of its own"),
    ],
)
def test_check_names_a_figure_that_breaks_the_rule_and_its_line(
    tmp_path: Path, line: str, expected: str
):
    (tmp_path / "a.png").write_bytes(png_with_text())
    found = errors_of(line, tmp_path)
    assert any(p.startswith("6: ") and expected in p for p in found), found


def test_a_good_figure_passes_and_renders_with_its_caption(tmp_path: Path):
    (tmp_path / "a.png").write_bytes(png_with_text())
    line = '![Two airways, one narrowed](media/a.png "Airways in an attack")'
    assert errors_of(line, tmp_path) == []
    html = render_markdown(line)
    assert html == (
        '<figure><img alt="Two airways, one narrowed" loading="lazy" src="/media/a.png">'
        "<figcaption>Airways in an attack</figcaption></figure>"
    )
    assert html_text(html) == "Airways in an attack."


@pytest.mark.parametrize(
    "markdown",
    [
        '![x](https://tracker.example/p.png "c")',
        "![x](media/a.png)",
        'Text ![x](media/a.png "c") inline.',
        '<img src="https://tracker.example/p.png" alt="x">',
        '<img src="/media/a.png" alt="x">',
        '<figure><img src="/media/a.png" alt="x"></figure>',
        '<img src="javascript:alert(1)" onerror="alert(1)" alt="x">',
    ],
)
def test_no_image_reaches_a_page_but_a_captioned_figure_of_our_own(markdown: str):
    html = render_markdown(markdown)
    assert "<img" not in html and "tracker" not in html and "onerror" not in html


# Serving ------------------------------------------------------------------------------


def test_shipped_figures_are_served_for_a_year_and_svg_can_run_nothing(client):
    for slug, name in [
        ("kyphoplasty", "kyphoplasty-spine.svg"),
        ("asthma", "asthma-airway.svg"),
        ("heart-attack", "heart-attack-artery.svg"),
    ]:
        html = client.get(f"/article/{slug}").text
        figure = re.search(r"<figure><img alt=\"([^\"]+)\"[^>]*src=\"([^\"]+)\">", html)
        assert figure and len(figure.group(1)) > 40 and figure.group(2) == f"/media/{name}"
        assert "<figcaption>" in html
        response = client.get(figure.group(2))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert b"<script" not in response.data and b"onload" not in response.data


@pytest.mark.parametrize(
    "path", ["/media/nope.png", "/media/..%2fasthma.md", "/media/asthma.md", "/media/A.PNG"]
)
def test_only_stored_images_are_served(client, path: str):
    assert client.get(path).status_code == 404


def test_every_shipped_figure_file_is_used_and_valid_svg():
    import xml.etree.ElementTree as ET

    used = set()
    for article in SHIPPED_CONTENT.glob("*.md"):
        used |= {media.media_name(r.src) for r in media.images_in(article.read_text())}
    files = {p.name for p in (SHIPPED_CONTENT / "media").iterdir()}
    assert used == files and len(files) >= 3
    for name in files:
        root = ET.parse(SHIPPED_CONTENT / "media" / name).getroot()
        assert (
            root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}title") is not None
        )


# Uploading from the editor -------------------------------------------------------------


def upload(client, data: bytes, alt="Red square", caption="A red square", name="photo.jpg"):
    token = csrf_token(client.get("/librarian/images").text)
    return client.post(
        "/librarian/images",
        data={
            "csrf_token": token,
            "alt": alt,
            "caption": caption,
            "image": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def test_a_librarian_uploads_an_image_and_gets_the_line_to_paste(ann, desk):
    response = upload(ann, jpeg_with_location())
    assert response.status_code == 200
    line = re.search(r'id="image-line"[^>]*value="([^"]+)"', response.text).group(1)
    line = line.replace("&#34;", '"').replace("&quot;", '"')
    name = re.fullmatch(r'!\[Red square\]\(media/(a-red-square-\w+\.jpg) "A red square"\)', line)
    assert name, line
    stored = desk.extensions["settings"].media_dir / name.group(1)
    assert stored.exists() and b"PhoneMaker" not in stored.read_bytes()
    assert desk.test_client().get(f"/media/{name.group(1)}").status_code == 200
    assert "image uploaded" in ann.get("/librarian/log").text


def test_a_bad_upload_is_refused_with_a_reason_and_nothing_stored(ann, desk):
    media_dir = desk.extensions["settings"].media_dir
    before = set(media_dir.iterdir())
    refused = upload(ann, b"not an image at all", name="x.png")
    assert refused.status_code == 422 and "not a PNG, JPEG or WebP" in refused.text
    missing_alt = upload(ann, jpeg_with_location(), alt="")
    assert missing_alt.status_code == 422 and "for people who cannot see it" in missing_alt.text
    too_large = upload(ann, b"\xff" * (media.MAX_BYTES + 200 * 1024))
    assert too_large.status_code == 413 and "over 5 MB" in too_large.text
    assert set(media_dir.iterdir()) == before


def test_a_media_folder_that_cannot_be_written_is_a_clear_503(ann, desk):
    media_dir = desk.extensions["settings"].media_dir
    shutil.rmtree(media_dir)
    media_dir.write_text("a file where the folder should be")  # fails even for root
    response = upload(ann, jpeg_with_location())
    assert response.status_code == 503 and "could not write the file" in response.text
    assert media_dir.read_text() == "a file where the folder should be"


def test_other_forms_keep_their_one_megabyte_limit(ann):
    token = csrf_token(ann.get("/librarian/thesaurus").text)
    response = ann.post(
        "/librarian/thesaurus", data={"csrf_token": token, "base": "", "text": "x" * (2 * 2**20)}
    )
    assert response.status_code == 413


def test_the_signed_out_cannot_upload(desk):
    client = desk.test_client()
    response = client.post(
        "/librarian/images",
        data={"image": (io.BytesIO(jpeg_with_location()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303, 401)
    assert not desk.extensions["settings"].media_dir.exists() or not any(
        p.suffix == ".jpg" for p in desk.extensions["settings"].media_dir.iterdir()
    )
