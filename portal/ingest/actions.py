"""Every write of the ingest path: readings in, an ingest event out.

A batch goes through `ingest_records`: records that fail are rejected with a
reason and the rest are stored. Storing is one COPY into a staging table and
one INSERT ... ON CONFLICT DO NOTHING that also widens the devices' stale
spans, so a reading and the mark that its intervals need recomputing commit
together.
"""

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from portal.ingest.models import IngestEvent, IngestKey
from portal.ingest.records import ReadingRecord, RecordError
from portal.metering.models import Device, QualityEvent
from portal.metering.partitions import ensure_partitions, month_of
from portal.metering.quantities import QUANTITIES

logger = logging.getLogger("portal.ingest")

CHUNK_SIZE = 5000
MAX_STORED_ERRORS = 50

_COLUMNS = ("device_id", "ts", *QUANTITIES)
_COLUMN_LIST = ", ".join(_COLUMNS)


@dataclass
class BatchOutcome:
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
        self.rejected += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(error)

    def span(self, ts: datetime) -> None:
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if self.last_ts is None or ts > self.last_ts:
            self.last_ts = ts


class DeviceDirectory:
    """Resolves the identifiers a source sends (external id or serial) to devices,
    remembering answers for the length of one import."""

    def __init__(self, restrict_to: Device | None = None) -> None:
        self._restrict_to = restrict_to
        self._cache: dict[str, Device | None] = {}

    def lookup(self, identifiers: Iterable[str]) -> None:
        missing = {i for i in identifiers if i not in self._cache}
        if not missing:
            return

        found = Device.objects.filter(
            Q(external_id__in=missing) | Q(serial__in=missing)
        )
        for device in found:
            for identifier in (device.external_id, device.serial):
                if identifier in missing:
                    self._cache.setdefault(identifier, device)
        for identifier in missing:
            self._cache.setdefault(identifier, None)

    def get(self, identifier: str) -> Device | None:
        return self._cache.get(identifier)

    def check(self, record: ReadingRecord) -> Device | str:
        device = self.get(record.device)
        if device is None:
            return f"unknown device {record.device!r}"
        if self._restrict_to is not None and device.pk != self._restrict_to.pk:
            expected = self._restrict_to.external_id
            return f"file names device {record.device!r}, not {expected!r}"
        if not device.is_active:
            return f"device {record.device!r} is deactivated"
        return device


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

    for chunk in _chunks(items, CHUNK_SIZE):
        _store_chunk(chunk, directory, outcome, received_at)

    event = _record_event(
        outcome,
        source,
        key,
        user,
        bytes_received,
        filename,
        list(notes),
        received_at,
        started,
    )
    _after_commit_recompute(outcome.device_ids)
    return event, outcome


def _chunks(
    items: Iterable[ReadingRecord | RecordError], size: int
) -> Iterator[list[ReadingRecord | RecordError]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _store_chunk(
    chunk: list[ReadingRecord | RecordError],
    directory: DeviceDirectory,
    outcome: BatchOutcome,
    received_at: datetime,
) -> None:
    outcome.received += len(chunk)
    directory.lookup(item.device for item in chunk if isinstance(item, ReadingRecord))
    horizon = received_at + timedelta(seconds=settings.PORTAL_FUTURE_MARGIN_SECONDS)

    rows: dict[tuple[int, datetime], tuple] = {}
    clock_ahead: dict[int, datetime] = {}
    for index, item in enumerate(chunk, start=outcome.received - len(chunk)):
        if isinstance(item, RecordError):
            outcome.reject(item)
            continue
        _admit(item, index, directory, horizon, rows, clock_ahead, outcome)

    with transaction.atomic():
        _note_clock_ahead(clock_ahead, horizon)
        if rows:
            _write_rows(list(rows.values()), outcome)


def _admit(
    record: ReadingRecord,
    index: int,
    directory: DeviceDirectory,
    horizon: datetime,
    rows: dict[tuple[int, datetime], tuple],
    clock_ahead: dict[int, datetime],
    outcome: BatchOutcome,
) -> None:
    known = directory.get(record.device)
    if known is not None:
        outcome.seen_device_ids.add(known.pk)
    checked = directory.check(record)
    if isinstance(checked, str):
        outcome.reject(RecordError(index, record.device, "device", checked))
        return

    if record.ts > horizon:
        clock_ahead.setdefault(checked.pk, record.ts)
        reason = (
            f"time {record.ts.isoformat()} is ahead of the server clock "
            "(meter clock wrong?)"
        )
        outcome.reject(RecordError(index, record.device, "time", reason))
        return

    row_key = (checked.pk, record.ts)
    if row_key in rows:
        # The same instant twice in one batch is one reading sent twice.
        outcome.duplicates += 1
        return

    values = record.values
    if checked.invert_sign:
        values = _inverted(values)
    rows[row_key] = (checked.pk, record.ts, *(values.get(q) for q in QUANTITIES))
    outcome.span(record.ts)


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
    ensure_partitions(month_of(row[1]) for row in rows)

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ingest_staging "
            "(LIKE metering_reading INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE ingest_staging")
        with cursor.copy(f"COPY ingest_staging ({_COLUMN_LIST}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_INSERT_AND_MARK_STALE)
        inserted = cursor.fetchall()

    outcome.accepted += sum(count for _, count in inserted)
    outcome.duplicates += len(rows) - sum(count for _, count in inserted)
    outcome.device_ids.update(device_id for device_id, _ in inserted)


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


def _note_clock_ahead(clock_ahead: dict[int, datetime], horizon: datetime) -> None:
    """One quality event per device and batch, not one per rejected reading."""
    events = [
        QualityEvent(
            device_id=device_id,
            ts=ts,
            kind=QualityEvent.Kind.CLOCK_AHEAD,
            detail=(
                f"reading stamped {ts.isoformat()} is later than "
                f"{horizon.isoformat()}; refused"
            ),
            origin=QualityEvent.Origin.INGEST,
        )
        for device_id, ts in clock_ahead.items()
    ]
    QualityEvent.objects.bulk_create(events)


def _record_event(
    outcome: BatchOutcome,
    source: str,
    key: IngestKey | None,
    user,  # type: ignore[no-untyped-def]
    bytes_received: int,
    filename: str,
    notes: list[str],
    received_at: datetime,
    started: float,
) -> IngestEvent:
    duration_ms = (time.perf_counter() - started) * 1000
    event = IngestEvent.objects.create(
        received_at=received_at,
        source=source,
        key=key,
        user=user if user is not None and user.is_authenticated else None,
        filename=filename[:255],
        received=outcome.received,
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
        first_ts=outcome.first_ts,
        last_ts=outcome.last_ts,
        bytes=bytes_received,
        duration_ms=round(duration_ms, 3),
        errors=[error_dict(e) for e in outcome.errors],
        notes=notes,
        device_ids=sorted(outcome.seen_device_ids),
    )
    if key is not None:
        IngestKey.objects.filter(pk=key.pk).update(last_used_at=received_at)

    logger.info(
        "ingest.batch",
        extra={
            "source": source,
            "ingest_event_id": event.pk,
            "key_id": key.pk if key else None,
            "received": outcome.received,
            "accepted": outcome.accepted,
            "duplicates": outcome.duplicates,
            "rejected": outcome.rejected,
            "bytes": bytes_received,
            "ms": round(duration_ms, 1),
        },
    )
    return event


def error_dict(error: RecordError) -> dict[str, object]:
    return {
        "index": error.index,
        "device": error.device,
        "field": error.field,
        "reason": error.reason,
    }


def _after_commit_recompute(device_ids: set[int]) -> None:
    if not device_ids:
        return
    from portal.worker.tasks import queue_recompute

    transaction.on_commit(lambda: queue_recompute(sorted(device_ids)))
