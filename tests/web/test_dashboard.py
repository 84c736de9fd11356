"""The dashboard: energy today and this month in each site's local calendar,
current power, freshness, and a query count that does not grow with devices."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.metering.actions import create_device, create_site, set_device_active
from portal.metering.models import EnergyInterval

# Noon in Johannesburg (UTC+2) on 15 March 2026.
NOW = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
# The page's own queries with the session and user lookups come to 8;
# renewing the session on every request (the idle timeout) adds one, and
# reading the branding one more.
MAX_QUERIES = 10


def interval(device, start: datetime, kwh_import: float, kwh_export: float = 0.0):
    EnergyInterval.objects.create(
        device=device, start=start, kwh_import=kwh_import, kwh_export=kwh_export
    )


def power(kw: float):
    return lambda index, ts: {"p_kw": kw}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_it_sums_energy_over_the_sites_local_day_and_month(as_user, meter, frozen):
    # Local 15 March starts at 14 March 22:00 UTC; local March at 28 Feb 22:00 UTC.
    interval(meter, datetime(2026, 3, 15, 6, 0, tzinfo=UTC), 5.0, 1.0)
    interval(meter, datetime(2026, 3, 14, 22, 0, tzinfo=UTC), 2.0)
    interval(meter, datetime(2026, 3, 14, 21, 45, tzinfo=UTC), 3.0)
    interval(meter, datetime(2026, 2, 28, 22, 0, tzinfo=UTC), 10.0)
    interval(meter, datetime(2026, 2, 28, 21, 45, tzinfo=UTC), 100.0)

    overview = as_user.get(reverse("dashboard")).context["overview"]

    (site,) = overview.sites
    assert site.kwh_import_today == 7.0
    assert site.kwh_export_today == 1.0
    assert site.kwh_import_month == 20.0
    assert overview.kwh_import_month == 20.0


def test_it_keeps_each_sites_own_calendar(as_user, meter, frozen):
    # In Los Angeles (UTC-7 in March) it is still 15 March 03:00: local day
    # from 15 March 07:00 UTC, so the 06:00 UTC interval is yesterday there.
    west = create_site(code="LAX", name="Los Angeles", timezone="America/Los_Angeles")
    far = create_device(site=west, external_id="LAX1", name="West meter")
    interval(far, datetime(2026, 3, 15, 6, 0, tzinfo=UTC), 5.0)
    interval(meter, datetime(2026, 3, 15, 6, 0, tzinfo=UTC), 5.0)

    overview = as_user.get(reverse("dashboard")).context["overview"]

    by_code = {s.site.code: s for s in overview.sites}
    assert by_code["PLANT"].kwh_import_today == 5.0
    assert by_code["LAX"].kwh_import_today == 0.0
    assert by_code["LAX"].kwh_import_month == 5.0


def test_it_shows_power_from_the_newest_reading_and_flags_silent_meters(
    as_user, plant, meter, feed, frozen
):
    quiet = create_device(site=plant, external_id="QUIET1", name="Quiet meter")
    feed(meter, NOW - timedelta(minutes=5), 3, values=lambda i, ts: {"p_kw": 40.0 + i})
    feed(quiet, NOW - timedelta(hours=1), 1, values=power(7.0))

    response = as_user.get(reverse("dashboard"))

    (site,) = response.context["overview"].sites
    statuses = {s.device.external_id: s for s in site.devices}
    assert statuses["CLD00000009"].p_kw == 42.0
    assert not statuses["CLD00000009"].silent
    assert statuses["QUIET1"].silent
    assert statuses["QUIET1"].p_kw is None
    assert site.p_kw == 42.0
    assert site.silent_count == 1
    assert b"<mark>silent</mark>" in response.content


def test_it_leaves_out_deactivated_devices(as_user, meter, frozen):
    set_device_active(meter, False)

    overview = as_user.get(reverse("dashboard")).context["overview"]

    assert overview.sites[0].devices == []


def test_it_answers_htmx_with_the_fragment(as_user, meter):
    response = as_user.get(reverse("dashboard"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="dashboard"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def fleet(count: int, feed) -> None:
    sites = [
        create_site(code=f"S{n}", name=f"Site {n}", timezone=tz)
        for n, tz in enumerate(("Africa/Johannesburg", "Asia/Kolkata"))
    ]
    for n in range(count):
        device = create_device(
            site=sites[n % 2], external_id=f"M{n}", name=f"Meter {n}"
        )
        feed(device, NOW - timedelta(minutes=3), 2)
        interval(device, NOW - timedelta(hours=1), 1.0)


@pytest.mark.parametrize("devices", [2, 10])
def test_its_query_count_does_not_grow_with_devices(
    as_user, feed, frozen, devices, django_assert_max_num_queries
):
    fleet(devices, feed)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = as_user.get(reverse("dashboard"))

    assert response.context["overview"].device_count == devices


def test_two_and_ten_devices_cost_the_same_queries(as_user, feed, frozen):
    fleet(2, feed)
    with CaptureQueriesContext(connection) as two:
        as_user.get(reverse("dashboard"))

    fleet_more = [f"X{n}" for n in range(8)]
    site = create_site(code="MORE", name="More", timezone="UTC")
    for external_id in fleet_more:
        device = create_device(site=site, external_id=external_id, name=external_id)
        feed(device, NOW - timedelta(minutes=3), 2)
    with CaptureQueriesContext(connection) as ten:
        as_user.get(reverse("dashboard"))

    assert len(ten) == len(two)
