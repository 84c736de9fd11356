import codecs
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.ingest.parsers.acuview_csv import iter_acuview_csv
from portal.ingest.parsers.portal_csv import HEADER, iter_portal_csv, write_portal_csv
from portal.ingest.records import FormatError, ReadingRecord, RecordError
from portal.metering.quantities import QUANTITIES

FIXTURES = Path(__file__).parent.parent / "fixtures" / "acuvim"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def export(records) -> str:
    out = io.StringIO(newline="")
    write_portal_csv(records, out)
    return out.getvalue()


def read(text: str | bytes) -> list[ReadingRecord | RecordError]:
    data = text.encode() if isinstance(text, str) else text
    return list(iter_portal_csv(io.BytesIO(data)))


# Values whose decimal forms are awkward: binary fractions, tiny and huge
# magnitudes, negative (a CT fitted backwards), and a sentinel-looking number
# that is a real register value once canonical.
AWKWARD = [
    ReadingRecord(
        "CLD00000001",
        utc(2026, 3, 1, 22, 0),
        {"kwh_import": 0.1 + 0.2, "p_kw": -2.35, "pf": 0.997, "kvah": 65535.0},
    ),
    ReadingRecord(
        'meter "7", hall B',
        datetime(2026, 3, 2, 0, 0, 0, 123456, tzinfo=UTC),
        {"v1_v": 1e-300, "kwh_export": 12345678901234567.0},
    ),
    ReadingRecord(
        "AN00000001/Acuvim-L",
        utc(2026, 11, 1, 7, 0),
        {quantity: float(n) / 3 for n, quantity in enumerate(QUANTITIES, 1)},
    ),
]


def test_a_written_file_reads_back_as_the_same_records():
    text = export(AWKWARD)
    assert read(text) == AWKWARD


def test_it_writes_the_documented_header_and_cells():
    text = export(AWKWARD[:1])
    header, line, end = text.split("\r\n")

    assert header.split(",") == ["device", "time", *QUANTITIES]
    assert tuple(header.split(",")) == HEADER
    cells = dict(zip(HEADER, line.split(","), strict=True))
    assert cells["time"] == "2026-03-01T22:00:00Z"
    assert cells["kwh_import"] == "0.30000000000000004"  # repr(0.1 + 0.2)
    assert cells["p_kw"] == "-2.35"
    assert cells["v1_v"] == ""
    assert end == ""


def test_it_counts_the_records_written():
    assert write_portal_csv(iter(AWKWARD), io.StringIO()) == 3
    assert write_portal_csv([], io.StringIO()) == 0


def test_the_sample_export_survives_a_round_trip():
    path = FIXTURES / "CLD00000001_Data Log 1_2026_03_04.csv"
    with path.open("rb") as stream:
        records = list(iter_acuview_csv(stream, ZoneInfo("Africa/Johannesburg"), "C1"))

    assert read(export(records)) == records


@pytest.mark.parametrize(
    "record",
    [
        ReadingRecord("C1", datetime(2026, 3, 1), {"p_kw": 1.0}),  # naive
        ReadingRecord("C1", utc(2026, 3, 1), {"watts": 1.0}),
        ReadingRecord("C1", utc(2026, 3, 1), {"p_kw": float("nan")}),
        ReadingRecord("C1\nC2", utc(2026, 3, 1), {"p_kw": 1.0}),
    ],
)
def test_it_refuses_to_write_what_would_not_read_back(record):
    with pytest.raises(ValueError):
        write_portal_csv([record], io.StringIO())


def test_it_writes_other_zones_as_utc():
    plus_two = timezone(timedelta(hours=2))
    record = ReadingRecord("C1", datetime(2026, 3, 2, tzinfo=plus_two), {"pf": 1.0})
    assert "2026-03-01T22:00:00Z" in export([record])


# --- reading ------------------------------------------------------------------


def test_it_reads_any_subset_of_columns_and_offsets():
    text = (
        "device,time,KWH_IMPORT,p_kw\r\n"
        "C1,2026-03-01T22:00:00Z,36855.1,\r\n"
        "C1,2026-03-01T22:01:00+00:00,,2.5\r\n"
        "C1,2026-03-02T00:02:00+02:00,36855.9,2.5\r\n"
    )
    assert read(text) == [
        ReadingRecord("C1", utc(2026, 3, 1, 22, 0), {"kwh_import": 36855.1}),
        ReadingRecord("C1", utc(2026, 3, 1, 22, 1), {"p_kw": 2.5}),
        ReadingRecord(
            "C1", utc(2026, 3, 1, 22, 2), {"kwh_import": 36855.9, "p_kw": 2.5}
        ),
    ]


def test_it_reads_a_spreadsheet_resave_with_byte_order_mark():
    data = codecs.BOM_UTF8 + b"device,time,pf\r\nC1,2026-03-01T22:00:00Z,0.9\r\n"
    assert read(data) == [ReadingRecord("C1", utc(2026, 3, 1, 22), {"pf": 0.9})]


def test_bad_lines_and_cells_are_errors_and_the_rest_goes_on():
    text = (
        "device,time,kwh_import,p_kw\n"
        "C1,2026-03-01T22:00:00,1.0,2.0\n"
        "C1,yesterday,1.0,2.0\n"
        ",2026-03-01T22:00:00Z,1.0,2.0\n"
        "C1,2026-03-01T22:01:00Z,----,2.0\n"
        "C1,2026-03-01T22:02:00Z,nan,\n"
        "C1,2026-03-01T22:03:00Z,,\n"
        "garbage\n"
        '"C1,2026-03-01T22:04:00Z,1.0,2.0\n'
        "\n"
        "C1,2026-03-01T22:05:00Z,1.5,2.5\n"
    )
    assert read(text) == [
        RecordError(2, "C1", "time", "time has no UTC offset (expected Z)"),
        RecordError(3, "C1", "time", "not an ISO 8601 time"),
        RecordError(4, None, "device", "no device"),
        RecordError(5, "C1", "kwh_import", "not a number"),
        ReadingRecord("C1", utc(2026, 3, 1, 22, 1), {"p_kw": 2.0}),
        RecordError(6, "C1", "kwh_import", "not a finite number"),
        RecordError(7, "C1", None, "no values"),
        RecordError(8, None, None, "line has 1 field, the header has 4"),
        RecordError(9, None, None, "line has 1 field, the header has 4"),
        ReadingRecord("C1", utc(2026, 3, 1, 22, 5), {"kwh_import": 1.5, "p_kw": 2.5}),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"No.,Time Stamp,Ep_Imp [kWh]\r\n", "the header starts 'No.,Time Stamp"),
        (b"device,time,kwh_import,watts\r\n", "unknown columns in the header: watts"),
        (b"device,time,pf,PF\r\n", "a column appears twice"),
        (b"PK\x03\x04\x14\x00", "found a ZIP archive"),
        (b'[{"device": "C1"}]', "found JSON, not CSV"),
    ],
)
def test_it_refuses_what_is_not_a_portal_csv(data, message):
    with pytest.raises(FormatError, match=message):
        read(data)
