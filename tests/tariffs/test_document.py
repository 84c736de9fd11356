"""The tariff document's rules (portal.tariffs.document): what a valid
document looks like, and for every rule a document that breaks it, refused
with a DocumentError that says where the problem is and why.

No database: the schema is pure. The helpers `tou_document` and
`blocks_document` are also used by the import/export and command tests.
"""

import copy
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from portal.tariffs.document import (
    CHARGE_KINDS,
    DocumentError,
    parse_document,
    parse_version,
)

Doc = dict[str, Any]
Edit = Callable[[Doc], object]


def _weekday() -> list[dict[str, str]]:
    return [
        {"start": "00:00", "end": "06:00", "period": "off_peak"},
        {"start": "06:00", "end": "09:00", "period": "peak"},
        {"start": "09:00", "end": "17:00", "period": "standard"},
        {"start": "17:00", "end": "19:00", "period": "peak"},
        {"start": "19:00", "end": "22:00", "period": "standard"},
        {"start": "22:00", "end": "24:00", "period": "off_peak"},
    ]


def _saturday() -> list[dict[str, str]]:
    return [
        {"start": "00:00", "end": "07:00", "period": "off_peak"},
        {"start": "07:00", "end": "12:00", "period": "standard"},
        {"start": "12:00", "end": "18:00", "period": "off_peak"},
        {"start": "18:00", "end": "20:00", "period": "standard"},
        {"start": "20:00", "end": "24:00", "period": "off_peak"},
    ]


def tou_version(valid_from: str = "2025-07-01", valid_to: str | None = None) -> Doc:
    """A Megaflex-like version: two seasons, three periods, ZA holidays priced
    as Sundays. Charges: [0] energy_tou, [1] fixed_daily, [2] demand in peak
    and standard, [3] reactive, [4] capacity."""
    sunday = [{"start": "00:00", "end": "24:00", "period": "off_peak"}]
    version: Doc = {
        "valid_from": valid_from,
        "tax_percent": 15,
        "tax_name": "VAT",
        "holidays": {"country": "ZA", "treat_as": "sunday"},
        "time_of_use": {
            "periods": ["peak", "standard", "off_peak"],
            "seasons": [
                {"name": "high", "months": [6, 7, 8]},
                {"name": "low", "months": [1, 2, 3, 4, 5, 9, 10, 11, 12]},
            ],
            "schedule": {
                season: {
                    "weekday": _weekday(),
                    "saturday": _saturday(),
                    "sunday": copy.deepcopy(sunday),
                }
                for season in ("high", "low")
            },
        },
        "charges": [
            {
                "kind": "energy_tou",
                "name": "Active energy",
                "rates": {
                    "high": {"peak": "5.30", "standard": "1.60", "off_peak": "0.87"},
                    "low": {"peak": 1.73, "standard": 1.19, "off_peak": 0.76},
                },
            },
            {"kind": "fixed_daily", "name": "Service charge", "amount": "14.50"},
            {
                "kind": "demand",
                "name": "Network demand charge",
                "rate": "22.50",
                "unit": "kVA",
                "window_minutes": 30,
                "periods": ["peak", "standard"],
            },
            {
                "kind": "reactive",
                "rate": "0.25",
                "free_share": "0.3",
                "periods": ["peak", "standard"],
            },
            {"kind": "capacity", "rate": "12.00"},
        ],
    }
    if valid_to is not None:
        version["valid_to"] = valid_to
    return version


def tou_document(name: str = "Megaflex-like TOU") -> Doc:
    """A realistic time-of-use tariff with two consecutive versions."""
    first = tou_version("2025-07-01", "2026-07-01")
    second = tou_version("2026-07-01")
    second["charges"][0]["rates"]["high"]["peak"] = "5.61"
    return {
        "format": "portal-tariff/1",
        "utility": {"name": "Example Power Utility", "country": "ZA"},
        "name": name,
        "currency": "ZAR",
        "description": "Illustrative time-of-use tariff.\nRates are made up.",
        "versions": [first, second],
    }


def blocks_version(valid_from: str = "2025-07-01", valid_to: str | None = None) -> Doc:
    """Charges: [0] fixed_daily, [1] energy_blocks of four blocks."""
    version: Doc = {
        "valid_from": valid_from,
        "tax_percent": 15,
        "charges": [
            {"kind": "fixed_daily", "name": "Service charge", "amount": 14.5},
            {
                "kind": "energy_blocks",
                "blocks": [
                    {"up_to_kwh": 50, "rate": "1.20"},
                    {"up_to_kwh": 350, "rate": "1.60"},
                    {"up_to_kwh": 600, "rate": "2.10"},
                    {"up_to_kwh": None, "rate": "2.60"},
                ],
            },
        ],
    }
    if valid_to is not None:
        version["valid_to"] = valid_to
    return version


def blocks_document(name: str = "Domestic 4-block") -> Doc:
    return {
        "format": "portal-tariff/1",
        "utility": {"name": "Example Municipality", "country": "ZA"},
        "name": name,
        "versions": [blocks_version("2025-07-01", "2026-07-01")],
    }


# --- building broken documents ------------------------------------------------


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def setting(*path: Any, to: Any) -> Edit:
    return lambda doc: _at(doc, path[:-1]).__setitem__(path[-1], to)


def removing(*path: Any) -> Edit:
    return lambda doc: _at(doc, path[:-1]).pop(path[-1])


def appending(*path: Any, item: Any) -> Edit:
    return lambda doc: _at(doc, path).append(copy.deepcopy(item))


V0 = ("versions", 0)
TOU = (*V0, "time_of_use")
HIGH_WEEKDAY = (*TOU, "schedule", "high", "weekday")
CHARGES = (*V0, "charges")


def _leave_13_45_uncovered(doc: Doc) -> None:
    """Standard 09:00-13:45 and 14:00-17:00: the quarter at 13:45 is in none."""
    spans = _at(doc, HIGH_WEEKDAY)
    spans[2]["end"] = "13:45"
    spans.append({"start": "14:00", "end": "17:00", "period": "standard"})


# The schema reports a problem found by a whole-object check (seasons, the
# schedule, the periods a charge names) at that object, and continues the
# path at the head of the reason: where "versions[0].time_of_use", why
# "schedule.high.weekday: 13:45 is in no period". `location` joins the two so
# the tests check the full path however it is split.
_PATH = re.compile(r"[A-Za-z_]+(\[\d+\])*(\.[A-Za-z_]+(\[\d+\])*)*")


def location(error: DocumentError) -> str:
    head, colon, _ = error.why.partition(": ")
    if colon and _PATH.fullmatch(head):
        return f"{error.where}.{head}" if error.where else head
    return error.where


def problem(make: Callable[[], Doc], edit: Edit) -> DocumentError:
    doc = make()
    edit(doc)
    with pytest.raises(DocumentError) as caught:
        parse_document(doc)
    return caught.value


# --- a valid document ---------------------------------------------------------


def test_a_realistic_time_of_use_document_parses():
    document = parse_document(tou_document())

    assert document.name == "Megaflex-like TOU"
    assert [(v.valid_from, v.valid_to) for v in document.versions] == [
        (date(2025, 7, 1), date(2026, 7, 1)),
        (date(2026, 7, 1), None),
    ]
    version = document.versions[0]
    tou = version.time_of_use
    assert tou is not None
    assert tou.season_of(7) == "high" and tou.season_of(12) == "low"
    weekday = tou.day_periods("high", "weekday")
    assert len(weekday) == 96 and "" not in weekday
    # 06:00-09:00 and 17:00-19:00 are peak: 5 hours, 20 quarter hours.
    assert weekday.count("peak") == 20
    assert (weekday[6 * 4 - 1], weekday[6 * 4], weekday[22 * 4]) == (
        "off_peak",
        "peak",
        "off_peak",
    )
    assert set(tou.day_periods("low", "sunday")) == {"off_peak"}
    assert version.holidays is not None
    assert (version.holidays.country, version.holidays.treat_as) == ("ZA", "sunday")
    # Rates given as strings and as numbers both become exact decimals.
    rates = version.charges[0].rates
    assert rates["high"]["peak"] == Decimal("5.30")
    assert rates["low"]["off_peak"] == Decimal("0.76")
    assert document.versions[1].charges[0].rates["high"]["peak"] == Decimal("5.61")
    assert [c.kind for c in version.charges] == [
        "energy_tou",
        "fixed_daily",
        "demand",
        "reactive",
        "capacity",
    ]


def test_a_block_document_parses_and_names_are_trimmed():
    doc = blocks_document(name="  Domestic 4-block  ")

    document = parse_document(doc)

    assert document.name == "Domestic 4-block"
    assert document.currency == "ZAR"  # the default
    blocks = document.versions[0].charges[1].blocks
    assert [b.up_to_kwh for b in blocks] == [50, 350, 600, None]


def test_spans_may_be_listed_in_any_order():
    doc = tou_document()
    doc["versions"][0]["time_of_use"]["schedule"]["high"]["weekday"].reverse()

    parse_document(doc)


# --- every rule, broken -------------------------------------------------------

OVERLAPPING = [
    pytest.param(
        appending("versions", item=tou_version("2025-07-01")),
        "versions",
        "two versions start on 2025-07-01",
        id="two-versions-same-start",
    ),
    pytest.param(
        setting("versions", 1, "valid_from", to="2026-06-01"),
        "versions",
        "the version from 2025-07-01 runs to 2026-07-01, past the start of the "
        "version from 2026-06-01",
        id="valid-to-past-the-next-start",
    ),
    pytest.param(
        setting(*V0, "valid_to", to="2025-06-30"),
        "versions[0]",
        "valid_to must be after valid_from",
        id="valid-to-before-valid-from",
    ),
    pytest.param(
        setting(*V0, "valid_to", to="2025-07-01"),
        "versions[0]",
        "valid_to must be after valid_from",
        id="valid-to-equal-to-valid-from",  # valid_to is exclusive
    ),
]

SEASONS_AND_SCHEDULE = [
    pytest.param(
        appending(*TOU, "seasons", 0, "months", item=1),
        "versions[0].time_of_use.seasons",
        "month 1 is in both 'high' and 'low'",
        id="month-in-two-seasons",
    ),
    pytest.param(
        setting(*TOU, "seasons", 0, "months", to=[6, 7]),
        "versions[0].time_of_use.seasons",
        "month 8 is in no season",
        id="month-in-no-season",
    ),
    pytest.param(
        setting(*HIGH_WEEKDAY, 1, "start", to="05:45"),
        "versions[0].time_of_use.schedule.high.weekday[1]",
        "05:45 is also covered by [0]",
        id="quarter-hour-covered-twice",
    ),
    pytest.param(
        _leave_13_45_uncovered,
        "versions[0].time_of_use.schedule.high.weekday",
        "13:45 is in no period",
        id="quarter-hour-uncovered",
    ),
    pytest.param(
        setting(
            *TOU,
            "schedule",
            "low",
            "sunday",
            to=[
                {"start": "12:00", "end": "06:00", "period": "off_peak"},
                {"start": "00:00", "end": "24:00", "period": "off_peak"},
            ],
        ),
        "versions[0].time_of_use.schedule.low.sunday[0]",
        "ends at or before it starts",
        id="span-ending-before-its-start",
    ),
    pytest.param(
        lambda doc: _at(doc, HIGH_WEEKDAY).append(
            {"start": "09:00", "end": "09:00", "period": "peak"}
        ),
        "versions[0].time_of_use.schedule.high.weekday[6]",
        "ends at or before it starts",
        id="span-ending-at-its-start",
    ),
    pytest.param(
        setting(*HIGH_WEEKDAY, 1, "start", to="06:10"),
        "versions[0].time_of_use.schedule.high.weekday[1].start",
        "06:10 is not a time on a quarter hour",
        id="time-not-on-a-quarter-hour",
    ),
    pytest.param(
        setting(*HIGH_WEEKDAY, 0, "period", to="night"),
        "versions[0].time_of_use.schedule.high.weekday[0]",
        "'night' is not a period",
        id="span-of-an-unknown-period",
    ),
    pytest.param(
        removing(*TOU, "schedule", "low", "saturday"),
        "versions[0].time_of_use.schedule.low.saturday",
        "missing",
        id="day-type-missing",
    ),
    pytest.param(
        setting(*TOU, "periods", to=["peak", "standard", "off_peak", "peak"]),
        "versions[0].time_of_use.periods",
        "a period is named twice",
        id="period-named-twice",
    ),
]

BLOCKS = [
    pytest.param(
        setting(
            *CHARGES,
            1,
            "blocks",
            to=[
                {"up_to_kwh": 50, "rate": 1},
                {"up_to_kwh": 50, "rate": 2},
                {"up_to_kwh": None, "rate": 3},
            ],
        ),
        "versions[0].charges[1].blocks",
        "block 2 ends at 50 kWh, not above 50 kWh: blocks must increase",
        id="blocks-equal-edges",
    ),
    pytest.param(
        setting(
            *CHARGES,
            1,
            "blocks",
            to=[
                {"up_to_kwh": 350, "rate": 1},
                {"up_to_kwh": 50, "rate": 2},
                {"up_to_kwh": None, "rate": 3},
            ],
        ),
        "versions[0].charges[1].blocks",
        "block 2 ends at 50 kWh, not above 350 kWh: blocks must increase",
        id="blocks-decreasing",
    ),
    pytest.param(
        setting(*CHARGES, 1, "blocks", 3, "up_to_kwh", to=900),
        "versions[0].charges[1].blocks",
        "the last block must be open: up_to_kwh null",
        id="last-block-not-open",
    ),
    pytest.param(
        setting(*CHARGES, 1, "blocks", 1, "up_to_kwh", to=None),
        "versions[0].charges[1].blocks",
        "only the last block may have up_to_kwh null",
        id="open-block-before-the-last",
    ),
]

CHARGES_AND_PERIODS = [
    pytest.param(
        removing(*CHARGES, 0, "rates", "low"),
        "versions[0].charges[0].rates",
        "no rates for season 'low'",
        id="tou-charge-missing-a-season",
    ),
    pytest.param(
        removing(*CHARGES, 0, "rates", "high", "standard"),
        "versions[0].charges[0].rates.high",
        "no rate for 'standard'",
        id="tou-charge-missing-a-period",
    ),
    pytest.param(
        setting(*CHARGES, 0, "rates", "low", "night", to=1),
        "versions[0].charges[0].rates.low",
        "'night' is not a period",
        id="tou-charge-rate-for-an-unknown-period",
    ),
    pytest.param(
        setting(*CHARGES, 2, "periods", to=["peak", "night"]),
        "versions[0].charges[2].periods",
        "'night' is not a period",
        id="demand-names-an-unknown-period",
    ),
    pytest.param(
        removing(*V0, "time_of_use"),
        "versions[0].charges[0]",
        "a time-of-use charge needs time_of_use",
        id="tou-charge-without-time-of-use",
    ),
    pytest.param(
        setting(*V0, "holidays", "country", to="XX"),
        "versions[0].holidays",
        "no public holidays are known for country 'XX'",
        id="unknown-holiday-country",
    ),
    pytest.param(
        setting(*CHARGES, 1, "kind", to="energy_magic"),
        "versions[0].charges[1]",
        "kind must be one of energy_flat, energy_blocks, energy_tou, fixed_daily, "
        "fixed_period, demand, capacity, reactive",
        id="unknown-charge-kind",
    ),
]

VALUES = [
    pytest.param(
        setting(*CHARGES, 2, "rate", to=-1),
        "versions[0].charges[2].rate",
        "greater than or equal to 0",
        id="negative-rate",
    ),
    pytest.param(
        setting(*CHARGES, 0, "rates", "low", "peak", to="-0.01"),
        "versions[0].charges[0].rates.low.peak",
        "greater than or equal to 0",
        id="negative-rate-as-a-string",
    ),
    pytest.param(
        setting(*CHARGES, 2, "rate", to=1e30),
        "versions[0].charges[2].rate",
        "digits",
        id="rate-1e30",
    ),
    pytest.param(
        setting(*CHARGES, 2, "rate", to="1e30"),
        "versions[0].charges[2].rate",
        "digits",
        id="rate-1e30-as-a-string",
    ),
    pytest.param(
        setting(*CHARGES, 2, "rate", to="1000000000000"),
        "versions[0].charges[2].rate",
        "no more than 12 digits before the decimal point",
        id="rate-with-13-digits",
    ),
    pytest.param(
        setting(*CHARGES, 2, "rate", to="0.1234567"),
        "versions[0].charges[2].rate",
        "no more than 6 decimal places",
        id="rate-with-7-decimals",
    ),
    pytest.param(
        setting(*CHARGES, 2, "rate", to="NaN"),
        "versions[0].charges[2].rate",
        "finite number",
        id="rate-NaN",
    ),
    pytest.param(
        setting(*CHARGES, 1, "amount", to="Infinity"),
        "versions[0].charges[1].amount",
        "finite number",
        id="amount-Infinity",
    ),
    pytest.param(
        setting(*CHARGES, 0, "rates", "high", "peak", to="-Infinity"),
        "versions[0].charges[0].rates.high.peak",
        "finite number",
        id="rate-minus-Infinity",
    ),
    pytest.param(
        setting(*CHARGES, 2, "rat", to="22.50"),
        "versions[0].charges[2].rat",
        "Extra inputs are not permitted",
        id="unknown-field-in-a-charge",
    ),
    pytest.param(
        setting("colour", to="red"),
        "colour",
        "Extra inputs are not permitted",
        id="unknown-field-at-the-top",
    ),
    pytest.param(
        setting("format", to="portal-tariff/2"),
        "format",
        "'portal-tariff/1'",
        id="wrong-format-tag",
    ),
    pytest.param(
        removing("format"),
        "format",
        "Field required",
        id="no-format-tag",
    ),
]


@pytest.mark.parametrize(
    ("edit", "where", "why"),
    OVERLAPPING + SEASONS_AND_SCHEDULE + CHARGES_AND_PERIODS + VALUES,
)
def test_a_broken_tou_document_is_refused_naming_where_and_why(edit, where, why):
    error = problem(tou_document, edit)

    assert location(error) == where, str(error)
    assert why in error.why, str(error)
    assert str(error) == f"{error.where}: {error.why}"


@pytest.mark.parametrize(("edit", "where", "why"), BLOCKS)
def test_broken_blocks_are_refused_naming_where_and_why(edit, where, why):
    error = problem(blocks_document, edit)

    assert location(error) == where, str(error)
    assert why in error.why, str(error)


def test_charge_periods_need_time_of_use():
    def demand_in_peak(doc: Doc) -> None:
        doc["versions"][0]["charges"].append(
            {"kind": "demand", "rate": 20, "periods": ["peak"]}
        )

    error = problem(blocks_document, demand_in_peak)

    assert location(error) == "versions[0].charges[2].periods"
    assert "needs time_of_use" in error.why


def test_the_error_message_reads_path_then_reason():
    # What the command line and the import page print is str(error): the
    # dotted path a person follows through the file to the field, a colon,
    # then the reason with the numbers that broke the rule.
    error = problem(
        blocks_document, setting(*CHARGES, 1, "blocks", 2, "up_to_kwh", to=350)
    )

    assert str(error).startswith("versions[0].charges[1].blocks: ")
    assert "block 3 ends at 350 kWh, not above 350 kWh" in str(error)
    assert str(error).endswith("blocks must increase")


def test_an_unknown_kind_lists_every_kind():
    error = problem(tou_document, setting(*CHARGES, 3, "kind", to="Reactive"))

    assert error.where == "versions[0].charges[3]"
    listed = error.why.removeprefix("kind must be one of ").split(", ")
    assert listed == list(CHARGE_KINDS)
    assert len(listed) == 8


@pytest.mark.parametrize(
    ("path", "name", "where"),
    [
        (("name",), "Bad\nname", "name"),
        (("name",), "Tab\there", "name"),
        (("name",), "Bell\x07", "name"),
        (("name",), "Delete\x7f", "name"),
        (("utility", "name"), "Nul\x00 utility", "utility.name"),
        ((*CHARGES, 1, "name"), "\x1b[31mRed", "versions[0].charges[1].name"),
        ((*V0, "tax_name"), "V\rAT", "versions[0].tax_name"),
        ((*TOU, "periods", 0), "pe\nak", "versions[0].time_of_use.periods[0]"),
        # C1 controls are control characters too (Unicode category Cc):
        # U+009B is the 8-bit CSI that starts a terminal escape sequence.
        (("name",), "Csi\x9b31m", "name"),
        (("name",), "Next\x85line", "name"),
    ],
    ids=[
        "newline",
        "tab",
        "bell",
        "del",
        "nul",
        "escape",
        "cr",
        "period",
        "c1-csi",
        "c1-nel",
    ],
)
def test_a_control_character_in_a_name_is_refused(path, name, where):
    error = problem(tou_document, setting(*path, to=name))

    assert error.where == where, str(error)


def test_a_version_alone_is_checked_by_the_same_rules():
    # The version editor parses one version: the path starts inside it.
    version = blocks_version()
    version["charges"][1]["blocks"][3]["up_to_kwh"] = 900

    with pytest.raises(DocumentError) as caught:
        parse_version(version)

    assert str(caught.value) == (
        "charges[1].blocks: the last block must be open: up_to_kwh null"
    )
    assert parse_version(blocks_version()).valid_from == date(2025, 7, 1)


def test_a_clock_time_past_the_end_of_the_day_is_refused():
    error = problem(
        tou_document, setting(*TOU, "schedule", "high", "sunday", 0, "end", to="24:15")
    )

    assert error.where.startswith("versions[0].time_of_use")
    assert "24:15" in str(error)
