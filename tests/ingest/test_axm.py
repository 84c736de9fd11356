import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.ingest.parsers.axm import parse_axm_snapshots
from portal.ingest.records import FormatError, ReadingRecord, RecordError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "acuvim"
GATEWAY = {"name": "AXM-WEB2", "model": "AXM-WEB2", "serial": "AN00000001"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def reading(param: str, value: str, unit: str) -> dict:
    return {"param": param, "value": value, "unit": unit}


def nested(readings, timestamp=1778252253, serial="CLD00000001", **device) -> dict:
    """A snapshot in the shape seen from a real module."""
    meter = {"name": "", "model": "Acuvim-L", "serial": serial, "online": True}
    meter.update(device, readings=readings)
    return {"timestamp": timestamp, "gateway": GATEWAY, "device": meter}


# The example of FORMATS.md, as the module sent it.
DOCUMENTED = nested(
    [
        reading("V1", "230.4", "V"),
        reading("V12", "399.1", "V"),
        reading("I1", "10.2", "A"),
        reading("In", "0.1", "A"),
        reading("P1", "2.35", "kW"),
        reading("Psum_kW", "7.05", "kW"),
        reading("Qsum_kvar", "0.42", "kvar"),
        reading("Ssum_kVA", "7.07", "kVA"),
        reading("PF", "0.997", ""),
        reading("Freq_Hz", "50.02", "Hz"),
        reading("Ep_imp", "12530.5", "kWh"),
    ]
)


def test_it_reads_the_nested_shape():
    records, errors = parse_axm_snapshots(DOCUMENTED)
    assert errors == []
    assert records == [
        ReadingRecord(
            "CLD00000001",
            utc(2026, 5, 8, 14, 57, 33),  # `date -u -d @1778252253`
            {
                "v1_v": 230.4,
                "v12_v": 399.1,
                "i1_a": 10.2,
                "in_a": 0.1,
                "p1_kw": 2.35,
                "p_kw": 7.05,
                "q_kvar": 0.42,
                "s_kva": 7.07,
                "pf": 0.997,
                "frequency_hz": 50.02,
                "kwh_import": 12530.5,
            },
        )
    ]


def test_it_reads_the_older_flat_shape_with_watts():
    snapshot = {
        "timestamp": "2026-03-02T00:00:00+02:00",
        "gateway": GATEWAY,
        "serial": "CLD00000009",
        "model": "Acuvim-II",
        "readings": [
            reading("Psum", "7050", "W"),
            reading("QSUM", "420", "var"),
            reading("Ssum", "7062.5", "VA"),
            reading("ep_IMP", "12.5", "MWh"),
        ],
    }
    records, errors = parse_axm_snapshots([snapshot])
    assert errors == []
    # By hand: 7050 W = 7.05 kW; 420 var = 0.42 kvar; 7062.5 VA = 7.0625 kVA;
    # 12.5 MWh = 12,500 kWh; midnight at UTC+2 is 22:00 UTC the day before.
    assert records == [
        ReadingRecord(
            "CLD00000009",
            utc(2026, 3, 1, 22),
            {"p_kw": 7.05, "q_kvar": 0.42, "s_kva": 7.0625, "kwh_import": 12500.0},
        )
    ]


def test_it_reads_the_sample_snapshots():
    lines = (FIXTURES / "axm-web2-snapshots.jsonl").read_text().splitlines()
    records, errors = parse_axm_snapshots([json.loads(line) for line in lines])

    # fixtures/acuvim/README.md: two meters, one snapshot a minute for six
    # hours (2 x 360), and an occasional "----" (8 of them, all for In).
    assert errors == []
    assert len(records) == 720
    assert {r.device for r in records} == {"CLD00000002", "CLD00000003"}
    assert len({(r.device, r.ts) for r in records}) == 720
    assert sum("in_a" not in r.values for r in records) == 8

    # The first line, read by hand; its In is "----".
    assert records[0] == ReadingRecord(
        "CLD00000002",
        utc(2026, 3, 1, 22, 0),  # 1772402400; midnight in Johannesburg
        {
            "v1_v": 227.7,
            "v2_v": 227.3,
            "v3_v": 231.3,
            "v12_v": 394.5,
            "i1_a": 35.16,
            "i2_a": 35.23,
            "i3_a": 34.61,
            "p_kw": 22.712,
            "q_kvar": 7.817,
            "s_kva": 24.019,
            "pf": 0.946,
            "frequency_hz": 50.02,
            "kwh_import": 20411.5,
        },
    )
    assert records[-1].ts == utc(2026, 3, 2, 3, 59)  # 1772423940
    assert records[-1].values["kwh_import"] == 1928.4


# --- values -------------------------------------------------------------------


def test_missing_values_and_sentinels_are_skipped_without_errors():
    snapshot = nested(
        [
            reading("V1", "----", "V"),
            reading("V2", "", "V"),
            reading("I1", "65535", "A"),
            reading("Ep_imp", "4294967295", "kWh"),
            reading("PF", "0.95", ""),
        ]
    )
    records, errors = parse_axm_snapshots(snapshot)
    assert errors == []
    assert records[0].values == {"pf": 0.95}


def test_unknown_params_are_ignored_and_the_first_usable_duplicate_counts():
    snapshot = nested(
        [
            reading("THD_V1", "2.1", "%"),
            {"value": "1"},
            "not a reading",
            reading("Psum_kW", "----", "kW"),
            reading("Psum", "7.05", "kW"),
            reading("P", "9.99", "kW"),
        ]
    )
    records, errors = parse_axm_snapshots(snapshot)
    assert errors == []
    assert records[0].values == {"p_kw": 7.05}


def test_a_unit_that_does_not_fit_is_an_error_for_that_field_only():
    snapshot = nested([reading("Psum", "7.05", "kWh"), reading("V1", "230", "V")])
    records, errors = parse_axm_snapshots(snapshot)
    assert errors == [
        RecordError(0, "CLD00000001", "p_kw", "unit 'kWh' does not fit p_kw")
    ]
    assert records[0].values == {"v1_v": 230.0}


def test_a_snapshot_without_values_is_an_error():
    offline = nested([reading("V1", "----", "V")], online=False)
    records, errors = parse_axm_snapshots([DOCUMENTED, offline])
    assert len(records) == 1
    assert errors == [RecordError(1, "CLD00000001", None, "no values (device offline)")]


# --- timestamps and devices ---------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (None, "no timestamp"),
        ("", "no timestamp"),
        ("2026-03-02T00:00:00", "timestamp has no UTC offset (the zone is missing)"),
        ("2026-03-02 00:00", "timestamp has no UTC offset (the zone is missing)"),
        ("yesterday", "timestamp is not ISO 8601"),
        (1778252253000, "timestamp out of range for Unix seconds"),
        (float("nan"), "timestamp out of range for Unix seconds"),
        (True, "timestamp is neither Unix seconds nor an ISO 8601 string"),
        ({"s": 1}, "timestamp is neither Unix seconds nor an ISO 8601 string"),
    ],
)
def test_a_snapshot_without_a_usable_timestamp_is_an_error(timestamp, reason):
    bad = dict(DOCUMENTED, timestamp=timestamp)
    records, errors = parse_axm_snapshots([DOCUMENTED, bad, DOCUMENTED])
    assert len(records) == 2
    assert errors == [RecordError(1, "CLD00000001", "time", reason)]


def test_a_missing_timestamp_key_is_an_error():
    bad = {key: value for key, value in DOCUMENTED.items() if key != "timestamp"}
    _, errors = parse_axm_snapshots([bad])
    assert errors == [RecordError(0, "CLD00000001", "time", "no timestamp")]


def test_iso_timestamps_with_z_or_offset_are_utc():
    for timestamp in ("2026-03-01T22:00:00Z", "2026-03-01T16:00:00-06:00"):
        records, _ = parse_axm_snapshots(dict(DOCUMENTED, timestamp=timestamp))
        assert records[0].ts == utc(2026, 3, 1, 22)


def test_without_a_serial_the_device_is_gateway_and_model():
    records, errors = parse_axm_snapshots(
        nested([reading("V1", "230", "V")], serial="")
    )
    assert errors == []
    assert records[0].device == "AN00000001/Acuvim-L"


def test_without_any_identifier_the_snapshot_is_an_error():
    snapshot = nested([reading("V1", "230", "V")], serial=" ", model="")
    records, errors = parse_axm_snapshots(snapshot)
    assert records == []
    assert errors == [
        RecordError(
            0, None, "device", "no device serial, nor a gateway serial and device model"
        )
    ]


# --- payloads -----------------------------------------------------------------


def test_items_that_are_not_snapshots_are_errors():
    records, errors = parse_axm_snapshots([DOCUMENTED, "hello", [], {"gateway": {}}])
    assert len(records) == 1
    assert errors[:2] == [
        RecordError(1, None, None, "snapshot is a string"),
        RecordError(2, None, None, "snapshot is an array"),
    ]
    assert {e.field for e in errors[2:]} == {"device", "time", None}
    assert {e.index for e in errors[2:]} == {3}


@pytest.mark.parametrize(("payload", "found"), [("x", "a string"), (None, "null")])
def test_a_payload_that_is_not_snapshots_is_a_format_error(payload, found):
    with pytest.raises(FormatError, match=f"found {found}"):
        parse_axm_snapshots(payload)


def test_an_empty_list_gives_nothing():
    assert parse_axm_snapshots([]) == ([], [])
