"""Figures in articles: the images beside the articles (``content/media/``), the rule for
how an article names one, and storing an upload safely.

An article shows a figure with a paragraph holding one image, with alt text for people
who cannot see it and a title that becomes the caption::

    ![The spine from the side](media/kyphoplasty-spine.svg "A compression fracture")

The rule (a ``media/`` file name, alt text and a caption required) is this module's:
the parser reports a figure that breaks it (``check`` and the editor), the renderer
and the sanitiser let through only images that keep it, and the web serves only these
names. A stored file never changes (an upload is named by a digest of its bytes), so
it can be cached for a year. No Flask and no Whoosh here; Pillow is imported only to
store an upload, so the site runs without it.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from encyclopedia.files import write_atomically
from encyclopedia.normalize import slugify

FOLDER = "media"  # under content/
URL_PREFIX = "/media/"  # where the site serves them (the web's route uses this too)
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.(?:png|jpg|webp|svg)$")
SOURCE = re.compile(rf"^{FOLDER}/([^/]+)$")
# An inline image: ![alt](src "title"); the alt may not hold brackets (Markdown's own
# limit for a simple image), the title may use either quote.
IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^\s)>]*)>?(?:\s+(\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
MAX_ALT = 300
MAX_CAPTION = 300
# Upload limits: large enough for a clear medical drawing or photo, small enough that
# no patient on a phone waits for one.
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_SIDE = 1600  # larger images are scaled down: pages are at most 48 rem wide
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


@dataclass(frozen=True)
class ImageRef:
    offset: int  # lines from the start of the text
    alt: str
    src: str
    caption: str


def images_in(text: str) -> list[ImageRef]:
    found = []
    for match in IMAGE.finditer(text):
        caption = match.group(3)[1:-1] if match.group(3) else ""
        found.append(
            ImageRef(
                text.count("\n", 0, match.start()),
                match.group(1).strip(),
                match.group(2),
                caption.strip(),
            )
        )
    return found


def media_name(src: str) -> str | None:
    """The file an image source names under content/media, or None when it names none."""
    match = SOURCE.match(src)
    if match and NAME.match(match.group(1)):
        return match.group(1)
    return None


def mistakes(ref: ImageRef, media_dir: Path | None) -> list[str]:
    """What keeps an image from being a figure on the site. ``media_dir`` None skips the
    check that the file exists (a text judged without its folder)."""
    found = []
    name = media_name(ref.src)
    if name is None:
        found.append(
            f"the image {ref.src[:60]!r} is not in content/{FOLDER}: write media/<file name> "
            "(upload it from the editor's Images page)"
        )
    elif media_dir is not None and not (media_dir / name).is_file():
        found.append(f"there is no image content/{FOLDER}/{name}")
    if not ref.alt:
        found.append(
            "an image needs alt text, between the brackets: what it shows, for people "
            "who cannot see it"
        )
    elif len(ref.alt) > MAX_ALT:
        found.append(f"an image's alt text is over {MAX_ALT} characters")
    if not ref.caption:
        found.append('an image needs a caption, in quotes after its file: (media/x.png "Caption")')
    elif len(ref.caption) > MAX_CAPTION:
        found.append(f"an image's caption is over {MAX_CAPTION} characters")
    return found


def url_of(src: str) -> str | None:
    """The address the site serves an image source at, or None when it may not be shown."""
    name = media_name(src)
    return URL_PREFIX + name if name else None


class UploadRefused(ValueError):
    """The upload cannot be stored; the message says why, in words for the librarian."""


@dataclass(frozen=True)
class Stored:
    name: str
    width: int
    height: int
    bytes: int


def store_upload(data: bytes, media_dir: Path, hint: str) -> Stored:
    """Check an upload by its content, re-encode it and store it under a name made of
    ``hint`` and a digest of the new bytes (an identical upload is stored once).

    Re-encoding is what strips metadata: the new file is made from the pixels alone,
    so EXIF (with its GPS position), XMP, comments and any bytes appended after the
    image are gone. Animated images keep their first frame."""
    if not data:
        raise UploadRefused("the file is empty")
    if len(data) > MAX_BYTES:
        raise UploadRefused(f"the file is over {MAX_BYTES // (1024 * 1024)} MB")
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise UploadRefused("image upload needs Pillow, which is not installed") from None
    try:
        # Opening reads the header only; the pixel count is checked before any decoding.
        # (Pillow's own bomb check is a process-wide setting; threads must not change it.)
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        if image.width * image.height > MAX_PIXELS:
            raise UploadRefused("the image has too many pixels")
        image.load()
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise UploadRefused("the image has too many pixels") from None
    except Exception:  # Pillow raises many kinds for a broken or foreign file
        raise UploadRefused(
            "the file is not a PNG, JPEG or WebP image (or it is damaged); "
            "save it as one of those and upload it again"
        ) from None
    extension = FORMATS[image.format or ""]
    image = ImageOps.exif_transpose(image)  # keep the way up the camera recorded
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    mode = "RGBA" if has_alpha and extension != "jpg" else "RGB"
    converted = image.convert(mode)
    # A new image from the pixels alone: Pillow's savers copy some of the source's info
    # (a JPEG comment, an ICC profile) unless the image they save has none.
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if extension == "jpg":
        clean.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif extension == "webp":
        clean.save(out, "WEBP", quality=85)
    else:
        clean.save(out, "PNG", optimize=True)
    encoded = out.getvalue()
    stem = slugify(hint)
    if len(stem) > 40:  # whole words only
        stem = stem[:41].rsplit("-", 1)[0]
    stem = stem.strip("-") or "image"
    name = f"{stem}-{hashlib.sha256(encoded).hexdigest()[:10]}.{extension}"
    path = media_dir / name
    if not path.exists():
        media_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(path, encoded)
    return Stored(name, clean.width, clean.height, len(encoded))


def markdown_for(name: str, alt: str, caption: str) -> str:
    """The line a librarian pastes into an article to show a stored image."""
    alt = " ".join(alt.replace("[", "(").replace("]", ")").split())
    caption = " ".join(caption.replace('"', "'").split())
    return f'![{alt}]({FOLDER}/{name} "{caption}")'


def listing(media_dir: Path) -> list[str]:
    """The stored images, newest first."""
    if not media_dir.is_dir():
        return []
    files = [p for p in media_dir.iterdir() if p.is_file() and NAME.match(p.name)]
    return [p.name for p in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)]
