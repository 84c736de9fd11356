"""Sites: list, create, edit, deactivate and reactivate."""

import pytest
from django.urls import reverse

from portal.metering.models import Site

VALID = {
    "name": "Cape Town depot",
    "code": "CPT",
    "timezone": "Africa/Johannesburg",
    "address": "1 Dock Road",
}


def test_it_lists_sites_with_their_device_count(as_user, meter):
    response = as_user.get(reverse("sites"))

    (site,) = response.context["sites"]
    assert site.device_count == 1
    assert b"Plant" in response.content
    assert b"Add a site" not in response.content


def test_it_shows_admins_the_actions(as_admin, plant):
    html = as_admin.get(reverse("sites")).content.decode()

    assert reverse("site-create") in html
    assert reverse("site-edit", args=["PLANT"]) in html
    assert "Deactivate" in html


def test_it_creates_a_site(as_admin, db):
    response = as_admin.post(reverse("site-create"), VALID)

    assert response.status_code == 302
    site = Site.objects.get(code="CPT")
    assert (site.name, site.timezone, site.address) == (
        "Cape Town depot",
        "Africa/Johannesburg",
        "1 Dock Road",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("code", "no spaces please"), ("timezone", "Mars/Olympus"), ("name", "")],
)
def test_it_shows_what_is_wrong_with_a_new_site(as_admin, db, field, value):
    response = as_admin.post(reverse("site-create"), VALID | {field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert b"portal-field-error" in response.content
    assert not Site.objects.exists()


def test_it_refuses_a_code_in_use(as_admin, plant):
    response = as_admin.post(reverse("site-create"), VALID | {"code": "PLANT"})

    assert response.context["form"].errors["code"]
    assert Site.objects.count() == 1


def test_it_edits_a_site(as_admin, plant):
    data = {"name": "Plant north", "code": "PLANT", "timezone": "Europe/London"}

    response = as_admin.post(reverse("site-edit", args=["PLANT"]), data)

    assert response.status_code == 302
    plant.refresh_from_db()
    assert (plant.name, plant.timezone) == ("Plant north", "Europe/London")


def test_it_re_renders_an_invalid_edit_without_saving(as_admin, plant):
    data = {"name": "Plant", "code": "PLANT", "timezone": ""}

    response = as_admin.post(reverse("site-edit", args=["PLANT"]), data)

    assert response.status_code == 200
    assert response.context["form"].errors["timezone"]
    plant.refresh_from_db()
    assert plant.timezone == "Africa/Johannesburg"


def test_it_answers_an_unknown_site_with_404(as_admin, db):
    assert as_admin.get(reverse("site-edit", args=["NOPE"])).status_code == 404


def test_it_deactivates_and_reactivates_a_site(as_admin, plant):
    url = reverse("site-deactivate", args=["PLANT"])

    as_admin.post(url)
    plant.refresh_from_db()
    assert not plant.is_active

    as_admin.post(url, {"active": "on"})
    plant.refresh_from_db()
    assert plant.is_active


def test_it_answers_htmx_deactivation_with_the_row(as_admin, plant):
    response = as_admin.post(
        reverse("site-deactivate", args=["PLANT"]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode().strip()
    assert html.startswith('<tr id="site-PLANT" class="portal-inactive">')
    assert "Reactivate" in html


def test_deactivation_is_a_post(as_admin, plant):
    assert as_admin.get(reverse("site-deactivate", args=["PLANT"])).status_code == 405


def test_the_form_answers_htmx_with_the_fragment(as_admin, db):
    response = as_admin.get(reverse("site-create"), HTTP_HX_REQUEST="true")

    html = response.content.decode().strip()
    assert html.startswith('<article id="site-form"')
