"""Ingest keys (who may send readings) and ingest events (what each batch did)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class IngestKey(models.Model):
    """A bearer secret for the API. Only its SHA-256 is stored; the secret is
    shown once, when the key is created."""

    class Scope(models.TextChoices):
        INGEST = "ingest", "Send readings"
        READ = "read", "Read energy and readings"

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.INGEST)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IngestEvent(models.Model):
    class Source(models.TextChoices):
        API = "api", "HTTP API"
        AXM = "axm", "AXM-WEB2 push"
        FILE = "file", "File"
        MQTT = "mqtt", "MQTT"
        MODBUS = "modbus", "Modbus poll"

    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    key = models.ForeignKey(IngestKey, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    filename = models.CharField(max_length=255, blank=True)
    received = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    duplicates = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    first_ts = models.DateTimeField(null=True, blank=True)
    last_ts = models.DateTimeField(null=True, blank=True)
    bytes = models.BigIntegerField(default=0)
    duration_ms = models.FloatField(default=0.0)
    errors = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    # Every device the batch named that exists, so a device's page can list
    # the batches that touched it.
    device_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [GinIndex(fields=["device_ids"], name="ingestevent_device_ids")]
