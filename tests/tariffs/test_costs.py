"""Costs read from the database: bills of a site's devices together, costs
per bucket, and re-pricing when a version is corrected. The site is in
Africa/Johannesburg (UTC+2, no daylight saving), so local midnight is 22:00
UTC the day before."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from portal.lib.localtime import local_midnight
from portal.metering.actions import create_device
from portal.metering.models import EnergyInterval
from portal.tariffs.actions import create_tariff, save_version, set_site_tariff
from portal.tariffs.costs import cost_buckets, months_with_data, site_bill
from portal.tariffs.document import parse_version


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A Johannesburg wall-clock time as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - (
        timedelta(hours=2)
    )


def add_intervals(device, start: datetime, count: int, kwh: float) -> None:
    EnergyInterval.objects.bulk_create(
        EnergyInterval(
            device=device, start=start + timedelta(minutes=15 * n), kwh_import=kwh
        )
        for n in range(count)
    )


def flat(valid_from: str, rate: str, tax: str = "0", valid_to: str | None = None):
    return parse_version(
        {
            "valid_from": valid_from,
            "valid_to": valid_to,
            "tax_percent": tax,
            "charges": [{"kind": "energy_flat", "rate": rate}],
        }
    )


@pytest.fixture
def priced_site(site):
    tariff = create_tariff(utility="City of Johannesburg", name="Business flat")
    set_site_tariff(site, tariff)
    return site, tariff


def test_a_bill_adds_the_devices_of_the_site_within_its_billing_period(
    priced_site, device
):
    site, tariff = priced_site
    save_version(tariff, flat("2026-01-01", "2.00", tax="15"))
    site.billing_day = 15
    site.save()
    second = create_device(site=site, external_id="SUB-1", name="Second incomer")
    # Main incomer: 4 intervals of 1 kWh on 20 March; second: 2 of 0.5 kWh.
    add_intervals(device, local(date(2026, 3, 20), 10), 4, 1.0)
    add_intervals(second, local(date(2026, 3, 20), 10), 2, 0.5)
    # 14 March is before the billing day: it belongs to the period 2026-02.
    add_intervals(device, local(date(2026, 3, 14), 10), 4, 1.0)

    statement = site_bill(site, "2026-03")

    # 4 x 1 + 2 x 0.5 = 5 kWh; 5 x 2.00 = 10.00; VAT 15 % = 1.50; total 11.50.
    assert statement.bill.start == date(2026, 3, 15)
    assert statement.bill.end == date(2026, 4, 15)
    assert statement.bill.kwh == Decimal("5")
    assert [line.amount for line in statement.bill.lines] == [Decimal("10.00")]
    assert statement.bill.tax == Decimal("1.50")
    assert statement.bill.total == Decimal("11.50")
    # The period before holds the 14 March intervals: 4 kWh x 2.00 = 8.00.
    assert site_bill(site, "2026-02").bill.subtotal == Decimal("8.00")


def test_correcting_a_version_reprices_the_history_it_covers(priced_site, device):
    site, tariff = priced_site
    january = save_version(tariff, flat("2026-01-01", "1.00"))
    add_intervals(device, local(date(2026, 2, 10), 8), 10, 1.0)
    add_intervals(device, local(date(2026, 4, 10), 8), 10, 1.0)
    # 10 kWh each month at 1.00.
    assert site_bill(site, "2026-02").bill.subtotal == Decimal("10.00")
    assert site_bill(site, "2026-04").bill.subtotal == Decimal("10.00")

    # A new version from April re-prices April only: 10 x 1.50 = 15.00. The
    # January version, open-ended, now runs until April's begins.
    save_version(tariff, flat("2026-04-01", "1.50"))
    assert site_bill(site, "2026-02").bill.subtotal == Decimal("10.00")
    assert site_bill(site, "2026-04").bill.subtotal == Decimal("15.00")

    # Correcting January's rate to 1.10 re-prices February: 10 x 1.10 = 11.00.
    save_version(tariff, flat("2026-01-01", "1.10"), replacing=january)
    assert site_bill(site, "2026-02").bill.subtotal == Decimal("11.00")
    assert site_bill(site, "2026-04").bill.subtotal == Decimal("15.00")

    # The day buckets follow as well: 10 February costs 11.00 unrounded.
    day = [local_midnight(date(2026, 2, 10), site.tz)]
    costs = cost_buckets(site, day, local_midnight(date(2026, 2, 11), site.tz))
    assert costs == [Decimal("11.00")]


def test_block_costs_count_from_the_start_of_the_billing_period(priced_site, device):
    site, tariff = priced_site
    blocks = {
        "kind": "energy_blocks",
        "blocks": [{"up_to_kwh": "10", "rate": "1"}, {"up_to_kwh": None, "rate": "2"}],
    }
    save_version(
        tariff, parse_version({"valid_from": "2026-01-01", "charges": [blocks]})
    )
    add_intervals(device, local(date(2026, 3, 5), 10), 8, 1.0)  # 8 kWh
    add_intervals(device, local(date(2026, 3, 31), 10), 12, 1.0)  # 12 kWh
    add_intervals(device, local(date(2026, 4, 1), 10), 5, 1.0)  # 5 kWh
    tz = site.tz
    starts = [
        local_midnight(date(2026, 3, 31), tz),
        local_midnight(date(2026, 4, 1), tz),
    ]

    costs = cost_buckets(site, starts, local_midnight(date(2026, 4, 2), tz), device)

    # 31 March: 8 kWh of March are already in the first block, so 2 more at
    # 1 and 10 at 2 = 22. 1 April starts a new period: 5 at 1 = 5.
    assert costs == [Decimal("22"), Decimal("5")]


def test_a_device_costs_its_share_of_the_site_in_each_interval(priced_site, device):
    site, tariff = priced_site
    blocks = {
        "kind": "energy_blocks",
        "blocks": [{"up_to_kwh": "3", "rate": "1"}, {"up_to_kwh": None, "rate": "3"}],
    }
    save_version(
        tariff, parse_version({"valid_from": "2026-01-01", "charges": [blocks]})
    )
    second = create_device(site=site, external_id="SUB-1", name="Second incomer")
    add_intervals(device, local(date(2026, 3, 2), 10), 2, 1.0)
    add_intervals(second, local(date(2026, 3, 2), 10), 2, 3.0)
    tz = site.tz
    day = [local_midnight(date(2026, 3, 2), tz)]
    end = local_midnight(date(2026, 3, 3), tz)

    mine = cost_buckets(site, day, end, device)
    theirs = cost_buckets(site, day, end, second)
    whole = cost_buckets(site, day, end)

    # Site: interval 1 has 4 kWh (3 at 1 + 1 at 3 = 6), interval 2 has 4 kWh
    # at 3 = 12; the day costs 18. The first device has a quarter of each
    # interval: 6/4 + 12/4 = 4.5; the second three quarters: 13.5.
    assert whole == [Decimal("18")]
    assert mine == [Decimal("4.5")]
    assert theirs == [Decimal("13.5")]


def test_a_site_without_a_tariff_has_no_cost_and_says_so(site, device):
    add_intervals(device, local(date(2026, 3, 2), 10), 4, 1.0)

    statement = site_bill(site, "2026-03")

    assert statement.bill.lines == []
    assert statement.bill.total == 0
    assert any("no tariff" in note for note in statement.bill.notes)
    day = [local_midnight(date(2026, 3, 2), site.tz)]
    assert cost_buckets(site, day, local_midnight(date(2026, 3, 3), site.tz)) is None


def test_the_periods_offered_run_from_the_first_interval_to_the_last(site, device):
    site.billing_day = 10
    site.save()
    add_intervals(device, local(date(2026, 1, 12), 0), 1, 1.0)
    add_intervals(device, local(date(2026, 3, 9), 23), 1, 1.0)

    # 12 January is in 2026-01 (from 10 January); 9 March is before the 10th,
    # so it is in 2026-02.
    assert months_with_data(site) == ["2026-02", "2026-01"]
