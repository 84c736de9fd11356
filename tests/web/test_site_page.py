"""A site's page: energy and energy cost of all its devices per local day of
one month. Johannesburg is UTC+2, so 2 March 08:00 local is 06:00 UTC."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from portal.metering.actions import create_device
from portal.metering.models import EnergyInterval
from portal.tariffs.actions import create_tariff, save_version, set_site_tariff
from portal.tariffs.document import parse_version


@pytest.fixture
def as_user(plain_user):
    client = Client()
    client.force_login(plain_user)
    return client


@pytest.fixture
def two_devices(site, device):
    second = create_device(site=site, external_id="SUB-1", name="Second")
    EnergyInterval.objects.create(
        device=device, start=datetime(2026, 3, 2, 6, tzinfo=UTC), kwh_import=3.0
    )
    EnergyInterval.objects.create(
        device=second, start=datetime(2026, 3, 2, 6, tzinfo=UTC), kwh_import=1.5
    )
    EnergyInterval.objects.create(
        device=device, start=datetime(2026, 3, 3, 6, tzinfo=UTC), kwh_import=2.0
    )
    return site


def test_the_site_page_shows_each_day_of_the_month_with_its_cost(as_user, two_devices):
    tariff = create_tariff(utility="City", name="Flat")
    version = {
        "valid_from": "2026-01-01",
        "charges": [{"kind": "energy_flat", "rate": "2"}],
    }
    save_version(tariff, parse_version(version))
    set_site_tariff(two_devices, tariff)

    response = as_user.get(reverse("site", args=["JHB"]), {"month": "2026-03"})

    assert response.status_code == 200
    rows = response.context["rows"]
    # 31 days of March. 2 March: 3 + 1.5 = 4.5 kWh x 2.00 = 9.00; 3 March:
    # 2 kWh = 4.00; the month 6.5 kWh = 13.00.
    assert len(rows) == 31
    assert (rows[1][0].kwh_import, rows[1][1]) == (4.5, Decimal("9.0"))
    assert (rows[2][0].kwh_import, rows[2][1]) == (2.0, Decimal("4.0"))
    assert response.context["kwh_import"] == 6.5
    assert response.context["cost"] == Decimal("13.0")
    html = response.content.decode()
    assert "ZAR 13.00" in html
    assert "?month=2026-02" in html and "?month=2026-04" in html


def test_without_a_tariff_the_site_page_shows_energy_only(as_user, two_devices):
    response = as_user.get(reverse("site", args=["JHB"]), {"month": "2026-03"})

    assert response.status_code == 200
    assert response.context["kwh_import"] == 6.5
    assert "Energy cost" not in response.content.decode()


@pytest.mark.parametrize("month", ["2026-13", "26-03", "2026-03\n", "x"])
def test_a_bad_month_is_400_and_says_how(as_user, site, month):
    response = as_user.get(reverse("site", args=["JHB"]), {"month": month})

    assert response.status_code == 400
    assert "Choose a month as YYYY-MM." in response.content.decode()
