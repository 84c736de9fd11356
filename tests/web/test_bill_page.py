"""A site's bill (page, CSV and API), and the energy cost on the dashboard,
the device page and the energy API, each checked against hand arithmetic.

Johannesburg is UTC+2 all year, so local 00:00 on a day is 22:00 UTC the day
before. Energy is set up as 15-minute EnergyInterval rows directly.
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portal.accounts.models import User
from portal.metering.actions import create_device, create_site
from portal.metering.models import EnergyInterval
from portal.tariffs.actions import create_tariff, save_version, set_site_tariff
from portal.tariffs.document import parse_version
from portal.tariffs.models import Tariff

QUARTER = timedelta(minutes=15)
# Noon on Sunday 15 March 2026 in Johannesburg.
NOW = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
# 23:00 on 10 March 2026 in Johannesburg.
FIRST = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)

FLAT = {
    "tax_percent": "15",
    "charges": [{"kind": "energy_flat", "name": "Energy", "rate": "2.00"}],
}
BLOCKS = {
    "charges": [
        {
            "kind": "energy_blocks",
            "name": "Energy",
            "blocks": [
                {"up_to_kwh": "10", "rate": "1.00"},
                {"up_to_kwh": None, "rate": "2.00"},
            ],
        }
    ]
}
HEADER = [
    "section",
    "description",
    "quantity",
    "unit",
    "rate",
    "factor",
    "amount",
    "version_from",
    "note",
]


def priced_site(site, body: dict = FLAT, name: str = "Business flat", **tariff):
    """Give `site` a tariff with one open-ended version from 1 January 2026."""
    made = create_tariff(utility="City Power", name=name, **tariff)
    save_version(made, parse_version(body | {"valid_from": "2026-01-01"}))
    set_site_tariff(site, made)
    return made


def energy(device, start: datetime, kwh: float, kvarh: float = 0.0) -> None:
    EnergyInterval.objects.create(
        device=device, start=start, kwh_import=kwh, kvarh_import=kvarh, kvarh_export=0
    )


def ten_intervals(device) -> None:
    """Ten quarter hours of 1.5 kWh and 2 kvarh from 23:00 local on 10 March:
    23:00, 23:15, 23:30, 23:45 on 10 March (4 x 1.5 = 6 kWh) and 00:00 to
    01:15 on 11 March (6 x 1.5 = 9 kWh); 15 kWh in all."""
    for index in range(10):
        energy(device, FIRST + index * QUARTER, 1.5, kvarh=2.0)


def bill_url(name: str = "site-bill", code: str = "JHB") -> str:
    return reverse(name, args=[code])


def api_bill(client, code: str = "JHB", **params):
    return client.get(f"/api/v1/sites/{code}/bill", params)


def visible_text(html: str) -> str:
    """The page's words without markup, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", unescape(html)).split())


def amounts(html: str) -> list[str]:
    """The text of the bill's amount cells, top to bottom."""
    cells = re.findall(r'<td class="portal-amount">(.*?)</td>', html, re.S)
    return [visible_text(cell) for cell in cells]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def flat(site, device) -> Tariff:
    tariff = priced_site(site)
    ten_intervals(device)
    return tariff


# --------------------------------------------------------------- the bill

# 15 kWh x 2.00 = 30.00; VAT 15% of 30.00 = 4.50; total 30.00 + 4.50 = 34.50.
# Highest 30-minute window: 2 x 1.5 = 3 kWh and 2 x 2 = 4 kvarh, so
# √(3² + 4²) = 5 kVAh in half an hour = 10 kVA, and 3 kWh / 0.5 h = 6 kW. All
# five windows are equal; the first, 23:00 local on 10 March, is reported.
EXPECTED_CSV = [
    HEADER,
    [
        "bill",
        "site JHB, period 2026-03: 2026-03-01 to 2026-04-01 (exclusive), "
        "Africa/Johannesburg",
        "15",
        "kWh",
        "",
        "",
        "",
        "",
        "tariff Business flat",
    ],
    ["charge", "Energy", "15", "kWh", "2", "1", "30.00", "2026-01-01", ""],
    ["subtotal", "Subtotal", "", "ZAR", "", "", "30.00", "", ""],
    ["tax", "VAT 15 % of 30.00", "30.00", "ZAR", "15 %", "", "4.50", "", ""],
    ["total", "Total", "", "ZAR", "", "", "34.50", "", ""],
    [
        "max_demand",
        "highest 30-minute demand",
        "10",
        "kVA",
        "",
        "",
        "",
        "",
        "at 2026-03-10 23:00 local time",
    ],
    [
        "max_demand",
        "highest 30-minute demand",
        "6",
        "kW",
        "",
        "",
        "",
        "",
        "at 2026-03-10 23:00 local time",
    ],
]


def test_the_bill_page_shows_the_hand_computed_bill(as_user, flat):
    response = as_user.get(bill_url(), {"period": "2026-03"})

    assert response.status_code == 200
    document = response.context["document"]
    assert (document["start"], document["end"]) == ("2026-03-01", "2026-04-01")
    assert document["kwh"] == "15"
    (line,) = document["lines"]
    assert (line["quantity"], line["rate"], line["amount"]) == ("15", "2", "30.00")
    assert (document["subtotal"], document["total"]) == ("30.00", "34.50")
    assert document["taxes"] == [
        {"name": "VAT", "percent": "15", "base": "30.00", "amount": "4.50"}
    ]
    html = response.content.decode()
    # The amount column: the energy line, the subtotal, the VAT, the total.
    assert amounts(html) == ["30.00", "30.00", "4.50", "ZAR 34.50"]
    words = visible_text(html)
    assert "Tariff Business flat" in words
    assert "15 kWh imported" in words
    assert "Energy 15 kWh" in words
    assert "VAT 15 % of 30.00" in words
    assert "10 kVA" in words and "6 kW" in words
    assert f"{bill_url('site-bill-export')}?period=2026-03" in html


def test_the_csv_has_the_same_lines_subtotal_tax_and_total(as_user, flat):
    response = as_user.get(bill_url("site-bill-export"), {"period": "2026-03"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="bill-JHB-2026-03.csv"'
    )
    assert csv_rows(response) == EXPECTED_CSV


def test_the_api_answers_the_same_lines_and_totals_as_the_csv(as_user, flat):
    """A signed-in session is accepted by the API, no key needed."""
    response = api_bill(as_user, period="2026-03")
    rows = csv_rows(as_user.get(bill_url("site-bill-export"), {"period": "2026-03"}))

    assert response.status_code == 200
    answer = response.json()
    assert answer["lines"] == [
        {
            "description": "Energy",
            "kind": "energy_flat",
            "quantity": "15",
            "unit": "kWh",
            "rate": "2",
            "factor": "1",
            "amount": "30.00",
            "version_from": "2026-01-01",
            "note": "",
        }
    ]
    charges = [row[1:] for row in rows if row[0] == "charge"]
    assert charges == [
        [
            line[key]
            for key in (
                "description",
                "quantity",
                "unit",
                "rate",
                "factor",
                "amount",
                "version_from",
                "note",
            )
        ]
        for line in answer["lines"]
    ]
    by_section = {row[0]: row for row in rows}
    assert answer["subtotal"] == by_section["subtotal"][6] == "30.00"
    assert answer["taxes"] == [
        {"name": "VAT", "percent": "15", "base": "30.00", "amount": "4.50"}
    ]
    assert by_section["tax"][2] == "30.00" and by_section["tax"][6] == "4.50"
    assert answer["total"] == by_section["total"][6] == "34.50"
    assert (answer["site"], answer["period"], answer["currency"]) == (
        "JHB",
        "2026-03",
        "ZAR",
    )
    assert (answer["tariff"], answer["kwh"], answer["unpriced_kwh"]) == (
        "Business flat",
        "15",
        "0",
    )
    assert answer["max_demand"]["kVA"]["value"] == "10"
    assert answer["max_demand"]["kW"]["value"] == "6"


def test_the_api_needs_a_session_or_a_read_key(client, flat, read_secret):
    assert api_bill(client, period="2026-03").status_code == 401

    with_key = client.get(
        "/api/v1/sites/JHB/bill",
        {"period": "2026-03"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert with_key.status_code == 200
    assert with_key.json()["total"] == "34.50"


def test_a_month_without_energy_bills_nothing_but_is_still_a_bill(as_user, flat):
    """February holds none of the ten intervals: 0 kWh x 2.00 = 0.00."""
    answer = api_bill(as_user, period="2026-02").json()

    assert (answer["start"], answer["end"]) == ("2026-02-01", "2026-03-01")
    assert answer["lines"][0]["amount"] == "0.00"
    assert (answer["subtotal"], answer["total"]) == ("0.00", "0.00")


def test_without_a_period_the_current_one_is_billed(as_user, flat, frozen):
    """Now is 15 March 2026 locally, so the current period is 2026-03."""
    page = as_user.get(bill_url())
    answer = api_bill(as_user).json()

    assert page.context["document"]["period"] == "2026-03"
    assert page.context["document"]["total"] == "34.50"
    assert (answer["period"], answer["total"]) == ("2026-03", "34.50")


def test_a_version_change_mid_period_bills_each_part_at_its_rate(as_user, flat):
    """A new version from 11 March at 3.00/kWh ends the open-ended one there:
    10 March, 6 kWh x 2.00 = 12.00; 11 March, 9 kWh x 3.00 = 27.00; subtotal
    39.00; both versions charge VAT 15%, one tax line of 39.00 x 0.15 = 5.85;
    total 39.00 + 5.85 = 44.85."""
    later = FLAT | {"charges": [{"kind": "energy_flat", "rate": "3.00"}]}
    save_version(flat, parse_version(later | {"valid_from": "2026-03-11"}))

    answer = api_bill(as_user, period="2026-03").json()
    html = as_user.get(bill_url(), {"period": "2026-03"}).content.decode()

    assert [
        (line["quantity"], line["rate"], line["amount"], line["version_from"])
        for line in answer["lines"]
    ] == [("6", "2", "12.00", "2026-01-01"), ("9", "3", "27.00", "2026-03-11")]
    assert answer["subtotal"] == "39.00"
    assert answer["taxes"] == [
        {"name": "VAT", "percent": "15", "base": "39.00", "amount": "5.85"}
    ]
    assert answer["total"] == "44.85"
    assert "version from 2026-01-01" in html and "version from 2026-03-11" in html
    assert amounts(html) == ["12.00", "27.00", "39.00", "5.85", "ZAR 44.85"]


# --------------------------------------------------------------- refused


@pytest.mark.parametrize(
    "period", ["2026-13", "abc", "2026-3", "2026-00", "26-03", "2026-03-01"]
)
def test_a_bad_period_is_400_on_the_page_the_csv_and_the_api(as_user, flat, period):
    page = as_user.get(bill_url(), {"period": period})
    export = as_user.get(bill_url("site-bill-export"), {"period": period})
    api = api_bill(as_user, period=period)

    assert page.status_code == 400
    assert "Choose a period as YYYY-MM." in page.content.decode()
    assert export.status_code == 400
    assert export.content == b"period must be YYYY-MM\n"
    assert api.status_code == 400
    assert api.json()["detail"].startswith("period: ")


def test_a_user_limited_to_another_site_gets_404(client, flat):
    other = create_site(code="OTHER", name="Other plant", timezone="UTC")
    person = User.objects.create_user(email="other@example.com", password="pw-o-1234")
    person.limited_to_sites = True
    person.save()
    person.sites.add(other)
    client.force_login(person)

    assert client.get(bill_url(), {"period": "2026-03"}).status_code == 404
    export = client.get(bill_url("site-bill-export"), {"period": "2026-03"})
    assert export.status_code == 404
    assert api_bill(client, period="2026-03").status_code == 404
    # A bad period does not tell them the site exists either.
    assert client.get(bill_url(), {"period": "abc"}).status_code == 404
    assert api_bill(client, period="abc").status_code in (400, 404)
    # Their own site they may see.
    assert client.get(bill_url(code="OTHER")).status_code == 200
    assert api_bill(client, code="OTHER").status_code == 200


def test_an_unknown_site_is_404(as_user, db):
    assert as_user.get(bill_url(code="NOPE")).status_code == 404
    assert as_user.get(bill_url("site-bill-export", code="NOPE")).status_code == 404
    assert api_bill(as_user, code="NOPE").status_code == 404


def test_a_site_without_a_tariff_shows_a_note_and_no_charges(as_user, site, device):
    ten_intervals(device)

    response = as_user.get(bill_url(), {"period": "2026-03"})
    rows = csv_rows(as_user.get(bill_url("site-bill-export"), {"period": "2026-03"}))
    answer = api_bill(as_user, period="2026-03").json()

    html = response.content.decode()
    assert response.status_code == 200
    assert "No tariff assigned" in html
    assert "The site has no tariff; assign one to price its energy." in html
    assert "No charges" in html
    assert response.context["document"]["lines"] == []
    # The energy is still counted: 10 x 1.5 = 15 kWh.
    assert "15 kWh imported" in html
    assert not [row for row in rows if row[0] in ("charge", "tax")]
    assert ["subtotal", "Subtotal", "", "ZAR", "", "", "0", "", ""] in rows
    assert (answer["tariff"], answer["lines"], answer["taxes"]) == (None, [], [])
    assert (answer["subtotal"], answer["total"]) == ("0", "0")
    assert (
        "The site has no tariff; assign one to price its energy." in (answer["notes"])
    )


def test_no_csv_cell_can_run_as_a_formula(as_user, site, device):
    """Names an admin typed that start like formulas (=, +, @, -) come out
    prefixed with an apostrophe, so a spreadsheet shows them as text."""
    body = {
        "tax_percent": "15",
        "tax_name": "@SUM(A1)",
        "charges": [
            {"kind": "energy_flat", "name": '=HYPERLINK("http://x","y")', "rate": "2"},
            {"kind": "fixed_period", "name": "-1+2", "amount": "10"},
        ],
    }
    priced_site(site, body, name="=cmd|' /C calc'!A0", description="+1+1")
    ten_intervals(device)

    response = as_user.get(bill_url("site-bill-export"), {"period": "2026-03"})

    rows = csv_rows(response)
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    descriptions = [row[1] for row in rows if row[0] in ("charge", "tax")]
    # 15 x 2 = 30.00 energy, 10.00 for the whole period; VAT on 40.00 = 6.00.
    assert descriptions == [
        '\'=HYPERLINK("http://x","y")',
        "'-1+2",
        "'@SUM(A1) 15 % of 40.00",
    ]
    assert ["total", "Total", "", "ZAR", "", "", "46.00", "", ""] in rows


# --------------------------------------------------------------- dashboard


def test_the_dashboard_shows_cost_today_and_this_month(as_user, site, device, frozen):
    """Now is noon on 15 March locally. Today (from 22:00 UTC on 14 March):
    0.5 + 1.5 + 1.5 = 3.5 kWh x 2.00 = 7.00. This month (from 22:00 UTC on 28
    February): today's 3.5 + 1.0 on 14 March + 2.0 on 1 March = 6.5 kWh x 2.00
    = 13.00. The 100 kWh at 23:45 on 28 February is last month. Energy charges
    only: no VAT."""
    priced_site(site)
    energy(device, datetime(2026, 3, 15, 6, 0, tzinfo=UTC), 1.5)
    energy(device, datetime(2026, 3, 15, 6, 15, tzinfo=UTC), 1.5)
    energy(device, datetime(2026, 3, 14, 22, 0, tzinfo=UTC), 0.5)
    energy(device, datetime(2026, 3, 14, 21, 45, tzinfo=UTC), 1.0)
    energy(device, datetime(2026, 2, 28, 22, 0, tzinfo=UTC), 2.0)
    energy(device, datetime(2026, 2, 28, 21, 45, tzinfo=UTC), 100.0)
    bare = create_site(code="BARE", name="No tariff plant", timezone="UTC")
    create_device(site=bare, external_id="BARE1", name="Bare meter")

    response = as_user.get(reverse("dashboard"))

    by_code = {s.site.code: s for s in response.context["overview"].sites}
    cost = by_code["JHB"].cost
    assert (cost.today, cost.month, cost.currency) == (
        Decimal("7.00"),
        Decimal("13.00"),
        "ZAR",
    )
    assert by_code["BARE"].cost is None
    html = response.content.decode()
    assert "<dt>Cost today</dt><dd>ZAR 7.00</dd>" in html
    assert "<dt>Cost this month</dt><dd>ZAR 13.00</dd>" in html
    assert html.count("<dt>Cost today</dt>") == 1
    assert bill_url() in html


def test_the_dashboard_shows_no_cost_for_energy_no_version_prices(
    as_user, site, device, frozen
):
    """The site's tariff has one version, from 1 April 2026. On 15 March its
    1.5 kWh today are not priced at all: like the device page and the energy
    API (null), the dashboard must not claim they cost ZAR 0.00."""
    tariff = create_tariff(utility="City Power", name="From April")
    save_version(tariff, parse_version(FLAT | {"valid_from": "2026-04-01"}))
    set_site_tariff(site, tariff)
    energy(device, datetime(2026, 3, 15, 6, 0, tzinfo=UTC), 1.5)

    response = as_user.get(reverse("dashboard"))
    api = energy_api(as_user, device, start="2026-03-15", end="2026-03-16").json()

    assert api["total_cost"] is None
    (summary,) = response.context["overview"].sites
    assert summary.cost is None or (summary.cost.today, summary.cost.month) == (
        None,
        None,
    )
    assert "ZAR 0.00" not in response.content.decode()


# --------------------------------------------------------------- device page


def test_the_device_page_shows_its_energy_cost(as_user, flat, device, frozen):
    """10 March locally holds 4 x 1.5 = 6 kWh x 2.00 = 12.00; 10 and 11 March
    hold all 15 kWh x 2.00 = 30.00."""
    url = reverse("device", args=[device.external_id])

    one_day = as_user.get(
        url, {"range": "custom", "start": "2026-03-10", "end": "2026-03-10"}
    )
    two_days = as_user.get(
        url, {"range": "custom", "start": "2026-03-10", "end": "2026-03-11"}
    )

    assert one_day.context["page"].energy_cost == Decimal("12.00")
    assert "<dt>Energy cost</dt><dd>ZAR 12.00</dd>" in one_day.content.decode()
    assert "<dt>Energy cost</dt><dd>ZAR 30.00</dd>" in two_days.content.decode()


def test_the_device_page_has_no_cost_without_a_tariff(as_user, device, frozen):
    ten_intervals(device)

    response = as_user.get(
        reverse("device", args=[device.external_id]),
        {"range": "custom", "start": "2026-03-10", "end": "2026-03-11"},
    )

    assert response.status_code == 200
    assert "Energy cost" not in response.content.decode()


# --------------------------------------------------------------- energy API


def energy_api(client, device, **params):
    return client.get(f"/api/v1/devices/{device.external_id}/energy", params)


def test_the_energy_api_has_a_cost_per_bucket_and_in_total(as_user, flat, device):
    """9 March: nothing, 0.0000. 10 March: 6 kWh x 2.00 = 12.0000. 11 March:
    9 kWh x 2.00 = 18.0000. Total 30.0000 (energy charges only, no VAT)."""
    response = energy_api(
        as_user, device, start="2026-03-09", end="2026-03-12", bucket="day"
    )

    assert response.status_code == 200
    answer = response.json()
    assert [(b["kwh_import"], b["cost"]) for b in answer["buckets"]] == [
        (0.0, "0.0000"),
        (6.0, "12.0000"),
        (9.0, "18.0000"),
    ]
    assert answer["total_cost"] == "30.0000"
    assert answer["currency"] == "ZAR"


def test_the_energy_api_cost_is_null_without_a_tariff(as_user, device):
    ten_intervals(device)

    answer = energy_api(
        as_user, device, start="2026-03-09", end="2026-03-12", bucket="day"
    ).json()

    assert [b["cost"] for b in answer["buckets"]] == [None, None, None]
    assert [b["kwh_import"] for b in answer["buckets"]] == [0.0, 6.0, 9.0]
    assert answer["total_cost"] is None
    assert answer["currency"] is None


def test_the_energy_api_cost_of_a_day_counts_blocks_from_the_period_start(
    as_user, site, device
):
    """Blocks: first 10 kWh of the billing period at 1.00, the rest at 2.00.
    1 March uses 9 kWh (9 x 1.00 = 9.00). On 2 March, 4 kWh: 1 kWh fills block
    1 (1 x 1.00) and 3 kWh fall in block 2 (3 x 2.00): 1.00 + 6.00 = 7.00,
    even when the request starts on 2 March."""
    priced_site(site, BLOCKS, name="Blocks")
    energy(device, datetime(2026, 3, 1, 6, 0, tzinfo=UTC), 9.0)
    energy(device, datetime(2026, 3, 2, 6, 0, tzinfo=UTC), 4.0)

    answer = energy_api(
        as_user, device, start="2026-03-02", end="2026-03-03", bucket="day"
    ).json()

    assert [b["cost"] for b in answer["buckets"]] == ["7.0000"]
    assert answer["total_cost"] == "7.0000"


def test_two_devices_costs_add_up_to_the_sites_under_inclining_blocks(
    as_user, site, device
):
    """Blocks: first 10 kWh of the period at 1.00, the rest at 2.00; no tax.
    At 08:00 on 2 March A uses 6 kWh and B 2 kWh: the site's 8 kWh are all in
    block 1, 8 x 1.00 = 8.00. At 08:15 A uses 1 and B 3: the site's 4 kWh
    are 2 kWh in block 1 (2.00) and 2 kWh in block 2 (4.00), 6.00. Site 14.00.
    Each device takes its kWh share of each interval's cost:
    A = 6/8 x 8.00 + 1/4 x 6.00 = 6.00 + 1.50 = 7.50;
    B = 2/8 x 8.00 + 3/4 x 6.00 = 2.00 + 4.50 = 6.50; 7.50 + 6.50 = 14.00.
    (Pricing each device alone would give 7.00 + 5.00 = 12.00, not the bill.)
    The bill: block 1, 10 kWh x 1.00 = 10.00; block 2, 2 kWh x 2.00 = 4.00."""
    priced_site(site, BLOCKS, name="Blocks")
    other = create_device(site=site, external_id="CLD00000002", name="Second")
    eight = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    energy(device, eight, 6.0)
    energy(other, eight, 2.0)
    energy(device, eight + QUARTER, 1.0)
    energy(other, eight + QUARTER, 3.0)

    def total_cost(meter) -> str:
        return energy_api(
            as_user, meter, start="2026-03-01", end="2026-04-01", bucket="month"
        ).json()["total_cost"]

    bill = api_bill(as_user, period="2026-03").json()

    assert total_cost(device) == "7.5000"
    assert total_cost(other) == "6.5000"
    assert [(line["quantity"], line["amount"]) for line in bill["lines"]] == [
        ("10", "10.00"),
        ("2", "4.00"),
    ]
    assert bill["subtotal"] == bill["total"] == "14.00"
    assert Decimal(total_cost(device)) + Decimal(total_cost(other)) == Decimal(
        bill["subtotal"]
    )


def test_anonymous_visitors_are_sent_to_sign_in(flat):
    visitor = Client()

    for url in (bill_url(), bill_url("site-bill-export")):
        response = visitor.get(url, {"period": "2026-03"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
