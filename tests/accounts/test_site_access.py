"""A user limited to some sites sees only those sites and their devices,
everywhere; another site's device answers 404, not 403."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.models import User
from portal.ingest.actions import ingest_records
from portal.ingest.records import ReadingRecord
from portal.metering.actions import create_device, create_site


@pytest.fixture
def two_sites(db):
    north = create_site(
        code="NORTH", name="North plant", timezone="Africa/Johannesburg"
    )
    south = create_site(
        code="SOUTH", name="South plant", timezone="Africa/Johannesburg"
    )
    create_device(site=north, external_id="N1", name="North incomer")
    create_device(site=south, external_id="S1", name="South incomer")
    return north, south


@pytest.fixture
def limited(two_sites):
    user = User.objects.create_user(email="north@example.com", password="pw-north-123")
    user.limited_to_sites = True
    user.save()
    user.sites.add(two_sites[0])
    return user


def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_limited_user_sees_only_their_sites_devices(client, limited):
    body = signed_in(client, limited).get("/devices/").content.decode()

    assert "North incomer" in body
    assert "South incomer" not in body


def test_another_sites_device_is_404_on_pages_exports_and_the_api(client, limited):
    signed_in(client, limited)

    assert client.get("/devices/S1/").status_code == 404
    assert client.get("/devices/S1/readings.csv").status_code == 404
    assert (
        client.get(
            "/api/v1/devices/S1/energy", {"start": "2026-03-01", "end": "2026-03-02"}
        ).status_code
        == 404
    )
    assert client.get("/devices/N1/").status_code == 200


def test_the_dashboard_and_sites_list_show_only_their_sites(client, limited):
    signed_in(client, limited)

    for page in ("/", "/sites/"):
        body = client.get(page).content.decode()
        assert "North plant" in body
        assert "South plant" not in body


def test_ingest_events_show_only_batches_about_their_devices(client, limited):
    ts = datetime(2026, 3, 2, 8, tzinfo=UTC)
    ingest_records(
        [ReadingRecord("N1", ts, {"kwh_import": 1.0})],
        source="api",
        filename="north.csv",
    )
    ingest_records(
        [ReadingRecord("S1", ts, {"kwh_import": 1.0})],
        source="api",
        filename="south.csv",
    )

    body = signed_in(client, limited).get("/ingest/events").content.decode()

    assert "north.csv" in body
    assert "south.csv" not in body


def test_a_limited_user_with_no_sites_sees_nothing(client, limited):
    limited.sites.clear()

    body = signed_in(client, limited).get("/devices/").content.decode()

    assert "North incomer" not in body and "South incomer" not in body


def test_unrestricted_users_and_admins_see_every_site(client, two_sites):
    user = User.objects.create_user(email="all@example.com", password="pw-all-12345")
    admin = User.objects.create_superuser(
        email="boss@example.com", password="pw-boss-12345"
    )
    admin.limited_to_sites = True  # ignored for an admin
    admin.save()

    for person in (user, admin):
        body = signed_in(client, person).get("/devices/").content.decode()
        assert "North incomer" in body and "South incomer" in body


def test_a_read_key_is_not_limited(client, two_sites, read_secret):
    response = client.get(
        "/api/v1/devices/S1/energy",
        {"start": "2026-03-01", "end": "2026-03-02"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert response.status_code == 200


def test_a_session_ends_after_a_day_without_requests_and_each_request_renews_it(
    client, limited
):
    import time_machine
    from django.contrib.sessions.models import Session

    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        signed_in(client, limited).get("/devices/")
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        assert client.get("/devices/").status_code == 200  # renewed: 20 h idle
    expiry = Session.objects.get().expire_date
    assert expiry == start + timedelta(hours=44)  # 20 h + the 24 h idle limit

    with time_machine.travel(start + timedelta(hours=45), tick=False):
        response = client.get("/devices/")
    assert response.status_code == 302  # more than 24 h idle: signed out
