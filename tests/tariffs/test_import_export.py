"""Reading tariff files, importing and exporting them, and the actions that
change tariffs and versions (portal.tariffs.actions), against PostgreSQL.

The rule under test throughout: a refused file or change stores nothing,
not a utility, a tariff, a version or an audit row."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.audit.actions import Actor
from portal.audit.models import AuditEntry
from portal.tariffs.actions import (
    MAX_DOCUMENT_BYTES,
    delete_tariff,
    export_document,
    import_tariff,
    read_document,
    save_version,
    set_site_tariff,
)
from portal.tariffs.document import DocumentError, parse_document, parse_version
from portal.tariffs.models import Tariff, TariffVersion, Utility
from tests.tariffs.test_document import (
    blocks_document,
    blocks_version,
    tou_document,
    tou_version,
)


def as_file(doc: dict) -> bytes:
    return json.dumps(doc, indent=2).encode()


def stored() -> dict[str, int]:
    return {
        "utilities": Utility.objects.count(),
        "tariffs": Tariff.objects.count(),
        "versions": TariffVersion.objects.count(),
        "audit rows": AuditEntry.objects.count(),
    }


def versions_of(tariff: Tariff) -> list[tuple]:
    return list(
        TariffVersion.objects.filter(tariff=tariff)
        .order_by("valid_from")
        .values_list("pk", "valid_from", "valid_to", "body")
    )


@pytest.fixture
def existing(db) -> Tariff:
    """A tariff already in the portal, so "nothing stored" is checked against
    a database that has something in it."""
    return import_tariff(parse_document(blocks_document()))


def _padded(size: int) -> bytes:
    raw = as_file(tou_document("Padded"))
    return raw[:-1] + b" " * (size - len(raw)) + raw[-1:]


@pytest.mark.parametrize(
    ("raw", "where", "why"),
    [
        pytest.param(
            b'{"format": "portal-tariff/1",\n  "name": }',
            "line 2 column 11",
            "not JSON",
            id="not-json",
        ),
        pytest.param(b"", "line 1 column 1", "not JSON", id="empty"),
        pytest.param(
            '{"format": "portal-tariff/1", "name": "Café"}'.encode("latin-1"),
            "",
            "not UTF-8",
            id="latin-1",
        ),
        pytest.param(
            # JSON's own decoder would quietly take UTF-16; the format is
            # UTF-8 only (docs/TARIFFS.md, "The tariff file").
            json.dumps(tou_document("Sixteen")).encode("utf-16"),
            "",
            "not UTF-8",
            id="utf-16",
        ),
        pytest.param(
            _padded(MAX_DOCUMENT_BYTES + 1),
            "",
            "over 1,000,000 bytes",
            id="over-the-size-limit",
        ),
        pytest.param(b"[" * 100_000, "", "nested too deeply", id="deeply-nested"),
        pytest.param(
            as_file(tou_document()).replace(b'"22.50"', b"NaN"),
            "versions[0].charges[2].rate",
            "finite number",
            id="bare-NaN",
        ),
        pytest.param(
            as_file(tou_document()).replace(b'"14.50"', b"Infinity"),
            "versions[0].charges[1].amount",
            "finite number",
            id="bare-Infinity",
        ),
        pytest.param(b"[]", "", "valid dictionary", id="not-an-object"),
    ],
)
def test_an_unreadable_file_is_refused_and_nothing_is_stored(existing, raw, where, why):
    before = stored()

    with pytest.raises(DocumentError) as caught:
        import_tariff(read_document(raw))

    assert caught.value.where == where, str(caught.value)
    assert why in caught.value.why
    assert stored() == before


def test_a_number_too_long_to_convert_is_refused_not_a_crash(existing):
    # json.loads raises a plain ValueError (not JSONDecodeError) for an
    # integer of more than 4,300 digits; the file must still be refused with
    # a DocumentError, which is what the command and the import page catch.
    before = stored()
    raw = as_file(blocks_document("Long number")).replace(b'"1.20"', b"1" + b"0" * 5000)

    with pytest.raises(DocumentError):
        import_tariff(read_document(raw))

    assert stored() == before


def test_a_file_of_exactly_the_size_limit_is_read():
    assert read_document(_padded(MAX_DOCUMENT_BYTES)).name == "Padded"


def test_a_valid_document_imports_with_its_versions(admin_user):
    by = Actor(user=admin_user, address="192.0.2.7", label=admin_user.email)

    tariff = import_tariff(read_document(as_file(tou_document())), by=by)

    tariff.refresh_from_db()
    assert (tariff.name, tariff.currency, tariff.utility.name) == (
        "Megaflex-like TOU",
        "ZAR",
        "Example Power Utility",
    )
    assert tariff.utility.country == "ZA"
    assert tariff.description.startswith("Illustrative time-of-use tariff.\n")
    rows = versions_of(tariff)
    assert [(str(f), str(t)) for _, f, t, _ in rows] == [
        ("2025-07-01", "2026-07-01"),
        ("2026-07-01", "None"),
    ]
    first_body = rows[0][3]
    assert [c["kind"] for c in first_body["charges"]] == [
        "energy_tou",
        "fixed_daily",
        "demand",
        "reactive",
        "capacity",
    ]
    assert first_body["holidays"]["country"] == "ZA"
    # Each stored version can be priced.
    assert len([row.priced() for row in tariff.versions.all()]) == 2
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target, entry.actor, entry.address) == (
        "tariff.imported",
        "tariff Megaflex-like TOU",
        admin_user,
        "192.0.2.7",
    )


def test_export_then_import_gives_back_the_same_document(db):
    original = tou_document()
    tariff = import_tariff(parse_document(original))
    exported = export_document(tariff)
    as_text = json.dumps(exported)  # plain JSON: no Decimal, date or object

    delete_tariff(tariff)
    again = import_tariff(read_document(as_text.encode()))

    assert export_document(again) == exported
    # ...and the export says what the original said, rate for rate.
    assert parse_document(exported) == parse_document(original)
    # Replacing a tariff with its own export changes nothing either.
    replaced = import_tariff(parse_document(exported), replace=True)
    assert export_document(replaced) == exported


def test_an_existing_name_without_replace_is_refused_and_changes_nothing(existing):
    old_versions = versions_of(existing)
    before = stored()
    doc = blocks_document()
    doc["utility"] = {"name": "Another Utility", "country": "ZA"}
    doc["versions"] = [blocks_version("2027-01-01")]

    with pytest.raises(DocumentError) as caught:
        import_tariff(parse_document(doc))

    assert caught.value.where == "name"
    assert "'Domestic 4-block' exists" in caught.value.why
    assert "replace" in caught.value.why
    assert versions_of(existing) == old_versions
    assert stored() == before  # not even the new utility
    existing.refresh_from_db()
    assert existing.utility.name == "Example Municipality"


def test_replace_swaps_the_versions_and_keeps_the_tariff(existing, site):
    set_site_tariff(site, existing)
    old_export = export_document(existing)
    doc = blocks_document()
    doc["description"] = "Prices from 2027"
    doc["versions"] = [
        blocks_version("2027-01-01"),
        blocks_version("2026-07-01", "2027-01-01"),
    ]
    doc["versions"][0]["charges"][1]["blocks"][0]["rate"] = "1.35"

    tariff = import_tariff(parse_document(doc), replace=True)

    assert tariff.pk == existing.pk
    assert Tariff.objects.count() == 1
    assert [(str(f), str(t)) for _, f, t, _ in versions_of(tariff)] == [
        ("2026-07-01", "2027-01-01"),
        ("2027-01-01", "None"),
    ]
    assert not TariffVersion.objects.filter(valid_from="2025-07-01").exists()
    site.refresh_from_db()
    assert site.tariff_id == tariff.pk  # the site keeps its tariff
    entry = AuditEntry.objects.filter(action="tariff.replaced").get()
    assert entry.target == "tariff Domestic 4-block"
    # The row keeps the whole document before and after, to undo by hand.
    assert json.loads(entry.changes["versions"]["before"]) == old_export["versions"]
    assert (
        json.loads(entry.changes["versions"]["after"])
        == (export_document(tariff)["versions"])
    )
    assert entry.changes["description"] == {
        "before": "",
        "after": "Prices from 2027",
    }


def test_a_file_whose_third_version_is_invalid_imports_nothing(existing):
    before = stored()
    doc = tou_document("Three versions")
    doc["utility"]["name"] = "A utility not yet known"
    doc["versions"][1]["valid_to"] = "2027-07-01"
    third = tou_version("2027-07-01")
    third["charges"][1]["amount"] = "-14.50"
    doc["versions"].append(third)

    with pytest.raises(DocumentError) as caught:
        import_tariff(read_document(as_file(doc)))

    assert str(caught.value).startswith("versions[2].charges[1].amount: ")
    assert stored() == before
    assert not Tariff.objects.filter(name__iexact="three versions").exists()


def test_names_clash_ignoring_case(existing):
    shouted = blocks_document(name="DOMESTIC 4-BLOCK")
    shouted["versions"] = [blocks_version("2027-01-01")]

    with pytest.raises(DocumentError) as caught:
        import_tariff(parse_document(shouted))
    assert "'Domestic 4-block' exists" in str(caught.value)

    replaced = import_tariff(parse_document(shouted), replace=True)
    assert replaced.pk == existing.pk
    assert Tariff.objects.count() == 1
    assert [str(f) for _, f, _, _ in versions_of(replaced)] == ["2027-01-01"]


def test_a_name_equal_in_lower_case_only_is_refused_not_a_crash(db):
    # The uniqueness constraint compares lower(name). U+212A KELVIN SIGN
    # lower-cases to "k" but upper-cases to itself, so a check by upper case
    # (name__iexact) misses this clash; the import must still refuse it with
    # a DocumentError, not end in an IntegrityError.
    import_tariff(parse_document(blocks_document(name="kWh tariff")))
    before = stored()

    with pytest.raises(DocumentError):
        import_tariff(parse_document(blocks_document(name="\u212aWh tariff")))

    assert stored() == before


def test_a_nul_in_the_description_is_refused_not_a_database_error(existing):
    # PostgreSQL text cannot hold U+0000; the document must be refused at
    # "description" like any other bad value, with nothing stored.
    before = stored()
    doc = tou_document("With a NUL")
    doc["description"] = "line one\u0000line two"

    with pytest.raises(DocumentError) as caught:
        import_tariff(read_document(as_file(doc)))

    assert caught.value.where == "description"
    assert stored() == before


def test_save_version_refuses_an_overlap_and_stores_nothing(existing):
    # existing: one version from 2025-07-01 to 2026-07-01
    before = stored()
    old_versions = versions_of(existing)

    for valid_from, valid_to, why in [
        ("2026-01-01", None, "past the start of the version from 2026-01-01"),
        ("2025-01-01", "2025-08-01", "the version from 2025-01-01 runs to 2025-08-01"),
        ("2025-07-01", "2025-08-01", "two versions start on 2025-07-01"),
    ]:
        with pytest.raises(DocumentError) as caught:
            save_version(existing, parse_version(blocks_version(valid_from, valid_to)))
        assert caught.value.where == "valid_from"
        assert why in caught.value.why

    assert versions_of(existing) == old_versions
    assert stored() == before


def test_save_version_adds_a_version_that_follows_and_corrects_one_in_place(
    existing,
):
    added = save_version(existing, parse_version(blocks_version("2026-07-01")))
    (first,) = existing.versions.filter(valid_from="2025-07-01")
    corrected = blocks_version("2025-07-01", "2026-07-01")
    corrected["tax_percent"] = 14

    # Correcting a version is not an overlap with itself.
    save_version(existing, parse_version(corrected), replacing=first)

    first.refresh_from_db()
    assert Decimal(first.body["tax_percent"]) == 14
    assert existing.versions.count() == 2
    assert str(added.valid_from) == "2026-07-01"
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "target"))
    assert actions[-2:] == [
        ("tariff.version_added", "tariff Domestic 4-block from 2026-07-01"),
        ("tariff.version_changed", "tariff Domestic 4-block from 2025-07-01"),
    ]


def test_a_tariff_a_site_uses_cannot_be_deleted(existing, site):
    from portal.metering.actions import create_site

    other = create_site(code="CPT", name="Cape Town depot", timezone="UTC")
    set_site_tariff(site, existing)
    set_site_tariff(other, existing)
    before = stored()

    with pytest.raises(ValidationError) as caught:
        delete_tariff(existing)

    message = " ".join(caught.value.messages)
    assert "CPT, JHB" in message  # names every site that uses it
    assert "Domestic 4-block" in message
    assert stored() == before
    assert Tariff.objects.filter(pk=existing.pk).exists()

    set_site_tariff(site, None)
    set_site_tariff(other, None)
    delete_tariff(existing)
    assert not Tariff.objects.exists()
    assert not TariffVersion.objects.exists()
    assert AuditEntry.objects.filter(
        action="tariff.deleted", target="tariff Domestic 4-block"
    ).exists()


def test_set_site_tariff_records_before_and_after(existing, site, admin_user):
    by = Actor(user=admin_user, label=admin_user.email)

    set_site_tariff(site, existing, billing_day=15, by=by)

    site.refresh_from_db()
    assert (site.tariff_id, site.billing_day) == (existing.pk, 15)
    entry = AuditEntry.objects.filter(action="site.updated").get()
    assert entry.changes == {
        "billing_day": {"before": 1, "after": 15},
        "tariff": {"before": None, "after": "Domestic 4-block"},
    }
    with pytest.raises(ValidationError):
        set_site_tariff(site, existing, billing_day=31)
    site.refresh_from_db()
    assert site.billing_day == 15
