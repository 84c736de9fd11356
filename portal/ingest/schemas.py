"""The JSON batch API's schema, and the per-record checks behind it.

The request is validated one record at a time, not as a whole: a bad record
is rejected with its reason and the rest of the batch is stored. The pydantic
models below are the documented shape (OpenAPI) and validate each record.
"""

import re
from datetime import UTC, datetime
from typing import Any

import msgspec
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    ValidationError,
    create_model,
)

from portal.ingest.actions import storable
from portal.ingest.records import (
    ReadingRecord,
    RecordError,
    check_value,
    plainly_valid,
)
from portal.metering.quantities import QUANTITIES

_QUANTITY_HELP = {
    "frequency_hz": "frequency, Hz",
    "kwh_import": "cumulative import register, kWh",
    "kwh_export": "cumulative export register, kWh",
    "kvarh_import": "cumulative reactive import register, kvarh",
    "kvarh_export": "cumulative reactive export register, kvarh",
    "kvah": "cumulative apparent energy register, kVAh",
}


class _ReadingBase(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=True)

    device: str = Field(
        min_length=1, max_length=128, description="the device's external id"
    )
    time: AwareDatetime = Field(description="ISO 8601 with a UTC offset")


ReadingIn = create_model(  # type: ignore[call-overload]
    "ReadingIn",
    __base__=_ReadingBase,
    **{
        name: (
            # Strict: true, false and "12.5" are not numbers in a batch.
            StrictFloat | None,
            Field(default=None, description=_QUANTITY_HELP.get(name, name)),
        )
        for name in QUANTITIES
    },
)


class ReadingBatchIn(BaseModel):
    readings: list[ReadingIn] = Field(  # type: ignore[valid-type]
        description="at most PORTAL_MAX_BATCH_READINGS records"
    )


class RecordErrorOut(BaseModel):
    index: int
    device: str | None
    field: str | None
    reason: str


class BatchResultOut(BaseModel):
    received: int
    accepted: int
    duplicates: int
    rejected: int
    errors: list[RecordErrorOut]


def read_record(index: int, item: Any) -> ReadingRecord | RecordError:
    """One API record as a ReadingRecord, or the first thing wrong with it."""
    device = item.get("device") if isinstance(item, dict) else None
    device = device if isinstance(device, str) else None
    if not isinstance(item, dict):
        return RecordError(index, None, None, "a reading must be a JSON object")

    try:
        parsed = ReadingIn.model_validate(item)
    except ValidationError as error:
        return _first_error(index, device, error)

    values = {name: getattr(parsed, name) for name in QUANTITIES}
    values = {name: value for name, value in values.items() if value is not None}
    if not plainly_valid(values):
        for name, raw in values.items():
            try:
                values[name] = check_value(name, raw)
            except ValueError as error:
                return RecordError(index, device, name, str(error))

    if not storable(parsed.device):
        reason = "device id holds characters no device has"
        return RecordError(index, None, "device", reason)
    try:
        ts = parsed.time.astimezone(UTC)
    except OverflowError:
        return RecordError(index, device, "time", "time out of range")
    return ReadingRecord(device=parsed.device, ts=ts, values=values, index=index)


def _first_error(index: int, device: str | None, error: ValidationError) -> RecordError:
    detail = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in detail["loc"]) or None
    kind = detail["type"]
    if kind == "extra_forbidden":
        reason = f"unknown field {field!r}"
    elif field == "time":
        reason = (
            "time must be ISO 8601 with a UTC offset, e.g. 2026-03-02T10:15:00+02:00"
        )
    elif kind == "missing":
        reason = "required"
    else:
        reason = detail["msg"]
    return RecordError(index, device, field, reason)


# --- the fast path ------------------------------------------------------------

# A batch whose every record is plainly valid is decoded in one pass by
# msgspec, in C, instead of record by record: the same schema, checked the
# same way. Anything the fast path is not sure of (a type error anywhere, an
# unusual time, a suspicious value) sends the whole batch down the
# record-by-record path above, which finds and words the errors.

_FastReading = msgspec.defstruct(
    "FastReading",
    [("device", str), ("time", str)]
    + [(name, float | None, None) for name in QUANTITIES],
    forbid_unknown_fields=True,
)


class _FastBatch(msgspec.Struct):
    readings: list[_FastReading]  # type: ignore[valid-type]


_fast_decoder = msgspec.json.Decoder(_FastBatch)

# RFC 3339 with at most microseconds: the times both paths read identically.
_PLAIN_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})"
)


def read_batch_fast(body: bytes) -> list[ReadingRecord] | None:
    """Every record of a batch, or None when the batch needs the careful path."""
    try:
        batch = _fast_decoder.decode(body)
    except msgspec.MsgspecError:
        return None

    records = []
    for index, reading in enumerate(batch.readings):
        record = _fast_record(index, reading)
        if record is None:
            return None
        records.append(record)
    return records


def _fast_record(index: int, reading: Any) -> ReadingRecord | None:
    fields = msgspec.structs.asdict(reading)
    device, time = fields.pop("device"), fields.pop("time")
    if not 0 < len(device) <= 128 or not storable(device):
        return None
    if not _PLAIN_TIME.fullmatch(time):
        return None

    values = {name: value for name, value in fields.items() if value is not None}
    if not values:
        return None
    if not plainly_valid(values):
        try:
            values = {name: check_value(name, raw) for name, raw in values.items()}
        except ValueError:
            return None
    try:
        ts = datetime.fromisoformat(time.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return ReadingRecord(device=device, ts=ts, values=values, index=index)
