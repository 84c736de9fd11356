"""Series for the device page's charts, sized for a browser.

Ranges up to a week come from the raw readings, averaged into at most
MAX_POINTS bins with date_bin. Longer ranges come from the 15-minute energy
intervals (their average and peak power), so a year never reads the readings
table. Energy bars are sums of intervals in the site's local calendar
(`energy_buckets`).

Each chart is a plain dict that the page hands to portal.js with json_script:
x values are UTC epoch seconds, one list of values per series, None for a gap.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from portal.metering.models import Device, engine_defaults
from portal.metering.queries import MAX_DAYS, energy_buckets
from portal.web.labels import label

# A week that spans a clock change is 169 hours; it still reads raw readings.
RAW_SPAN_LIMIT = timedelta(days=7, hours=1)
MAX_POINTS = 2000
INTERVAL = timedelta(minutes=15)
# date_bin needs an origin; any instant on a quarter hour keeps interval bins
# aligned with the intervals themselves.
_QUARTER_HOUR_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)

# (key, title, unit, quantities) of the charts drawn from raw readings.
READING_CHARTS = (
    ("power", "Active power", "kW", ("p_kw",)),
    ("voltage", "Voltage", "V", ("v1_v", "v2_v", "v3_v")),
    ("current", "Current", "A", ("i1_a", "i2_a", "i3_a")),
    ("pf", "Power factor", "", ("pf",)),
)

BUCKETS = (
    ("interval", "15 minutes"),
    ("hour", "Hour"),
    ("day", "Day"),
    ("month", "Month"),
)

Chart = dict[str, Any]


@dataclass(frozen=True)
class ChartRange:
    """The instants a chart covers, and the local days its energy bars need."""

    since: datetime
    until: datetime
    first_day: date
    end_day: date  # the local day after the last one touched

    @classmethod
    def between(cls, since: datetime, until: datetime, tz: ZoneInfo) -> "ChartRange":
        last_instant = until - timedelta(microseconds=1)
        return cls(
            since,
            until,
            since.astimezone(tz).date(),
            last_instant.astimezone(tz).date() + timedelta(days=1),
        )

    @property
    def span(self) -> timedelta:
        return self.until - self.since

    @property
    def from_readings(self) -> bool:
        return self.span <= RAW_SPAN_LIMIT


def bin_width(span: timedelta, step: timedelta) -> timedelta:
    """The smallest multiple of `step` that cuts `span` into MAX_POINTS bins
    or fewer."""
    steps = math.ceil(span / step / MAX_POINTS)
    return step * max(1, steps)


def power_charts(device: Device, rng: ChartRange) -> list[Chart]:
    if rng.from_readings:
        return reading_charts(device, rng)
    return interval_charts(device, rng)


def reading_charts(device: Device, rng: ChartRange) -> list[Chart]:
    """Power, voltage, current and power factor, averaged per bin."""
    quantities = [q for *_, names in READING_CHARTS for q in names]
    width = bin_width(rng.span, timedelta(seconds=1))
    averages = ", ".join(f"avg({q})" for q in quantities)
    rows = _fetch(
        f"SELECT date_bin(%s, ts, %s) AS bin, {averages} FROM metering_reading "
        "WHERE device_id = %s AND ts >= %s AND ts < %s GROUP BY bin ORDER BY bin",
        [width, rng.since, device.pk, rng.since, rng.until],
    )
    x, columns = _split_at_gaps(rows, _gap(device, width), len(quantities))

    charts = []
    for key, title, unit, names in READING_CHARTS:
        series = [(label(q), columns[quantities.index(q)]) for q in names]
        charts.append(_chart(key, title, unit, device, x, series))
    return charts


def interval_charts(device: Device, rng: ChartRange) -> list[Chart]:
    """Average and peak power from the energy intervals."""
    width = bin_width(rng.span, INTERVAL)
    rows = _fetch(
        "SELECT date_bin(%s, start, %s) AS bin, avg(avg_kw), max(peak_kw) "
        "FROM metering_energyinterval "
        "WHERE device_id = %s AND start >= %s AND start < %s GROUP BY bin ORDER BY bin",
        [width, _QUARTER_HOUR_ORIGIN, device.pk, rng.since, rng.until],
    )
    x, (average, peak) = _split_at_gaps(rows, _gap(device, width), 2)
    series = [("Average power", average), ("Peak power", peak)]
    return [_chart("power", "Active power", "kW", device, x, series)]


def choose_bucket(rng: ChartRange, requested: str = "") -> str:
    """The bucket asked for if the range allows it, else one that gives a
    readable number of bars."""
    days = (rng.end_day - rng.first_day).days
    if requested in MAX_DAYS and days <= MAX_DAYS[requested]:
        return requested
    if rng.span <= timedelta(days=2):
        return "interval"
    if rng.from_readings:
        return "hour"
    return "day" if rng.span <= timedelta(days=92) else "month"


def energy_chart(
    device: Device, rng: ChartRange, bucket: str
) -> tuple[Chart, dict[str, float]]:
    """Bars of imported and exported energy per bucket, and their totals."""
    buckets = [
        b
        for b in energy_buckets(device, rng.first_day, rng.end_day, bucket)
        if b.end > rng.since and b.start < rng.until
    ]
    x = [int(b.start.timestamp()) for b in buckets]
    series = [
        ("Import", [_round(b.kwh_import) for b in buckets]),
        ("Export", [_round(b.kwh_export) for b in buckets]),
    ]
    totals = {
        "kwh_import": sum(b.kwh_import for b in buckets),
        "kwh_export": sum(b.kwh_export for b in buckets),
    }
    chart = _chart("energy", "Energy", "kWh", device, x, series, kind="bars")
    chart["bucket"] = bucket
    # Export is drawn below the axis, so both fit one chart without hiding
    # each other.
    for line in chart["series"]:
        line["below"] = line["label"] == "Export"
    return chart, totals


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _gap(device: Device, width: timedelta) -> timedelta:
    """Bins further apart than this have a gap between them, drawn as a break."""
    seconds = device.gap_seconds or engine_defaults()["gap_seconds"]
    return max(2 * width, timedelta(seconds=seconds))


def _split_at_gaps(
    rows: list[tuple], gap: timedelta, count: int
) -> tuple[list[int], list[list[float | None]]]:
    """Epoch seconds and `count` columns of values; a row of None marks each gap."""
    x: list[int] = []
    columns: list[list[float | None]] = [[] for _ in range(count)]
    previous: datetime | None = None
    for start, *values in rows:
        if previous is not None and start - previous > gap:
            x.append(int((previous + gap / 2).timestamp()))
            for column in columns:
                column.append(None)
        x.append(int(start.timestamp()))
        for column, value in zip(columns, values, strict=True):
            column.append(_round(value))
        previous = start
    return x, columns


def _chart(
    key: str,
    title: str,
    unit: str,
    device: Device,
    x: list[int],
    series: list[tuple[str, list[float | None]]],
    kind: str = "line",
) -> Chart:
    # A meter that does not report a quantity (a single-phase meter's L2 and
    # L3) gets no empty line in the legend.
    shown = [(name, vs) for name, vs in series if any(v is not None for v in vs)]
    return {
        "id": f"chart-{key}",
        "title": title,
        "unit": unit,
        "kind": kind,
        "tz": device.site.timezone,
        "x": x,
        "series": [{"label": name, "values": values} for name, values in shown],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
