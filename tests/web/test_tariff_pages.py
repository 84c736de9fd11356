"""Settings → Tariffs: create a tariff, add, correct and delete its versions
(the charges edited as JSON and checked by the tariff document's schema),
import and export files, who may do it, and a site's tariff on its edit page."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal.audit.models import AuditEntry
from portal.tariffs.actions import create_tariff, export_document, save_version
from portal.tariffs.document import parse_version
from portal.tariffs.models import Tariff, TariffVersion, Utility

FLAT = {
    "tax_percent": "15",
    "charges": [{"kind": "energy_flat", "name": "Energy", "rate": "2.00"}],
}

# A time-of-use body whose schedule covers every quarter hour of every day
# type: off-peak 00:00-06:00 and 22:00-24:00, standard 06:00-22:00.
COVERED_DAY = [
    {"start": "00:00", "end": "06:00", "period": "off-peak"},
    {"start": "06:00", "end": "22:00", "period": "standard"},
    {"start": "22:00", "end": "24:00", "period": "off-peak"},
]


def tou_body(weekday: list[dict]) -> dict:
    return {
        "time_of_use": {
            "periods": ["off-peak", "standard"],
            "seasons": [{"name": "All", "months": list(range(1, 13))}],
            "schedule": {
                "All": {
                    "weekday": weekday,
                    "saturday": COVERED_DAY,
                    "sunday": COVERED_DAY,
                }
            },
        },
        "charges": [
            {
                "kind": "energy_tou",
                "rates": {"All": {"off-peak": "1.00", "standard": "2.00"}},
            }
        ],
    }


def document(name: str = "Imported flat", **version: object) -> dict:
    return {
        "format": "portal-tariff/1",
        "utility": {"name": "Eskom", "country": "ZA"},
        "name": name,
        "currency": "ZAR",
        "description": "From a file",
        "versions": [{"valid_from": "2026-01-01", **FLAT, **version}],
    }


def upload(data: bytes, name: str = "tariff.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/json")


def version_data(body: object, valid_from: str = "2026-01-01", valid_to: str = ""):
    text = body if isinstance(body, str) else json.dumps(body)
    return {"valid_from": valid_from, "valid_to": valid_to, "body": text}


@pytest.fixture
def tariff(db) -> Tariff:
    return create_tariff(utility="City Power", name="Business flat", currency="ZAR")


@pytest.fixture
def version(tariff) -> TariffVersion:
    """From 1 January 2026 to 1 July 2026 (exclusive), 2.00 ZAR/kWh and 15% VAT."""
    dates = {"valid_from": "2026-01-01", "valid_to": "2026-07-01"}
    return save_version(tariff, parse_version(FLAT | dates))


# --------------------------------------------------------------- create


def test_an_admin_creates_a_tariff_and_adds_a_version_it_then_describes(as_admin):
    created = as_admin.post(
        reverse("tariff-create"),
        {
            "utility": "City Power",
            "name": "Business flat",
            "currency": "ZAR",
            "description": "Small business, single rate",
        },
    )

    tariff = Tariff.objects.get(name="Business flat")
    assert created.status_code == 302
    assert created["Location"] == reverse("tariff", args=[tariff.pk])
    assert (tariff.utility.name, tariff.currency, tariff.description) == (
        "City Power",
        "ZAR",
        "Small business, single rate",
    )

    added = as_admin.post(
        reverse("version-create", args=[tariff.pk]), version_data(FLAT)
    )

    assert added.status_code == 302
    (row,) = tariff.versions.all()
    assert str(row.valid_from) == "2026-01-01" and row.valid_to is None
    html = as_admin.get(reverse("tariff", args=[tariff.pk])).content.decode()
    assert "From 2026-01-01" in html
    # 2.00 per kWh is shown as "2 ZAR/kWh"; the tax as "15 %".
    assert "<strong>Energy</strong>: 2 ZAR/kWh" in html
    assert "<strong>VAT</strong>: 15 %" in html
    assert "Small business, single rate" in html
    assert "Business flat" in as_admin.get(reverse("tariffs")).content.decode()


def test_a_tariff_name_in_use_is_refused(as_admin, tariff):
    response = as_admin.post(
        reverse("tariff-create"),
        {"utility": "Other", "name": "business FLAT", "currency": "ZAR"},
    )

    assert response.status_code == 200
    assert "exists" in " ".join(response.context["form"].errors["name"])
    assert Tariff.objects.count() == 1


def test_a_bad_currency_is_refused(as_admin, db):
    response = as_admin.post(
        reverse("tariff-create"),
        {"utility": "City Power", "name": "Business flat", "currency": "rand"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["currency"]
    assert not Tariff.objects.exists()


# --------------------------------------------------------------- invalid versions

BLOCKS_DOWN = {
    "charges": [
        {
            "kind": "energy_blocks",
            "blocks": [
                {"up_to_kwh": "10", "rate": "1.00"},
                {"up_to_kwh": "5", "rate": "2.00"},
                {"up_to_kwh": None, "rate": "3.00"},
            ],
        }
    ]
}
BLOCKS_UP = {
    "charges": [
        {
            "kind": "energy_blocks",
            "blocks": [
                {"up_to_kwh": "10", "rate": "1.00"},
                {"up_to_kwh": None, "rate": "2.00"},
            ],
        }
    ]
}
# The weekday leaves 06:00-06:15 out: standard starts at 06:15.
GAP_AT_SIX = tou_body(
    [
        {"start": "00:00", "end": "06:00", "period": "off-peak"},
        {"start": "06:15", "end": "24:00", "period": "standard"},
    ]
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            BLOCKS_DOWN,
            # Edges 0, 10, 5: block 2 ends at 5, which is not above 10.
            "charges[0].blocks: block 2 ends at 5 kWh, not above 10 kWh: "
            "blocks must increase",
        ),
        (
            GAP_AT_SIX,
            "time_of_use.schedule.All.weekday: 06:00 is in no period",
        ),
        (
            {"charges": [{"kind": "energy_flat", "rate": "-1"}]},
            "charges[0].rate: Input should be greater than or equal to 0",
        ),
        (
            {"charges": [{"kind": "energy_magic", "rate": "1"}]},
            "charges[0]: kind must be one of energy_flat, energy_blocks, "
            "energy_tou, fixed_daily, fixed_period, demand, capacity, reactive",
        ),
        ("rate = 2", "Not JSON: Expecting value at line 1."),
        (
            '[{"kind": "energy_flat", "rate": "1"}]',
            "The charges must be a JSON object.",
        ),
    ],
    ids=[
        "blocks-not-increasing",
        "quarter-hour-uncovered",
        "negative-rate",
        "unknown-kind",
        "not-json",
        "json-array",
    ],
)
def test_an_invalid_version_is_shown_with_the_schemas_message(
    as_admin, tariff, body, message
):
    response = as_admin.post(
        reverse("version-create", args=[tariff.pk]), version_data(body)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [message]
    html = response.content.decode()
    assert escape(message) in html
    assert "portal-field-error" in html
    assert not TariffVersion.objects.exists()
    assert not AuditEntry.objects.filter(action="tariff.version_added").exists()


def test_the_schema_accepts_the_fully_covered_time_of_use_body(as_admin, tariff):
    """The control for the uncovered quarter hour: the same body with 06:00
    covered is saved."""
    response = as_admin.post(
        reverse("version-create", args=[tariff.pk]), version_data(tou_body(COVERED_DAY))
    )

    assert response.status_code == 302
    assert tariff.versions.count() == 1


def test_valid_to_before_valid_from_is_refused(as_admin, tariff):
    response = as_admin.post(
        reverse("version-create", args=[tariff.pk]),
        version_data(FLAT, valid_from="2026-03-01", valid_to="2026-02-01"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [
        "valid_to must be after valid_from"
    ]
    assert not TariffVersion.objects.exists()


# --------------------------------------------------------------- overlaps


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "message"),
    [
        (
            "2026-06-01",
            "",
            # The stored version runs to 2026-07-01, past 2026-06-01.
            "the version from 2026-01-01 runs to 2026-07-01, past the start "
            "of the version from 2026-06-01",
        ),
        ("2026-01-01", "2026-02-01", "two versions start on 2026-01-01"),
        (
            "2025-12-01",
            "2026-01-15",
            "the version from 2025-12-01 runs to 2026-01-15, past the start "
            "of the version from 2026-01-01",
        ),
    ],
    ids=["starts-inside", "same-start", "ends-inside"],
)
def test_an_overlapping_version_is_refused(
    as_admin, tariff, version, valid_from, valid_to, message
):
    response = as_admin.post(
        reverse("version-create", args=[tariff.pk]),
        version_data(FLAT, valid_from, valid_to),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["valid_from"] == [message]
    assert escape(message) in response.content.decode()
    assert list(tariff.versions.all()) == [version]


def test_a_version_after_an_open_ended_one_is_accepted_and_ends_it(as_admin, tariff):
    """docs/TARIFFS.md: "A version without valid_to runs until the next
    version begins": a new version from 2026-06-01 after an open-ended one from
    2026-01-01 is how a price change is entered, not an overlap."""
    save_version(tariff, parse_version(FLAT | {"valid_from": "2026-01-01"}))

    response = as_admin.post(
        reverse("version-create", args=[tariff.pk]),
        version_data(FLAT, valid_from="2026-06-01"),
    )

    assert response.status_code == 302
    assert [str(v.valid_from) for v in tariff.versions.order_by("valid_from")] == [
        "2026-01-01",
        "2026-06-01",
    ]


def test_a_version_in_the_gap_after_a_closed_one_is_accepted(as_admin, tariff, version):
    """The control for the overlaps: starting on the stored version's
    valid_to (2026-07-01, exclusive) touches it without overlapping."""
    response = as_admin.post(
        reverse("version-create", args=[tariff.pk]),
        version_data(FLAT, valid_from="2026-07-01"),
    )

    assert response.status_code == 302
    assert [str(v.valid_from) for v in tariff.versions.order_by("valid_from")] == [
        "2026-01-01",
        "2026-07-01",
    ]


# --------------------------------------------------------------- edit and delete


def test_editing_a_version_changes_it_and_is_audited(as_admin, admin, tariff, version):
    url = reverse("version-edit", args=[tariff.pk, version.pk])
    form = as_admin.get(url)
    assert form.status_code == 200
    assert json.loads(form.context["form"].initial["body"])["charges"][0]["rate"] == (
        "2.00"
    )

    corrected = FLAT | {
        "charges": [{"kind": "energy_flat", "name": "Energy", "rate": "2.50"}]
    }
    response = as_admin.post(url, version_data(corrected, "2026-01-01", "2026-08-01"))

    assert response.status_code == 302
    version.refresh_from_db()
    assert str(version.valid_to) == "2026-08-01"
    assert Decimal(version.body["charges"][0]["rate"]) == Decimal("2.50")
    assert tariff.versions.count() == 1
    entry = AuditEntry.objects.get(action="tariff.version_changed")
    assert entry.actor == admin
    assert entry.target == "tariff Business flat from 2026-01-01"
    assert entry.changes["valid_to"] == {"before": "2026-07-01", "after": "2026-08-01"}
    html = as_admin.get(reverse("tariff", args=[tariff.pk])).content.decode()
    assert "<strong>Energy</strong>: 2.5 ZAR/kWh" in html
    assert "to 2026-08-01 (exclusive)" in html


def test_an_invalid_edit_leaves_the_version_as_it_was(as_admin, tariff, version):
    url = reverse("version-edit", args=[tariff.pk, version.pk])

    response = as_admin.post(url, version_data(BLOCKS_DOWN, "2026-01-01"))

    assert response.status_code == 200
    version.refresh_from_db()
    assert version.body["charges"][0]["kind"] == "energy_flat"
    assert not AuditEntry.objects.filter(action="tariff.version_changed").exists()


def test_a_version_of_another_tariff_is_404(as_admin, tariff, version):
    other = create_tariff(utility="City Power", name="Other")

    url = reverse("version-edit", args=[other.pk, version.pk])
    delete = reverse("version-delete", args=[other.pk, version.pk])

    assert as_admin.get(url).status_code == 404
    assert as_admin.post(delete).status_code == 404
    assert TariffVersion.objects.filter(pk=version.pk).exists()


def test_deleting_a_version(as_admin, tariff, version):
    response = as_admin.post(reverse("version-delete", args=[tariff.pk, version.pk]))

    assert response.status_code == 302
    assert not tariff.versions.exists()
    assert AuditEntry.objects.filter(action="tariff.version_deleted").exists()
    html = as_admin.get(reverse("tariff", args=[tariff.pk])).content.decode()
    assert "No versions yet" in html


def test_deleting_a_version_is_a_post(as_admin, tariff, version):
    url = reverse("version-delete", args=[tariff.pk, version.pk])

    assert as_admin.get(url).status_code == 405
    assert tariff.versions.count() == 1


# --------------------------------------------------------------- import


def test_importing_a_valid_file_stores_the_tariff(as_admin, db):
    data = json.dumps(document()).encode()

    response = as_admin.post(reverse("tariff-import"), {"file": upload(data)})

    tariff = Tariff.objects.get(name="Imported flat")
    assert response.status_code == 302
    assert response["Location"] == reverse("tariff", args=[tariff.pk])
    assert (tariff.utility.name, tariff.utility.country) == ("Eskom", "ZA")
    (row,) = tariff.versions.all()
    assert str(row.valid_from) == "2026-01-01"
    assert Decimal(row.body["charges"][0]["rate"]) == Decimal("2.00")
    assert Decimal(row.body["tax_percent"]) == Decimal("15")
    assert AuditEntry.objects.filter(action="tariff.imported").exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{not json", "line 1 column 2: not JSON: "),
        (b"\xff\xfe\x00", "the file is not UTF-8 text"),
        (
            json.dumps(document(charges=[{"kind": "energy_flat", "rate": "-1"}])),
            "versions[0].charges[0].rate: Input should be greater than or equal to 0",
        ),
        (
            json.dumps(document(tax_percent="150")),
            "versions[0].tax_percent: Input should be less than or equal to 100",
        ),
        (json.dumps([document()]), "Input should be"),
    ],
    ids=["not-json", "not-utf8", "negative-rate", "tax-over-100", "array"],
)
def test_an_invalid_file_imports_nothing(as_admin, db, data, problem):
    raw = data if isinstance(data, bytes) else data.encode()

    response = as_admin.post(reverse("tariff-import"), {"file": upload(raw)})

    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("Nothing was imported. ")
    assert problem in error
    assert escape(error) in response.content.decode()
    assert not Tariff.objects.exists()
    assert not TariffVersion.objects.exists()
    assert not Utility.objects.filter(name="Eskom").exists()


def test_a_file_naming_an_existing_tariff_imports_nothing_without_replace(
    as_admin, tariff, version
):
    doc = document(name="business flat") | {"utility": {"name": "New utility"}}

    response = as_admin.post(
        reverse("tariff-import"), {"file": upload(json.dumps(doc).encode())}
    )

    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("Nothing was imported. name: a tariff named")
    # The whole import is one transaction: not even the utility is kept.
    assert not Utility.objects.filter(name="New utility").exists()
    tariff.refresh_from_db()
    assert tariff.utility.name == "City Power"
    assert list(tariff.versions.all()) == [version]


def test_a_file_with_overlapping_versions_imports_nothing(as_admin, db):
    doc = document()
    doc["versions"] = [
        {"valid_from": "2026-01-01", "valid_to": "2026-07-01", **FLAT},
        {"valid_from": "2026-06-01", **FLAT},
    ]

    response = as_admin.post(
        reverse("tariff-import"), {"file": upload(json.dumps(doc).encode())}
    )

    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert error == (
        "Nothing was imported. versions: the version from 2026-01-01 runs to "
        "2026-07-01, past the start of the version from 2026-06-01"
    )
    assert not Tariff.objects.exists()


@pytest.mark.parametrize("size", [1_000_001, 3_000_000], ids=["one-over", "far-over"])
def test_a_file_over_the_size_limit_is_refused(as_admin, db, size):
    # A valid document padded with spaces past the limit of 1,000,000 bytes.
    valid = json.dumps(document()).encode()
    data = valid + b" " * (size - len(valid))
    assert len(data) == size

    response = as_admin.post(reverse("tariff-import"), {"file": upload(data)})

    assert response.status_code in (400, 413)
    (error,) = response.context["form"].errors["file"]
    assert "a tariff file may be at most" in error
    assert "Nothing was imported" in error
    assert escape(error) in response.content.decode()
    assert not Tariff.objects.exists()


def test_a_file_at_the_size_limit_is_imported(as_admin, db):
    valid = json.dumps(document()).encode()
    data = valid + b" " * (1_000_000 - len(valid))

    response = as_admin.post(reverse("tariff-import"), {"file": upload(data)})

    assert response.status_code == 302
    assert Tariff.objects.filter(name="Imported flat").exists()


def test_an_import_without_a_file_is_400(as_admin, db):
    # A browser sends the other fields of the form even when no file is chosen.
    response = as_admin.post(reverse("tariff-import"), {"replace": "on"})

    assert response.status_code == 400
    assert response.context["form"].errors["file"]


# --------------------------------------------------------------- export


def test_export_is_an_attachment_that_imports_back_unchanged(as_admin, tariff, version):
    save_version(tariff, parse_version({"valid_from": "2026-07-01"} | BLOCKS_UP))
    before = export_document(tariff)

    response = as_admin.get(reverse("tariff-export", args=[tariff.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tariff-Business-flat.json"'
    )
    exported = json.loads(response.content)
    assert exported == before
    assert [v["valid_from"] for v in exported["versions"]] == [
        "2026-01-01",
        "2026-07-01",
    ]

    deleted = as_admin.post(reverse("tariff-delete", args=[tariff.pk]))
    assert deleted.status_code == 302
    assert not Tariff.objects.exists()

    imported = as_admin.post(
        reverse("tariff-import"), {"file": upload(response.content)}
    )

    assert imported.status_code == 302
    again = Tariff.objects.get(name="Business flat")
    assert export_document(again) == before


def test_export_of_a_tariff_named_in_another_script_is_still_an_attachment(
    as_admin, db
):
    """The filename keeps letters and digits, and Cyrillic letters are letters:
    the header must still say `attachment` in plain ASCII (RFC 6266), not be
    MIME-encoded as a whole into =?utf-8?b?...?=, which browsers do not read."""
    tariff = create_tariff(utility="City Power", name="Тариф 2026")

    response = as_admin.get(reverse("tariff-export", args=[tariff.pk]))

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename="), disposition
    assert disposition.isascii()


def test_replace_overwrites_the_tariff_of_that_name(as_admin, tariff, version):
    doc = document(name="Business flat")
    doc["versions"][0]["charges"][0]["rate"] = "3.00"

    response = as_admin.post(
        reverse("tariff-import"),
        {"file": upload(json.dumps(doc).encode()), "replace": "on"},
    )

    assert response.status_code == 302
    (row,) = Tariff.objects.get(pk=tariff.pk).versions.all()
    assert Decimal(row.body["charges"][0]["rate"]) == Decimal("3.00")
    assert AuditEntry.objects.filter(action="tariff.replaced").exists()


# --------------------------------------------------------------- delete a tariff


def test_a_tariff_used_by_a_site_is_not_deleted(as_admin, tariff, site):
    site.tariff = tariff
    site.save()

    response = as_admin.post(reverse("tariff-delete", args=[tariff.pk]), follow=True)

    assert response.redirect_chain == [(reverse("tariff", args=[tariff.pk]), 302)]
    message = (
        "Tariff 'Business flat' is assigned to JHB; assign those sites another "
        "tariff first."
    )
    assert escape(message) in response.content.decode()
    assert Tariff.objects.filter(pk=tariff.pk).exists()
    assert not AuditEntry.objects.filter(action="tariff.deleted").exists()


def test_an_unused_tariff_is_deleted_with_its_versions(as_admin, tariff, version):
    response = as_admin.post(reverse("tariff-delete", args=[tariff.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("tariffs")
    assert not Tariff.objects.exists()
    assert not TariffVersion.objects.exists()
    assert AuditEntry.objects.filter(action="tariff.deleted").exists()


# --------------------------------------------------------------- who may


def admin_pages(tariff: Tariff, version: TariffVersion) -> list[tuple[str, str]]:
    return [
        ("get", reverse("tariffs")),
        ("get", reverse("tariff-create")),
        ("post", reverse("tariff-create")),
        ("get", reverse("tariff-import")),
        ("post", reverse("tariff-import")),
        ("get", reverse("tariff", args=[tariff.pk])),
        ("get", reverse("tariff-edit", args=[tariff.pk])),
        ("post", reverse("tariff-edit", args=[tariff.pk])),
        ("post", reverse("tariff-delete", args=[tariff.pk])),
        ("get", reverse("tariff-export", args=[tariff.pk])),
        ("get", reverse("version-create", args=[tariff.pk])),
        ("post", reverse("version-create", args=[tariff.pk])),
        ("get", reverse("version-edit", args=[tariff.pk, version.pk])),
        ("post", reverse("version-edit", args=[tariff.pk, version.pk])),
        ("post", reverse("version-delete", args=[tariff.pk, version.pk])),
    ]


def test_a_user_who_is_not_an_admin_gets_403_everywhere(as_user, tariff, version):
    for method, url in admin_pages(tariff, version):
        data = {"utility": "X", "name": "Hijacked", "currency": "ZAR"}
        response = getattr(as_user, method)(url, data if method == "post" else None)
        assert response.status_code == 403, (method, url)

    tariff.refresh_from_db()
    assert tariff.name == "Business flat"
    assert tariff.versions.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, tariff, version):
    for method, url in admin_pages(tariff, version):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(reverse("login"))
    assert Tariff.objects.count() == 1


def test_csrf_is_enforced(admin, db):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    data = {"utility": "City Power", "name": "Business flat", "currency": "ZAR"}

    refused = browser.post(reverse("tariff-create"), data)

    assert refused.status_code == 403
    assert not Tariff.objects.exists()

    # The control: the same POST with the form's token is accepted.
    browser.get(reverse("tariff-create"))
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        reverse("tariff-create"), data | {"csrfmiddlewaretoken": token}
    )

    assert accepted.status_code == 302
    assert Tariff.objects.filter(name="Business flat").exists()


def test_csrf_is_enforced_on_the_import_too(admin, db):
    """The import view is exempt from the middleware so its upload limit can
    be installed first, and checks the token itself."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    data = json.dumps(document()).encode()

    refused = browser.post(reverse("tariff-import"), {"file": upload(data)})

    assert refused.status_code == 403
    assert not Tariff.objects.exists()

    browser.get(reverse("tariff-import"))
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        reverse("tariff-import"), {"file": upload(data), "csrfmiddlewaretoken": token}
    )

    assert accepted.status_code == 302
    assert Tariff.objects.filter(name="Imported flat").exists()


# --------------------------------------------------------------- a site's tariff


def site_data(**fields: object) -> dict:
    return {
        "name": "Johannesburg plant",
        "code": "JHB",
        "timezone": "Africa/Johannesburg",
        "address": "",
        **fields,
    }


def test_the_site_form_assigns_tariff_billing_day_and_notified_demand(
    as_admin, site, tariff
):
    form = as_admin.get(reverse("site-edit", args=["JHB"])).content.decode()
    assert "Business flat" in form and "No tariff" in form

    response = as_admin.post(
        reverse("site-edit", args=["JHB"]),
        site_data(tariff=tariff.pk, billing_day=15, notified_demand_kva="500.5"),
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.tariff == tariff
    assert site.billing_day == 15
    assert site.notified_demand_kva == Decimal("500.5")
    entry = AuditEntry.objects.filter(action="site.updated").latest("pk")
    assert set(entry.changes) >= {"tariff", "billing_day", "notified_demand_kva"}


def test_the_site_form_takes_the_tariff_away(as_admin, site, tariff):
    site.tariff = tariff
    site.save()

    response = as_admin.post(
        reverse("site-edit", args=["JHB"]), site_data(tariff="", billing_day=1)
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.tariff is None


@pytest.mark.parametrize("day", ["0", "29", "-1", "x"])
def test_a_billing_day_outside_1_to_28_is_refused(as_admin, site, tariff, day):
    response = as_admin.post(
        reverse("site-edit", args=["JHB"]),
        site_data(tariff=tariff.pk, billing_day=day),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["billing_day"]
    site.refresh_from_db()
    assert site.billing_day == 1
    assert site.tariff is None


def test_a_negative_notified_demand_is_refused(as_admin, site):
    response = as_admin.post(
        reverse("site-edit", args=["JHB"]), site_data(notified_demand_kva="-5")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["notified_demand_kva"]
    site.refresh_from_db()
    assert site.notified_demand_kva is None


def test_the_tariff_page_lists_each_seasons_time_of_use_periods(as_admin):
    """The document's weekday schedule, read back in order, for both seasons
    of both its versions: four times."""
    from portal.tariffs.actions import import_tariff
    from portal.tariffs.document import parse_document
    from tests.tariffs.test_document import tou_document

    tariff = import_tariff(parse_document(tou_document()))

    html = as_admin.get(reverse("tariff", args=[tariff.pk])).content.decode()

    weekday = (
        "weekday: 00:00 to 06:00 off_peak, 06:00 to 09:00 peak, 09:00 to 17:00 "
        "standard, 17:00 to 19:00 peak, 19:00 to 22:00 standard, 22:00 to 24:00 "
        "off_peak"
    )
    assert html.count(weekday) == 4
    assert "sunday: 00:00 to 24:00 off_peak" in html
