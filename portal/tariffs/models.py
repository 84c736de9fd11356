"""Utilities, their tariffs, and the dated versions of each tariff.

A version's charges are kept as the JSON of the tariff document
(`document.VersionBody`), checked by the same schema whether they come from
the editor, a file or the command line."""

from datetime import date

from django.db import models
from django.db.models.functions import Lower

from portal.tariffs.document import VersionBody
from portal.tariffs.pricing import PricedVersion


class Utility(models.Model):
    """Who publishes tariffs: a municipality or a power utility."""

    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="utility_name_unique")
        ]
        verbose_name_plural = "utilities"

    def __str__(self) -> str:
        return self.name


class Tariff(models.Model):
    utility = models.ForeignKey(
        Utility, on_delete=models.PROTECT, related_name="tariffs"
    )
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, default="ZAR")
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tariff_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TariffVersion(models.Model):
    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="versions"
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    body = models.JSONField()

    class Meta:
        ordering = ["tariff", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "valid_from"], name="version_start_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tariff.name} from {self.valid_from}"

    def priced(self, stamp: object = None) -> PricedVersion:
        """The version for the cost engine. With `stamp` (the tariff's
        `updated_at`, which every change to a version moves), its checked
        body is reused from earlier requests instead of checked again."""
        valid_from = _as_date(self.valid_from)
        valid_to = None if self.valid_to is None else _as_date(self.valid_to)
        return PricedVersion(valid_from, valid_to, self._body(stamp))

    def _body(self, stamp: object) -> VersionBody:
        if stamp is None or self.pk is None:
            return VersionBody.model_validate(self.body)
        key = (self.pk, stamp)
        body = _CHECKED.get(key)
        if body is None:
            body = VersionBody.model_validate(self.body)
            if len(_CHECKED) >= _CHECKED_SIZE:
                _CHECKED.pop(next(iter(_CHECKED)))
            _CHECKED[key] = body
        return body


# Checked version bodies by (version id, tariff updated_at): a large
# time-of-use version takes long to check, and every cost shown needs it.
_CHECKED: dict[tuple[int, object], VersionBody] = {}
_CHECKED_SIZE = 512


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
