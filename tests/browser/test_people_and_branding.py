"""Sign in, add a person limited to one site and see what they see; upload a
logo and change a colour and see both applied. At phone width (390 px)."""

import io

import pytest
from PIL import Image

from portal.accounts.models import User
from portal.metering.actions import create_device, create_site
from tests.browser.conftest import keep_screenshot

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "admin-pass-2026"
PERSON_PASSWORD = "north-pass-2026"


@pytest.fixture
def plant(transactional_db):
    User.objects.create_superuser(email="admin@example.com", password=ADMIN_PASSWORD)
    north = create_site(
        code="NORTH", name="North plant", timezone="Africa/Johannesburg"
    )
    south = create_site(
        code="SOUTH", name="South plant", timezone="Africa/Johannesburg"
    )
    create_device(site=north, external_id="N1", name="North incomer")
    create_device(site=south, external_id="S1", name="South incomer")
    return north, south


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    keep_screenshot(page, "sign-in")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def sign_out(page) -> None:
    page.click("form.portal-signout button")
    page.wait_for_url("**/login**")


def test_an_admin_adds_a_person_limited_to_one_site_who_sees_only_it(page, plant):
    sign_in(page, "admin@example.com", ADMIN_PASSWORD)
    keep_screenshot(page, "dashboard-admin")

    page.goto("/settings/users/new")
    page.fill("input[name=email]", "north@example.com")
    page.fill("input[name=password]", PERSON_PASSWORD)
    page.check("input[name=limited_to_sites]")
    page.check("input[name=sites] >> nth=0")  # North plant, first by name
    keep_screenshot(page, "person-form")
    page.click("#user-form button[type=submit]")
    page.wait_for_url("**/settings/users/")
    keep_screenshot(page, "people")
    assert "north@example.com" in page.content()
    sign_out(page)

    sign_in(page, "north@example.com", PERSON_PASSWORD)
    keep_screenshot(page, "dashboard-limited")
    page.goto("/devices/")
    keep_screenshot(page, "devices-limited")
    assert "North incomer" in page.content()
    assert "South incomer" not in page.content()
    assert page.goto("/devices/S1/").status == 404
    keep_screenshot(page, "other-site-device-404")


def test_a_logo_and_a_colour_apply_to_every_page(page, plant, settings, tmp_path):
    settings.PORTAL_MEDIA_DIR = tmp_path / "media"
    logo = tmp_path / "logo.png"
    image = io.BytesIO()
    Image.new("RGB", (60, 30), (200, 30, 30)).save(image, format="PNG")
    logo.write_bytes(image.getvalue())

    sign_in(page, "admin@example.com", ADMIN_PASSWORD)
    page.goto("/settings/branding")
    page.fill("input[name=title]", "Acme Energy")
    page.fill("input[name=primary_color]", "#aa2200")
    page.set_input_files("input[name=logo]", str(logo))
    page.click("#branding-form form >> button[type=submit] >> nth=0")
    page.wait_for_url("**/settings/branding")
    keep_screenshot(page, "branding")
    sign_out(page)

    # The sign-in page, seen by nobody signed in, carries both.
    keep_screenshot(page, "sign-in-branded")
    assert page.locator(".portal-brand strong").inner_text() == "Acme Energy"
    assert page.locator("img.portal-logo").evaluate("img => img.naturalWidth") == 60
    primary = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--pico-primary')"
    )
    assert primary.strip() == "#aa2200"
