"""The audit trail: who changed what, when and from where. Rows are written
once and never changed or deleted by the portal."""

from django.conf import settings
from django.db import models


class AuditEntryError(Exception):
    """An attempt to change or delete an audit row."""


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as text too: the trail outlives the account that made the change.
    actor_label = models.CharField(max_length=254)
    address = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)  # e.g. "site.created"
    target = models.CharField(max_length=200)  # e.g. "site JHB"
    # {"field": {"before": ..., "after": ...}}; secrets are never included.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AuditEntryError("audit rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditEntryError("audit rows cannot be deleted")
