from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class PortalUserManager(UserManager["User"]):
    """Users sign in with their email address; there is no separate username."""

    def _create_user_object(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def, override]
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        user.set_password(password)
        return user

    def create_user(self, email, password=None, **extra_fields):  # type: ignore[no-untyped-def, override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):  # type: ignore[no-untyped-def, override]
        # Sign-in matches the address whatever its case, as the uniqueness check does.
        return self.get(email__iexact=username)

    def create_superuser(self, email, password=None, **extra_fields):  # type: ignore[no-untyped-def, override]
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. `is_staff` marks the portal's admins."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    # A user limited to sites sees only those sites and their devices; an admin
    # is never limited. An explicit flag, so that removing a limited user's
    # last site shows them nothing rather than everything.
    limited_to_sites = models.BooleanField(
        default=False, help_text="See only the sites chosen below."
    )
    sites = models.ManyToManyField("metering.Site", blank=True, related_name="members")

    objects = PortalUserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.email

    @property
    def is_portal_admin(self) -> bool:
        return self.is_active and self.is_staff
