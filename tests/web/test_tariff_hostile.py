"""Hostile and pathological input against tariffs, bills and costs: each case
once broke something (a 500, a traceback, a silently wrong figure, a file
that could not be imported back) and is answered clearly now."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from portal.metering.models import EnergyInterval
from portal.tariffs import actions
from portal.tariffs.actions import (
    create_tariff,
    read_document,
    save_version,
    set_site_tariff,
)
from portal.tariffs.document import DocumentError, parse_version
from portal.tariffs.models import Tariff, TariffVersion

FLAT = {"charges": [{"kind": "energy_flat", "rate": "2.00"}]}


@pytest.fixture
def as_admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def priced(site, body: dict = FLAT) -> Tariff:
    tariff = create_tariff(utility="City Power", name="Flat")
    save_version(tariff, parse_version(body | {"valid_from": "2026-01-01"}))
    set_site_tariff(site, tariff)
    return tariff


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


# --------------------------------------------------------------- addresses


@pytest.mark.parametrize("name", ["site-bill", "site-bill-export"])
def test_a_period_with_a_trailing_newline_is_refused(as_admin, site, name):
    """`$` in a pattern also matches before a final newline; the newline then
    reached a response header (a 500) or the period chooser."""
    response = as_admin.get(reverse(name, args=["JHB"]), {"period": "2026-03\n"})

    assert response.status_code == 400


def test_the_bill_api_refuses_a_trailing_newline_and_says_how(as_admin, site):
    response = as_admin.get("/api/v1/sites/JHB/bill", {"period": "2026-03\n"})

    assert response.status_code == 400
    assert response.json()["detail"] == "period: use YYYY-MM, e.g. 2026-03"


@pytest.mark.parametrize(
    "path",
    [
        "/sites/JHB%00x/bill",
        "/sites/JHB%00x/bill.csv",
        "/sites/JHB%00x/edit",
        "/api/v1/sites/JHB%00x/bill",
        "/api/v1/sites/JHB%00x/energy?start=2026-03-01&end=2026-03-02",
    ],
)
def test_a_nul_in_a_site_code_is_not_found(as_admin, site, path):
    """PostgreSQL refuses NUL in text, which was a 500 on these pages."""
    assert as_admin.get(path).status_code == 404


# --------------------------------------------------------------- tariff names


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "Flat\x1b]0;owned\x07"}, "name", "control characters"),
        ({"name": "\u202eFlat"}, "name", "control characters"),
        ({"name": "Fl\u200bat"}, "name", "control characters"),
        ({"utility": "City\x07"}, "utility", "control characters"),
        ({"description": "one\x00two"}, "description", "Null characters"),
        ({"name": "None"}, "name", "kept to mean no tariff"),
    ],
)
def test_the_tariff_form_keeps_the_rules_of_the_file(as_admin, fields, field, message):
    """What the form saves must export to a file that imports again, and must
    not put escape codes into an operator's terminal."""
    form = {"utility": "City", "name": "Flat", "currency": "ZAR", "description": ""}

    response = as_admin.post(reverse("tariff-create"), form | fields)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Tariff.objects.exists()


def test_a_description_may_have_line_breaks(as_admin):
    form = {"utility": "City", "name": "Flat", "currency": "ZAR"}

    as_admin.post(reverse("tariff-create"), form | {"description": "one\r\ntwo"})

    assert Tariff.objects.get().description == "one\r\ntwo"


# --------------------------------------------------------------- sizes


def test_a_201st_version_is_refused(db):
    tariff = create_tariff(utility="City", name="Flat")
    TariffVersion.objects.bulk_create(
        TariffVersion(
            tariff=tariff,
            valid_from=f"{1800 + year}-01-01",
            body={"charges": [{"kind": "energy_flat", "rate": "1"}]},
        )
        for year in range(200)
    )

    with pytest.raises(DocumentError, match="at most 200 versions"):
        save_version(tariff, parse_version(FLAT | {"valid_from": "2026-01-01"}))

    assert tariff.versions.count() == 200


def test_a_version_that_would_make_the_file_too_large_to_import_is_undone(
    db, monkeypatch
):
    """The import limit is made small here so a small version crosses it; the
    rule is the same at 1,000,000 bytes."""
    tariff = create_tariff(utility="City", name="Flat")
    save_version(tariff, parse_version(FLAT | {"valid_from": "2025-01-01"}))
    monkeypatch.setattr(actions, "MAX_DOCUMENT_BYTES", 600)
    charges = [{"kind": "fixed_daily", "amount": str(n)} for n in range(10)]

    with pytest.raises(DocumentError, match="over the 600 an import takes"):
        save_version(
            tariff, parse_version({"valid_from": "2026-01-01", "charges": charges})
        )

    assert list(tariff.versions.values_list("valid_from", flat=True)) == [
        datetime(2025, 1, 1).date()
    ]


def test_a_demand_charge_cannot_name_a_period_twice():
    """A list of 190,000 repeated names once made every bill take seconds."""
    body = {
        "valid_from": "2026-01-01",
        "time_of_use": {
            "periods": ["a"],
            "seasons": [{"name": "all", "months": list(range(1, 13))}],
            "schedule": {
                "all": {
                    day: [{"start": "00:00", "end": "24:00", "period": "a"}]
                    for day in ("weekday", "saturday", "sunday")
                }
            },
        },
        "charges": [{"kind": "demand", "rate": "1", "periods": ["a", "a"]}],
    }

    with pytest.raises(DocumentError) as refused:
        parse_version(body)

    assert str(refused.value) == "charges[0].periods: a period is named twice"


def test_a_key_given_twice_is_refused_rather_than_the_last_winning():
    raw = b'{"format": "portal-tariff/1", "name": "A", "name": "B"}'

    with pytest.raises(DocumentError, match="'name' appears twice"):
        read_document(raw)


# --------------------------------------------------------------- figures


def test_the_largest_rate_on_a_huge_energy_is_billed_exactly(as_admin, site, device):
    """Decimal's default 28 digits could not hold the amount: a 500. The rate
    999,999,999,999.999999 times 1e15 kWh is 999,999,999,999,999,999 x 1e9
    = 999999999999999999000000000 exactly."""
    priced(site, {"charges": [{"kind": "energy_flat", "rate": "999999999999.999999"}]})
    EnergyInterval.objects.create(device=device, start=at(2, 8), kwh_import=1e15)

    bill = as_admin.get("/api/v1/sites/JHB/bill", {"period": "2026-03"})
    energy = as_admin.get(
        "/api/v1/sites/JHB/energy", {"start": "2026-03-01", "end": "2026-04-01"}
    )

    assert bill.status_code == 200
    assert bill.json()["lines"][0]["amount"] == "999999999999999999000000000.00"
    assert energy.status_code == 200
    assert energy.json()["total_cost"] == "999999999999999999000000000.0000"
    assert as_admin.get("/").status_code == 200


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_an_interval_that_is_not_a_number_prices_as_nothing(
    as_admin, site, device, bad
):
    """The engine never writes NaN or infinity, but the column can hold them;
    one such row broke every page that showed the site's cost. 2 kWh at 2.00
    beside it still costs 4.00."""
    priced(site)
    EnergyInterval.objects.create(device=device, start=at(2, 8), kwh_import=bad)
    EnergyInterval.objects.create(device=device, start=at(2, 9), kwh_import=2.0)

    bill = as_admin.get("/api/v1/sites/JHB/bill", {"period": "2026-03"})

    assert bill.status_code == 200
    assert bill.json()["subtotal"] == "4.00"
    assert as_admin.get("/").status_code == 200


def test_negative_energy_of_one_device_does_not_lower_another(as_admin, site, device):
    """+10 kWh on one device and -4 on another in the same interval: the site
    is priced on 10 kWh (20.00 at 2.00), the first device costs all of it and
    the second nothing, instead of 20.00 and -8.00."""
    from portal.metering.actions import create_device

    second = create_device(site=site, external_id="SUB-1", name="Second")
    priced(site)
    EnergyInterval.objects.create(device=device, start=at(2, 8), kwh_import=10.0)
    EnergyInterval.objects.create(device=second, start=at(2, 8), kwh_import=-4.0)
    query = {"start": "2026-03-02", "end": "2026-03-03"}

    site_cost = as_admin.get("/api/v1/sites/JHB/energy", query).json()["total_cost"]
    first = as_admin.get(f"/api/v1/devices/{device.external_id}/energy", query)
    other = as_admin.get("/api/v1/devices/SUB-1/energy", query)

    assert site_cost == "20.0000"
    assert first.json()["total_cost"] == "20.0000"
    assert other.json()["total_cost"] == "0.0000"


# --------------------------------------------------------------- export


def test_a_tariff_named_in_another_script_downloads_as_an_attachment(as_admin, db):
    tariff = create_tariff(utility="Горсеть", name="Тариф 2026")

    response = as_admin.get(reverse("tariff-export", args=[tariff.pk]))

    # Five Cyrillic letters and a space become six dashes.
    assert response["Content-Disposition"] == (
        'attachment; filename="tariff-------2026.json"'
    )
    assert json.loads(response.content)["name"] == "Тариф 2026"


def test_site_cost_sums_are_decimal(site, device):
    """The bill's figures are Decimals, never floats, whatever the input."""
    from portal.tariffs.costs import site_bill

    priced(site)
    EnergyInterval.objects.create(device=device, start=at(2, 8), kwh_import=0.1)

    statement = site_bill(site, "2026-03")

    assert statement.bill.total == Decimal("0.20")
    assert isinstance(statement.bill.lines[0].amount, Decimal)
