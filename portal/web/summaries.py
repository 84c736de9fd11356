"""What the dashboard and the device list show about many devices at once:
energy today and this month in each site's local calendar, the newest
reading, and how fresh it is.

Each question is one query for all devices together, so a page costs the
same number of queries with two devices or two hundred.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection

from portal.lib.localtime import local_midnight
from portal.metering.models import Device, Site
from portal.tariffs.costs import SiteCost
from portal.tariffs.pricing import sum_known

# A meter that has sent nothing for this long is flagged on the dashboard.
SILENT_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Latest:
    ts: datetime
    p_kw: float | None


@dataclass
class Energy:
    kwh_import_today: float = 0.0
    kwh_export_today: float = 0.0
    kwh_import_month: float = 0.0
    kwh_export_month: float = 0.0


@dataclass
class DeviceStatus:
    device: Device
    latest: Latest | None
    energy: Energy
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.latest is None else self.now - self.latest.ts

    @property
    def silent(self) -> bool:
        return self.age is None or self.age > SILENT_AFTER

    @property
    def p_kw(self) -> float | None:
        """The power of the newest reading; a silent meter has no current power."""
        if self.silent or self.latest is None:
            return None
        return self.latest.p_kw


class _Totals:
    """Sums over a group of devices."""

    def statuses(self) -> list[DeviceStatus]:
        raise NotImplementedError

    @property
    def kwh_import_today(self) -> float:
        return sum(d.energy.kwh_import_today for d in self.statuses())

    @property
    def kwh_export_today(self) -> float:
        return sum(d.energy.kwh_export_today for d in self.statuses())

    @property
    def kwh_import_month(self) -> float:
        return sum(d.energy.kwh_import_month for d in self.statuses())

    @property
    def kwh_export_month(self) -> float:
        return sum(d.energy.kwh_export_month for d in self.statuses())

    @property
    def p_kw(self) -> float | None:
        """Power of the devices that are reporting; None when none is."""
        known = [d.p_kw for d in self.statuses() if d.p_kw is not None]
        return sum(known) if known else None

    @property
    def device_count(self) -> int:
        return len(self.statuses())

    @property
    def silent_count(self) -> int:
        return sum(1 for d in self.statuses() if d.silent)

    @property
    def reporting_count(self) -> int:
        return self.device_count - self.silent_count


@dataclass
class SiteSummary(_Totals):
    site: Site
    devices: list[DeviceStatus] = field(default_factory=list)
    cost: SiteCost | None = None  # None when the site has no tariff

    def statuses(self) -> list[DeviceStatus]:
        return self.devices


@dataclass
class Overview(_Totals):
    sites: list[SiteSummary]

    def statuses(self) -> list[DeviceStatus]:
        return [d for summary in self.sites for d in summary.devices]

    @property
    def cost(self) -> SiteCost | None:
        """The sites' costs added up, when there are some and all are in one
        currency; amounts in different currencies are not summed."""
        costs = [s.cost for s in self.sites if s.cost is not None]
        if not costs or len({c.currency for c in costs}) > 1:
            return None
        return SiteCost(
            today=sum_known([c.today for c in costs]),
            month=sum_known([c.month for c in costs]),
            currency=costs[0].currency,
        )


def site_summaries(
    sites: Iterable[Site], devices: Sequence[Device], now: datetime
) -> list[SiteSummary]:
    """One summary per site, its devices in the order given."""
    summaries = {site.pk: SiteSummary(site) for site in sites}
    for status in device_statuses(devices, now):
        summary = summaries.get(status.device.site_id)
        if summary is not None:
            summary.devices.append(status)
    return list(summaries.values())


def device_statuses(devices: Sequence[Device], now: datetime) -> list[DeviceStatus]:
    """Newest reading and energy of each device; `device.site` must be loaded."""
    latest = latest_readings([d.pk for d in devices])
    energy = energy_today_and_month(devices, now)
    return [
        DeviceStatus(d, latest.get(d.pk), energy.get(d.pk, Energy()), now)
        for d in devices
    ]


def latest_readings(device_ids: Sequence[int]) -> dict[int, Latest]:
    """The newest reading of each device.

    A lateral join rather than DISTINCT ON (device_id): DISTINCT ON reads
    every stored reading of every device to keep one each, while the lateral
    LIMIT 1 walks the (device_id, ts) index backwards and stops at the first
    row, so the cost does not grow with the history kept.
    """
    if not device_ids:
        return {}

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT d.id, r.ts, r.p_kw
            FROM unnest(%s::bigint[]) AS d(id)
            CROSS JOIN LATERAL (
                SELECT ts, p_kw FROM metering_reading
                WHERE device_id = d.id ORDER BY ts DESC LIMIT 1
            ) AS r
            """,
            [list(device_ids)],
        )
        rows = cursor.fetchall()
    return {device_id: Latest(ts, p_kw) for device_id, ts, p_kw in rows}


def energy_today_and_month(
    devices: Sequence[Device], now: datetime
) -> dict[int, Energy]:
    """Energy of each device since its site's local midnight and since the
    first of its site's local month, in one aggregate over the intervals."""
    if not devices:
        return {}

    bounds = _local_bounds({d.site for d in devices}, now)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH bounds(site_id, day_start, month_start, day_end) AS (
                SELECT * FROM unnest(
                    %s::bigint[], %s::timestamptz[], %s::timestamptz[],
                    %s::timestamptz[]
                )
            )
            SELECT e.device_id,
                coalesce(sum(e.kwh_import) FILTER (WHERE e.start >= b.day_start), 0),
                coalesce(sum(e.kwh_export) FILTER (WHERE e.start >= b.day_start), 0),
                coalesce(sum(e.kwh_import), 0),
                coalesce(sum(e.kwh_export), 0)
            FROM metering_energyinterval e
            JOIN metering_device d ON d.id = e.device_id
            JOIN bounds b ON b.site_id = d.site_id
            WHERE e.device_id = ANY(%s::bigint[])
              AND e.start >= b.month_start AND e.start < b.day_end
            GROUP BY e.device_id
            """,
            [*_columns(bounds), [d.pk for d in devices]],
        )
        rows = cursor.fetchall()
    return {device_id: Energy(*values) for device_id, *values in rows}


def _columns(rows: list[tuple]) -> list[list]:
    """Rows as columns, each a list, to pass as arrays to unnest()."""
    return [list(column) for column in zip(*rows, strict=True)]


def _local_bounds(
    sites: Iterable[Site], now: datetime
) -> list[tuple[int, datetime, datetime, datetime]]:
    """(site id, start of today, start of this month, start of tomorrow) in
    each site's time zone, as UTC instants."""
    bounds = []
    for site in sites:
        tz = site.tz
        today = now.astimezone(tz).date()
        bounds.append(
            (
                site.pk,
                local_midnight(today, tz),
                local_midnight(date(today.year, today.month, 1), tz),
                local_midnight(today + timedelta(days=1), tz),
            )
        )
    return bounds
