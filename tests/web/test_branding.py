"""Branding: a title, a logo checked by its content, two colours, a reset."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from portal.branding.models import Branding


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.PORTAL_MEDIA_DIR = tmp_path / "media"
    return settings.PORTAL_MEDIA_DIR


def image_bytes(kind: str = "PNG", size=(40, 20), trailing: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=kind)
    return out.getvalue() + trailing


def save(client, logo: bytes | None = None, name: str = "logo.png", **fields):
    data = {
        "title": "Acme Energy",
        "primary_color": "#112233",
        "accent_color": "#445566",
        **fields,
    }
    if logo is not None:
        data["logo"] = SimpleUploadedFile(name, logo, content_type="image/png")
    return client.post(reverse("branding"), data)


def test_title_colours_and_logo_apply_on_every_page_the_sign_in_page_included(
    as_admin, client, media
):
    assert save(as_admin, image_bytes()).status_code == 302

    login = client.get(reverse("login")).content.decode()
    css = client.get(reverse("branding-css")).content.decode()
    logo = client.get(reverse("branding-logo"))
    assert "Acme Energy" in login
    assert reverse("branding-logo") in login
    assert "--pico-primary: #112233" in css and "--portal-accent: #445566" in css
    assert logo["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(logo.streaming_content))).size == (40, 20)
    assert len(list(media.glob("logo-*.png"))) == 1


def test_a_logo_is_reencoded_so_nothing_hidden_after_the_image_is_kept(as_admin, media):
    upload = image_bytes("JPEG", trailing=b"<script>alert(1)</script>")

    save(as_admin, upload, name="logo.jpg")

    stored = next(media.glob("logo-*.png")).read_bytes()
    assert b"<script>" not in stored
    assert stored.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("content", "name", "problem"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.svg",
            "SVG and other formats are refused",
        ),
        (
            b"just some text pretending",
            "logo.png",
            "not a complete PNG, JPEG or WebP image",
        ),
        (image_bytes("GIF"), "logo.gif", "not GIF"),
        (image_bytes("PNG", trailing=b"\0" * 1_000_001), "big.png", "at most 1 MB"),
    ],
    ids=["svg", "text-named-png", "gif", "too-large"],
)
def test_a_file_that_is_not_an_accepted_image_is_refused(
    as_admin, media, content, name, problem
):
    response = save(as_admin, content, name=name)

    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not list(media.glob("*"))
    assert Branding.current().title != "Acme Energy"  # nothing of the form was saved


def test_a_bad_colour_is_refused(as_admin):
    response = save(as_admin, primary_color="red")

    assert response.status_code == 400
    assert "six hex digits" in response.content.decode()


def test_reset_goes_back_to_the_defaults_and_removes_the_logo(as_admin, client, media):
    save(as_admin, image_bytes())

    as_admin.post(reverse("branding-reset"))

    branding = Branding.current()
    assert (branding.title, branding.logo_file) == ("Acuvim portal", "")
    assert not list(media.glob("logo-*.png"))
    assert client.get(reverse("branding-logo")).status_code == 404


def test_the_size_message_gives_the_files_real_size(as_admin):
    response = save(as_admin, image_bytes("PNG", trailing=b"\0" * 1_500_000))

    assert "this one is 1,50" in response.content.decode()


def test_a_title_loses_control_characters_that_could_reverse_it(as_admin):
    save(as_admin, title="Acme\u202eygrene")

    assert Branding.current().title == "Acmeygrene"
