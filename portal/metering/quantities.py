"""The quantities a reading can carry, under the names the API, the CSV
export and the database columns all use.

Every name ends in its unit, so no column ever mixes units: volts, amperes,
kilowatts, kilovars, kilovolt-amperes, hertz, and kWh / kvarh / kVAh for the
cumulative registers.
"""

from typing import Final

INSTANT_QUANTITIES: Final = (
    "frequency_hz",
    "v1_v",
    "v2_v",
    "v3_v",
    "v12_v",
    "v23_v",
    "v31_v",
    "i1_a",
    "i2_a",
    "i3_a",
    "in_a",
    "p1_kw",
    "p2_kw",
    "p3_kw",
    "p_kw",
    "q1_kvar",
    "q2_kvar",
    "q3_kvar",
    "q_kvar",
    "s1_kva",
    "s2_kva",
    "s3_kva",
    "s_kva",
    "pf1",
    "pf2",
    "pf3",
    "pf",
)

# Cumulative registers: energy is the difference between two readings.
REGISTERS: Final = (
    "kwh_import",
    "kwh_export",
    "kvarh_import",
    "kvarh_export",
    "kvah",
)

# The registers the energy engine turns into interval energy.
ENERGY_REGISTERS: Final = ("kwh_import", "kwh_export", "kvarh_import", "kvarh_export")

QUANTITIES: Final = INSTANT_QUANTITIES + REGISTERS
