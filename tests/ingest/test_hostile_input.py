"""Hostile and odd input found by probing the entry points: each case is
answered with a clear 4xx or a rejected record, never a 500, and nothing
valid in the same batch is lost."""

import gzip
import json

import pytest

from portal.ingest.models import IngestEvent
from portal.metering.actions import create_device
from portal.metering.models import QualityEvent, Reading

URL = "/api/v1/readings"
AXM_URL = "/api/v1/axm-web2/snapshots"


def post(client, body, secret, url=URL, **extra):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        url,
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **extra,
    )


GOOD = {"device": "CLD00000001", "time": "2026-03-02T08:00:00Z", "kwh_import": 1.0}


@pytest.mark.parametrize(
    ("record", "field", "reason_part"),
    [
        (
            {
                "device": "CLD00000001",
                "time": "1970-01-01T00:00:00Z",
                "kwh_import": 1.0,
            },
            "time",
            "earliest reading",
        ),
        (
            {
                "device": "CLD00000001",
                "time": "0001-01-01T00:00:00+14:00",
                "kwh_import": 1.0,
            },
            "time",
            "out of range",
        ),
        (
            {
                "device": "CLD\u00000001",
                "time": "2026-03-02T08:01:00Z",
                "kwh_import": 1.0,
            },
            "device",
            "characters",
        ),
        (
            {"device": "CLD00000001", "time": "2026-03-02T08:01:00Z", "p_kw": True},
            "p_kw",
            "number",
        ),
        (
            {"device": "CLD00000001", "time": "2026-03-02T08:01:00Z", "p_kw": "12.5"},
            "p_kw",
            "number",
        ),
        ({"device": "CLD00000001", "time": "2026-03-02T08:01:00Z"}, None, "no values"),
        (
            {"device": "CLD00000001", "time": "2026-03-02T08:01:00Z", "p_kw": None},
            None,
            "no values",
        ),
        (
            {
                "device": "CLD00000001",
                "time": "2026-03-02T08:01:00Z",
                "p_kw\u0000": 1.0,
            },
            "p_kw\\0",
            "unknown field",
        ),
    ],
)
def test_an_odd_record_is_rejected_and_the_good_one_kept(
    client, device, ingest_secret, record, field, reason_part
):
    response = post(client, {"readings": [GOOD, record]}, ingest_secret)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    [error] = answer["errors"]
    assert (error["index"], error["field"]) == (1, field)
    assert reason_part in error["reason"]
    assert IngestEvent.objects.get().accepted == 1  # the event was stored with them


def test_a_reading_before_the_earliest_accepted_leaves_a_clock_behind_event(
    client, device, ingest_secret
):
    post(
        client,
        {
            "readings": [
                {
                    "device": "CLD00000001",
                    "time": "1999-12-31T23:59:59Z",
                    "kwh_import": 1.0,
                }
            ]
        },
        ingest_secret,
    )

    assert QualityEvent.objects.get().kind == "clock_behind"
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"readings": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
        b'{"readings": [{"device": "CLD00000001", "time": "2026-03-02T08:00:00Z", "p_kw": '
        + b"9" * 5000
        + b"}]}",
    ],
    ids=["nested", "huge-integer"],
)
def test_json_that_python_cannot_hold_is_400(client, device, ingest_secret, body):
    response = post(client, body, ingest_secret)

    assert response.status_code == 400
    assert "malformed JSON" in response.json()["detail"]


def test_a_chunked_body_is_411(client, device, ingest_secret):
    response = post(
        client, {"readings": [GOOD]}, ingest_secret, HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411


def test_data_after_the_gzip_stream_is_400(client, device, ingest_secret):
    body = gzip.compress(json.dumps({"readings": [GOOD]}).encode()) + b"GARBAGE"

    response = post(client, body, ingest_secret, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 400
    assert not Reading.objects.exists()


def test_a_long_hostile_device_id_is_not_echoed_whole(client, device, ingest_secret):
    record = dict(GOOD, device="X" * 100_000)

    error = post(client, {"readings": [record]}, ingest_secret).json()["errors"][0]

    assert len(error["reason"]) < 400


def snapshot(serial, params, timestamp=1772402400):
    readings = [{"param": p, "value": v, "unit": u} for p, v, u in params]
    return {
        "timestamp": timestamp,
        "device": {"serial": serial, "model": "Acuvim-L", "readings": readings},
    }


def test_a_snapshot_value_that_overflows_its_unit_is_dropped_not_stored(
    client, device, ingest_secret
):
    # 1e308 MWh is 1e311 kWh: infinite as a float.
    body = snapshot("CLD00000001", [("Ep_imp", "1e308", "MWh"), ("V1", "230.0", "V")])

    answer = post(client, body, ingest_secret, AXM_URL).json()

    # One snapshot, stored without the impossible value; the dropped field is listed.
    assert (answer["received"], answer["accepted"], answer["rejected"]) == (1, 1, 0)
    assert answer["errors"][0]["field"] == "kwh_import"
    stored = Reading.objects.get()
    assert (stored.kwh_import, stored.v1_v) == (None, 230.0)


def test_snapshot_errors_point_at_the_right_snapshot(client, device, ingest_secret):
    unknown = snapshot("CLD99999999", [("V1", "230.0", "V")])
    timeless = snapshot("CLD00000001", [("V1", "230.0", "V")], timestamp=None)

    answer = post(client, [unknown, timeless], ingest_secret, AXM_URL).json()

    assert sorted((e["index"], e["field"]) for e in answer["errors"]) == [
        (0, "device"),
        (1, "time"),
    ]


def test_a_nul_in_a_device_path_is_404(client, device, read_secret):
    response = client.get(
        "/api/v1/devices/CLD%0000001/energy",
        {"start": "2026-03-01", "end": "2026-03-02"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-03-01", "end": "9999-12-31T23:59:59-12:00"},
        {
            "start": "2026-03-01",
            "end": "2026-03-02",
            "after": "0001-01-01T00:00:00+14:00",
        },
    ],
)
def test_readings_at_the_ends_of_the_calendar_are_400(
    client, device, read_secret, params
):
    response = client.get(
        "/api/v1/devices/CLD00000001/readings",
        params,
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert response.status_code == 400


def test_energy_at_the_ends_of_the_calendar_is_400(client, device, read_secret):
    response = client.get(
        "/api/v1/devices/CLD00000001/energy",
        {"start": "0001-01-01", "end": "0001-01-02"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert response.status_code == 400


def test_no_identifier_may_name_two_devices(site, device):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="serial"):
        create_device(
            site=site, external_id="OTHER", name="Other", serial="CLD00000001"
        )
    # A serial equal to another device's external id, and the other way round.
    with pytest.raises(ValidationError, match="serial"):
        create_device(site=site, external_id="B", name="B", serial="CLD00000001-X")
        create_device(site=site, external_id="C", name="C", serial="B")
    create_device(site=site, external_id="D", name="D", serial="SN-1")
    with pytest.raises(ValidationError, match="external_id"):
        create_device(site=site, external_id="SN-1", name="E")
