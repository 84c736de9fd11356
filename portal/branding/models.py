"""How the portal looks to a customer's people: a title, a logo, two colours."""

from django.core.validators import RegexValidator
from django.db import models

COLOUR = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "A colour is # and six hex digits, e.g. #0172ad."
)

DEFAULT_TITLE = "Acuvim portal"
DEFAULT_PRIMARY = "#0172ad"
DEFAULT_ACCENT = "#d93526"


class Branding(models.Model):
    """One row (pk 1). The logo file lives in PORTAL_MEDIA_DIR."""

    title = models.CharField(max_length=80, default=DEFAULT_TITLE)
    primary_color = models.CharField(
        max_length=7, default=DEFAULT_PRIMARY, validators=[COLOUR]
    )
    accent_color = models.CharField(
        max_length=7, default=DEFAULT_ACCENT, validators=[COLOUR]
    )
    logo_file = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def current(cls) -> "Branding":
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def version(self) -> str:
        """Changes with the branding, so browsers fetch the new CSS and logo."""
        return str(int(self.updated_at.timestamp())) if self.updated_at else "0"
