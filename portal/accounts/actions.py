"""Every change to accounts."""

import logging
import secrets
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.accounts.models import User
from portal.audit.actions import Actor, changes_between, record
from portal.metering.models import Site

logger = logging.getLogger("portal.accounts")


def seed_default_admin(
    email: str, password: str, var_dir: Path
) -> tuple[bool, str | None]:
    """Create the default admin unless an account with this email exists.

    Without a configured password (development only; production refuses to
    start without one) a random one is generated and kept in
    var/admin-password, readable by the owner only. Returns whether the admin
    was created and the generated password, if one was generated now."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        return False, None

    generated = None
    if not password:
        generated = secrets.token_urlsafe(12)
        _keep_generated_password(var_dir, email, generated)
        password = generated

    User.objects.create_superuser(email=email, password=password)
    return True, generated


def _keep_generated_password(var_dir: Path, email: str, password: str) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "admin-password"
    path.write_text(f"{email}\n{password}\n")
    path.chmod(0o600)


def default_admin_settings() -> tuple[str, str]:
    return settings.PORTAL_ADMIN_EMAIL, settings.PORTAL_ADMIN_PASSWORD


class LastAdminError(ValidationError):
    """The change would leave the portal without an active admin."""


def create_user(
    *,
    email: str,
    password: str,
    is_admin: bool = False,
    limited_to_sites: bool = False,
    sites: Iterable[Site] = (),
    by: Actor | None = None,
) -> User:
    """Create a person who signs in; the password must pass Django's validators."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email exists."})
    candidate = User(email=email, is_staff=is_admin, is_superuser=is_admin)
    password_validation.validate_password(password, candidate)

    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            is_staff=is_admin,
            is_superuser=is_admin,
            limited_to_sites=limited_to_sites,
        )
        user.sites.set(sites)
        after = _snapshot(user)
        record(by, "user.created", f"user {user.email}", changes_between({}, after))
    logger.info("user.created", extra={"user_id": user.pk, "admin": is_admin})
    return user


def update_user(
    user: User,
    *,
    is_admin: bool | None = None,
    is_active: bool | None = None,
    limited_to_sites: bool | None = None,
    sites: Iterable[Site] | None = None,
    by: Actor | None = None,
) -> User:
    """Change a person's role, status or site access. The last active admin
    cannot be demoted or deactivated."""
    before = _snapshot(user)
    with transaction.atomic():
        losing_admin = (
            user.is_staff
            and user.is_active
            and (is_admin is False or is_active is False)
        )
        if losing_admin:
            _keep_another_admin(user, "demote or deactivate")
        if is_admin is not None:
            user.is_staff = user.is_superuser = is_admin
        if is_active is not None:
            user.is_active = is_active
        if limited_to_sites is not None:
            user.limited_to_sites = limited_to_sites
        user.save()
        if sites is not None:
            user.sites.set(sites)
        diff = changes_between(before, _snapshot(user))
        record(by, "user.updated", f"user {user.email}", diff)
    logger.info("user.updated", extra={"user_id": user.pk})
    return user


def delete_user(user: User, by: Actor | None = None) -> None:
    """Delete a person; never the last active admin."""
    with transaction.atomic():
        if user.is_staff and user.is_active:
            _keep_another_admin(user, "delete")
        user_id = user.pk
        before = _snapshot(user)
        record(by, "user.deleted", f"user {user.email}", changes_between(before, {}))
        user.delete()
    logger.info("user.deleted", extra={"user_id": user_id})


def set_password(user: User, password: str, by: Actor | None = None) -> None:
    """Give a person a new password (an admin's reset, or their own change)."""
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        # That it changed, never what it is or was.
        diff = {"password": {"before": None, "after": "changed"}}
        record(by, "user.password_set", f"user {user.email}", diff)
    logger.info("user.password_set", extra={"user_id": user.pk})


def change_own_password(
    user: User, current: str, new: str, by: Actor | None = None
) -> None:
    if not user.check_password(current):
        raise ValidationError({"current": "That is not your current password."})
    set_password(user, new, by=by)


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "is_admin": user.is_staff,
        "is_active": user.is_active,
        "limited_to_sites": user.limited_to_sites,
        "sites": sorted(site.code for site in user.sites.all()) if user.pk else [],
    }


def _keep_another_admin(user: User, verb: str) -> None:
    # Lock every active admin's row: two admins demoting each other at once
    # must not both succeed.
    admins = User.objects.select_for_update().filter(is_staff=True, is_active=True)
    if not admins.exclude(pk=user.pk).exists():
        raise LastAdminError(
            f"You cannot {verb} the last active admin; make another admin first."
        )
