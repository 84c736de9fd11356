"""The People pages and the own-password page."""

import pytest
from django.urls import reverse

from portal.accounts.models import User

GOOD = "a-long-enough-pass-42"


def test_an_admin_adds_a_person_limited_to_a_site(as_admin, plant):
    response = as_admin.post(
        reverse("user-create"),
        {
            "email": "north@example.com",
            "password": GOOD,
            "limited_to_sites": "on",
            "sites": [plant.pk],
        },
    )

    assert response.status_code == 302
    person = User.objects.get(email="north@example.com")
    assert person.limited_to_sites and list(person.sites.all()) == [plant]
    assert not person.is_staff
    assert "north@example.com" in as_admin.get(reverse("users")).content.decode()


def test_a_weak_password_is_shown_on_the_form(as_admin):
    response = as_admin.post(
        reverse("user-create"), {"email": "weak@example.com", "password": "1234"}
    )

    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="weak@example.com").exists()


def test_the_last_admin_cannot_demote_or_delete_themselves(as_admin, admin):
    demote = as_admin.post(reverse("user-edit", args=[admin.pk]), {"is_active": "on"})
    delete = as_admin.post(reverse("user-delete", args=[admin.pk]), follow=True)

    assert demote.status_code == 400
    assert "last active admin" in demote.content.decode()
    assert "last active admin" in delete.content.decode()
    admin.refresh_from_db()
    assert admin.is_staff and admin.is_active


def test_an_admin_deletes_someone_else(as_admin, member):
    response = as_admin.post(reverse("user-delete", args=[member.pk]))

    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"password": GOOD, "confirm": GOOD + "x"}, "differ"),
        ({"password": "short", "confirm": "short"}, "too short"),
    ],
)
def test_a_new_password_must_match_and_be_strong(as_admin, member, data, problem):
    response = as_admin.post(reverse("user-password", args=[member.pk]), data)

    assert response.status_code == 400
    assert problem in response.content.decode()


def test_an_admin_sets_a_new_password(as_admin, member):
    as_admin.post(
        reverse("user-password", args=[member.pk]), {"password": GOOD, "confirm": GOOD}
    )

    member.refresh_from_db()
    assert member.check_password(GOOD)


def test_a_person_changes_their_own_password_and_stays_signed_in(as_user, member):
    wrong = as_user.post(
        reverse("password-change"),
        {"current": "nope", "password": GOOD, "confirm": GOOD},
    )
    right = as_user.post(
        reverse("password-change"),
        {"current": "pw-viewer-1", "password": GOOD, "confirm": GOOD},
    )

    assert wrong.status_code == 400
    assert right.status_code == 302
    member.refresh_from_db()
    assert member.check_password(GOOD)
    assert as_user.get(reverse("dashboard")).status_code == 200
