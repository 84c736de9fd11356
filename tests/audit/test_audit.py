"""The audit trail: rows written once, never changed or deleted; a filterable
page and a CSV export for admins."""

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import User
from portal.audit.actions import COMMAND_LINE, Actor, changes_between, record
from portal.audit.models import AuditEntry, AuditEntryError


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser(
        email="boss@example.com", password="pw-boss-12345"
    )
    client = Client()
    client.force_login(admin)
    return client, admin


def test_a_row_cannot_be_changed_or_deleted(db):
    entry = record(COMMAND_LINE, "site.created", "site JHB", {})

    entry.target = "something else"
    with pytest.raises(AuditEntryError):
        entry.save()
    with pytest.raises(AuditEntryError):
        entry.delete()
    assert AuditEntry.objects.get().target == "site JHB"


def test_changes_list_only_what_differs():
    before = {"name": "Plant", "timezone": "UTC", "code": "P1"}
    after = {"name": "Plant", "timezone": "Africa/Johannesburg", "code": "P1"}

    assert changes_between(before, after) == {
        "timezone": {"before": "UTC", "after": "Africa/Johannesburg"}
    }


def test_the_page_filters_and_the_export_carries_the_same_rows(admin_client):
    client, admin = admin_client
    by = Actor(user=admin, address="192.0.2.5", label=admin.email)
    record(
        by, "site.created", "site NORTH", {"name": {"before": None, "after": "North"}}
    )
    record(COMMAND_LINE, "key.created", "key gateway", {})

    page = client.get(reverse("audit"), {"action": "site."}).content.decode()
    export = client.get(reverse("audit-export"), {"action": "site."})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))

    assert "site NORTH" in page and "key gateway" not in page
    assert rows[0][:5] == ["time (UTC)", "who", "address", "action", "target"]
    assert [r[1:5] for r in rows[1:]] == [
        ["boss@example.com", "192.0.2.5", "site.created", "site NORTH"]
    ]


def test_there_is_no_route_that_changes_or_deletes_a_row():
    from tests.test_personas import ROUTES

    audit_routes = {name for name, *_ in ROUTES if name.startswith("audit")}
    assert audit_routes == {"audit", "audit-export"}  # reading only


def test_changes_made_on_the_pages_are_recorded_with_who_and_before_and_after(
    admin_client,
):
    client, admin = admin_client
    client.post(
        reverse("site-create"),
        {"name": "North", "code": "NORTH", "timezone": "UTC", "address": ""},
    )
    client.post(
        reverse("site-edit", args=["NORTH"]),
        {"name": "North plant", "code": "NORTH", "timezone": "UTC", "address": ""},
        REMOTE_ADDR="198.51.100.9",
    )
    key_page = client.post(
        reverse("keys"), {"name": "gateway", "scope": "ingest"}
    ).content.decode()
    person = User.objects.create_user(
        email="viewer@example.com", password="pw-viewer-123"
    )
    client.post(
        reverse("user-password", args=[person.pk]),
        {"password": "brand-new-pass-77", "confirm": "brand-new-pass-77"},
    )

    entries = {e.action: e for e in AuditEntry.objects.all()}
    assert set(entries) >= {
        "site.created",
        "site.updated",
        "key.created",
        "user.password_set",
    }
    update = entries["site.updated"]
    assert (update.actor, update.actor_label, update.address) == (
        admin,
        "boss@example.com",
        "198.51.100.9",
    )
    assert update.changes == {"name": {"before": "North", "after": "North plant"}}
    # Secrets never enter the trail: not the key's, not the password.
    secret = re.search(r"pk_[A-Za-z0-9_-]{43}", key_page).group()
    trail = json.dumps([e.changes for e in AuditEntry.objects.all()])
    assert secret not in trail
    assert "brand-new-pass-77" not in trail


def test_the_command_line_is_recorded_as_such(db):
    from portal.ingest.keys import create_key
    from portal.metering.actions import create_site

    create_site(code="CLI", name="From the shell", timezone="UTC", by=COMMAND_LINE)
    create_key("script", by=COMMAND_LINE)

    assert set(AuditEntry.objects.values_list("actor_label", flat=True)) == {
        "command line"
    }


@pytest.mark.parametrize(
    ("proxies", "expected"),
    # The proxy appends the address it saw: with one trusted proxy the last
    # entry is the client; anything to its left could be forged by the client.
    [(0, "10.0.0.2"), (1, "203.0.113.50")],
)
def test_the_recorded_address_is_the_clients_behind_the_configured_proxies(
    admin_client, settings, proxies, expected
):
    client, _ = admin_client
    settings.PORTAL_PROXY_COUNT = proxies

    client.post(
        reverse("site-create"),
        {"name": "Edge", "code": "EDGE", "timezone": "UTC", "address": ""},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.50",
    )

    assert AuditEntry.objects.get(action="site.created").address == expected


def test_the_export_cannot_smuggle_a_formula_into_a_spreadsheet(admin_client):
    client, _ = admin_client
    record(
        Actor(label='=HYPERLINK("http://x")@example.com'), "site.created", "site X", {}
    )

    export = client.get(reverse("audit-export"))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))

    assert rows[1][1] == '\'=HYPERLINK("http://x")@example.com'


def test_an_export_with_a_bad_filter_is_refused_not_unfiltered(admin_client):
    client, _ = admin_client
    record(COMMAND_LINE, "site.created", "site X", {})

    response = client.get(reverse("audit-export"), {"since": "2026-13-45"})

    assert response.status_code == 400
    assert b"since" in response.content
