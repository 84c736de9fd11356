"""Bills for a year of 15-minute data of one site, against reading the same
intervals from the database.

The site has one meter and a time-of-use tariff with every kind of charge
(energy by season and period with public holidays, a daily and a monthly
fixed charge, a kVA demand charge in peak and standard only, a capacity
charge, a reactive charge, VAT). The twelve monthly bills are computed the
way the bill page computes them; the baseline is the one query that reads
the year's intervals, which every bill must at least do.
"""

import io
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.report import Measurement, progress

YEAR = 2025
INTERVALS = 365 * 96


def tariff_document() -> dict[str, Any]:
    weekday = [
        ("00:00", "06:00", "off_peak"),
        ("06:00", "09:00", "peak"),
        ("09:00", "17:00", "standard"),
        ("17:00", "19:00", "peak"),
        ("19:00", "22:00", "standard"),
        ("22:00", "24:00", "off_peak"),
    ]
    saturday = [
        ("00:00", "07:00", "off_peak"),
        ("07:00", "12:00", "standard"),
        ("12:00", "24:00", "off_peak"),
    ]
    sunday = [("00:00", "24:00", "off_peak")]
    days = {
        "weekday": [_span(*s) for s in weekday],
        "saturday": [_span(*s) for s in saturday],
        "sunday": [_span(*s) for s in sunday],
    }
    rates = {"peak": "4.20", "standard": "1.60", "off_peak": "0.95"}
    return {
        "format": "portal-tariff/1",
        "utility": {"name": "Bench utility", "country": "ZA"},
        "name": "Bench TOU",
        "versions": [
            {
                "valid_from": f"{YEAR}-01-01",
                "tax_percent": "15",
                "holidays": {"country": "ZA", "treat_as": "sunday"},
                "time_of_use": {
                    "periods": ["peak", "standard", "off_peak"],
                    "seasons": [
                        {"name": "high", "months": [6, 7, 8]},
                        {"name": "low", "months": [1, 2, 3, 4, 5, 9, 10, 11, 12]},
                    ],
                    "schedule": {"high": days, "low": days},
                },
                "charges": [
                    {"kind": "energy_tou", "rates": {"high": rates, "low": rates}},
                    {"kind": "fixed_daily", "amount": "45.10"},
                    {"kind": "fixed_period", "amount": "310.00"},
                    {
                        "kind": "demand",
                        "rate": "95.40",
                        "periods": ["peak", "standard"],
                    },
                    {"kind": "capacity", "rate": "21.30"},
                    {"kind": "reactive", "rate": "0.18", "free_share": "0.3"},
                ],
            }
        ],
    }


def _span(start: str, end: str, period: str) -> dict[str, str]:
    return {"start": start, "end": end, "period": period}


@dataclass
class BillFigures:
    fetch: Measurement
    bills: Measurement
    daily_costs: Measurement

    @property
    def ratio(self) -> float:
        return self.bills.median_seconds / self.fetch.median_seconds


def measure(repeat: int) -> BillFigures:
    from portal.tariffs.costs import cost_buckets, site_bill, site_slots

    site, device = _fixtures()
    figures = BillFigures(
        fetch=Measurement("read a year of intervals (baseline)", INTERVALS),
        bills=Measurement("12 monthly bills from a year of intervals", INTERVALS),
        daily_costs=Measurement("energy cost per day for a year", INTERVALS),
    )
    since = datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(hours=2)
    until = datetime(YEAR + 1, 1, 1, tzinfo=UTC) - timedelta(hours=2)
    labels = [f"{YEAR}-{month:02d}" for month in range(1, 13)]
    days = [since + timedelta(days=n) for n in range(365)]

    progress("bills for a year")
    for _ in range(repeat):
        figures.fetch.add(_timed(lambda: site_slots({site.pk: (since, until)})))
        figures.bills.add(_timed(lambda: [site_bill(site, label) for label in labels]))
        figures.daily_costs.add(_timed(lambda: cost_buckets(site, days, until, device)))
    return figures


def _timed(work: Any) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def _fixtures() -> tuple[Any, Any]:
    from django.db import connection

    from portal.metering.actions import create_device, create_site
    from portal.tariffs.actions import import_tariff, set_site_tariff
    from portal.tariffs.document import parse_document

    site = create_site(
        code="BILLS", name="Billed plant", timezone="Africa/Johannesburg"
    )
    device = create_device(site=site, external_id="bills-meter", name="Incomer")
    tariff = import_tariff(parse_document(tariff_document()))
    site.notified_demand_kva = 400
    set_site_tariff(site, tariff)

    start = datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(hours=2)
    buffer = io.StringIO()
    for n in range(INTERVALS):
        at = start + timedelta(minutes=15 * n)
        hour = (at.hour + 2) % 24
        kw = (
            120 + 80 * math.sin(math.pi * max(0, hour - 5) / 16)
            if 5 < hour < 21
            else 60
        )
        kwh = round(kw / 4, 3)
        kvarh = round(kwh * 0.4, 3)
        fields = (device.pk, at.isoformat(), kwh, 0, kvarh, 0, kw, kw, 3, 1, "{}", "{}")
        buffer.write("\t".join(map(str, fields)) + "\n")
    buffer.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY metering_energyinterval (device_id, start, kwh_import, kwh_export, "
            "kvarh_import, kvarh_export, avg_kw, peak_kw, sample_count, coverage, "
            "flags, end_state) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.read())
    return site, device
