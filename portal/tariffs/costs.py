"""Costs read from the database: a site's bill for a billing period, and the
energy cost of a site or a device per bucket of its local calendar.

Nothing is stored: every answer prices the intervals with the versions as
they are now, so correcting a version re-prices all the history it covers.
A site's energy is the sum of its devices' intervals; a device's cost is its
share, by kWh, of the site's cost in each interval, so devices add up to their
site even under inclining blocks."""

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext

from django.db import connection
from django.db.models import F

from portal.lib.localtime import first_of_next_month, local_midnight
from portal.metering.models import Device, Site
from portal.metering.queries import EnergyBucket
from portal.tariffs.models import TariffVersion
from portal.tariffs.pricing import (
    PRECISION,
    Bill,
    PricedVersion,
    Slot,
    bill,
    billing_period,
    interval_costs,
    period_label,
    sum_known,
)


@dataclass(frozen=True)
class SiteBill:
    site: Site
    label: str  # YYYY-MM
    bill: Bill


def site_bill(site: Site, label: str) -> SiteBill:
    """The bill of `site` for the billing period named `label` (YYYY-MM)."""
    start, end = billing_period(label, site.billing_day)
    tz = site.tz
    versions = versions_of([site]).get(site.pk, [])
    slots = site_slots({site.pk: (local_midnight(start, tz), local_midnight(end, tz))})
    currency = site.tariff.currency if site.tariff else "ZAR"
    result = bill(
        slots.get(site.pk, []),
        versions,
        tz,
        start,
        end,
        currency=currency,
        notified_demand_kva=site.notified_demand_kva,
    )
    if site.tariff is None:
        result.notes.append("The site has no tariff; assign one to price its energy.")
    return SiteBill(site, label, result)


def current_label(site: Site, now: datetime) -> str:
    return period_label(now.astimezone(site.tz).date(), site.billing_day)


def versions_of(sites: Iterable[Site]) -> dict[int, list[PricedVersion]]:
    """The priced versions of each site's tariff, read in one query."""
    by_tariff: dict[int, list[PricedVersion]] = defaultdict(list)
    tariff_ids = {site.tariff_id for site in sites if site.tariff_id}
    rows = (
        TariffVersion.objects.filter(tariff_id__in=tariff_ids)
        .annotate(stamp=F("tariff__updated_at"))
        .order_by("valid_from")
    )
    for row in rows:
        by_tariff[row.tariff_id].append(row.priced(row.stamp))  # type: ignore[attr-defined]
    return {
        site.pk: by_tariff.get(site.tariff_id, [])
        for site in sites
        if site.tariff_id is not None
    }


def site_slots(spans: dict[int, tuple[datetime, datetime]]) -> dict[int, list[Slot]]:
    """Each site's intervals in [since, until), its devices summed, in one
    query for all the sites."""
    if not spans:
        return {}

    site_ids = list(spans)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH spans(site_id, since, until) AS (
                SELECT * FROM unnest(%s::bigint[], %s::timestamptz[],
                                     %s::timestamptz[])
            )
            SELECT d.site_id, extract(epoch FROM e.start)::float8,
                   sum(greatest(e.kwh_import, 0)),
                   sum(greatest(e.kvarh_import, 0)),
                   sum(greatest(e.kvarh_import, 0) + greatest(e.kvarh_export, 0))
            FROM spans s
            JOIN metering_device d ON d.site_id = s.site_id
            JOIN metering_energyinterval e ON e.device_id = d.id
             AND e.start >= s.since AND e.start < s.until
            GROUP BY d.site_id, e.start
            ORDER BY d.site_id, e.start
            """,
            [
                site_ids,
                [spans[i][0] for i in site_ids],
                [spans[i][1] for i in site_ids],
            ],
        )
        rows = cursor.fetchall()

    slots: dict[int, list[Slot]] = defaultdict(list)
    # Instants travel as epoch seconds: parsing 35,000 timestamps as text
    # took as long as pricing them.
    for site_id, epoch, kwh, kvarh, kvarh_total in rows:
        start = datetime.fromtimestamp(epoch, UTC)
        slots[site_id].append(
            Slot(start, _finite(kwh), _finite(kvarh), _finite(kvarh_total))
        )
    return slots


def _finite(value: float) -> float:
    """Energy the engine never writes, NaN or infinity, prices as nothing
    rather than breaking every page that shows the site's cost."""
    return value if math.isfinite(value) else 0.0


def _device_kwh(
    device: Device, since: datetime, until: datetime
) -> dict[datetime, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT start, greatest(kwh_import, 0) FROM metering_energyinterval "
            "WHERE device_id = %s AND start >= %s AND start < %s",
            [device.pk, since, until],
        )
        return {start: _finite(kwh) for start, kwh in cursor.fetchall()}


def cost_buckets(
    site: Site,
    starts: Sequence[datetime],
    finish: datetime,
    device: Device | None = None,
) -> list[Decimal | None] | None:
    """Energy cost (energy charges, before fixed charges and tax) of each
    bucket beginning at `starts` and ending at the next start or `finish`;
    None for the whole answer when the site has no tariff, and None for a
    bucket on days no version covers."""
    versions = versions_of([site]).get(site.pk)
    if not versions or not starts:
        return None

    tz = site.tz
    first_day = starts[0].astimezone(tz).date()
    period_start, _ = billing_period(
        period_label(first_day, site.billing_day), site.billing_day
    )
    since = local_midnight(period_start, tz)
    slots = site_slots({site.pk: (since, finish)}).get(site.pk, [])
    costs = interval_costs(slots, versions, tz, site.billing_day)

    shares = None if device is None else _device_kwh(device, starts[0], finish)
    with localcontext(prec=PRECISION):
        return _add_up(slots, costs, starts, shares)


def _add_up(
    slots: Sequence[Slot],
    costs: Sequence[Decimal | None],
    starts: Sequence[datetime],
    shares: dict[datetime, float] | None,
) -> list[Decimal | None]:
    """Interval costs summed into the buckets beginning at `starts`; with
    `shares`, each interval's cost is scaled to the device's kWh in it."""
    sums: list[Decimal | None] = [Decimal(0)] * len(starts)
    for slot, cost in zip(slots, costs, strict=True):
        if slot.start < starts[0]:
            continue
        index = bisect_right(starts, slot.start) - 1
        if cost is None:
            sums[index] = None
            continue
        if shares is not None:
            own = shares.get(slot.start, 0.0)
            cost = cost * Decimal(own / slot.kwh) if slot.kwh > 0 else Decimal(0)
        current = sums[index]
        if current is not None:
            sums[index] = current + cost
    return sums


def bucket_costs(
    site: Site, buckets: Sequence[EnergyBucket], device: Device | None = None
) -> list[Decimal | None]:
    """The energy cost of a site, or of one of its devices, in each energy
    bucket; all None when the site has no tariff."""
    if not buckets:
        return []
    costs = cost_buckets(site, [b.start for b in buckets], buckets[-1].end, device)
    return costs if costs is not None else [None] * len(buckets)


@dataclass(frozen=True)
class SiteCost:
    today: Decimal | None
    month: Decimal | None
    currency: str


def cost_today_and_month(sites: Sequence[Site], now: datetime) -> dict[int, SiteCost]:
    """Energy cost of each site today and this calendar month, local to the
    site, with two queries for all sites together."""
    priced = [site for site in sites if site.tariff_id is not None]
    versions = versions_of(priced)
    spans = {}
    bounds = {}
    for site in priced:
        tz = site.tz
        today = now.astimezone(tz).date()
        month_start = today.replace(day=1)
        period_start, _ = billing_period(
            period_label(month_start, site.billing_day), site.billing_day
        )
        tomorrow = local_midnight(today + timedelta(days=1), tz)
        spans[site.pk] = (local_midnight(period_start, tz), tomorrow)
        bounds[site.pk] = (local_midnight(today, tz), local_midnight(month_start, tz))
    slots = site_slots(spans)

    answers = {}
    for site in priced:
        site_slots_ = slots.get(site.pk, [])
        costs = interval_costs(
            site_slots_, versions.get(site.pk, []), site.tz, site.billing_day
        )
        day_start, month_start = bounds[site.pk]
        answers[site.pk] = SiteCost(
            today=_total(site_slots_, costs, day_start),
            month=_total(site_slots_, costs, month_start),
            currency=site.tariff.currency if site.tariff else "ZAR",
        )
    return answers


def _total(
    slots: Sequence[Slot], costs: Sequence[Decimal | None], since: datetime
) -> Decimal | None:
    """The cost of the slots from `since`; None when a version prices none or
    only some of them, since a partial sum would look like the whole cost."""
    return sum_known(
        cost for slot, cost in zip(slots, costs, strict=True) if slot.start >= since
    )


def months_with_data(site: Site) -> list[str]:
    """Billing periods from the first interval of the site to now, newest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(e.start), max(e.start) FROM metering_energyinterval e "
            "JOIN metering_device d ON d.id = e.device_id WHERE d.site_id = %s",
            [site.pk],
        )
        first, last = cursor.fetchone()
    if first is None:
        return []
    labels: list[str] = []
    month = date.fromisoformat(
        period_label(first.astimezone(site.tz).date(), site.billing_day) + "-01"
    )
    final = period_label(last.astimezone(site.tz).date(), site.billing_day)
    while f"{month:%Y-%m}" <= final and len(labels) < 600:
        labels.append(f"{month:%Y-%m}")
        month = first_of_next_month(month)
    return labels[::-1]
