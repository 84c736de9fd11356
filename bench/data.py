"""Synthetic readings: a busy three-phase Acuvim on a 400 V supply, once a minute.

The load follows a day's curve with some noise, and every quantity the portal
stores is derived from it the way a meter relates them (P = V I pf, S = V I,
Q from P and S), so the values look like a real meter's: voltages near 230 V,
power factors near 0.92, cumulative registers rising by the energy of each
minute. The numbers are deterministic: every repetition sends the same rows.
"""

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from portal.metering.quantities import QUANTITIES

MINUTE = timedelta(minutes=1)
_MINUTES_A_DAY = 1440

# Rated current of each phase at full load, amperes.
_FULL_LOAD_A = 120.0

# Where the registers stand when the series starts, as on a meter in service.
_START_REGISTERS = {
    "kwh_import": 36855.1,
    "kwh_export": 9953.4,
    "kvarh_import": 3.4,
    "kvarh_export": 52652.9,
    "kvah": 41200.7,
}

Row = tuple[datetime, tuple[float, ...]]  # a time and one value per QUANTITIES


def series_start(minutes: int) -> datetime:
    """The start of a series of `minutes` readings that ends a day before now.

    Every reading must lie in the past: the portal refuses readings stamped
    ahead of its clock.
    """
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=1) - minutes * MINUTE


def _day_curve() -> list[float]:
    """Load as a share of full load for each minute of a day: low at night,
    a morning ramp and an afternoon peak."""
    curve = []
    for minute in range(_MINUTES_A_DAY):
        hours = minute / 60
        daily = 0.5 - 0.3 * math.cos(2 * math.pi * (hours - 3) / 24)
        shift = 0.15 if 7 <= hours < 18 else 0.0
        curve.append(daily + shift)
    return curve


_CURVE = _day_curve()


def _load(minute_of_day: int, rng: random.Random) -> float:
    return max(0.05, _CURVE[minute_of_day] * (1 + rng.gauss(0, 0.04)))


class _Meter:
    """The registers of one meter, advanced one minute at a time."""

    def __init__(self) -> None:
        self.registers = dict(_START_REGISTERS)

    def advance(self, p_kw: float, q_kvar: float, s_kva: float) -> None:
        self.registers["kwh_import"] += p_kw / 60
        self.registers["kvarh_import"] += q_kvar / 60
        self.registers["kvah"] += s_kva / 60
        # A little export now and then (a rooftop array at midday).
        self.registers["kwh_export"] += 0.002
        self.registers["kvarh_export"] += 0.0005

    def rounded(self) -> list[float]:
        # Acuvim registers resolve 0.1 kWh.
        return [round(value, 1) for value in self.registers.values()]


def _instant_values(load: float, rng: random.Random) -> dict[str, float]:
    values: dict[str, float] = {"frequency_hz": round(50 + rng.gauss(0, 0.015), 2)}
    p_sum = q_sum = s_sum = 0.0
    for phase in (1, 2, 3):
        volts = 230 + rng.gauss(0, 1.2)
        amps = _FULL_LOAD_A * load * (1 + 0.04 * (phase - 2)) + rng.gauss(0, 0.3)
        pf = min(0.99, 0.92 + rng.gauss(0, 0.01))
        s = volts * amps / 1000
        p = s * pf
        q = math.sqrt(max(s * s - p * p, 0.0))
        values |= {
            f"v{phase}_v": round(volts, 1),
            f"i{phase}_a": round(amps, 3),
            f"p{phase}_kw": round(p, 3),
            f"q{phase}_kvar": round(q, 3),
            f"s{phase}_kva": round(s, 3),
            f"pf{phase}": round(pf, 3),
        }
        p_sum, q_sum, s_sum = p_sum + p, q_sum + q, s_sum + s

    for name, a, b in (("v12_v", 1, 2), ("v23_v", 2, 3), ("v31_v", 3, 1)):
        line = (values[f"v{a}_v"] + values[f"v{b}_v"]) / 2 * math.sqrt(3)
        values[name] = round(line, 1)
    values |= {
        "in_a": round(abs(rng.gauss(2.0, 0.5)), 3),
        "p_kw": round(p_sum, 3),
        "q_kvar": round(q_sum, 3),
        "s_kva": round(s_sum, 3),
        "pf": round(p_sum / s_sum, 3),
    }
    return values


def readings(start: datetime, count: int, seed: int = 1) -> Iterator[Row]:
    """`count` readings one minute apart from `start`, with every quantity."""
    rng = random.Random(seed)
    meter = _Meter()
    for index in range(count):
        ts = start + index * MINUTE
        load = _load((ts.hour * 60 + ts.minute) % _MINUTES_A_DAY, rng)
        values = _instant_values(load, rng)
        meter.advance(values["p_kw"], values["q_kvar"], values["s_kva"])
        values |= dict(zip(meter.registers, meter.rounded(), strict=True))
        yield ts, tuple(values[name] for name in QUANTITIES)


def json_batch(device: str, rows: list[Row]) -> bytes:
    """The request body of POST /api/v1/readings for these rows."""
    records = [
        {
            "device": device,
            "time": ts.isoformat(),
            **dict(zip(QUANTITIES, values, strict=True)),
        }
        for ts, values in rows
    ]
    return json.dumps({"readings": records}).encode()


def copy_rows(device_id: int, rows: list[Row]) -> list[tuple]:
    """The rows as the readings table's columns: device id, time, quantities."""
    return [(device_id, ts, *values) for ts, values in rows]


def copy_text(device_id: int, rows: list[Row]) -> bytes:
    """The rows in COPY's text format, ready to send as they are."""
    lines = [
        "\t".join((str(device_id), ts.isoformat(), *map(repr, values)))
        for ts, values in rows
    ]
    return ("\n".join(lines) + "\n").encode()


# --- Acuview data-log export --------------------------------------------------

ACUVIEW_TITLE = "Data Log 1,"
ACUVIEW_HEADER = (
    "No.,Time Stamp,Ep_Imp [kWh],Ep_Exp [kWh],Eq_Imp [kvarh],Eq_Exp [kvarh],"
)
_ACUVIEW_REGISTERS = ("kwh_import", "kwh_export", "kvarh_import", "kvarh_export")


def write_acuview_csv(path: Path, start_local: datetime, lines: int) -> None:
    """Write an Acuview export of `lines` records a minute apart from the naive
    local time `start_local`, in Acuview's own layout: a title line, the
    header, a space before each comma, a comma at the end, CRLF."""
    rng = random.Random(7)
    meter = _Meter()
    clock = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(_MINUTES_A_DAY)]
    first_minute = start_local.hour * 60 + start_local.minute
    day = start_local.date()

    with path.open("w", encoding="ascii", newline="\r\n") as out:
        out.write(f"{ACUVIEW_TITLE}\n{ACUVIEW_HEADER}\n")
        for number in range(1, lines + 1):
            minute = (first_minute + number - 1) % _MINUTES_A_DAY
            if minute == 0 and number > 1:
                day += timedelta(days=1)
            # Registers only: the load's real and reactive parts drive them.
            p_kw = 3 * 0.23 * _FULL_LOAD_A * _load(minute, rng) * 0.92
            meter.advance(p_kw, p_kw * 0.42, p_kw / 0.92)
            registers = (meter.registers[name] for name in _ACUVIEW_REGISTERS)
            cells = " ,".join(f"{value:.1f}" for value in registers)
            out.write(f"{number},{day.isoformat()} {clock[minute]} ,{cells} ,\n")
