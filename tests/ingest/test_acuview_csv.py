import codecs
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.ingest.parsers.acuview_csv import iter_acuview_csv
from portal.ingest.records import FormatError, ReadingRecord, RecordError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "acuvim"
FIRST_EXPORT = FIXTURES / "CLD00000001_Data Log 1_2026_03_04.csv"
SECOND_EXPORT = FIXTURES / "CLD00000001_Data Log 1_2026_03_07.csv"

JOHANNESBURG = ZoneInfo("Africa/Johannesburg")  # UTC+2 all year
CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")

TITLE = "Data Log 1,\r\n"
HEADER = "No.,Time Stamp,Ep_Imp [kWh],Ep_Exp [kWh],\r\n"


def row(number: int, local_time: str, *cells: str) -> str:
    """A data line the way Acuview writes it: space before comma, comma at end."""
    return f"{number},{local_time} ," + "".join(f"{cell} ," for cell in cells) + "\r\n"


def read(data: bytes | str, tz: ZoneInfo = JOHANNESBURG, device: str = "CLD1"):
    """The reader (for its report) and everything it yielded."""
    if isinstance(data, str):
        data = data.encode()
    reader = iter_acuview_csv(io.BytesIO(data), tz, device)
    return reader, list(reader)


def records(items):
    return [item for item in items if isinstance(item, ReadingRecord)]


def errors(items):
    return [item for item in items if isinstance(item, RecordError)]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the sample exports -------------------------------------------------------


def read_export(path: Path):
    with path.open("rb") as stream:
        reader = iter_acuview_csv(stream, JOHANNESBURG, "CLD00000001")
        return reader, list(reader)


def test_the_two_sample_exports_hold_7200_distinct_readings():
    # fixtures/acuvim/README.md: 7,200 distinct readings together, the second
    # export repeating the last hour (60 records) of the first.
    _, first = read_export(FIRST_EXPORT)
    _, second = read_export(SECOND_EXPORT)
    assert errors(first + second) == []
    assert (len(first), len(second)) == (3600, 3660)

    keys = {(r.device, r.ts) for r in first + second}
    assert len(keys) == 7200

    overlap = {r.ts for r in first} & {r.ts for r in second}
    assert len(overlap) == 60
    repeated = {r.ts: r for r in second if r.ts in overlap}
    assert all(repeated[r.ts] == r for r in first if r.ts in overlap)


def test_the_sample_export_reads_its_first_and_last_lines():
    reader, first = read_export(FIRST_EXPORT)
    _, second = read_export(SECOND_EXPORT)

    # Line 3 of the first export: "1,2026-03-02 00:00:00 ,36855.1 ,9953.4 ,3.4
    # ,52652.9 ,"; midnight in Johannesburg (UTC+2) is 22:00 UTC the day before.
    assert first[0] == ReadingRecord(
        "CLD00000001",
        utc(2026, 3, 1, 22, 0),
        {
            "kwh_import": 36855.1,
            "kwh_export": 9953.4,
            "kvarh_import": 3.4,
            "kvarh_export": 52652.9,
        },
    )
    # Last line of the second export: "7200,2026-03-06 23:59:00 ,41499.0 ,...".
    assert second[-1].ts == utc(2026, 3, 6, 21, 59)
    assert second[-1].values["kwh_import"] == 41499.0

    # The README: the import register rises by 4,643.9 kWh.
    rise = second[-1].values["kwh_import"] - first[0].values["kwh_import"]
    assert rise == pytest.approx(4643.9, abs=1e-6)

    assert reader.ignored_columns == {}
    assert reader.ambiguous_resolved == reader.nonexistent_rejected == 0
    assert "Africa/Johannesburg" in reader.rule


# --- encodings and delimiters -------------------------------------------------

PLAIN = TITLE + HEADER + row(1, "2026-03-02 00:00:00", "36855.1", "9953.4")
PLAIN_RECORD = ReadingRecord(
    "CLD1", utc(2026, 3, 1, 22), {"kwh_import": 36855.1, "kwh_export": 9953.4}
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + PLAIN.encode(), "UTF-8 with byte-order mark"),
        (codecs.BOM_UTF16_LE + PLAIN.encode("utf-16-le"), "UTF-16 LE"),
        (codecs.BOM_UTF16_BE + PLAIN.encode("utf-16-be"), "UTF-16 BE"),
    ],
)
def test_it_reads_windows_encodings(data, encoding):
    reader, items = read(data)
    assert items == [PLAIN_RECORD]
    assert reader.encoding == encoding


def test_it_reads_semicolons_with_decimal_commas():
    data = (
        "Data Log 1;\r\n"
        "No.;Time Stamp;Ep_Imp [kWh];Ep_Exp [kWh];\r\n"
        "1;2026-03-02 00:00:00;36855,1;9953,4;\r\n"
        "2;02.03.2026 00:01;36855,7;9953;\r\n"  # a spreadsheet's own date format
        "3;2026-03-02 00:02:00;36.856,4;9953,4;\r\n"  # digit grouping: refused
    )
    _, items = read(data)
    assert items == [
        PLAIN_RECORD,
        ReadingRecord(
            "CLD1",
            utc(2026, 3, 1, 22, 1),
            {"kwh_import": 36855.7, "kwh_export": 9953.0},
        ),
        RecordError(5, "CLD1", "kwh_import", "not a number"),
        ReadingRecord("CLD1", utc(2026, 3, 1, 22, 2), {"kwh_export": 9953.4}),
    ]


def test_it_reads_a_file_without_title_or_padding():
    data = "No.,Time Stamp,Ep_Imp [kWh]\n1,2026-03-02 00:00:00,36855.1\n"
    _, items = read(data)
    assert items == [
        ReadingRecord("CLD1", utc(2026, 3, 1, 22), {"kwh_import": 36855.1})
    ]


# --- columns and units --------------------------------------------------------


def test_it_converts_watts_and_watt_hours():
    data = (
        TITLE
        + "No.,Time Stamp,Psum [W],Qsum [var],Ssum [VA],"
        + "Ep_Imp [Wh],Eq_Exp [Mvarh],PF,\r\n"
        + row(
            1, "2026-03-02 00:00:00", "2350", "420", "2400", "36855100", "1.5", "0.98"
        )
    )
    _, items = read(data)
    # By hand: 2350 W = 2.35 kW, 420 var = 0.42 kvar, 2400 VA = 2.4 kVA,
    # 36,855,100 Wh = 36,855.1 kWh, 1.5 Mvarh = 1,500 kvarh.
    assert items[0].values == {
        "p_kw": 2.35,
        "q_kvar": 0.42,
        "s_kva": 2.4,
        "kwh_import": 36855.1,
        "kvarh_export": 1500.0,
        "pf": 0.98,
    }


def test_it_ignores_unknown_columns_and_reports_them_once():
    data = (
        TITLE
        + "No.,Time Stamp,Ep_Imp [kWh],Temp [C],Ep_Exp [V],Ep_Imp [kWh],V1,\r\n"
        + row(1, "2026-03-02 00:00:00", "36855.1", "21.5", "1", "99", "230")
        + row(2, "2026-03-02 00:01:00", "36855.7", "21.6", "1", "99", "230")
    )
    reader, items = read(data)
    assert reader.ignored_columns == {
        "Temp [C]": "unknown quantity",
        "Ep_Exp [V]": "unit 'V' does not fit kwh_export",
        "Ep_Imp [kWh]": "repeats the column 'Ep_Imp [kWh]'",
        "V1": "no unit given for v1_v",
    }
    assert [r.values for r in items] == [
        {"kwh_import": 36855.1},
        {"kwh_import": 36855.7},
    ]


def test_it_refuses_a_header_without_any_known_quantity():
    with pytest.raises(FormatError, match="no column with a known quantity"):
        read(TITLE + "No.,Time Stamp,Temp [C],\r\n")


# --- bad lines and cells ------------------------------------------------------


def test_a_garbage_line_is_an_error_and_the_rest_goes_on():
    data = (
        TITLE
        + HEADER
        + row(1, "2026-03-02 00:00:00", "36855.1", "9953.4")
        + "#### power cut ####\r\n"
        + "2,2026-03-02 00:01:00 ,1 ,2 ,3 ,4 ,\r\n"
        + "3,yesterday ,36855.9 ,9953.4 ,\r\n"
        + "4,2026-03-02 00:\xff\xfe:00 ,36855.9 ,9953.4 ,\r\n"
        + "\r\n"
        + row(5, "2026-03-02 00:04:00", "36856.0", "9953.4")
    ).encode("latin-1")
    _, items = read(data)
    assert errors(items) == [
        RecordError(4, "CLD1", None, "line has 1 field, the header has 4"),
        RecordError(5, "CLD1", None, "line has 6 fields, the header has 4"),
        RecordError(
            6, "CLD1", "time", "not a date and time (expected YYYY-MM-DD HH:MM:SS)"
        ),
        RecordError(7, "CLD1", None, "line is not readable text"),
    ]
    assert [r.ts.minute for r in records(items)] == [0, 4]


def test_a_bad_cell_is_an_error_and_the_other_cells_still_count():
    data = (
        TITLE
        + HEADER
        + row(1, "2026-03-02 00:00:00", "n/a", "9953.4")
        + row(2, "2026-03-02 00:01:00", "36855.7", "3.40282e+38")
        + row(3, "2026-03-02 00:02:00", "", "9953.4")
        + row(4, "2026-03-02 00:03:00", "", "")
    )
    _, items = read(data)
    assert items == [
        RecordError(3, "CLD1", "kwh_import", "not a number"),
        ReadingRecord("CLD1", utc(2026, 3, 1, 22, 0), {"kwh_export": 9953.4}),
        RecordError(
            4,
            "CLD1",
            "kwh_export",
            "sentinel value float32 max (meter reports no value)",
        ),
        ReadingRecord("CLD1", utc(2026, 3, 1, 22, 1), {"kwh_import": 36855.7}),
        ReadingRecord("CLD1", utc(2026, 3, 1, 22, 2), {"kwh_export": 9953.4}),
        RecordError(6, "CLD1", None, "no values"),
    ]


# --- files that are not exports -----------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n", "the file is empty"),
        (b"Data Log 1,\r\n", "found only one line, and no header"),
        (b"PK\x03\x04\x14\x00\x06\x00", "found a ZIP archive"),
        (b'{"timestamp": 1778252253}', "found JSON, not CSV"),
        (b"<html><body>Login</body></html>", "found HTML or XML"),
        (b"\x00\x01\x02\x03binary", "found binary data"),
        (
            b"device,time,kwh_import\r\nCLD1,2026-03-01T22:00:00Z,1.0\r\n",
            "found no 'Time Stamp' column in line 1 or line 2",
        ),
        (b"No.\tTime Stamp\tEp_Imp [kWh]\r\n", "found a tab-separated file"),
        ("No.,Time Stamp".encode("utf-16-le"), "UTF-16 LE text without a byte-order"),
    ],
)
def test_it_refuses_what_is_not_an_export_and_says_what_it_found(data, message):
    with pytest.raises(FormatError, match=message):
        iter_acuview_csv(io.BytesIO(data), JOHANNESBURG, "CLD1")


def test_a_header_without_records_gives_nothing():
    assert read(TITLE + HEADER)[1] == []


# --- daylight saving time -----------------------------------------------------


def test_a_time_in_the_spring_forward_gap_is_rejected():
    # America/Chicago, 8 March 2026: 02:00 CST becomes 03:00 CDT.
    data = (
        TITLE
        + HEADER
        + row(1, "2026-03-08 01:59:00", "1.0", "0")
        + row(2, "2026-03-08 02:30:00", "1.1", "0")
        + row(3, "2026-03-08 03:00:00", "1.2", "0")
    )
    reader, items = read(data, CHICAGO)
    assert [item.ts if isinstance(item, ReadingRecord) else item for item in items] == [
        utc(2026, 3, 8, 7, 59),  # 01:59 CST (UTC-6)
        RecordError(
            4,
            "CLD1",
            "time",
            "local time does not exist in America/Chicago (spring-forward gap)",
        ),
        utc(2026, 3, 8, 8, 0),  # 03:00 CDT (UTC-5), one minute later
    ]
    assert reader.nonexistent_rejected == 1
    assert reader.ambiguous_resolved == 0


def test_the_repeated_fall_back_hour_is_resolved_by_record_order():
    # America/Chicago, 1 November 2026: 02:00 CDT becomes 01:00 CST, so
    # 01:00-01:59 happens twice.
    times = ["00:30", "01:00", "01:30", "01:00", "01:30", "02:00"]
    data = (
        TITLE
        + HEADER
        + "".join(
            row(n, f"2026-11-01 {t}:00", f"{n}.0", "0") for n, t in enumerate(times, 1)
        )
    )
    reader, items = read(data, CHICAGO)
    assert [r.ts for r in items] == [
        utc(2026, 11, 1, 5, 30),  # 00:30 CDT
        utc(2026, 11, 1, 6, 0),  # 01:00 CDT, first pass
        utc(2026, 11, 1, 6, 30),  # 01:30 CDT
        utc(2026, 11, 1, 7, 0),  # 01:00 CST: the clock went back
        utc(2026, 11, 1, 7, 30),  # 01:30 CST
        utc(2026, 11, 1, 8, 0),  # 02:00 CST
    ]
    assert reader.ambiguous_resolved == 4
    assert reader.nonexistent_rejected == 0


def test_the_second_pass_holds_until_the_hour_ends():
    # Records a quarter of an hour apart, with the second pass starting after
    # a gap: 01:45 CDT, then 01:10 CST (clock back), 01:50 CST, 02:05 CST.
    times = ["01:45", "01:10", "01:50", "02:05"]
    data = (
        TITLE
        + HEADER
        + "".join(
            row(n, f"2026-11-01 {t}:00", f"{n}.0", "0") for n, t in enumerate(times, 1)
        )
    )
    _, items = read(data, CHICAGO)
    assert [r.ts for r in items] == [
        utc(2026, 11, 1, 6, 45),
        utc(2026, 11, 1, 7, 10),
        utc(2026, 11, 1, 7, 50),
        utc(2026, 11, 1, 8, 5),
    ]


def test_the_fall_back_hour_in_london():
    # Europe/London, 25 October 2026: 02:00 BST becomes 01:00 GMT.
    times = ["01:30", "01:59", "01:00", "01:30"]
    data = (
        TITLE
        + HEADER
        + "".join(
            row(n, f"2026-10-25 {t}:00", f"{n}.0", "0") for n, t in enumerate(times, 1)
        )
    )
    reader, items = read(data, LONDON)
    assert [r.ts for r in items] == [
        utc(2026, 10, 25, 0, 30),  # BST, UTC+1
        utc(2026, 10, 25, 0, 59),
        utc(2026, 10, 25, 1, 0),  # GMT
        utc(2026, 10, 25, 1, 30),
    ]
    assert reader.ambiguous_resolved == 4
    assert "Europe/London" in reader.rule


# --- streaming ----------------------------------------------------------------


GENERATED_HEADER = (TITLE + "No.,Time Stamp,Ep_Imp [kWh],\r\n").encode()
GENERATED_LINE_BYTES = len("      1,2026-03-02 00:00:00 ,      0.1 ,\r\n")


class GeneratedExport(io.RawIOBase):
    """An export of `count` one-minute records, made as it is read.

    Numbers are padded so that every line has the same length, which tells
    where in the file each record ends.
    """

    def __init__(self, count: int):
        self.bytes_read = 0
        self._pieces = self._generate(count)
        self._buffer = b""

    def _generate(self, count: int):
        yield GENERATED_HEADER
        start = datetime(2026, 3, 2)
        for first in range(1, count + 1, 1000):
            lines = []
            for number in range(first, min(first + 1000, count + 1)):
                ts = start + timedelta(minutes=number - 1)
                value = number / 10
                lines.append(f"{number:7d},{ts:%Y-%m-%d %H:%M:%S} ,{value:9.1f} ,\r\n")
            yield "".join(lines).encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._buffer:
            self._buffer = next(self._pieces, b"")
            if not self._buffer:
                return 0
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self.bytes_read += size
        return size


@pytest.mark.slow
def test_it_streams_a_million_lines():
    export = GeneratedExport(1_000_000)
    reader = iter_acuview_csv(export, JOHANNESBURG, "CLD1")

    # How far past the end of record N the reader had read when it gave N.
    read_ahead: dict[int, int] = {}
    count = 0
    for record in reader:
        count += 1
        if count in (1, 500_000, 1_000_000):
            end_of_record = len(GENERATED_HEADER) + count * GENERATED_LINE_BYTES
            read_ahead[count] = export.bytes_read - end_of_record
            last = record

    assert count == 1_000_000
    assert last == ReadingRecord(
        "CLD1",
        utc(2026, 3, 1, 22) + timedelta(minutes=999_999),
        {"kwh_import": 100000.0},
    )
    # Never more than a chunk or two (64 KiB each) ahead of the record.
    assert all(0 <= ahead <= 2 * 65536 for ahead in read_ahead.values())


def test_its_memory_does_not_grow_with_the_file():
    tracemalloc.start()
    try:
        for _ in iter_acuview_csv(GeneratedExport(20_000), JOHANNESBURG, "CLD1"):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The file is about 760 kB; a reader that kept it would pass 1 MB.
    assert peak < 500_000
