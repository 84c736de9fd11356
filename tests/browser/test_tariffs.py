"""An admin imports a tariff file, gives it to a site, and reads the site's
bill; at phone width (390 px)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.accounts.models import User
from portal.metering.actions import create_device, create_site
from portal.metering.models import EnergyInterval
from tests.browser.conftest import keep_screenshot
from tests.browser.test_people_and_branding import ADMIN_PASSWORD, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TARIFF_FILE = (
    Path(__file__).parent.parent / "fixtures" / "tariffs" / "tariff-blocks.json"
)


@pytest.fixture
def plant(transactional_db):
    User.objects.create_superuser(email="admin@example.com", password=ADMIN_PASSWORD)
    site = create_site(code="HOME", name="Home", timezone="Africa/Johannesburg")
    meter = create_device(site=site, external_id="H1", name="Home meter")
    # March 2026 in Johannesburg starts at 22:00 UTC on 28 February: 31 days
    # of 96 intervals at 0.25 kWh = 744 kWh.
    first = datetime(2026, 2, 28, 22, tzinfo=UTC)
    EnergyInterval.objects.bulk_create(
        EnergyInterval(
            device=meter, start=first + timedelta(minutes=15 * n), kwh_import=0.25
        )
        for n in range(31 * 96)
    )
    return site


def test_an_imported_tariff_prices_the_site_bill(page, plant):
    sign_in(page, "admin@example.com", ADMIN_PASSWORD)

    page.goto("/settings/tariffs/import")
    page.set_input_files("input[name=file]", str(TARIFF_FILE))
    keep_screenshot(page, "tariff-import")
    page.click("#tariff-import button[type=submit]")
    page.wait_for_url("**/settings/tariffs/*/")
    keep_screenshot(page, "tariff")
    assert "Illustrative domestic 4-block" in page.content()

    page.goto("/sites/HOME/edit")
    page.select_option("select[name=tariff]", label="Illustrative domestic 4-block")
    page.click("#site-form button[type=submit]")
    page.wait_for_url("**/sites/")

    page.goto("/sites/HOME/bill?period=2026-03")
    keep_screenshot(page, "bill")
    # The version from 2025-07-01: 50 x 1.20 + 300 x 1.60 + 250 x 2.10
    # + 144 x 2.60 = 60.00 + 480.00 + 525.00 + 374.40 = 1,439.40; service
    # charge 31 x 14.50 = 449.50; subtotal 1,888.90; VAT 15 % = 283.335,
    # rounded half up to 283.34; total 2,172.24.
    total = page.locator("#bill tfoot tr").last.inner_text()
    assert "ZAR 2,172.24" in total
    assert "283.34" in page.locator("#bill tfoot").inner_text()
    page.goto("/sites/HOME/?month=2026-03")
    keep_screenshot(page, "site")
    # Energy charges only: 1,439.40 from the block lines above.
    assert "ZAR 1,439.40" in page.locator("#site .portal-figures").inner_text()
