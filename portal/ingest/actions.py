"""Every write of the ingest path: readings in, an ingest event out.

A batch goes through `ingest_records`: records that fail are rejected with a
reason and the rest are stored. The batch's ingest event is opened first and
each chunk of readings commits together with the event's counts, so the
event always tells what is stored, even if the process dies half-way through
a large file. Storing a chunk is one COPY into a staging table and one
INSERT ... ON CONFLICT DO NOTHING that also widens the devices' stale spans,
so a reading and the mark that its intervals need recomputing commit
together.
"""

import logging
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from portal.ingest.models import IngestEvent, IngestKey
from portal.ingest.records import ReadingRecord, RecordError
from portal.metering.models import Device, QualityEvent
from portal.metering.partitions import ensure_partitions, month_of
from portal.metering.quantities import QUANTITIES

logger = logging.getLogger("portal.ingest")

CHUNK_SIZE = 5000
MAX_STORED_ERRORS = 50
MAX_ECHOED_TEXT = 200

_COLUMNS = ("device_id", "ts", *QUANTITIES)
_COLUMN_LIST = ", ".join(_COLUMNS)


@dataclass
class BatchOutcome:
    """What happened to a batch. `received` counts records (a reading, a line,
    a snapshot); an error that dropped one field of a record that was still
    stored is listed in `errors` but rejects nothing."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RecordError] = field(default_factory=list)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    device_ids: set[int] = field(default_factory=set)  # stored new readings
    seen_device_ids: set[int] = field(default_factory=set)  # named by a record

    def reject(self, error: RecordError) -> None:
        if not error.partial:
            self.rejected += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(error)

    def span(self, ts: datetime) -> None:
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if self.last_ts is None or ts > self.last_ts:
            self.last_ts = ts


def storable(text: str) -> bool:
    """Whether PostgreSQL can hold this text (no NUL, no lone surrogates)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_text(text: str | None) -> str | None:
    """Text echoed back or stored from what a client sent: short and storable."""
    if text is None:
        return None
    shortened = text[:MAX_ECHOED_TEXT] + ("…" if len(text) > MAX_ECHOED_TEXT else "")
    shortened = shortened.replace("\x00", "\\0")
    return shortened.encode("utf-8", "backslashreplace").decode("utf-8")


class DeviceDirectory:
    """Resolves the identifiers a source sends (external id or serial) to devices,
    remembering answers for the length of one import."""

    def __init__(self, restrict_to: Device | None = None) -> None:
        self._restrict_to = restrict_to
        self._cache: dict[str, Device | str | None] = {}

    def lookup(self, identifiers: Iterable[str]) -> None:
        missing = {i for i in identifiers if i not in self._cache}
        for identifier in [i for i in missing if not storable(i)]:
            missing.discard(identifier)
            self._cache[identifier] = None
        if not missing:
            return

        found = Device.objects.filter(
            Q(external_id__in=missing) | Q(serial__in=missing)
        ).select_related("site")
        matches: dict[str, set[Device]] = {}
        for device in found:
            for identifier in {device.external_id, device.serial} & missing:
                matches.setdefault(identifier, set()).add(device)
        for identifier in missing:
            devices = matches.get(identifier, set())
            self._cache[identifier] = _only(devices, identifier)

    def get(self, identifier: str) -> Device | None:
        found = self._cache.get(identifier)
        return found if isinstance(found, Device) else None

    def check(self, record: ReadingRecord) -> Device | str:
        found = self._cache.get(record.device)
        name = clean_text(record.device)
        if isinstance(found, str):
            return found
        if found is None:
            return f"unknown device {name!r}"
        if self._restrict_to is not None and found.pk != self._restrict_to.pk:
            expected = self._restrict_to.external_id
            return f"file names device {name!r}, not {expected!r}"
        if not found.is_active:
            return f"device {name!r} is deactivated"
        return found


def _only(devices: set[Device], identifier: str) -> Device | str | None:
    if len(devices) > 1:
        names = ", ".join(sorted(d.external_id for d in devices))
        return f"{identifier!r} names more than one device ({names}); fix their serials"
    return next(iter(devices), None)


def ingest_records(
    items: Iterable[ReadingRecord | RecordError],
    *,
    source: str,
    key: IngestKey | None = None,
    user=None,  # type: ignore[no-untyped-def]
    directory: DeviceDirectory | None = None,
    bytes_received: int = 0,
    filename: str = "",
    notes: Iterable[str] = (),
) -> tuple[IngestEvent, BatchOutcome]:
    """Store every valid record, reject the rest with reasons, and record the batch."""
    started = time.perf_counter()
    received_at = datetime.now(UTC)
    directory = directory or DeviceDirectory()
    outcome = BatchOutcome()
    event = _open_event(source, key, user, bytes_received, filename, notes, received_at)

    for chunk in _chunks(items, CHUNK_SIZE):
        _store_chunk(chunk, directory, outcome, received_at, event)

    _close_event(event, outcome, key, started)
    _after_commit_recompute(outcome.device_ids)
    return event, outcome


def _chunks(
    items: Iterable[ReadingRecord | RecordError], size: int
) -> Iterator[list[ReadingRecord | RecordError]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class _Admission:
    """The rows of one chunk that passed every check, and what they revealed."""

    horizon: datetime
    floor: datetime
    rows: dict[tuple[int, datetime], tuple] = field(default_factory=dict)
    clock_ahead: dict[int, datetime] = field(default_factory=dict)
    clock_behind: dict[int, datetime] = field(default_factory=dict)


def _store_chunk(
    chunk: list[ReadingRecord | RecordError],
    directory: DeviceDirectory,
    outcome: BatchOutcome,
    received_at: datetime,
    event: IngestEvent,
) -> None:
    directory.lookup(item.device for item in chunk if isinstance(item, ReadingRecord))
    admission = _Admission(
        horizon=received_at + timedelta(seconds=settings.PORTAL_FUTURE_MARGIN_SECONDS),
        floor=settings.PORTAL_EARLIEST_READING,
    )
    # Admission runs record by record, which holds the batch API at about 0.42
    # of the COPY rate (docs/PERFORMANCE.md); admitting per device and per
    # chunk (one device check per distinct device, the time bounds from the
    # chunk's minimum and maximum) would bring it to the targeted 0.5.
    position = outcome.received
    for item in chunk:
        if isinstance(item, RecordError):
            outcome.received += 0 if item.partial else 1
            outcome.reject(item)
            continue
        outcome.received += 1
        index = position if item.index is None else item.index
        _admit(item, index, directory, admission, outcome)
        position += 1

    # Partitions first, in their own short transaction: creating one locks the
    # readings table, which must not stay locked while a large file streams.
    ensure_partitions(month_of(row[1]) for row in admission.rows.values())
    with transaction.atomic():
        _note_clock_problems(admission)
        if admission.rows:
            _write_rows(list(admission.rows.values()), outcome)
        _save_counts(event, outcome)


def _admit(
    record: ReadingRecord,
    index: int,
    directory: DeviceDirectory,
    admission: _Admission,
    outcome: BatchOutcome,
) -> None:
    known = directory.get(record.device)
    if known is not None:
        outcome.seen_device_ids.add(known.pk)
    checked = directory.check(record)
    if isinstance(checked, str):
        outcome.reject(RecordError(index, record.device, "device", checked))
        return

    problem = _time_problem(record.ts, checked, admission)
    if problem is not None:
        outcome.reject(RecordError(index, record.device, "time", problem))
        return
    unusable = _unusable_value(record.values)
    if unusable is not None:
        outcome.reject(RecordError(index, record.device, *unusable))
        return

    row_key = (checked.pk, record.ts)
    if row_key in admission.rows:
        # The same instant twice in one batch is one reading sent twice.
        outcome.duplicates += 1
        return

    values = _inverted(record.values) if checked.invert_sign else record.values
    admission.rows[row_key] = (checked.pk, record.ts, *map(values.get, QUANTITIES))
    outcome.span(record.ts)


def _time_problem(ts: datetime, device: Device, admission: _Admission) -> str | None:
    if ts > admission.horizon:
        admission.clock_ahead.setdefault(device.pk, ts)
        return (
            f"time {ts.isoformat()} is ahead of the server clock (meter clock wrong?)"
        )
    if ts < admission.floor:
        admission.clock_behind.setdefault(device.pk, ts)
        return (
            f"time {ts.isoformat()} is before {admission.floor.date().isoformat()}, "
            "the earliest reading accepted (meter clock at a factory date?)"
        )
    return None


def _unusable_value(values: dict[str, float]) -> tuple[str | None, str] | None:
    """A record must carry at least one value, and every value must be finite."""
    if not values:
        return None, "no values"
    if math.isfinite(sum(values.values())):
        return None  # one sum for the usual record; a value at a time otherwise
    for name, value in values.items():
        if not math.isfinite(value):
            return name, "not a finite number"
    return None


def _inverted(values: dict[str, float]) -> dict[str, float]:
    """A device with CTs fitted backwards: swap the import and export registers
    and turn the sign of active power, so stored readings mean what they say."""
    swapped = dict(values)
    for imp, exp in (("kwh_import", "kwh_export"), ("kvarh_import", "kvarh_export")):
        swapped.pop(imp, None)
        swapped.pop(exp, None)
        if exp in values:
            swapped[imp] = values[exp]
        if imp in values:
            swapped[exp] = values[imp]
    for name in ("p1_kw", "p2_kw", "p3_kw", "p_kw"):
        if name in values:
            swapped[name] = -values[name]
    return swapped


def _write_rows(rows: list[tuple], outcome: BatchOutcome) -> None:
    """Store rows that are new; count the ones already stored as duplicates.

    Most batches hold only new readings, and for them a COPY straight into the
    readings table is the fastest write there is. A batch that repeats stored
    readings makes that COPY fail on the primary key; the savepoint undoes it
    and the rows go through a staging table and INSERT ... ON CONFLICT DO
    NOTHING instead."""
    try:
        with transaction.atomic():
            counts = _copy_new_rows(rows)
    except (IntegrityError, psycopg.errors.UniqueViolation):
        counts = _insert_through_staging(rows)

    stored = sum(counts.values())
    outcome.accepted += stored
    outcome.duplicates += len(rows) - stored
    outcome.device_ids.update(counts)


def _copy_new_rows(rows: list[tuple]) -> dict[int, int]:
    spans = _span_counts(rows)
    values = ", ".join(["(%s, %s, %s, now())"] * len(spans))
    params = [
        part
        for device_id, (first, last, _) in spans.items()
        for part in (device_id, first, last)
    ]
    with connection.cursor() as cursor:
        _copy_binary(cursor, "metering_reading", rows)
        cursor.execute(_MARK_STALE.format(values=values), params)
    return {device_id: count for device_id, (_, _, count) in spans.items()}


def _insert_through_staging(rows: list[tuple]) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ingest_staging "
            "(LIKE metering_reading INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE ingest_staging")
        _copy_binary(cursor, "ingest_staging", rows)
        cursor.execute(_INSERT_AND_MARK_STALE)
        return dict(cursor.fetchall())


def _copy_binary(cursor, table: str, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    # Binary COPY: no float printed by Python and parsed back by the server.
    statement = f"COPY {table} ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
    with cursor.copy(statement) as copy:
        copy.set_types(_COLUMN_TYPES)
        for row in rows:
            copy.write_row(row)


def _span_counts(rows: list[tuple]) -> dict[int, tuple[datetime, datetime, int]]:
    spans: dict[int, tuple[datetime, datetime, int]] = {}
    for device_id, ts, *_ in rows:
        first, last, count = spans.get(device_id, (ts, ts, 0))
        spans[device_id] = (min(first, ts), max(last, ts), count + 1)
    return spans


_COLUMN_TYPES = ["int8", "timestamptz", *(["float8"] * len(QUANTITIES))]

_MARK_STALE = """
INSERT INTO metering_stalespan AS s (device_id, start, "end", marked_at)
VALUES {values}
ON CONFLICT (device_id) DO UPDATE SET
    start = LEAST(s.start, EXCLUDED.start),
    "end" = GREATEST(s."end", EXCLUDED."end"),
    marked_at = EXCLUDED.marked_at
"""

# Inserted rows widen the device's stale span; rows already stored insert
# nothing and mark nothing, so a replayed batch costs no recomputation.
_INSERT_AND_MARK_STALE = f"""
WITH inserted AS (
    INSERT INTO metering_reading ({_COLUMN_LIST})
    SELECT {_COLUMN_LIST} FROM ingest_staging
    ON CONFLICT DO NOTHING
    RETURNING device_id, ts
), spans AS (
    INSERT INTO metering_stalespan AS s (device_id, start, "end", marked_at)
    SELECT device_id, min(ts), max(ts), now() FROM inserted GROUP BY device_id
    ON CONFLICT (device_id) DO UPDATE SET
        start = LEAST(s.start, EXCLUDED.start),
        "end" = GREATEST(s."end", EXCLUDED."end"),
        marked_at = EXCLUDED.marked_at
)
SELECT device_id, count(*) FROM inserted GROUP BY device_id
"""


def _note_clock_problems(admission: _Admission) -> None:
    """One quality event per device and chunk, not one per rejected reading."""
    ahead = QualityEvent.Kind.CLOCK_AHEAD
    behind = QualityEvent.Kind.CLOCK_BEHIND
    problems = [
        (ahead, admission.clock_ahead, "later", admission.horizon.isoformat()),
        (behind, admission.clock_behind, "earlier", admission.floor.isoformat()),
    ]
    QualityEvent.objects.bulk_create(
        QualityEvent(
            device_id=device_id,
            ts=ts,
            kind=kind,
            detail=f"reading stamped {ts.isoformat()} is {word} than {limit}; refused",
            origin=QualityEvent.Origin.INGEST,
        )
        for kind, first_seen, word, limit in problems
        for device_id, ts in first_seen.items()
    )


def _open_event(
    source: str,
    key: IngestKey | None,
    user,  # type: ignore[no-untyped-def]
    bytes_received: int,
    filename: str,
    notes: Iterable[str],
    received_at: datetime,
) -> IngestEvent:
    return IngestEvent.objects.create(
        received_at=received_at,
        source=source,
        key=key,
        user=user if user is not None and user.is_authenticated else None,
        filename=clean_text(filename[:255]) or "",
        bytes=bytes_received,
        notes=[clean_text(note) for note in notes],
    )


def _save_counts(event: IngestEvent, outcome: BatchOutcome) -> None:
    event.received = outcome.received
    event.accepted = outcome.accepted
    event.duplicates = outcome.duplicates
    event.rejected = outcome.rejected
    event.first_ts = outcome.first_ts
    event.last_ts = outcome.last_ts
    event.errors = [error_dict(e) for e in outcome.errors]
    event.device_ids = sorted(outcome.seen_device_ids)
    event.save(
        update_fields=[
            "received",
            "accepted",
            "duplicates",
            "rejected",
            "first_ts",
            "last_ts",
            "errors",
            "device_ids",
        ]
    )


def _close_event(
    event: IngestEvent, outcome: BatchOutcome, key: IngestKey | None, started: float
) -> None:
    duration_ms = (time.perf_counter() - started) * 1000
    event.duration_ms = round(duration_ms, 3)
    if outcome.received == 0:
        _save_counts(event, outcome)  # an empty batch stored no chunk
    event.save(update_fields=["duration_ms"])
    if key is not None:
        IngestKey.objects.filter(pk=key.pk).update(last_used_at=event.received_at)

    logger.info(
        "ingest.batch",
        extra={
            "source": event.source,
            "ingest_event_id": event.pk,
            "key_id": key.pk if key else None,
            "received": outcome.received,
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "rejected": outcome.rejected,
            "bytes": event.bytes,
            "ms": round(duration_ms, 1),
        },
    )


def error_dict(error: RecordError) -> dict[str, object]:
    """An error as answered to the client and stored on the event."""
    answer: dict[str, object] = {
        "index": error.index,
        "device": clean_text(error.device),
        "field": clean_text(error.field),
        "reason": clean_text(error.reason),
    }
    if error.partial:
        answer["partial"] = True
    return answer


def _after_commit_recompute(device_ids: set[int]) -> None:
    if not device_ids:
        return
    from portal.worker.tasks import queue_recompute

    transaction.on_commit(lambda: queue_recompute(sorted(device_ids)))
