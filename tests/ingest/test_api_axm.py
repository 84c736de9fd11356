"""POST /api/v1/axm-web2/snapshots with the sample snapshots (tests/fixtures/acuvim).

The sample holds one snapshot a minute for six hours from two meters (serials
CLD00000002 and CLD00000003): 360 snapshots each, 720 in all.
"""

import json
from pathlib import Path

import pytest

from portal.metering.actions import create_device
from portal.metering.models import Reading

URL = "/api/v1/axm-web2/snapshots"
SAMPLE = (
    Path(__file__).parent.parent / "fixtures" / "acuvim" / "axm-web2-snapshots.jsonl"
)


@pytest.fixture
def meters(site):
    # One matched by its serial, one by its external id.
    return (
        create_device(site=site, external_id="PLANT-A", name="A", serial="CLD00000002"),
        create_device(site=site, external_id="CLD00000003", name="B"),
    )


def send(client, body: bytes, secret: str, content_type: str = "application/json"):
    return client.post(
        URL, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def test_the_sample_as_json_lines_is_stored_for_both_meters(
    client, meters, ingest_secret
):
    answer = send(
        client, SAMPLE.read_bytes(), ingest_secret, "application/x-ndjson"
    ).json()

    assert (answer["received"], answer["accepted"], answer["rejected"]) == (720, 720, 0)
    assert Reading.objects.filter(device=meters[0]).count() == 360
    assert Reading.objects.filter(device=meters[1]).count() == 360


def test_dashes_are_missing_values_not_errors(client, meters, ingest_secret):
    first = json.loads(SAMPLE.read_text().splitlines()[0])  # its "In" is "----"

    answer = send(client, json.dumps(first).encode(), ingest_secret).json()

    assert answer["accepted"] == 1
    stored = Reading.objects.get(device=meters[0])
    # Values from the sample's first line: V1 227.7 V, Psum 22.712 kW, Ep_imp 20411.5 kWh.
    assert (stored.v1_v, stored.p_kw, stored.kwh_import, stored.in_a) == (
        227.7,
        22.712,
        20411.5,
        None,
    )


def test_a_list_of_snapshots_and_the_older_shape_in_watts(
    client, meters, ingest_secret
):
    older = {
        "timestamp": "2026-03-02T08:00:00+02:00",
        "serial": "CLD00000003",
        "readings": [{"param": "Psum", "value": "2350", "unit": "W"}],
    }
    newer = json.loads(SAMPLE.read_text().splitlines()[0])

    answer = send(client, json.dumps([older, newer]).encode(), ingest_secret).json()

    assert answer["accepted"] == 2
    # 2350 W is 2.35 kW.
    assert Reading.objects.get(device=meters[1]).p_kw == 2.35


def test_an_unknown_meter_and_a_broken_snapshot_are_rejected_with_reasons(
    client, meters, ingest_secret
):
    stranger = json.loads(SAMPLE.read_text().splitlines()[0])
    stranger["device"]["serial"] = "CLD99999999"
    broken = {"gateway": {}, "device": {"serial": "CLD00000002", "readings": []}}

    answer = send(client, json.dumps([stranger, broken]).encode(), ingest_secret).json()

    assert (answer["accepted"], answer["rejected"]) == (0, 2)
    reasons = " / ".join(e["reason"] for e in answer["errors"])
    assert "unknown device 'CLD99999999'" in reasons


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "malformed JSON"),
        (b"", "empty body"),
        (b'"a string"', "expected a snapshot object or a list of them, found a string"),
        (b"[1, 2]", None),
    ],
)
def test_malformed_bodies_are_400_or_rejected_records(
    client, meters, ingest_secret, body, detail
):
    response = send(client, body, ingest_secret)

    if detail is None:  # a list of non-snapshots: each one is a rejected record
        assert response.json()["rejected"] == 2
    else:
        assert response.status_code == 400
        assert detail in response.json()["detail"]


def test_snapshots_need_an_ingest_key(client, meters, read_secret):
    assert send(client, SAMPLE.read_bytes()[:2000], read_secret).status_code == 401
