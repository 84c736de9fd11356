"""`GET /api/v1/sites/<code>/energy`: a site's devices together, with cost.
Johannesburg is UTC+2 all year, so a local day starts at 22:00 UTC."""

from datetime import UTC, datetime, timedelta

from portal.metering.actions import create_device
from portal.metering.models import EnergyInterval
from portal.tariffs.actions import create_tariff, save_version, set_site_tariff
from portal.tariffs.document import parse_version


def _intervals(device, first: datetime, count: int, kwh: float) -> None:
    EnergyInterval.objects.bulk_create(
        EnergyInterval(
            device=device,
            start=first + timedelta(minutes=15 * n),
            kwh_import=kwh,
            coverage=1.0,
        )
        for n in range(count)
    )


def test_site_energy_sums_its_devices_and_prices_them(
    client, site, device, read_secret
):
    second = create_device(site=site, external_id="SUB-1", name="Second incomer")
    # 2 March 08:00 local = 06:00 UTC: the first device 8 intervals of 0.5 kWh,
    # the second 4 intervals of 1.25 kWh in the same hour as the first four.
    _intervals(device, datetime(2026, 3, 2, 6, tzinfo=UTC), 8, 0.5)
    _intervals(second, datetime(2026, 3, 2, 6, tzinfo=UTC), 4, 1.25)
    tariff = create_tariff(utility="City", name="Flat")
    save_version(
        tariff,
        parse_version(
            {
                "valid_from": "2026-01-01",
                "charges": [{"kind": "energy_flat", "rate": "3"}],
            }
        ),
    )
    set_site_tariff(site, tariff)

    answer = client.get(
        "/api/v1/sites/JHB/energy",
        {"start": "2026-03-02", "end": "2026-03-04", "bucket": "day"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    ).json()

    # 2 March: 8 x 0.5 + 4 x 1.25 = 4 + 5 = 9 kWh, x 3.00 = 27.0000; 3 March
    # nothing. Coverage: 12 of the day's 2 x 96 device intervals = 0.0625.
    assert answer["devices"] == ["CLD00000001", "SUB-1"]
    assert answer["currency"] == "ZAR"
    first, second_day = answer["buckets"]
    assert first["kwh_import"] == 9.0
    assert first["cost"] == "27.0000"
    assert first["coverage"] == 0.0625
    assert second_day["kwh_import"] == 0.0
    assert second_day["cost"] == "0.0000"
    assert answer["total_cost"] == "27.0000"


def test_site_energy_of_an_unknown_site_is_404(client, site, read_secret):
    answer = client.get(
        "/api/v1/sites/NOPE/energy",
        {"start": "2026-03-02", "end": "2026-03-04"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert answer.status_code == 404
