"""What every page shares: phone width, sign-in and sign-out, and nothing the
content security policy would block."""

import re

import pytest
from django.urls import reverse

PAGES = ["dashboard", "sites", "devices", "ingest-events", "keys", "site-create"]


def test_it_signs_in_with_email_and_password(client, member):
    response = client.post(
        reverse("login"), {"username": "viewer@example.com", "password": "pw-viewer-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_it_shows_an_error_for_a_wrong_password(client, member):
    response = client.post(
        reverse("login"), {"username": "viewer@example.com", "password": "wrong"}
    )

    assert response.status_code == 200
    assert b"portal-form-errors" in response.content
    assert "_auth_user_id" not in client.session


def test_it_signs_out_with_a_post_only(as_user):
    assert as_user.get(reverse("logout")).status_code == 405

    response = as_user.post(reverse("logout"))

    assert response.status_code == 302
    assert as_user.get(reverse("dashboard")).status_code == 302


def test_the_sign_in_page_has_the_viewport_meta_tag(
    client, db
):  # it shows the branding
    response = client.get(reverse("login"))

    assert b'<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        response.content
    )


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_a_sign_out_form_and_the_viewport(as_admin, name):
    html = as_admin.get(reverse(name)).content.decode()

    assert 'name="viewport"' in html
    sign_out = re.search(
        r'<form method="post" action="/logout"[^>]*>(.*?)</form>', html, re.S
    )
    assert sign_out and "csrfmiddlewaretoken" in sign_out.group(1)


@pytest.mark.parametrize("name", PAGES)
def test_pages_carry_no_inline_script_or_style(as_admin, name):
    html = as_admin.get(reverse(name)).content.decode()

    assert " style=" not in html and "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag
    assert " onclick=" not in html and " hx-on" not in html


def test_the_csp_header_allows_only_our_own_scripts_and_styles(as_user):
    response = as_user.get(reverse("dashboard"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy


@pytest.mark.parametrize(
    "path",
    [
        "vendor/pico/pico.min.css",
        "vendor/pico/LICENSE.md",
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/LICENSE",
        "vendor/uplot/uPlot.iife.min.js",
        "vendor/uplot/uPlot.min.css",
        "vendor/uplot/LICENSE",
        "vendor/README.md",
        "portal.css",
        "portal.js",
    ],
)
def test_the_vendored_files_and_their_licences_are_served(client, path):
    response = client.get(f"/static/{path}")

    assert response.status_code == 200
