"""POST /api/v1/readings: the batch API, its errors and its limits."""

import gzip
import json

import pytest

from portal.ingest.keys import create_key, revoke_key
from portal.ingest.models import IngestEvent, IngestKey
from portal.metering.models import QualityEvent, Reading, StaleSpan

URL = "/api/v1/readings"


def post(client, body, secret, **extra):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        URL,
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **extra,
    )


def reading(minute: int, kwh: float, device: str = "CLD00000001", **values):
    return {
        "device": device,
        "time": f"2026-03-02T10:{minute:02d}:00+02:00",
        "kwh_import": kwh,
        **values,
    }


def test_it_stores_a_batch_and_answers_counts(client, device, ingest_secret):
    body = {"readings": [reading(0, 100.0, p_kw=12.5, v1_v=230.1), reading(1, 100.2)]}

    response = post(client, body, ingest_secret)

    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "accepted": 2,
        "duplicates": 0,
        "rejected": 0,
        "errors": [],
    }
    first = Reading.objects.filter(device=device).order_by("ts").first()
    # 10:00 at +02:00 is 08:00 UTC.
    assert first.ts.isoformat() == "2026-03-02T08:00:00+00:00"
    assert (first.kwh_import, first.p_kw, first.v1_v, first.i1_a) == (
        100.0,
        12.5,
        230.1,
        None,
    )


def test_it_marks_the_device_stale_in_the_same_write(client, device, ingest_secret):
    post(client, {"readings": [reading(5, 1.0), reading(0, 0.5)]}, ingest_secret)

    span = StaleSpan.objects.get(device=device)
    assert (span.start.minute, span.end.minute) == (0, 5)


def test_the_same_batch_twice_stores_nothing_the_second_time(
    client, device, ingest_secret
):
    body = {"readings": [reading(0, 100.0), reading(1, 100.2)]}
    post(client, body, ingest_secret)
    StaleSpan.objects.all().delete()

    second = post(client, body, ingest_secret).json()

    assert (second["accepted"], second["duplicates"]) == (0, 2)
    assert Reading.objects.count() == 2
    assert not StaleSpan.objects.exists()  # nothing new, nothing to recompute


def test_two_records_for_one_instant_in_a_batch_keep_the_first(
    client, device, ingest_secret
):
    body = {"readings": [reading(0, 100.0), reading(0, 999.0)]}

    answer = post(client, body, ingest_secret).json()

    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (1, 1, 0)
    assert Reading.objects.get().kwh_import == 100.0


@pytest.mark.parametrize(
    ("record", "field", "reason_part"),
    [
        (reading(0, 1.0, device="NOPE"), "device", "unknown device"),
        (
            {"device": "CLD00000001", "time": "yesterday", "kwh_import": 1.0},
            "time",
            "ISO 8601",
        ),
        (
            {"device": "CLD00000001", "time": "2026-03-02T10:00:00", "kwh_import": 1.0},
            "time",
            "offset",
        ),
        (reading(0, 1.0, v1_v=65535.0), "v1_v", "sentinel"),
        (reading(0, 3.4028235e38), "kwh_import", "sentinel"),
        (reading(0, "abc"), "kwh_import", "number"),
        (reading(0, 1.0, kwh_imprt=2.0), "kwh_imprt", "unknown field"),
        ({"time": "2026-03-02T10:00:00+02:00"}, "device", "required"),
        ("not an object", None, "JSON object"),
        ({"device": "CLD00000001", "time": "2099-01-01T00:00:00Z"}, "time", "ahead"),
    ],
)
def test_a_bad_record_is_rejected_and_the_rest_stored(
    client, device, ingest_secret, record, field, reason_part
):
    body = {"readings": [reading(0, 100.0), record, reading(2, 100.4)]}

    answer = post(client, body, ingest_secret).json()

    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    [error] = answer["errors"]
    assert error["index"] == 1
    assert error["field"] == field
    assert reason_part in error["reason"]


def test_nan_and_infinity_are_rejected(client, device, ingest_secret):
    # Python's json writes NaN/Infinity literals; some meters' gateways do too.
    body = (
        b'{"readings": [{"device": "CLD00000001", "time": "2026-03-02T08:00:00Z", "kwh_import": NaN},'
        b' {"device": "CLD00000001", "time": "2026-03-02T08:01:00Z", "p_kw": Infinity}]}'
    )

    answer = post(client, body, ingest_secret).json()

    assert answer["rejected"] == 2
    assert {e["field"] for e in answer["errors"]} == {"kwh_import", "p_kw"}


def test_a_reading_from_the_future_leaves_a_clock_ahead_event(
    client, device, ingest_secret
):
    post(
        client,
        {"readings": [{"device": "CLD00000001", "time": "2099-01-01T00:00:00Z"}]},
        ingest_secret,
    )

    event = QualityEvent.objects.get(device=device)
    assert event.kind == "clock_ahead"


def test_a_gzip_body_is_accepted(client, device, ingest_secret):
    body = gzip.compress(json.dumps({"readings": [reading(0, 1.0)]}).encode())

    response = post(client, body, ingest_secret, HTTP_CONTENT_ENCODING="gzip")

    assert response.json()["accepted"] == 1


def test_a_body_over_the_limit_is_413(client, device, ingest_secret, settings):
    settings.PORTAL_MAX_BODY_BYTES = 2000
    body = {"readings": [reading(i % 60, float(i)) for i in range(100)]}

    response = post(client, body, ingest_secret)

    assert response.status_code == 413
    assert "larger than 2000 bytes" in response.json()["detail"]
    assert not Reading.objects.exists()


def test_a_gzip_bomb_is_413(client, device, ingest_secret, settings):
    settings.PORTAL_MAX_BODY_BYTES = 100_000
    # 10 MB of zeros compress to about 10 kB: small on the wire, huge inflated.
    bomb = gzip.compress(b'{"readings": [' + b" " * 10_000_000 + b"]}")
    assert len(bomb) < 100_000

    response = post(client, bomb, ingest_secret, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 413


def test_a_broken_gzip_body_is_400(client, device, ingest_secret):
    response = post(
        client, b"\x1f\x8b not gzip", ingest_secret, HTTP_CONTENT_ENCODING="gzip"
    )

    assert response.status_code == 400
    assert "gzip" in response.json()["detail"]


def test_too_many_records_is_413(client, device, ingest_secret, settings):
    settings.PORTAL_MAX_BATCH_READINGS = 3
    body = {"readings": [reading(i, float(i)) for i in range(4)]}

    response = post(client, body, ingest_secret)

    assert response.status_code == 413
    assert "at most 3" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "detail_part"),
    [
        (b'{"readings": [', "malformed JSON"),
        (b"", "empty body"),
        (b"[1, 2]", '"readings" list'),
        (b'{"readings": {"device": "x"}}', '"readings" list'),
        (b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_a_malformed_body_is_400_with_a_reason(
    client, device, ingest_secret, body, detail_part
):
    response = post(client, body, ingest_secret)

    assert response.status_code == 400
    assert detail_part in response.json()["detail"]


def test_every_batch_leaves_an_ingest_event(client, device, ingest_secret):
    post(
        client,
        {"readings": [reading(0, 1.0), reading(1, 2.0, device="NOPE")]},
        ingest_secret,
    )

    event = IngestEvent.objects.get()
    assert (event.source, event.received, event.accepted, event.rejected) == (
        "api",
        2,
        1,
        1,
    )
    assert event.key.name == "meter gateway"
    assert event.errors[0]["reason"] == "unknown device 'NOPE'"
    assert event.bytes > 0


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer pk_wrong", "Token abc", "Basic !!!"]
)
def test_it_refuses_without_a_valid_key(client, device, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.post(
        URL, data=b'{"readings": []}', content_type="application/json", **extra
    )

    assert response.status_code == 401
    assert not IngestEvent.objects.exists()


def test_a_revoked_key_is_refused(client, device):
    key, secret = create_key("old", IngestKey.Scope.INGEST)
    revoke_key(key)

    assert post(client, {"readings": [reading(0, 1.0)]}, secret).status_code == 401


def test_a_read_key_cannot_send_readings(client, device, read_secret):
    assert post(client, {"readings": [reading(0, 1.0)]}, read_secret).status_code == 401


def test_the_key_works_as_a_basic_auth_password(client, device, ingest_secret):
    import base64

    token = base64.b64encode(f"axm:{ingest_secret}".encode()).decode()
    response = client.post(
        URL,
        data=json.dumps({"readings": [reading(0, 1.0)]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {token}",
    )

    assert response.json()["accepted"] == 1


def test_a_deactivated_device_is_refused_with_a_reason(client, device, ingest_secret):
    from portal.metering.actions import set_device_active

    set_device_active(device, False)

    answer = post(client, {"readings": [reading(0, 1.0)]}, ingest_secret).json()

    assert answer["errors"][0]["reason"] == "device 'CLD00000001' is deactivated"


def test_the_openapi_document_describes_the_batch(client):
    schema = client.get("/api/openapi.json").json()

    batch = schema["components"]["schemas"]["ReadingBatchIn"]
    reading_schema = schema["components"]["schemas"]["ReadingIn"]
    assert batch["properties"]["readings"]["items"]["$ref"].endswith("/ReadingIn")
    assert {"device", "time", "kwh_import", "p_kw", "frequency_hz"} <= set(
        reading_schema["properties"]
    )
    assert client.get("/api/docs").status_code == 200


def test_a_partition_is_made_for_a_month_never_seen_before(
    client, device, ingest_secret
):
    from django.db import connection

    # A meter whose clock is still at the factory date.
    old = {"device": "CLD00000001", "time": "2001-01-01T00:00:00Z", "kwh_import": 1.0}

    answer = post(client, {"readings": [old]}, ingest_secret).json()

    assert answer["accepted"] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('metering_reading_200101') IS NOT NULL")
        assert cursor.fetchone()[0] is True


def test_the_ingest_event_names_the_devices_a_batch_touched(
    client, device, ingest_secret
):
    post(
        client,
        {"readings": [reading(0, 1.0), reading(1, 2.0, device="NOPE")]},
        ingest_secret,
    )

    assert IngestEvent.objects.get().device_ids == [device.pk]


def test_a_read_request_with_an_ingest_key_is_told_which_key_reads(
    client, device, ingest_secret
):
    response = client.get(
        "/api/v1/devices/CLD00000001/energy",
        {"start": "2026-03-01", "end": "2026-03-02"},
        HTTP_AUTHORIZATION=f"Bearer {ingest_secret}",
    )

    assert response.status_code == 401
    assert "read key" in response.json()["detail"]


def test_a_read_key_records_when_it_was_last_used(client, device, read_secret):
    client.get(
        "/api/v1/devices/CLD00000001/energy",
        {"start": "2026-03-01", "end": "2026-03-02"},
        HTTP_AUTHORIZATION=f"Bearer {read_secret}",
    )

    assert IngestKey.objects.get(scope="read").last_used_at is not None
