"""The portal's own CSV of readings: export, and import back.

The format::

    device,time,frequency_hz,v1_v,...,kvah
    CLD00000001,2026-03-01T22:00:00Z,,,...,36855.1,...

- The header is `device`, `time`, then every canonical quantity name in the
  order of `QUANTITIES`. On import the quantity columns may be any subset in
  any order, named in any case; an unknown or repeated column is a
  FormatError, since in the portal's own format it means a wrong or newer
  file, and ignoring it would lose data silently.
- Times are ISO 8601 in UTC, written with `Z` (with microseconds only when
  there are some). On import any explicit offset is accepted and converted
  to UTC; a time without one is an error.
- An empty cell is a missing value. Values are written with `repr(float)`,
  which reads back to the same float, so an export imports exactly.
- Values are already canonical: import refuses non-numbers and non-finite
  numbers but not the meter sentinels, which were weeded out at ingest and
  may be legitimate readings here (a register at 65535.0 kWh).
- Quoting follows RFC 4180 (the csv module); lines end in CRLF, so open the
  output with `newline=""`. Device names may not contain line breaks, which
  keeps every record on one line and lets import read line by line.
- RecordError.index is the 1-based line number of the file. A line with a
  device and a time but no value is an error ("no values"): a record without
  values is not exported faithfully.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import BinaryIO, Final, TextIO

from portal.ingest.records import (
    FormatError,
    ReadingRecord,
    RecordError,
    check_number,
    open_text_lines,
    refuse_non_csv,
)
from portal.metering.quantities import QUANTITIES

HEADER: Final = ("device", "time", *QUANTITIES)


def _format_time(ts: datetime) -> str:
    if ts.utcoffset() is None:
        raise ValueError(f"naive time {ts.isoformat()}: readings carry aware times")
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _format_row(record: ReadingRecord) -> list[str]:
    if "\n" in record.device or "\r" in record.device:
        raise ValueError(f"device {record.device!r} has a line break")
    unknown = record.values.keys() - set(QUANTITIES)
    if unknown:
        raise ValueError(f"unknown quantities {sorted(unknown)}")

    cells = [record.device, _format_time(record.ts)]
    for quantity in QUANTITIES:
        value = record.values.get(quantity)
        cells.append("" if value is None else repr(check_number(value)))
    return cells


def write_portal_csv(rows: Iterable[ReadingRecord], out: TextIO) -> int:
    """Write the header and one line per record; return the records written.

    Raises ValueError for a record that would not read back as itself: a
    naive time, an unknown quantity, a non-finite value, a line break in the
    device name.
    """
    writer = csv.writer(out)
    writer.writerow(HEADER)

    written = 0
    for record in rows:
        writer.writerow(_format_row(record))
        written += 1
    return written


def _parse_row(
    index: int, row: list[str], columns: list[str]
) -> Iterator[ReadingRecord | RecordError]:
    if len(row) != len(columns):
        fields = f"{len(row)} field" + ("" if len(row) == 1 else "s")
        reason = f"line has {fields}, the header has {len(columns)}"
        yield RecordError(index, None, None, reason)
        return

    device = row[0].strip()
    if not device:
        yield RecordError(index, None, "device", "no device")
        return
    ts = _parse_time(row[1].strip())
    if isinstance(ts, str):
        yield RecordError(index, device, "time", ts)
        return

    values: dict[str, float] = {}
    errors: list[RecordError] = []
    for quantity, text in zip(columns[2:], row[2:], strict=True):
        if not text.strip():
            continue
        try:
            values[quantity] = check_number(text)
        except ValueError as error:
            errors.append(RecordError(index, device, quantity, str(error)))

    for problem in errors:
        yield replace(problem, partial=bool(values))
    if values:
        yield ReadingRecord(device, ts, values, index=index)
    elif not errors:
        yield RecordError(index, device, None, "no values")


def _parse_time(text: str) -> datetime | str:
    """The UTC time of a `time` cell, or the reason it has none."""
    if not text:
        return "no time"
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return "not an ISO 8601 time"
    if ts.utcoffset() is None:
        return "time has no UTC offset (expected Z)"
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        return "time out of range"


def _read_header(line: str) -> list[str]:
    refuse_non_csv(line)
    columns = [cell.strip().lower() for cell in next(csv.reader([line]))]

    if columns[:2] != ["device", "time"]:
        raise FormatError(
            f"not a portal readings CSV: the header starts {line[:40]!r}, "
            "not 'device,time'"
        )
    unknown = [name for name in columns[2:] if name not in QUANTITIES]
    if unknown:
        raise FormatError(f"unknown columns in the header: {', '.join(unknown)}")
    if len(set(columns)) != len(columns):
        raise FormatError("a column appears twice in the header")
    return columns


def iter_portal_csv(stream: BinaryIO) -> Iterator[ReadingRecord | RecordError]:
    """Read a portal readings CSV line by line.

    Raises FormatError, when the iteration starts, for a file that is empty
    or is not such a CSV (the message says what was found).
    """
    lines = enumerate(open_text_lines(stream), start=1)
    first = next(lines, None)
    if first is None:
        raise FormatError("the file is empty")
    columns = _read_header(first[1])

    for number, line in lines:
        if not line.strip():
            continue
        if "\ufffd" in line or "\0" in line:
            yield RecordError(number, None, None, "line is not readable text")
            continue
        # One reader per line: a stray quote then spoils that line, not the rest.
        row = next(csv.reader([line]))
        yield from _parse_row(number, row, columns)
