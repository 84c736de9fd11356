"""AXM-WEB2 JSON snapshots.

Two shapes. The one seen from a real module nests the meter under `device`
and stamps Unix seconds::

    {"timestamp": 1778252253,
     "gateway": {"name": "AXM-WEB2", "model": "AXM-WEB2", "serial": "AN00000001"},
     "device": {"model": "Acuvim-L", "serial": "CLD00000001", "online": true,
                "readings": [{"param": "Psum_kW", "value": "7.05", "unit": "kW"}]}}

The older documented one has `readings` at the top level, an ISO 8601
timestamp and power in W (`{"param": "Psum", "value": "7050", "unit": "W"}`).
Where that shape puts the meter's serial and model is not documented; they
are read from the top level (`serial`, `model`), beside `gateway`.

Rules:

- The payload is one snapshot object or a list of them; anything else is a
  FormatError. RecordError.index is the snapshot's 0-based position.
- Device: the meter's serial; if that is empty, the gateway serial, "/" and
  the meter model (`AN00000001/Acuvim-L`); if neither, an error.
- Timestamp: a number is Unix seconds; a string is ISO 8601 and must carry
  an offset (`Z` or `+02:00`), since a local time names no zone. Missing or
  unreadable is an error, and the snapshot gives no record.
- Params are matched ignoring case and an appended unit (`Psum_kW` is
  `Psum`); the unit is taken from `unit`, never from the name. Unknown
  params are ignored. When two params give one quantity, the first usable
  one counts.
- Values are strings (numbers are accepted too). A value that is not a
  number (`"----"`) or is a meter sentinel is a missing value, skipped
  without an error. A unit that does not fit its quantity is an error for
  that field; the snapshot's other values still make a reading.
- A snapshot with no usable value at all is an error ("no values").

Parameter names (any case, with or without an appended unit):

====================  ==================================
quantity              params
====================  ==================================
frequency_hz          F, Freq, Frequency
v1_v, v2_v, v3_v      V1, V2, V3
v12_v, v23_v, v31_v   V12, V23, V31
i1_a, i2_a, i3_a      I1, I2, I3
in_a                  In
p1_kw .. p3_kw        P1, P2, P3 or Pa, Pb, Pc
p_kw                  Psum, P
q1_kvar .. q3_kvar    Q1, Q2, Q3 or Qa, Qb, Qc
q_kvar                Qsum, Q
s1_kva .. s3_kva      S1, S2, S3 or Sa, Sb, Sc
s_kva                 Ssum, S
pf1 .. pf3            PF1, PF2, PF3 or PFa, PFb, PFc
pf                    PF, PFsum
kwh_import            Ep_imp
kwh_export            Ep_exp
kvarh_import          Eq_imp
kvarh_export          Eq_exp
kvah                  Es
====================  ==================================

The canonical names themselves (`p_kw`, `kwh_import`) are accepted too; the
table lives in `portal.ingest.records.ALIASES`.
"""

import math
from dataclasses import replace
from datetime import UTC, datetime

from portal.ingest.records import (
    FormatError,
    ReadingRecord,
    RecordError,
    check_value,
    quantity_for,
    rescale,
    unit_power,
)

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _text(raw: object) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return ""


def _device_id(snapshot: dict, meter: dict) -> str | None:
    """The meter's serial, else gateway serial/model, else None."""
    serial = _text(meter.get("serial"))
    if serial:
        return serial

    gateway = snapshot.get("gateway")
    gateway_serial = _text(gateway.get("serial")) if isinstance(gateway, dict) else ""
    model = _text(meter.get("model"))
    if gateway_serial and model:
        return f"{gateway_serial}/{model}"
    return None


def _timestamp(raw: object) -> datetime | str:
    """The UTC time of a snapshot's timestamp, or the reason it has none."""
    if raw is None or raw == "":
        return "no timestamp"

    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return datetime.fromtimestamp(raw, UTC)
        except (OverflowError, OSError, ValueError):
            return "timestamp out of range for Unix seconds"

    if not isinstance(raw, str):
        return "timestamp is neither Unix seconds nor an ISO 8601 string"
    try:
        ts = datetime.fromisoformat(raw.strip())
    except ValueError:
        return "timestamp is not ISO 8601"
    if ts.utcoffset() is None:
        return "timestamp has no UTC offset (the zone is missing)"
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        return "timestamp out of range"


def _read_values(
    index: int, device: str, readings: list
) -> tuple[dict[str, float], list[RecordError]]:
    """The usable values of a readings list, and the fields in error."""
    values: dict[str, float] = {}
    errors: list[RecordError] = []

    for reading in readings:
        param = reading.get("param") if isinstance(reading, dict) else None
        quantity = quantity_for(param) if isinstance(param, str) else None
        if quantity is None or quantity in values:
            continue
        try:
            raw = check_value(quantity, reading.get("value"))
        except ValueError:
            continue  # "----" or a sentinel: the meter has no value to give

        unit = reading.get("unit") or ""
        try:
            power = unit_power(quantity, unit if isinstance(unit, str) else "?")
        except ValueError as error:
            errors.append(RecordError(index, device, quantity, str(error)))
            continue
        value = rescale(raw, power)
        if not math.isfinite(value):
            reason = "not a finite number after unit conversion"
            errors.append(RecordError(index, device, quantity, reason))
            continue
        values[quantity] = value

    # A field in error drops that value only, while the snapshot has others.
    return values, [replace(error, partial=bool(values)) for error in errors]


def _parse_snapshot(
    index: int, snapshot: object
) -> tuple[ReadingRecord | None, list[RecordError]]:
    if not isinstance(snapshot, dict):
        kind = _JSON_TYPES.get(type(snapshot), "not an object")
        return None, [RecordError(index, None, None, f"snapshot is {kind}")]

    # The newer shape nests the meter under "device"; the older is flat.
    meter = snapshot["device"] if isinstance(snapshot.get("device"), dict) else snapshot
    device = _device_id(snapshot, meter)
    ts = _timestamp(snapshot.get("timestamp"))
    readings = meter.get("readings")

    errors = []
    if device is None:
        reason = "no device serial, nor a gateway serial and device model"
        errors.append(RecordError(index, None, "device", reason))
    if isinstance(ts, str):
        errors.append(RecordError(index, device, "time", ts))
    if not isinstance(readings, list):
        errors.append(RecordError(index, device, None, "no readings list"))
    if device is None or isinstance(ts, str) or not isinstance(readings, list):
        return None, errors

    values, errors = _read_values(index, device, readings)
    if not values:
        offline = " (device offline)" if meter.get("online") is False else ""
        errors.append(RecordError(index, device, None, f"no values{offline}"))
        return None, errors
    return ReadingRecord(device, ts, values, index=index), errors


def parse_axm_snapshots(
    payload: object,
) -> tuple[list[ReadingRecord], list[RecordError]]:
    """Read decoded AXM-WEB2 JSON: one snapshot object or a list of them.

    Returns the readings and the errors, each error placed by the snapshot's
    position in the list. Raises FormatError if the payload is neither.
    """
    if isinstance(payload, dict):
        snapshots: list = [payload]
    elif isinstance(payload, list):
        snapshots = payload
    else:
        kind = _JSON_TYPES.get(type(payload), "not JSON")
        raise FormatError(f"expected a snapshot object or a list of them, found {kind}")

    records: list[ReadingRecord] = []
    errors: list[RecordError] = []
    for index, snapshot in enumerate(snapshots):
        record, snapshot_errors = _parse_snapshot(index, snapshot)
        if record is not None:
            records.append(record)
        errors.extend(snapshot_errors)
    return records, errors
