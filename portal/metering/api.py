"""Read endpoints: energy per bucket and raw readings of one device."""

from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from portal.ingest.auth import session_or_read_key
from portal.lib.localtime import local_midnight
from portal.metering.access import device_or_404, site_or_404
from portal.metering.models import Reading, Site
from portal.metering.quantities import QUANTITIES
from portal.metering.queries import (
    MAX_DAYS,
    EnergyBucket,
    energy_buckets,
    site_energy_buckets,
)
from portal.tariffs.costs import bucket_costs
from portal.tariffs.pricing import PRECISION, sum_known

COST_STEP = Decimal("0.0001")

router = Router(tags=["energy"], auth=session_or_read_key)

_ERRORS = {400: dict[str, str], 401: dict[str, str], 404: dict[str, str]}


class EnergyQuery(Schema):
    start: date = Field(description="first local day, inclusive (YYYY-MM-DD)")
    end: date = Field(description="local day after the last, exclusive (YYYY-MM-DD)")
    bucket: Literal["interval", "hour", "day", "month"] = "day"


class EnergyBucketOut(Schema):
    start: datetime
    end: datetime
    kwh_import: float
    kwh_export: float
    kvarh_import: float
    kvarh_export: float
    coverage: float
    cost: str | None = Field(
        description="energy charges of the bucket before fixed charges and tax, "
        "to 4 decimal places; null without a tariff"
    )


class EnergyAnswer(Schema):
    """What the device and the site energy answers share."""

    timezone: str
    bucket: str
    start: date
    end: date
    currency: str | None
    buckets: list[EnergyBucketOut]
    total: dict[str, float]
    total_cost: str | None


class EnergyOut(EnergyAnswer):
    device: str


@router.get("/devices/{external_id}/energy", response={200: EnergyOut, **_ERRORS})
def device_energy(
    request: HttpRequest, external_id: str, query: Query[EnergyQuery]
) -> dict[str, Any]:
    """Energy per interval, hour, day or month of the site's local calendar.
    Bucket starts carry the site's UTC offset. A device's cost is its share,
    by kWh, of its site's energy cost in each interval."""
    device = device_or_404(request, external_id)
    _check_span(query.start, query.end, query.bucket)

    buckets = energy_buckets(device, query.start, query.end, query.bucket)
    costs = bucket_costs(device.site, buckets, device)
    return {"device": device.external_id} | _energy_answer(
        device.site, query, buckets, costs
    )


class SiteEnergyOut(EnergyAnswer):
    site: str
    devices: list[str]


@router.get("/sites/{code}/energy", response={200: SiteEnergyOut, **_ERRORS})
def site_energy(
    request: HttpRequest, code: str, query: Query[EnergyQuery]
) -> dict[str, Any]:
    """Energy and energy cost of all the site's devices together, per interval,
    hour, day or month of its local calendar. Coverage is the share of the
    devices' intervals that readings covered."""
    site = site_or_404(request, code)
    _check_span(query.start, query.end, query.bucket)

    devices = list(
        site.devices.order_by("external_id").values_list("pk", "external_id")
    )
    ids = [pk for pk, _ in devices]
    buckets = site_energy_buckets(site, ids, query.start, query.end, query.bucket)
    costs = bucket_costs(site, buckets)
    return {
        "site": site.code,
        "devices": [external_id for _, external_id in devices],
    } | _energy_answer(site, query, buckets, costs)


def _energy_answer(
    site: Site,
    query: EnergyQuery,
    buckets: list[EnergyBucket],
    costs: list[Decimal | None],
) -> dict[str, Any]:
    tz = site.tz
    rows = [
        {
            "start": b.start.astimezone(tz),
            "end": b.end.astimezone(tz),
            "kwh_import": round(b.kwh_import, 6),
            "kwh_export": round(b.kwh_export, 6),
            "kvarh_import": round(b.kvarh_import, 6),
            "kvarh_export": round(b.kvarh_export, 6),
            "coverage": round(b.coverage, 6),
            "cost": _money(cost),
        }
        for b, cost in zip(buckets, costs, strict=True)
    ]
    total = {
        name: round(sum(getattr(b, name) for b in buckets), 6)
        for name in ("kwh_import", "kwh_export", "kvarh_import", "kvarh_export")
    }
    return {
        "timezone": site.timezone,
        "bucket": query.bucket,
        "start": query.start,
        "end": query.end,
        "currency": site.tariff.currency if site.tariff else None,
        "buckets": rows,
        "total": total,
        "total_cost": _money(sum_known(costs)),
    }


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    with localcontext(prec=PRECISION):
        return str(value.quantize(COST_STEP))


def _check_span(start: date, end: date, bucket: str) -> None:
    if start.year < 1900 or end.year > 9000:
        raise HttpError(400, "start and end must lie between the years 1900 and 9000")
    if end <= start:
        raise HttpError(400, "end must be after start")
    if (end - start).days > MAX_DAYS[bucket]:
        raise HttpError(
            400, f"at most {MAX_DAYS[bucket]} days per request with bucket={bucket}"
        )


class ReadingsQuery(Schema):
    start: str = Field(
        description="local day (YYYY-MM-DD) or ISO 8601 instant with offset"
    )
    end: str = Field(description="exclusive; local day or ISO 8601 instant with offset")
    after: datetime | None = Field(
        default=None, description="continue after this instant (from `next`)"
    )
    limit: int = Field(default=1000, ge=1, le=10000)


class ReadingsOut(Schema):
    device: str
    readings: list[dict[str, Any]]
    next: str | None


@router.get("/devices/{external_id}/readings", response={200: ReadingsOut, **_ERRORS})
def device_readings(
    request: HttpRequest, external_id: str, query: Query[ReadingsQuery]
) -> dict[str, Any]:
    """Raw readings, oldest first, a page at a time: while more remain, `next`
    is the URL of the following page."""
    device = device_or_404(request, external_id)
    since, until = (
        _instant(v, device.site.tz, "start") for v in (query.start, query.end)
    )
    if until <= since:
        raise HttpError(400, "end must be after start")

    rows = Reading.objects.filter(device=device, ts__gte=since, ts__lt=until)
    if query.after is not None:
        rows = rows.filter(ts__gt=_aware(query.after, "after"))
    page = list(rows.order_by("ts").values("ts", *QUANTITIES)[: query.limit + 1])

    more = len(page) > query.limit
    page = page[: query.limit]
    return {
        "device": device.external_id,
        "readings": [_reading_out(row) for row in page],
        "next": _next_link(request, page[-1]["ts"]) if more else None,
    }


def _instant(value: str, tz: ZoneInfo, name: str) -> datetime:
    """A local day (midnight in the site's zone) or an instant with an offset."""
    try:
        if len(value) == 10:
            return local_midnight(date.fromisoformat(value), tz)
        return _aware(datetime.fromisoformat(value), name)
    except (ValueError, OverflowError):
        raise HttpError(
            400, f"{name} must be YYYY-MM-DD or ISO 8601 with an offset"
        ) from None


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise HttpError(
            400, f"{name} needs a UTC offset, e.g. 2026-03-02T10:00:00+02:00"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise HttpError(400, f"{name} is out of range") from None


def _reading_out(row: dict[str, Any]) -> dict[str, Any]:
    out = {"time": row["ts"].astimezone(UTC).isoformat().replace("+00:00", "Z")}
    out.update({name: row[name] for name in QUANTITIES if row[name] is not None})
    return out


def _next_link(request: HttpRequest, last: datetime) -> str:
    params = request.GET.copy()
    params["after"] = last.astimezone(UTC).isoformat()
    return request.build_absolute_uri(request.path + "?" + urlencode(params))
