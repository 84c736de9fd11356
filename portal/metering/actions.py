"""Every change to sites, devices and energy intervals.

Energy intervals are derived data: `recompute_stale` claims a device whose
readings changed and replays the energy engine over the smallest stretch of
readings that can have changed, from a stored checkpoint:

- It starts at the interval that holds the third reading before the first
  changed one, from the engine state stored at the end of the interval before
  it. Three readings of margin cover the engine's look-ahead (a suspicious
  reading waits for at most two more), so the shares that segment booked
  into earlier intervals are unchanged.
- It stops once it is past the changed readings and the engine's state at an
  interval's end equals the state stored there: from then on the same state
  meets the same readings, so every later interval is already right.
- It writes at most `MAX_READINGS_PER_PASS` readings' worth at a time and
  leaves the rest of the stale span for the next pass, so one device with
  years of backfill cannot hold the worker for long.
"""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models.functions import Now

from portal.audit.actions import Actor, changes_between, record
from portal.metering.energy import (
    INTERVAL,
    Decision,
    Engine,
    EngineSettings,
    IntervalTotals,
    Sample,
    interval_start,
)
from portal.metering.models import (
    Device,
    EnergyInterval,
    QualityEvent,
    Site,
    StaleSpan,
    engine_defaults,
)
from portal.metering.quantities import ENERGY_REGISTERS

logger = logging.getLogger("portal.metering")

LOOK_BEHIND_READINGS = 3
MAX_READINGS_PER_PASS = 200_000
_READ_CHUNK = 5000


def engine_settings(device: Device) -> EngineSettings:
    defaults = engine_defaults()
    return EngineSettings(
        jitter_tolerance=_or(device.jitter_tolerance_kwh, defaults["jitter_tolerance"]),
        max_power_kw=_or(device.max_power_kw, defaults["max_power_kw"]),
        register_modulus=device.register_modulus_kwh,
        gap_seconds=float(_or(device.gap_seconds, defaults["gap_seconds"])),
    )


def _or(value, default):  # type: ignore[no-untyped-def]
    return default if value is None else value


def recompute_stale(limit: int = 100) -> int:
    """Recompute the intervals of up to `limit` stale devices; return how many.

    A device whose recomputation fails is logged and skipped for the rest of
    this call, so one bad device cannot hold up the others."""
    done, failed = 0, set[int]()
    while done < limit:
        try:
            if not recompute_next_stale(skip=failed):
                break
        except RecomputeFailed as failure:
            failed.add(failure.device_id)
            continue
        done += 1
    return done


class RecomputeFailed(Exception):
    def __init__(self, device_id: int) -> None:
        super().__init__(f"recomputing device {device_id} failed")
        self.device_id = device_id


def recompute_next_stale(
    device_id: int | None = None, skip: set[int] | frozenset[int] = frozenset()
) -> bool:
    """Claim one stale device (any, or the one given) and bring its intervals up to
    date. Returns whether there was work. Safe with several workers: a claimed
    span is locked, and the others skip it."""
    try:
        return _recompute_claimed(device_id, skip)
    except RecomputeFailed:
        raise
    except Exception as error:
        failed = getattr(error, "device_id", None)
        if failed is None:
            raise
        logger.exception("energy.recompute_failed", extra={"device_id": failed})
        # Behind every other stale device, so the next passes try them first.
        StaleSpan.objects.filter(device_id=failed).update(marked_at=Now())
        raise RecomputeFailed(failed) from error


def _recompute_claimed(device_id: int | None, skip: set[int] | frozenset[int]) -> bool:
    with transaction.atomic():
        spans = StaleSpan.objects.select_for_update(skip_locked=True).select_related(
            "device"
        )
        if device_id is not None:
            spans = spans.filter(device_id=device_id)
        if skip:
            spans = spans.exclude(device_id__in=skip)
        span = spans.order_by("marked_at").first()
        if span is None:
            return False

        started = time.perf_counter()
        device_id = span.device_id
        try:
            replay = _replay(span.device, span.start, span.end)
            _finish_span(span, replay)
        except Exception as error:
            error.device_id = device_id  # type: ignore[attr-defined]
            raise

    logger.info(
        "energy.recomputed",
        extra={
            "device_id": device_id,
            "readings": replay.readings,
            "intervals": replay.intervals_written,
            "decisions": replay.decisions,
            "converged": replay.converged,
            "complete": replay.resume_at is None,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return True


def mark_device_stale(device: Device) -> None:
    """Recompute a device's whole history, e.g. after its engine settings changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO metering_stalespan AS s (device_id, start, "end", marked_at)
            SELECT device_id, min(ts), max(ts), now() FROM metering_reading
            WHERE device_id = %s GROUP BY device_id
            ON CONFLICT (device_id) DO UPDATE SET
                start = LEAST(s.start, EXCLUDED.start),
                "end" = GREATEST(s."end", EXCLUDED."end"),
                marked_at = EXCLUDED.marked_at
            """,
            [device.pk],
        )


@dataclass
class ReplayResult:
    readings: int = 0
    intervals_written: int = 0
    decisions: int = 0
    converged: bool = False
    resume_at: datetime | None = None  # where the next pass continues, if any


def _finish_span(span: StaleSpan, replay: ReplayResult) -> None:
    if replay.resume_at is None:
        span.delete()
        return
    span.start = replay.resume_at
    span.end = max(span.end, replay.resume_at)
    span.save(update_fields=["start", "end"])


def _replay(
    device: Device, changed_from: datetime, changed_to: datetime
) -> ReplayResult:
    begin, state = _checkpoint(device, changed_from)
    try:
        engine = Engine(engine_settings(device), state=state)
    except (ValueError, KeyError, TypeError):
        # A checkpoint this version cannot read: replay the device from scratch.
        logger.warning("energy.checkpoint_unreadable", extra={"device_id": device.pk})
        begin, state = None, None
        engine = Engine(engine_settings(device))
    cursor = _Replay(device, engine, begin, interval_start(changed_to))

    for sample in _samples(device, begin):
        if cursor.feed(sample):
            break

    return cursor.write()


def _checkpoint(
    device: Device, changed_from: datetime
) -> tuple[datetime | None, dict | None]:
    """Where to start replaying, and the engine state there (None: from scratch)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts FROM metering_reading WHERE device_id = %s AND ts < %s "
            "ORDER BY ts DESC OFFSET %s LIMIT 1",
            [device.pk, changed_from, LOOK_BEHIND_READINGS - 1],
        )
        row = cursor.fetchone()
    if row is None:
        return None, None

    first = interval_start(row[0])
    previous = (
        EnergyInterval.objects.filter(device=device, start__lt=first)
        .order_by("-start")
        .values_list("start", "end_state")
        .first()
    )
    if previous is None:
        return None, None
    return previous[0] + INTERVAL, previous[1]


def _samples(device: Device, begin: datetime | None):  # type: ignore[no-untyped-def]
    """The device's readings from `begin`, oldest first, read in chunks.

    A server-side cursor: a pass stops after MAX_READINGS_PER_PASS or at
    convergence, so the rest of a long history is never sent over."""
    columns = ", ".join(("ts", *ENERGY_REGISTERS, "p_kw"))
    where = "device_id = %s" + (" AND ts >= %s" if begin else "")
    params: list[int | datetime] = [device.pk] + ([begin] if begin else [])
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM metering_reading WHERE {where} ORDER BY ts", params
        )
        while rows := cursor.fetchmany(_READ_CHUNK):
            for ts, *registers, p_kw in rows:
                yield Sample(ts=ts, registers=tuple(registers), p_kw=p_kw)  # type: ignore[arg-type]


class _Replay:
    """Feeds readings to the engine, keeps the state at each interval's end and
    decides where the replay may stop."""

    def __init__(
        self,
        device: Device,
        engine: Engine,
        begin: datetime | None,
        last_changed: datetime,
    ) -> None:
        self.device = device
        self.engine = engine
        self.begin = begin
        self.last_changed = last_changed
        self.end_states: dict[datetime, dict] = {}
        self.current: datetime | None = None  # interval of the newest reading fed
        self.stop_after: datetime | None = None  # converged at this interval
        self.write_until: datetime | None = None  # exclusive; None = everything
        self.resume_at: datetime | None = None
        self.readings = 0
        self.old_states = _OldStates(device, last_changed + INTERVAL)

    def feed(self, sample: Sample) -> bool:
        """Feed one reading; return True when the replay can stop."""
        here = interval_start(sample.ts)
        converged_at = self._close_intervals_before(here)
        if converged_at is not None and self.stop_after is None:
            self.stop_after = converged_at

        self.engine.feed(sample)
        self.readings += 1
        self.current = here

        if self.engine.pending:
            return False
        if self.stop_after is not None:
            # The reading after the converged interval booked the segment that
            # crosses its end; the interval is complete.
            self.write_until = self.stop_after + INTERVAL
            return True
        if self.readings >= MAX_READINGS_PER_PASS:
            self.write_until = here
            self.resume_at = here
            return True
        return False

    def _close_intervals_before(self, here: datetime) -> datetime | None:
        """Record the state at the end of every interval the replay has left."""
        if self.current is None or here <= self.current:
            return None

        state = self.engine.state()
        converged_at = None
        boundary = self.current
        spread_limit = timedelta(seconds=self.engine.settings.max_spread_seconds)
        if here - boundary > spread_limit:
            # A gap too long to spread has no rows inside it: only the interval
            # the replay is leaving gets its end state.
            self.end_states[boundary] = state
            return None
        while boundary < here:
            self.end_states[boundary] = state
            if converged_at is None and self._matches_old(boundary, state):
                converged_at = boundary
            boundary += INTERVAL
        return converged_at

    def _matches_old(self, interval: datetime, state: dict) -> bool:
        if interval <= self.last_changed or self.engine.pending:
            return False
        return self.old_states.get(interval) == state

    def write(self) -> ReplayResult:
        intervals = self._final_intervals()
        decisions = [d for d in self.engine.decisions if self._within(d.ts)]
        _store(
            self.device,
            self.begin,
            self.write_until,
            intervals,
            self.end_states,
            decisions,
        )
        return ReplayResult(
            readings=self.readings,
            intervals_written=len(intervals),
            decisions=len(decisions),
            converged=self.stop_after is not None,
            resume_at=self.resume_at,
        )

    def _within(self, ts: datetime) -> bool:
        return self.write_until is None or ts < self.write_until

    def _final_intervals(self) -> list[IntervalTotals]:
        if self.current is not None and self.write_until is None:
            # Replayed to the newest reading: its interval ends in the state now.
            self.end_states.setdefault(self.current, self.engine.state())
        return [
            totals
            for start, totals in sorted(self.engine.intervals.items())
            if self._within(start) and (self.begin is None or start >= self.begin)
        ]


class _OldStates:
    """The end states stored by the previous computation, read a page at a time."""

    def __init__(self, device: Device, after: datetime) -> None:
        self.device = device
        self.after = after
        self.page: dict[datetime, dict] = {}
        self.page_end: datetime | None = None
        self.exhausted = False

    def get(self, interval: datetime) -> dict | None:
        if interval < self.after or self.exhausted:
            return None
        if self.page_end is None or interval > self.page_end:
            self._load(interval)
        return self.page.get(interval)

    def _load(self, interval: datetime) -> None:
        rows = list(
            EnergyInterval.objects.filter(device=self.device, start__gte=interval)
            .order_by("start")
            .values_list("start", "end_state")[:500]
        )
        self.page = dict(rows)
        self.page_end = (
            rows[-1][0] if len(rows) == 500 else datetime.max.replace(tzinfo=UTC)
        )
        self.exhausted = not rows


def _store(
    device: Device,
    begin: datetime | None,
    until: datetime | None,
    intervals: list[IntervalTotals],
    end_states: dict[datetime, dict],
    decisions: list[Decision],
) -> None:
    stored = EnergyInterval.objects.filter(device=device)
    if begin is not None:
        stored = stored.filter(start__gte=begin)
    if until is not None:
        stored = stored.filter(start__lt=until)
    stored.delete()

    EnergyInterval.objects.bulk_create(
        (_interval_row(device, totals, end_states) for totals in intervals),
        batch_size=2000,
    )
    _store_decisions(device, begin, until, decisions)


def _interval_row(
    device: Device, totals: IntervalTotals, end_states: dict[datetime, dict]
) -> EnergyInterval:
    return EnergyInterval(
        device=device,
        start=totals.start,
        kwh_import=totals.kwh_import,
        kwh_export=totals.kwh_export,
        kvarh_import=totals.kvarh_import,
        kvarh_export=totals.kvarh_export,
        avg_kw=totals.power_sum_kw / totals.power_count if totals.power_count else None,
        peak_kw=totals.peak_kw,
        sample_count=totals.sample_count,
        coverage=min(1.0, totals.covered_seconds / INTERVAL.total_seconds()),
        flags=sorted(totals.flags),
        end_state=end_states.get(totals.start, {}),
    )


def _store_decisions(
    device: Device,
    begin: datetime | None,
    until: datetime | None,
    decisions: list[Decision],
) -> None:
    """Replace the engine's events in the replayed stretch. A decision about a
    reading before the stretch (one that was pending at the checkpoint) was
    never stored, since it was undecided, so it is added unless present."""
    stored = QualityEvent.objects.filter(
        device=device, origin=QualityEvent.Origin.ENGINE
    )
    replaced = stored
    if begin is not None:
        replaced = replaced.filter(ts__gte=begin)
    if until is not None:
        replaced = replaced.filter(ts__lt=until)
    replaced.delete()

    rows = []
    for decision in decisions:
        earlier = begin is not None and decision.ts < begin
        if earlier and stored.filter(ts=decision.ts, kind=decision.kind).exists():
            continue
        rows.append(
            QualityEvent(
                device=device,
                ts=decision.ts,
                kind=decision.kind,
                register=decision.register or "",
                detail=decision.detail,
                origin=QualityEvent.Origin.ENGINE,
            )
        )
    QualityEvent.objects.bulk_create(rows, batch_size=2000)


# --- sites and devices ------------------------------------------------------

ENGINE_FIELDS = (
    "max_power_kw",
    "jitter_tolerance_kwh",
    "register_modulus_kwh",
    "gap_seconds",
)


SITE_FIELDS = (
    "code",
    "name",
    "timezone",
    "address",
    "is_active",
    "tariff",
    "billing_day",
    "notified_demand_kva",
)
DEVICE_FIELDS = (
    "site",
    "external_id",
    "name",
    "model",
    "serial",
    "ct_ratio",
    "pt_ratio",
    "is_active",
    "invert_sign",
    *ENGINE_FIELDS,
)


def _snapshot(instance: Site | Device, fields: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(instance, name) for name in fields}


def create_site(
    *,
    code: str,
    name: str,
    timezone: str,
    address: str = "",
    by: Actor | None = None,
    **billing: object,
) -> Site:
    """Validate and create a site; raises ValidationError with what is wrong.
    `billing` may set the tariff, billing day and notified demand."""
    site = Site(
        code=code.strip(),
        name=name.strip(),
        timezone=timezone.strip(),
        address=address,
        **billing,
    )
    site.full_clean()
    with transaction.atomic():
        site.save()
        after = _snapshot(site, SITE_FIELDS)
        record(by, "site.created", f"site {site.code}", changes_between({}, after))
    logger.info("site.created", extra={"site_id": site.pk, "code": site.code})
    return site


def update_site(site: Site, by: Actor | None = None, **changes: object) -> Site:
    before = _snapshot(site, SITE_FIELDS)
    timezone_changed = "timezone" in changes and changes["timezone"] != site.timezone
    for name, value in changes.items():
        setattr(site, name, value)
    site.full_clean()
    with transaction.atomic():
        site.save()
        diff = changes_between(before, _snapshot(site, SITE_FIELDS))
        record(by, "site.updated", f"site {site.code}", diff)
    logger.info("site.updated", extra={"site_id": site.pk, "fields": sorted(changes)})
    if timezone_changed:
        logger.info(
            "site.timezone_changed",
            extra={"site_id": site.pk, "timezone": site.timezone},
        )
    return site


def create_device(
    *,
    site: Site,
    external_id: str,
    name: str,
    by: Actor | None = None,
    **fields: object,
) -> Device:
    device = Device(
        site=site, external_id=external_id.strip(), name=name.strip(), **fields
    )
    device.full_clean()
    with transaction.atomic():
        device.save()
        after = _snapshot(device, DEVICE_FIELDS)
        target = f"device {device.external_id}"
        record(by, "device.created", target, changes_between({}, after))
    logger.info(
        "device.created",
        extra={"device_id": device.pk, "external_id": device.external_id},
    )
    return device


def update_device(device: Device, by: Actor | None = None, **changes: object) -> Device:
    """Change a device; new engine settings recompute its whole history."""
    before = _snapshot(device, DEVICE_FIELDS)
    engine_changed = any(
        name in ENGINE_FIELDS and getattr(device, name) != value
        for name, value in changes.items()
    )
    for name, value in changes.items():
        setattr(device, name, value)
    device.full_clean()
    with transaction.atomic():
        device.save()
        if engine_changed:
            mark_device_stale(device)
        diff = changes_between(before, _snapshot(device, DEVICE_FIELDS))
        record(by, "device.updated", f"device {device.external_id}", diff)
    logger.info(
        "device.updated", extra={"device_id": device.pk, "fields": sorted(changes)}
    )
    return device


def set_device_active(device: Device, active: bool, by: Actor | None = None) -> Device:
    with transaction.atomic():
        before = device.is_active
        device.is_active = active
        device.save(update_fields=["is_active"])
        diff = changes_between({"is_active": before}, {"is_active": active})
        record(by, "device.active_changed", f"device {device.external_id}", diff)
    logger.info(
        "device.active_changed", extra={"device_id": device.pk, "active": active}
    )
    return device


def set_site_active(site: Site, active: bool, by: Actor | None = None) -> Site:
    with transaction.atomic():
        before = site.is_active
        site.is_active = active
        site.save(update_fields=["is_active"])
        diff = changes_between({"is_active": before}, {"is_active": active})
        record(by, "site.active_changed", f"site {site.code}", diff)
    logger.info("site.active_changed", extra={"site_id": site.pk, "active": active})
    return site
