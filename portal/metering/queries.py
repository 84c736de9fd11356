"""Read-side questions about energy: sums of intervals over a site's local
buckets, the newest readings, freshness. Nothing here writes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from portal.lib.localtime import bucket_starts, local_midnight
from portal.metering.models import Device, Reading, Site

INTERVAL_SECONDS = 900.0
ENERGY_FIELDS = ("kwh_import", "kwh_export", "kvarh_import", "kvarh_export")

# Largest span per bucket size, so one request cannot ask for millions of rows.
_IN_RANGE = "device_id = %s AND start >= %s AND start < %s"
_ANY_IN_RANGE = "device_id = ANY(%s) AND start >= %s AND start < %s"

MAX_DAYS = {"interval": 31, "hour": 366, "day": 3660, "month": 36600}


@dataclass(frozen=True)
class EnergyBucket:
    start: datetime  # UTC
    end: datetime  # UTC
    kwh_import: float
    kwh_export: float
    kvarh_import: float
    kvarh_export: float
    coverage: float  # 0..1: share of the bucket's intervals covered by readings


def energy_buckets(
    device: Device, start: date, end: date, bucket: str
) -> list[EnergyBucket]:
    """Energy of `device` per bucket of its site's local calendar, [start, end)."""
    return site_energy_buckets(device.site, [device.pk], start, end, bucket)


def site_energy_buckets(
    site: Site, device_ids: list[int], start: date, end: date, bucket: str
) -> list[EnergyBucket]:
    """Energy of the devices together per bucket of the site's local calendar."""
    tz = ZoneInfo(site.timezone)
    starts = list(bucket_starts(start, end, bucket, tz))
    finish = local_midnight(end, tz)
    sums = _sums_by_bucket(device_ids, starts, finish, bucket, tz)

    buckets = []
    for index, bucket_start in enumerate(starts):
        bucket_end = starts[index + 1] if index + 1 < len(starts) else finish
        totals = sums.get(bucket_start, (0.0, 0.0, 0.0, 0.0, 0.0))
        slots = (bucket_end - bucket_start).total_seconds() / INTERVAL_SECONDS
        buckets.append(
            EnergyBucket(
                start=bucket_start,
                end=bucket_end,
                kwh_import=totals[0],
                kwh_export=totals[1],
                kvarh_import=totals[2],
                kvarh_export=totals[3],
                coverage=totals[4] / (slots * max(len(device_ids), 1)),
            )
        )
    return buckets


def _sums_by_bucket(
    device_ids: list[int],
    starts: list[datetime],
    finish: datetime,
    bucket: str,
    tz: ZoneInfo,
) -> dict[datetime, tuple[float, ...]]:
    if not starts:
        return {}

    sums = ", ".join(f"sum({name})" for name in ENERGY_FIELDS) + ", sum(coverage)"
    with connection.cursor() as cursor:
        if bucket in ("interval", "hour"):
            width = INTERVAL_SECONDS if bucket == "interval" else 3600.0
            cursor.execute(
                f"SELECT floor(extract(epoch FROM start - %s) / %s)::int, {sums} "
                f"FROM metering_energyinterval WHERE {_ANY_IN_RANGE} "
                "GROUP BY 1",
                [starts[0], width, device_ids, starts[0], finish],
            )
            return {
                starts[0] + timedelta(seconds=index * width): tuple(values)
                for index, *values in cursor.fetchall()
            }

        cursor.execute(
            f"SELECT date_trunc(%s, start AT TIME ZONE %s)::date, {sums} "
            f"FROM metering_energyinterval WHERE {_ANY_IN_RANGE} "
            "GROUP BY 1",
            [bucket, tz.key, device_ids, starts[0], finish],
        )
        rows = cursor.fetchall()

    # A month bucket that begins mid-month (start is not the 1st) starts at `start`.
    by_local_day = {}
    for day, *values in rows:
        by_local_day[max(local_midnight(day, tz), starts[0])] = tuple(values)
    return by_local_day


def energy_total(device: Device, since: datetime, until: datetime) -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"coalesce(sum({n}), 0)" for n in ENERGY_FIELDS)
            + f" FROM metering_energyinterval WHERE {_IN_RANGE}",
            [device.pk, since, until],
        )
        row = cursor.fetchone()
    return dict(zip(ENERGY_FIELDS, row, strict=True))


def latest_reading(device: Device) -> Reading | None:
    return Reading.objects.filter(device=device).order_by("-ts").first()


def now_utc() -> datetime:
    return datetime.now(UTC)
