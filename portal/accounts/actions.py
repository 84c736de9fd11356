"""Every change to accounts."""

import logging
import secrets
from pathlib import Path

from django.conf import settings

from portal.accounts.models import User

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
