"""What every parser hands to the importer, and the rules they share.

A parser turns one upload (a CSV export, a batch of JSON snapshots) into a
stream of `ReadingRecord` and `RecordError`. A record carries only the
quantities the source gave, under the canonical names of
`portal.metering.quantities` and in the canonical unit of each name. An error
says which record and which field could not be read and why; the rest of the
upload goes on. A file that cannot be read at all raises `FormatError`.

Shared rules:

- Values: `check_number` accepts a finite number or a decimal string (no NaN,
  no infinities, no bools); `check_value` also refuses the sentinels Acuvim
  meters return for "no value" (0xFFFF and friends, float32 max). The
  sentinel test runs on the raw meter value, before any unit conversion.
- Names: `quantity_for` maps a meter's parameter name onto a canonical name,
  ignoring case and an appended unit (`Psum_kW` is `Psum`). The table is
  `ALIASES` below.
- Units: `unit_power` says by which power of ten a value in a given unit is
  multiplied to reach the canonical unit (W to kW is -3, MWh to kWh is +3).
  The prefix is case-sensitive where it matters (M is mega; milli is not
  accepted), the base unit is not (`kvar`, `kVAr`, `KVAR` are all kvar).
- Text: `open_text_lines` reads a byte stream line by line in constant
  memory, after finding its encoding from a byte-order mark.
"""

import codecs
import dataclasses
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Final

from portal.metering.quantities import QUANTITIES, REGISTERS


class FormatError(ValueError):
    """The upload as a whole cannot be read; the message says what was found."""


@dataclass(frozen=True, slots=True)
class ReadingRecord:
    """One reading of one device: the values it gave at one instant."""

    device: str  # the identifier the source gave (external id or meter serial)
    ts: datetime  # aware, UTC
    values: dict[str, float]  # canonical quantity name -> value; only those present
    # Where the record stands in its upload (as RecordError.index), so that an
    # error found later, an unknown device say, points at the right place.
    index: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record, or one field of it, that could not be read.

    `index` locates the record: for JSON payloads the 0-based position of the
    snapshot in the batch; for CSV files the 1-based line number of the file,
    so that a person can open the file at that line.
    """

    index: int
    device: str | None
    field: str | None  # canonical name, "time", "device", or a header name
    reason: str
    # True when only this field was dropped and the record's other values
    # were kept: the record is not rejected, the error is still reported.
    partial: bool = dataclasses.field(default=False, compare=False)


# --- values -----------------------------------------------------------------

# Raw register values meters return for "not implemented" or "no value":
# 16-bit and 32-bit all-ones and signed extremes.
INTEGER_SENTINELS: Final = frozenset(
    {65535.0, 32767.0, -32768.0, 4294967295.0, 2147483647.0, -2147483648.0}
)
REGISTER_SENTINELS: Final = frozenset({4294967295.0, 2147483647.0, -2147483648.0})
FLOAT32_MAX: Final = 3.4028234663852886e38

# Exporters print float32 max with fewer digits (3.40282e+38), so match it
# within a relative tolerance far wider than that rounding and far narrower
# than any real reading could come.
_FLOAT32_MAX_TOLERANCE: Final = 1e-5


def check_number(raw: object) -> float:
    """Return `raw` as a finite float, or raise ValueError(reason)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError("not a number")

    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise ValueError("empty value")
        # float() also takes "1_000" and "infinity"; neither is a reading.
        if "_" in text:
            raise ValueError("not a number")
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
    else:
        value = float(raw)

    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def plainly_valid(values: dict[str, float]) -> bool:
    """True when every value is certainly finite and no sentinel: one check for
    the whole record instead of `check_value` per value. False means "look at
    each value", not that one is wrong. Every register sentinel is also in
    INTEGER_SENTINELS, so disjointness clears registers and instant values
    alike; a sum of magnitudes below float32 max rules out NaN, infinity and
    float32 max at once."""
    numbers = values.values()
    if not INTEGER_SENTINELS.isdisjoint(numbers):
        return False
    magnitude = math.fsum(map(abs, numbers))
    return magnitude < FLOAT32_MAX * (1 - _FLOAT32_MAX_TOLERANCE)


def check_value(field: str, raw: object) -> float:
    """Return a raw meter value as a float, or raise ValueError(reason).

    Refuses what `check_number` refuses and the Acuvim sentinels (the integer
    ones only for instantaneous quantities). `field` is
    the canonical quantity the value is for; an unknown name is a programming
    error and raises KeyError, not ValueError.
    """
    if field not in QUANTITY_UNITS:
        raise KeyError(field)

    value = check_number(raw)

    # Energy registers are 32-bit and count up to 99,999,999.9 kWh, so a reading
    # of exactly 65535.0 or 32767.0 kWh is real; only 32-bit sentinels are not.
    sentinels = REGISTER_SENTINELS if field in REGISTERS else INTEGER_SENTINELS
    if value in sentinels:
        raise ValueError(f"sentinel value {value:.0f} (meter reports no value)")
    if abs(abs(value) - FLOAT32_MAX) <= FLOAT32_MAX * _FLOAT32_MAX_TOLERANCE:
        sign = "-" if value < 0 else ""
        raise ValueError(f"sentinel value {sign}float32 max (meter reports no value)")
    return value


# --- names ------------------------------------------------------------------

# Meter parameter names (lower case, without an appended unit) for each
# canonical quantity. Acuview headers and AXM-WEB2 params use 1/2/3 for the
# phases; the Modbus map names power phases a/b/c, so both are here. The
# canonical names themselves are accepted as well.
_PARAMETER_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "frequency_hz": ("f", "freq", "frequency"),
    "v1_v": ("v1",),
    "v2_v": ("v2",),
    "v3_v": ("v3",),
    "v12_v": ("v12",),
    "v23_v": ("v23",),
    "v31_v": ("v31",),
    "i1_a": ("i1",),
    "i2_a": ("i2",),
    "i3_a": ("i3",),
    "in_a": ("in",),
    "p1_kw": ("p1", "pa"),
    "p2_kw": ("p2", "pb"),
    "p3_kw": ("p3", "pc"),
    "p_kw": ("psum", "p"),
    "q1_kvar": ("q1", "qa"),
    "q2_kvar": ("q2", "qb"),
    "q3_kvar": ("q3", "qc"),
    "q_kvar": ("qsum", "q"),
    "s1_kva": ("s1", "sa"),
    "s2_kva": ("s2", "sb"),
    "s3_kva": ("s3", "sc"),
    "s_kva": ("ssum", "s"),
    "pf1": ("pf1", "pfa"),
    "pf2": ("pf2", "pfb"),
    "pf3": ("pf3", "pfc"),
    "pf": ("pf", "pfsum"),
    "kwh_import": ("ep_imp",),
    "kwh_export": ("ep_exp",),
    "kvarh_import": ("eq_imp",),
    "kvarh_export": ("eq_exp",),
    "kvah": ("es",),
}

ALIASES: Final[dict[str, str]] = {
    name: quantity
    for quantity, names in _PARAMETER_NAMES.items()
    for name in (quantity, *names)
}


def split_unit_suffix(name: str) -> tuple[str, str | None]:
    """Split `Psum_kW` into (`Psum`, `kW`); a name without one gives None."""
    head, sep, tail = name.strip().rpartition("_")
    if sep and head and tail and _parse_unit(tail) is not None:
        return head, tail
    return name.strip(), None


def quantity_for(name: str) -> str | None:
    """The canonical quantity a meter parameter name stands for, if any."""
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]

    head, unit = split_unit_suffix(key)
    return ALIASES.get(head) if unit is not None else None


# --- units ------------------------------------------------------------------

_PREFIX_POWERS: Final = {"": 0, "k": 3, "K": 3, "M": 6}
_BASE_UNITS: Final = frozenset({"hz", "v", "a", "w", "var", "va", "wh", "varh", "vah"})

# The canonical unit of each quantity as (base unit, power of ten): p_kw is
# kilowatts, ("w", 3). Power factors are dimensionless, ("", 0).
QUANTITY_UNITS: Final[dict[str, tuple[str, int]]] = {
    "frequency_hz": ("hz", 0),
    **{q: ("v", 0) for q in QUANTITIES if q.endswith("_v")},
    **{q: ("a", 0) for q in QUANTITIES if q.endswith("_a")},
    **{q: ("w", 3) for q in QUANTITIES if q.endswith("_kw")},
    **{q: ("var", 3) for q in QUANTITIES if q.endswith("_kvar")},
    **{q: ("va", 3) for q in QUANTITIES if q.endswith("_kva")},
    **{q: ("", 0) for q in QUANTITIES if q.startswith("pf")},
    **{q: ("wh", 3) for q in QUANTITIES if q.startswith("kwh_")},
    **{q: ("varh", 3) for q in QUANTITIES if q.startswith("kvarh_")},
    "kvah": ("vah", 3),
}


def _parse_unit(text: str) -> tuple[str, int] | None:
    """Split a unit into (base unit, power of ten), or None if unknown."""
    text = text.strip()
    if not text:
        return ("", 0)

    for prefix, power in _PREFIX_POWERS.items():
        if not text.startswith(prefix):
            continue
        base = text[len(prefix) :].lower()
        if base in _BASE_UNITS:
            return base, power
    return None


def unit_power(quantity: str, unit: str) -> int:
    """The power of ten that turns a value in `unit` into `quantity`'s unit.

    Raises ValueError(reason) when the unit is unknown or does not measure
    the quantity (kWh for a voltage).
    """
    parsed = _parse_unit(unit)
    if parsed is None:
        raise ValueError(f"unit {unit.strip()!r} not recognised")

    base, power = parsed
    wanted_base, wanted_power = QUANTITY_UNITS[quantity]
    if base != wanted_base:
        raise ValueError(f"unit {unit.strip()!r} does not fit {quantity}")
    return power - wanted_power


def rescale(value: float, power: int) -> float:
    """Multiply by 10**power, dividing for negative powers.

    Dividing by an exact integer rounds correctly (2350 W is exactly the float
    2.35 kW), where multiplying by the inexact 0.001 may be one ulp off.
    """
    if power >= 0:
        return value * 10**power
    return value / 10**-power


# --- text -------------------------------------------------------------------

_CHUNK_BYTES: Final = 64 * 1024
MAX_LINE_CHARS: Final = 64 * 1024
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")

# Byte-order marks, longest first: the UTF-32 LE mark starts with UTF-16 LE's.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, None, "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, None, "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with byte-order mark"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)

_MAGIC_NUMBERS: Final = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an OLE2 compound file (an Excel .xls workbook?)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
)


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Read `size` bytes or up to the end; raw streams may return fewer."""
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _sniff_encoding(head: bytes) -> tuple[str, str, int]:
    """(codec, description, BOM length) for a file starting with `head`."""
    for magic, description in _MAGIC_NUMBERS:
        if head.startswith(magic):
            raise FormatError(f"found {description}, not a text file")

    for bom, codec, description in _BOMS:
        if head.startswith(bom):
            if codec is None:
                raise FormatError(f"found {description} text, which is not accepted")
            return codec, description, len(bom)

    # UTF-16 without a mark shows as ASCII interleaved with NUL bytes.
    if len(head) == 4 and head[1::2] == b"\0\0" and _printable(head[0::2]):
        raise FormatError("found UTF-16 LE text without a byte-order mark")
    if len(head) == 4 and head[0::2] == b"\0\0" and _printable(head[1::2]):
        raise FormatError("found UTF-16 BE text without a byte-order mark")
    return "utf-8", "UTF-8", 0


def _printable(ascii_bytes: bytes) -> bool:
    return all(32 <= byte < 127 or byte in b"\t\r\n" for byte in ascii_bytes)


class TextLines:
    """The decoded lines of a byte stream, read lazily in constant memory.

    Line breaks are CRLF, LF or CR (spreadsheets on old Macs write CR), and
    are not part of the line. Undecodable bytes become U+FFFD, so one bad
    line does not stop the file; parsers reject the lines that hold it. A
    line longer than MAX_LINE_CHARS raises FormatError. The stream is read
    once: iterate only once.
    """

    def __init__(self, stream: BinaryIO, head: bytes, codec: str, encoding: str):
        self.encoding = encoding  # for the import report: "UTF-16 LE", ...
        self._chunks = itertools.chain(
            (head,), iter(lambda: stream.read(_CHUNK_BYTES), b"")
        )
        self._codec = codec

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self._codec)(errors="replace")
        pending = ""
        line_number = 0

        for data in self._chunks:
            text = pending + decoder.decode(data)
            # Hold back a final CR: its LF may start the next chunk.
            cut = len(text) - 1 if text.endswith("\r") else len(text)
            *lines, pending = _LINE_BREAK.split(text[:cut])
            pending += text[cut:]
            line_number += len(lines)
            yield from lines
            if len(pending) > MAX_LINE_CHARS:
                raise FormatError(
                    f"line {line_number + 1} is longer than {MAX_LINE_CHARS} "
                    "characters: not a line-based text file"
                )

        *lines, last = _LINE_BREAK.split(pending + decoder.decode(b"", final=True))
        yield from lines
        if last:
            yield last


def refuse_non_csv(line: str) -> None:
    """Raise FormatError if the first line shows another kind of file."""
    text = line.strip()
    if "\0" in text or "\ufffd" in text:
        raise FormatError("found binary data, not text")
    if text.startswith(("{", "[")):
        raise FormatError("found JSON, not CSV")
    if text.startswith("<"):
        raise FormatError("found HTML or XML, not CSV")


def open_text_lines(stream: BinaryIO) -> TextLines:
    """Find the encoding of `stream` and return its lines, not yet read.

    Accepts UTF-8 (with or without a byte-order mark) and UTF-16 with a
    byte-order mark. Raises FormatError naming what was found otherwise
    (UTF-32, UTF-16 without a mark, a workbook, a PDF, an archive).
    """
    head = _read_exactly(stream, 4)
    codec, description, bom_length = _sniff_encoding(head)
    return TextLines(stream, head[bom_length:], codec, description)
