"""Startup steps: migrations, partitions, the default admin, one log line each."""

import logging
import stat

from portal.accounts.actions import seed_default_admin
from portal.accounts.models import User
from portal.startup import prepare


def test_the_default_admin_is_seeded_once(db, tmp_path):
    created, generated = seed_default_admin(
        "Boss@Example.com", "a-strong-pass-1", tmp_path
    )
    again, _ = seed_default_admin("boss@example.com", "other-pass-22", tmp_path)

    assert (created, again, generated) == (True, False, None)
    admin = User.objects.get()
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("a-strong-pass-1")


def test_without_a_password_one_is_generated_and_kept_privately(db, tmp_path):
    created, generated = seed_default_admin("admin@example.com", "", tmp_path)

    kept = tmp_path / "admin-password"
    assert created and generated
    assert kept.read_text().split() == ["admin@example.com", generated]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert User.objects.get().check_password(generated)


def test_a_deleted_default_admin_comes_back_only_when_no_account_has_the_email(
    db, tmp_path
):
    seed_default_admin("admin@example.com", "a-strong-pass-1", tmp_path)
    User.objects.all().delete()

    created, _ = seed_default_admin("admin@example.com", "a-strong-pass-1", tmp_path)

    assert created


def test_prepare_logs_one_line_per_step(db, caplog, settings, tmp_path):
    settings.PORTAL_ADMIN_PASSWORD = "a-strong-pass-1"
    settings.VAR_DIR = tmp_path

    with caplog.at_level(logging.INFO, logger="portal.startup"):
        prepare()

    events = [r.getMessage() for r in caplog.records if r.name == "portal.startup"]
    assert events == [
        "startup.database",
        "startup.migrations",
        "startup.partitions",
        "startup.admin",
    ]
    database = next(r for r in caplog.records if r.getMessage() == "startup.database")
    assert database.how in ("embedded", "url", "test-url")
