"""The batch API's fast path (msgspec) reads every batch it accepts exactly as
the record-by-record path does, and steps aside for anything else."""

import json

import pytest

from portal.ingest.schemas import read_batch_fast, read_record


def careful(body: bytes):
    return [read_record(i, item) for i, item in enumerate(json.loads(body)["readings"])]


VALID = [
    {
        "device": "M1",
        "time": "2026-03-02T10:00:00+02:00",
        "kwh_import": 100,
        "p_kw": -2.5,
    },
    {"device": "M1", "time": "2026-03-02T08:01:00Z", "v1_v": 230.1, "pf": 0.99},
    {"device": "M1", "time": "2026-03-02t08:02:00z", "kwh_export": 65535.0},
    {"device": "M2", "time": "2026-03-02T08:02:00.123456-05:45", "frequency_hz": 50.0},
    {"device": "M2", "time": "2026-03-02 08:03+05:30", "kvah": 0.0},
]


def test_valid_batches_read_the_same_on_both_paths():
    body = json.dumps({"readings": VALID}).encode()

    fast = read_batch_fast(body)

    assert fast is not None
    assert fast == careful(body)
    assert [r.index for r in fast] == [0, 1, 2, 3, 4]
    assert [r.ts.isoformat() for r in fast][:2] == [
        "2026-03-02T08:00:00+00:00",
        "2026-03-02T08:01:00+00:00",
    ]


@pytest.mark.parametrize(
    "odd",
    [
        {"device": "M1", "time": "2026-03-02T08:00:00Z", "p_kw": True},
        {"device": "M1", "time": "2026-03-02T08:00:00Z", "p_kw": "1.5"},
        {"device": "M1", "time": "2026-03-02T08:00:00Z", "p_kw": 1.5, "extra": 1},
        {"device": "M1", "time": "2026-03-02T08:00:00", "p_kw": 1.5},
        {"device": "M1", "time": "2026-W10-1T08:00:00Z", "p_kw": 1.5},
        {"device": "M1", "time": "2026-03-02T08:00:00.1234567Z", "p_kw": 1.5},
        {"device": "M1", "time": "2026-03-02T08:00:00Z"},
        {"device": "M1", "time": "2026-03-02T08:00:00Z", "v1_v": 65535},
        {
            "device": "M1",
            "time": "2026-03-02T08:00:00Z",
            "kwh_import": 3.4028234663852886e38,
        },
        {"device": "", "time": "2026-03-02T08:00:00Z", "p_kw": 1.5},
        {"device": "M\u00001", "time": "2026-03-02T08:00:00Z", "p_kw": 1.5},
        "not a record",
    ],
)
def test_anything_unusual_takes_the_careful_path(odd):
    body = json.dumps({"readings": [VALID[0], odd]}).encode()

    assert read_batch_fast(body) is None


def test_a_body_that_is_not_a_batch_takes_the_careful_path():
    assert read_batch_fast(b"[1, 2]") is None
    assert read_batch_fast(b'{"readings": [') is None
