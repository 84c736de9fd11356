"""Managing people: validated passwords, and the portal never left without an
active admin."""

import pytest
from django.core.exceptions import ValidationError

from portal.accounts.actions import (
    LastAdminError,
    change_own_password,
    create_user,
    delete_user,
    seed_default_admin,
    set_password,
    update_user,
)
from portal.accounts.models import User

GOOD = "a-long-enough-pass-42"


@pytest.fixture
def boss(db):
    return create_user(email="boss@example.com", password=GOOD, is_admin=True)


def test_a_weak_password_is_refused_by_djangos_validators(db):
    with pytest.raises(ValidationError, match=r"too short|too common|entirely numeric"):
        create_user(email="weak@example.com", password="1234")
    assert not User.objects.exists()


def test_an_email_can_have_one_account_whatever_its_case(boss):
    with pytest.raises(ValidationError, match="exists"):
        create_user(email="BOSS@example.com", password=GOOD)


@pytest.mark.parametrize(
    "change", [{"is_admin": False}, {"is_active": False}], ids=["demote", "deactivate"]
)
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(boss, change):
    with pytest.raises(LastAdminError):
        update_user(boss, **change)

    boss.refresh_from_db()
    assert boss.is_staff and boss.is_active


def test_the_last_active_admin_cannot_be_deleted(boss):
    with pytest.raises(LastAdminError):
        delete_user(boss)
    assert User.objects.filter(pk=boss.pk).exists()


def test_an_inactive_admin_does_not_count(boss):
    other = create_user(email="other@example.com", password=GOOD, is_admin=True)
    update_user(other, is_active=False)

    with pytest.raises(LastAdminError):
        update_user(boss, is_admin=False)


def test_with_another_admin_an_admin_can_be_demoted_and_deleted(boss):
    create_user(email="second@example.com", password=GOOD, is_admin=True)

    update_user(boss, is_admin=False)
    delete_user(boss)

    assert list(User.objects.values_list("email", flat=True)) == ["second@example.com"]


def test_the_seeded_admin_can_be_deleted_once_another_admin_exists(db, tmp_path):
    seed_default_admin("admin@example.com", GOOD, tmp_path)
    create_user(email="owner@example.com", password=GOOD, is_admin=True)

    delete_user(User.objects.get(email="admin@example.com"))

    assert not User.objects.filter(email="admin@example.com").exists()


def test_a_user_can_be_limited_to_sites(site):
    user = create_user(
        email="north@example.com", password=GOOD, limited_to_sites=True, sites=[site]
    )

    assert user.limited_to_sites
    assert list(user.sites.all()) == [site]
    update_user(user, sites=[])
    assert not user.sites.exists()


def test_a_new_password_is_validated(boss):
    with pytest.raises(ValidationError):
        set_password(boss, "short")
    set_password(boss, "another-long-pass-77")

    boss.refresh_from_db()
    assert boss.check_password("another-long-pass-77")


def test_changing_ones_own_password_needs_the_current_one(boss):
    with pytest.raises(ValidationError, match="current"):
        change_own_password(boss, "not-it", "another-long-pass-77")

    change_own_password(boss, GOOD, "another-long-pass-77")
    boss.refresh_from_db()
    assert boss.check_password("another-long-pass-77")
