"""Acuview data-log CSV exports.

The format, as Acuview writes it::

    Data Log 1,
    No.,Time Stamp,Ep_Imp [kWh],Ep_Exp [kWh],Eq_Imp [kvarh],Eq_Exp [kvarh],
    1,2025-12-05 18:24:00 ,36854.5 ,9953.4 ,3.3 ,52652.9 ,

A title line, a header line, one record per line; a space before each comma,
a comma at the end of each line, CRLF line ends. Each header names a meter
quantity and its unit in brackets; the columns depend on what the log was set
to record, so they are read from the header, never from their position.

Rules:

- Encoding: UTF-8 with or without a byte-order mark, or UTF-16 (LE or BE)
  with one. A file re-saved with `;` delimiters may use decimal commas; in
  such a file a cell with a comma is read as a decimal comma, and a cell with
  both a dot and a comma (digit grouping) is not a number. Anything else
  (another encoding, a workbook, JSON, a tab-separated file, a CSV without a
  `Time Stamp` column) raises FormatError saying what was found.
- The title line is optional. Blank lines are skipped.
- Columns: `No.` (the record number, which runs on across exports) is not
  used; `Time Stamp` is required; a quantity column is recognised by
  `records.quantity_for` and converted from the unit in its brackets (or in
  its name, `Psum_kW`). A column without a unit is accepted only for power
  factors. Unknown columns, columns whose unit does not fit and repeated
  quantities are ignored and listed once in `ignored_columns`.
- Times: `YYYY-MM-DD HH:MM[:SS]` (also with `/`), or `DD.MM.YYYY HH:MM[:SS]`
  as spreadsheets in dot-date locales re-save them; local to the site's
  zone. A time that falls in a spring-forward gap is rejected. A time in a
  repeated fall-back hour is resolved by record order: the earlier UTC offset
  until the local clock goes back within that hour, the later one from then
  on. A file that starts in the second pass through the hour is therefore
  read as the first pass; nothing in the file can tell the two apart.
- Cells: an empty cell is a missing value. A cell that is not a number or is
  a meter sentinel gives a RecordError for that field; the line's other
  values are still a reading. A line with no values at all is an error.
- RecordError.index is the 1-based line number of the file.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import BinaryIO, Final
from zoneinfo import ZoneInfo

from portal.ingest.records import (
    QUANTITY_UNITS,
    FormatError,
    ReadingRecord,
    RecordError,
    check_value,
    open_text_lines,
    quantity_for,
    refuse_non_csv,
    rescale,
    split_unit_suffix,
    unit_power,
)

_TIME_HEADERS: Final = frozenset({"time stamp", "timestamp"})
_RECORD_NUMBER_HEADERS: Final = frozenset({"no.", "no"})
_HEADER_WITH_UNIT: Final = re.compile(r"(?P<name>.*?)\s*[\[(](?P<unit>[^\])]*)[\])]")
_ISO_TIME: Final = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
)
_DOTTED_TIME: Final = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4}) +(\d{1,2}):(\d{2})(?::(\d{2}))?"
)


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    quantity: str
    power: int  # of ten, from the header's unit to the canonical unit


@dataclass(frozen=True, slots=True)
class _Layout:
    delimiter: str
    width: int  # header fields, not counting the empty one after the last comma
    time_index: int
    columns: tuple[_Column, ...]


def _cells(line: str, delimiter: str) -> list[str]:
    """Split a line, strip Acuview's padding and any quotes a spreadsheet added."""
    cells = [cell.strip().strip('"').strip() for cell in line.split(delimiter)]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _parse_local_time(text: str) -> datetime | None:
    """A naive local datetime from a Time Stamp cell, or None."""
    if match := _ISO_TIME.fullmatch(text):
        year, month, day, hour, minute, second = match.groups()
    elif match := _DOTTED_TIME.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    else:
        return None

    try:
        return datetime(  # noqa: DTZ001 - local wall time; the zone comes later
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
        )
    except ValueError:
        return None


class AcuviewCsv:
    """An Acuview export being read: iterate it for records and errors.

    The header is read when the object is made, so FormatError comes before
    the first record and `ignored_columns` is known at once. The counters are
    final once the iteration has ended.
    """

    def __init__(self, stream: BinaryIO, tz: ZoneInfo, device: str):
        self.device = device
        self.tz = tz
        self.ambiguous_resolved = 0
        self.nonexistent_rejected = 0
        self.ignored_columns: dict[str, str] = {}  # header -> why it is ignored
        self.rule = (
            f"Times are local to {tz.key}: a time inside a spring-forward gap is "
            "rejected, and a time in a repeated fall-back hour is read at the "
            "earlier UTC offset until the clock goes back within that hour, then "
            "at the later offset."
        )

        # Record-order state for the repeated hour.
        self._previous_local: datetime | None = None
        self._previous_ambiguous = False
        self._second_pass = False

        lines = open_text_lines(stream)
        self.encoding = lines.encoding
        self._lines = enumerate(lines, start=1)
        self._layout = self._read_header()
        self._records = self._read_records()

    def __iter__(self) -> Iterator[ReadingRecord | RecordError]:
        return self

    def __next__(self) -> ReadingRecord | RecordError:
        return next(self._records)

    # --- header ---------------------------------------------------------------

    def _next_line(self) -> tuple[int, str] | None:
        for number, line in self._lines:
            if line.strip():
                return number, line
        return None

    def _read_header(self) -> _Layout:
        first = self._next_line()
        if first is None:
            raise FormatError("the file is empty")
        refuse_non_csv(first[1])

        layout = self._layout_from(first[1])
        if layout is not None:
            return layout

        # The first line was the title; the header must come next.
        second = self._next_line()
        if second is None:
            raise FormatError(f"found only one line, and no header: {first[1]:.80}")
        layout = self._layout_from(second[1])
        if layout is None:
            raise FormatError(
                "not an Acuview data-log export: found no 'Time Stamp' column in "
                f"line {first[0]} or line {second[0]}: {second[1]:.80}"
            )
        return layout

    def _layout_from(self, line: str) -> _Layout | None:
        """The column layout if `line` is a header, else None."""
        if "\t" in line and _find_time_column(_cells(line, "\t")) is not None:
            raise FormatError("found a tab-separated file; expected commas or ';'")

        for delimiter in (",", ";"):
            headers = _cells(line, delimiter)
            time_index = _find_time_column(headers)
            if time_index is not None:
                columns = self._quantity_columns(headers)
                return _Layout(delimiter, len(headers), time_index, columns)
        return None

    def _quantity_columns(self, headers: list[str]) -> tuple[_Column, ...]:
        columns: dict[str, _Column] = {}
        for index, header in enumerate(headers):
            label = " ".join(header.lower().split())
            if not label or label in _TIME_HEADERS | _RECORD_NUMBER_HEADERS:
                continue

            column = _column_for(index, header)
            if isinstance(column, str):
                self.ignored_columns[header] = column
            elif column.quantity in columns:
                first = headers[columns[column.quantity].index]
                self.ignored_columns[header] = f"repeats the column {first!r}"
            else:
                columns[column.quantity] = column

        if not columns:
            raise FormatError(
                "found no column with a known quantity in the header: "
                + ", ".join(repr(h) for h in headers)
            )
        return tuple(columns.values())

    # --- records --------------------------------------------------------------

    def _read_records(self) -> Iterator[ReadingRecord | RecordError]:
        for number, line in self._lines:
            if line.strip():
                yield from self._read_line(number, line)

    def _read_line(
        self, number: int, line: str
    ) -> Iterator[ReadingRecord | RecordError]:
        layout = self._layout
        if "\ufffd" in line or "\0" in line:
            yield RecordError(number, self.device, None, "line is not readable text")
            return

        cells = _cells(line, layout.delimiter)
        if len(cells) > layout.width or len(cells) <= layout.time_index:
            fields = f"{len(cells)} field" + ("" if len(cells) == 1 else "s")
            reason = f"line has {fields}, the header has {layout.width}"
            yield RecordError(number, self.device, None, reason)
            return

        ts = self._timestamp(cells[layout.time_index])
        if isinstance(ts, str):
            yield RecordError(number, self.device, "time", ts)
            return

        values: dict[str, float] = {}
        errors: list[RecordError] = []
        for column in layout.columns:
            text = cells[column.index] if column.index < len(cells) else ""
            if not text:
                continue
            if layout.delimiter == ";":
                text = text.replace(",", ".")
            try:
                raw = check_value(column.quantity, text)
            except ValueError as error:
                errors.append(
                    RecordError(number, self.device, column.quantity, str(error))
                )
                continue
            values[column.quantity] = rescale(raw, column.power)

        # A bad cell drops that value only; the line is rejected when none is left.
        for problem in errors:
            yield replace(problem, partial=bool(values))
        if values:
            yield ReadingRecord(self.device, ts, values, index=number)
        elif not errors:
            yield RecordError(number, self.device, None, "no values")

    def _timestamp(self, text: str) -> datetime | str:
        """The UTC time of a Time Stamp cell, or the reason it has none."""
        if not text:
            return "no time"
        local = _parse_local_time(text)
        if local is None:
            return "not a date and time (expected YYYY-MM-DD HH:MM:SS)"

        aware = local.replace(tzinfo=self.tz)
        before, after = aware.utcoffset(), aware.replace(fold=1).utcoffset()
        assert before is not None and after is not None  # a ZoneInfo always has one

        if before < after:
            # Clocks jumped forward over this time: no instant carries it.
            self.nonexistent_rejected += 1
            return f"local time does not exist in {self.tz.key} (spring-forward gap)"

        ambiguous = before > after
        if not ambiguous:
            self._second_pass = False
        elif self._went_back_within_repeated_hour(local):
            self._second_pass = True
        self._previous_local, self._previous_ambiguous = local, ambiguous

        if ambiguous:
            self.ambiguous_resolved += 1
            aware = aware.replace(fold=1 if self._second_pass else 0)
        try:
            return aware.astimezone(UTC)
        except OverflowError:
            return "time out of range"

    def _went_back_within_repeated_hour(self, local: datetime) -> bool:
        previous = self._previous_local
        return self._previous_ambiguous and previous is not None and local < previous


def _find_time_column(headers: list[str]) -> int | None:
    for index, header in enumerate(headers):
        if " ".join(header.lower().split()) in _TIME_HEADERS:
            return index
    return None


def _column_for(index: int, header: str) -> _Column | str:
    """The quantity column a header describes, or why it is ignored."""
    if match := _HEADER_WITH_UNIT.fullmatch(header):
        name, unit = match["name"], match["unit"]
    else:
        name, unit = header, None

    quantity = quantity_for(name)
    if quantity is None:
        return "unknown quantity"

    if unit is None:
        unit = split_unit_suffix(name)[1]
    if unit is None and QUANTITY_UNITS[quantity][0]:
        return f"no unit given for {quantity}"

    try:
        power = unit_power(quantity, unit or "")
    except ValueError as error:
        return str(error)
    return _Column(index, quantity, power)


def iter_acuview_csv(stream: BinaryIO, tz: ZoneInfo, device: str) -> AcuviewCsv:
    """Read an Acuview export of `device` whose times are local to `tz`.

    Returns an iterator of ReadingRecord and RecordError that also reports,
    after the iteration, `ambiguous_resolved`, `nonexistent_rejected`,
    `ignored_columns`, `encoding` and `rule` (the DST rule in one sentence).
    Raises FormatError at once if the file is not such an export.
    """
    return AcuviewCsv(stream, tz, device)
