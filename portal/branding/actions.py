"""Every change to the branding.

A logo is checked by its content, never its name: Pillow must recognise it as
PNG, JPEG or WebP, it must be at most 1 MB, and it is re-encoded as PNG
(dropping metadata and anything hidden after the image) before it is stored.
SVG is refused: it can carry scripts.
"""

import hashlib
import io
import logging
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from portal.audit.actions import Actor, changes_between, record
from portal.branding.models import (
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    DEFAULT_TITLE,
    Branding,
)

logger = logging.getLogger("portal.branding")

MAX_LOGO_BYTES = 1_000_000
MAX_LOGO_PIXELS = 4096 * 4096  # refuse decompression bombs before decoding
LOGO_BOX = (600, 200)  # stored no larger than this; the header shows it small
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")


def media_dir() -> Path:
    path = Path(settings.PORTAL_MEDIA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def update_branding(
    *, title: str, primary_color: str, accent_color: str, by: Actor | None = None
) -> Branding:
    branding = Branding.current()
    before = _snapshot(branding)
    branding.title = _printable(title).strip() or DEFAULT_TITLE
    branding.primary_color = primary_color.lower()
    branding.accent_color = accent_color.lower()
    branding.full_clean()
    with transaction.atomic():
        branding.save()
        diff = changes_between(before, _snapshot(branding))
        record(by, "branding.updated", "branding", diff)
    logger.info("branding.updated", extra={"title": branding.title})
    return branding


def set_logo(data: bytes, by: Actor | None = None) -> Branding:
    """Check, re-encode and store a logo; raises ValidationError saying why not."""
    png = _reencoded_png(data)
    name = f"logo-{hashlib.sha256(png).hexdigest()[:16]}.png"
    (media_dir() / name).write_bytes(png)

    branding = Branding.current()
    old = branding.logo_file
    branding.logo_file = name
    with transaction.atomic():
        branding.save()
        diff = changes_between({"logo": old or None}, {"logo": name})
        record(by, "branding.logo_set", "branding", diff)
    if old and old != name:
        (media_dir() / old).unlink(missing_ok=True)
    logger.info("branding.logo_set", extra={"bytes": len(png)})
    return branding


def reset_branding(by: Actor | None = None) -> Branding:
    branding = Branding.current()
    before = _snapshot(branding)
    if branding.logo_file:
        (media_dir() / branding.logo_file).unlink(missing_ok=True)
    branding.title, branding.logo_file = DEFAULT_TITLE, ""
    branding.primary_color, branding.accent_color = DEFAULT_PRIMARY, DEFAULT_ACCENT
    with transaction.atomic():
        branding.save()
        diff = changes_between(before, _snapshot(branding))
        record(by, "branding.reset", "branding", diff)
    logger.info("branding.reset")
    return branding


def _printable(text: str) -> str:
    """Without control and format characters: a right-to-left override in a
    title could make it read as something else."""
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))


def _snapshot(branding: Branding) -> dict[str, object]:
    return {
        "title": branding.title,
        "primary_color": branding.primary_color,
        "accent_color": branding.accent_color,
        "logo": branding.logo_file or None,
    }


def _reencoded_png(data: bytes) -> bytes:
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(
            f"A logo may be at most 1 MB; this one is {len(data):,} bytes."
        )
    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format
        if kind not in ACCEPTED_FORMATS:
            raise ValidationError(f"A logo must be PNG, JPEG or WebP, not {kind}.")
        if image.width * image.height > MAX_LOGO_PIXELS:
            raise ValidationError("That image has too many pixels for a logo.")
        image.load()
    except Image.DecompressionBombError:
        raise ValidationError("That image has too many pixels for a logo.") from None
    except (UnidentifiedImageError, OSError):
        raise ValidationError(
            "That file is not a complete PNG, JPEG or WebP image "
            "(SVG and other formats are refused)."
        ) from None

    image.thumbnail(LOGO_BOX)
    out = io.BytesIO()
    image.convert("RGBA").save(out, format="PNG", optimize=True)
    return out.getvalue()
