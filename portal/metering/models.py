"""Sites, devices, readings, energy intervals and data-quality events.

Energy is kept in kWh (kvarh for reactive) as double precision: the meters
resolve 0.1 kWh, a double carries 15 significant digits, and sums are rounded
only where a person reads them.
"""

import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
    "Use letters, digits, '.', '_' or '-' "
    "(at most 64, starting with a letter or digit).",
)
IDENTIFIER_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,127}$",
    "Use letters, digits, '.', '_', '/', ':' or '-' "
    "(at most 128, starting with a letter or digit).",
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone (e.g. Africa/Johannesburg)."
        )


class Site(models.Model):
    code = models.CharField(max_length=64, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    is_active = models.BooleanField(default=True)
    tariff = models.ForeignKey(
        "tariffs.Tariff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
    )
    billing_day = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Day of the month each billing period starts, 1 to 28.",
    )
    notified_demand_kva = models.DecimalField(
        "notified maximum demand (kVA)",
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="What the utility's capacity charge is billed on.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Device(models.Model):
    """A meter. `external_id` is what the meter or its gateway calls itself."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="devices")
    external_id = models.CharField(
        max_length=128, unique=True, validators=[IDENTIFIER_VALIDATOR]
    )
    name = models.CharField(max_length=200)
    model = models.CharField(max_length=64, blank=True)
    serial = models.CharField(max_length=64, blank=True, db_index=True)
    ct_ratio = models.FloatField(default=1.0, validators=[MinValueValidator(0.0001)])
    pt_ratio = models.FloatField(default=1.0, validators=[MinValueValidator(0.0001)])
    is_active = models.BooleanField(default=True)
    invert_sign = models.BooleanField(
        default=False, help_text="Swap import and export (CTs fitted backwards)."
    )
    polling = models.JSONField(default=dict, blank=True)

    # Energy-engine settings; empty means the installation's default.
    max_power_kw = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.001)]
    )
    jitter_tolerance_kwh = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0)]
    )
    register_modulus_kwh = models.FloatField(
        default=100_000_000.0, validators=[MinValueValidator(1)]
    )
    gap_seconds = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(60)]
    )

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    def clean(self) -> None:
        """Readings name a device by external id or serial: no identifier may
        name two devices, or a reading could land on either."""
        others = Device.objects.exclude(pk=self.pk)
        errors = {}
        if self.serial and (
            others.filter(serial=self.serial).exists()
            or others.filter(external_id=self.serial).exists()
        ):
            errors["serial"] = "Another device already answers to this serial."
        if others.filter(serial=self.external_id).exists():
            errors["external_id"] = "Another device has this as its serial."
        if errors:
            raise ValidationError(errors)


class Reading(models.Model):
    """One row per device and instant; the table is partitioned by month of `ts`.

    The migration creates the partitioned table by hand (Django cannot declare
    partitioning); `portal.metering.partitions` adds a partition per month.
    """

    pk = models.CompositePrimaryKey("device_id", "ts")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, db_constraint=True)
    ts = models.DateTimeField()
    # Quantities named as in portal.metering.quantities.QUANTITIES.
    frequency_hz = models.FloatField(null=True, blank=True)
    v1_v = models.FloatField(null=True, blank=True)
    v2_v = models.FloatField(null=True, blank=True)
    v3_v = models.FloatField(null=True, blank=True)
    v12_v = models.FloatField(null=True, blank=True)
    v23_v = models.FloatField(null=True, blank=True)
    v31_v = models.FloatField(null=True, blank=True)
    i1_a = models.FloatField(null=True, blank=True)
    i2_a = models.FloatField(null=True, blank=True)
    i3_a = models.FloatField(null=True, blank=True)
    in_a = models.FloatField(null=True, blank=True)
    p1_kw = models.FloatField(null=True, blank=True)
    p2_kw = models.FloatField(null=True, blank=True)
    p3_kw = models.FloatField(null=True, blank=True)
    p_kw = models.FloatField(null=True, blank=True)
    q1_kvar = models.FloatField(null=True, blank=True)
    q2_kvar = models.FloatField(null=True, blank=True)
    q3_kvar = models.FloatField(null=True, blank=True)
    q_kvar = models.FloatField(null=True, blank=True)
    s1_kva = models.FloatField(null=True, blank=True)
    s2_kva = models.FloatField(null=True, blank=True)
    s3_kva = models.FloatField(null=True, blank=True)
    s_kva = models.FloatField(null=True, blank=True)
    pf1 = models.FloatField(null=True, blank=True)
    pf2 = models.FloatField(null=True, blank=True)
    pf3 = models.FloatField(null=True, blank=True)
    pf = models.FloatField(null=True, blank=True)
    kwh_import = models.FloatField(null=True, blank=True)
    kwh_export = models.FloatField(null=True, blank=True)
    kvarh_import = models.FloatField(null=True, blank=True)
    kvarh_export = models.FloatField(null=True, blank=True)
    kvah = models.FloatField(null=True, blank=True)


class EnergyInterval(models.Model):
    """Energy of one device over one 15-minute interval starting at `start` (UTC)."""

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="intervals"
    )
    start = models.DateTimeField()
    kwh_import = models.FloatField(default=0.0)
    kwh_export = models.FloatField(default=0.0)
    kvarh_import = models.FloatField(default=0.0)
    kvarh_export = models.FloatField(default=0.0)
    avg_kw = models.FloatField(null=True)
    peak_kw = models.FloatField(null=True)
    sample_count = models.IntegerField(default=0)
    coverage = models.FloatField(default=0.0)
    flags = ArrayField(models.CharField(max_length=32), default=list)
    # The energy engine's state after the readings before the interval's end;
    # a later recomputation starts from here.
    end_state = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "start"], name="interval_device_start"
            )
        ]


class QualityEvent(models.Model):
    class Kind(models.TextChoices):
        COUNTER_RESET = "counter_reset", "Counter reset"
        ROLLOVER = "rollover", "Rollover"
        GLITCH_IGNORED = "glitch_ignored", "Glitch ignored"
        JUMP_REJECTED = "jump_rejected", "Jump rejected"
        REGISTER_PRESET = "register_preset", "Register preset"
        JITTER = "jitter", "Jitter"
        GAP = "gap", "Gap"
        CLOCK_AHEAD = "clock_ahead", "Clock ahead"
        CLOCK_BEHIND = "clock_behind", "Clock behind"
        SENTINEL_VALUE = "sentinel_value", "Sentinel value"
        NEGATIVE_IMPORT = "negative_import", "Negative import"

    class Origin(models.TextChoices):
        ENGINE = "engine", "Energy engine"
        INGEST = "ingest", "Ingest"

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="quality_events"
    )
    ts = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    register = models.CharField(max_length=32, blank=True)
    detail = models.TextField()
    origin = models.CharField(max_length=16, choices=Origin.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["device", "ts"])]
        ordering = ["-ts"]


class StaleSpan(models.Model):
    """Readings of a device between `start` and `end` changed since the
    intervals were last computed. One row per device; ingest widens it, the
    worker claims it (FOR UPDATE SKIP LOCKED) and deletes it when done."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, primary_key=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    marked_at = models.DateTimeField()


def engine_defaults() -> dict[str, Any]:
    return {
        "max_power_kw": settings.PORTAL_DEFAULT_MAX_POWER_KW,
        "jitter_tolerance": settings.PORTAL_DEFAULT_JITTER_KWH,
        "gap_seconds": float(settings.PORTAL_DEFAULT_GAP_SECONDS),
    }


def as_utc(value: datetime) -> datetime:
    """Refuse naive datetimes at the boundary instead of guessing their zone."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: a zone is required")
    return value
