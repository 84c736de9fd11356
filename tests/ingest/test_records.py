import codecs
import io
import re

import pytest

from portal.ingest.records import (
    ALIASES,
    FLOAT32_MAX,
    MAX_LINE_CHARS,
    QUANTITY_UNITS,
    FormatError,
    check_number,
    check_value,
    open_text_lines,
    quantity_for,
    rescale,
    split_unit_suffix,
    unit_power,
)
from portal.metering.quantities import QUANTITIES


class OneByteAtATime(io.RawIOBase):
    """A stream that hands out one byte per read, as a slow socket might."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(1)
        buffer[: len(chunk)] = chunk
        return len(chunk)


def lines_of(data: bytes) -> list[str]:
    return list(open_text_lines(io.BytesIO(data)))


# --- check_value --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("36854.5", 36854.5), (" 3.3 ", 3.3), ("-1e3", -1000.0), (12, 12.0), (0.5, 0.5)],
)
def test_it_accepts_numbers_and_decimal_strings(raw, expected):
    assert check_value("kwh_import", raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("----", "not a number"),
        ("1_000", "not a number"),
        ("", "empty value"),
        (None, "not a number"),
        (True, "not a number"),
        ([1.0], "not a number"),
        ("nan", "not a finite number"),
        ("-Infinity", "not a finite number"),
        (float("inf"), "not a finite number"),
        (float("nan"), "not a finite number"),
    ],
)
def test_it_refuses_what_is_not_a_finite_number(raw, reason):
    with pytest.raises(ValueError, match=f"^{reason}$"):
        check_value("p_kw", raw)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (65535, "65535"),
        ("65535.0", "65535"),
        (32767, "32767"),
        (-32768, "-32768"),
        ("4294967295", "4294967295"),
        (2147483647, "2147483647"),
        (-2147483648, "-2147483648"),
    ],
)
def test_it_refuses_integer_sentinels(raw, shown):
    reason = f"sentinel value {shown} (meter reports no value)"
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        check_value("i1_a", raw)


def test_an_energy_register_may_read_exactly_a_sentinel_number():
    # Registers arrive scaled (raw / 10): 65535.0 kWh is a real reading.
    assert check_value("kwh_import", 65535) == 65535.0
    assert check_value("kvarh_export", "32767.0") == 32767.0


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (3.4028234663852886e38, "float32 max"),
        ("3.40282e+38", "float32 max"),  # as exporters print it
        (-FLOAT32_MAX, "-float32 max"),
    ],
)
def test_it_refuses_float32_max(raw, shown):
    with pytest.raises(ValueError, match=f"sentinel value {shown} "):
        check_value("v1_v", raw)


def test_it_keeps_values_next_to_sentinels():
    assert check_value("kwh_import", "65535.1") == 65535.1
    assert check_value("kwh_import", 65534) == 65534.0


def test_it_treats_an_unknown_field_as_a_programming_error():
    with pytest.raises(KeyError):
        check_value("watts", "1")


def test_check_number_does_not_refuse_sentinels():
    assert check_number("65535.0") == 65535.0


# --- names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "quantity"),
    [
        ("Ep_Imp", "kwh_import"),
        ("EP_EXP", "kwh_export"),
        ("Eq_imp", "kvarh_import"),
        ("Es", "kvah"),
        ("Psum_kW", "p_kw"),
        ("Psum", "p_kw"),
        ("Qsum_kvar", "q_kvar"),
        ("Ssum_kVA", "s_kva"),
        ("Freq_Hz", "frequency_hz"),
        ("F", "frequency_hz"),
        ("In", "in_a"),
        ("PFa", "pf1"),
        ("PFsum", "pf"),
        ("V31", "v31_v"),
        ("p_kw", "p_kw"),
        (" kwh_import ", "kwh_import"),
        ("Ep_imp_kWh", "kwh_import"),
        ("THD_V1", None),
        ("Psum_xyz", None),
    ],
)
def test_it_maps_meter_names_ignoring_case_and_unit(name, quantity):
    assert quantity_for(name) == quantity


def test_every_quantity_has_a_unit_and_a_name():
    assert set(QUANTITY_UNITS) == set(QUANTITIES)
    assert set(ALIASES.values()) == set(QUANTITIES)


def test_it_splits_a_unit_off_a_name():
    assert split_unit_suffix("Psum_kW") == ("Psum", "kW")
    assert split_unit_suffix("Ep_imp") == ("Ep_imp", None)
    assert split_unit_suffix("Ep_") == ("Ep_", None)


# --- units --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "power"),
    [
        ("p_kw", "W", -3),
        ("p_kw", "kW", 0),
        ("p1_kw", "MW", 3),
        ("q_kvar", "var", -3),
        ("q_kvar", "kVAr", 0),
        ("q_kvar", "KVAR", 0),
        ("s_kva", "VA", -3),
        ("kwh_import", "Wh", -3),
        ("kwh_import", "MWh", 3),
        ("kvarh_export", "kvarh", 0),
        ("kvah", "kVAh", 0),
        ("v12_v", "kV", 3),
        ("i1_a", "A", 0),
        ("frequency_hz", "Hz", 0),
        ("pf", "", 0),
    ],
)
def test_it_finds_the_power_of_ten_between_units(quantity, unit, power):
    assert unit_power(quantity, unit) == power


@pytest.mark.parametrize(
    ("quantity", "unit", "reason"),
    [
        ("v1_v", "kWh", "unit 'kWh' does not fit v1_v"),
        ("p_kw", "kWh", "unit 'kWh' does not fit p_kw"),
        ("p_kw", "", "unit '' does not fit p_kw"),
        ("p_kw", "mW", "unit 'mW' not recognised"),
        ("kwh_import", "therm", "unit 'therm' not recognised"),
    ],
)
def test_it_refuses_units_that_do_not_fit(quantity, unit, reason):
    with pytest.raises(ValueError, match=f"^{reason}$"):
        unit_power(quantity, unit)


def test_rescale_divides_exactly():
    # 2350 / 1000 rounds to the same float as the literal 2.35; 2350 * 0.001
    # would not be guaranteed to.
    assert rescale(2350.0, -3) == 2.35
    assert rescale(420.0, -3) == 0.42
    assert rescale(1.5, 3) == 1500.0
    assert rescale(7.0, 0) == 7.0


# --- text lines ---------------------------------------------------------------


def test_it_splits_crlf_lf_and_cr_line_ends():
    assert lines_of(b"a\r\nb\nc\rd") == ["a", "b", "c", "d"]
    assert lines_of(b"a\r\n\r\n") == ["a", ""]


def test_it_joins_a_crlf_split_across_reads():
    lines = list(open_text_lines(OneByteAtATime(b"ab\r\ncd\r\n")))
    assert lines == ["ab", "cd"]


@pytest.mark.parametrize(
    ("bom", "codec", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8", "UTF-8 with byte-order mark"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
    ],
)
def test_it_reads_byte_order_marks(bom, codec, encoding):
    lines = open_text_lines(io.BytesIO(bom + "Zeit,µ\r\nx\r\n".encode(codec)))
    assert lines.encoding == encoding
    assert list(lines) == ["Zeit,µ", "x"]


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (codecs.BOM_UTF32_LE + "a".encode("utf-32-le"), "found UTF-32 LE text"),
        (codecs.BOM_UTF32_BE + "a".encode("utf-32-be"), "found UTF-32 BE text"),
        ("No.,Time".encode("utf-16-le"), "UTF-16 LE text without a byte-order mark"),
        ("No.,Time".encode("utf-16-be"), "UTF-16 BE text without a byte-order mark"),
        (b"PK\x03\x04rest", "ZIP archive"),
        (b"\xd0\xcf\x11\xe0rest", "Excel .xls workbook"),
        (b"%PDF-1.7", "PDF document"),
    ],
)
def test_it_names_what_it_cannot_read(data, found):
    with pytest.raises(FormatError, match=found):
        open_text_lines(io.BytesIO(data))


def test_it_replaces_undecodable_bytes_instead_of_failing():
    assert lines_of(b"ok\n\xff\xfe\xfdbad\nok") == ["ok", "\ufffd\ufffd\ufffdbad", "ok"]


def test_it_refuses_a_line_without_end():
    with pytest.raises(FormatError, match="line 2 is longer than"):
        lines_of(b"first\n" + b"x" * (MAX_LINE_CHARS * 3))
