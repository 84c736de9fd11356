"""How the pages name quantities: a label for people and the unit from the
name's suffix (see portal.metering.quantities)."""

from typing import Final

_LABELS: Final = {
    "frequency_hz": "Frequency",
    "v1_v": "Voltage L1-N",
    "v2_v": "Voltage L2-N",
    "v3_v": "Voltage L3-N",
    "v12_v": "Voltage L1-L2",
    "v23_v": "Voltage L2-L3",
    "v31_v": "Voltage L3-L1",
    "i1_a": "Current L1",
    "i2_a": "Current L2",
    "i3_a": "Current L3",
    "in_a": "Current neutral",
    "p1_kw": "Active power L1",
    "p2_kw": "Active power L2",
    "p3_kw": "Active power L3",
    "p_kw": "Active power total",
    "q1_kvar": "Reactive power L1",
    "q2_kvar": "Reactive power L2",
    "q3_kvar": "Reactive power L3",
    "q_kvar": "Reactive power total",
    "s1_kva": "Apparent power L1",
    "s2_kva": "Apparent power L2",
    "s3_kva": "Apparent power L3",
    "s_kva": "Apparent power total",
    "pf1": "Power factor L1",
    "pf2": "Power factor L2",
    "pf3": "Power factor L3",
    "pf": "Power factor total",
    "kwh_import": "Active energy import",
    "kwh_export": "Active energy export",
    "kvarh_import": "Reactive energy import",
    "kvarh_export": "Reactive energy export",
    "kvah": "Apparent energy",
}

_UNITS_BY_SUFFIX: Final = (
    ("_hz", "Hz"),
    ("_v", "V"),
    ("_a", "A"),
    ("_kw", "kW"),
    ("_kvar", "kvar"),
    ("_kva", "kVA"),
)


def label(quantity: str) -> str:
    return _LABELS.get(quantity, quantity)


def unit(quantity: str) -> str:
    if quantity.startswith("pf"):
        return ""
    if quantity.startswith("kwh_"):
        return "kWh"
    if quantity.startswith("kvarh_"):
        return "kvarh"
    if quantity == "kvah":
        return "kVAh"
    for suffix, name in _UNITS_BY_SUFFIX:
        if quantity.endswith(suffix):
            return name
    return ""
