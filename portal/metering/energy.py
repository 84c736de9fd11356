"""Energy from cumulative registers: one device's readings in, interval energy out.

The engine walks one device's readings in timestamp order and books the rise of
each energy register (``ENERGY_REGISTERS``) into 15-minute UTC intervals. Each
register is judged on its own, before registers are summed, against a baseline
(the value energy is counted from) and the time of the reading the baseline
came from (energy is spread from there). With ``ceiling`` the energy
``max_power_kw`` could deliver since the baseline and ``tolerance`` the jitter
tolerance:

- The first value of a register becomes its baseline; nothing is booked.
- An ordinary rise (0 <= rise <= ceiling + tolerance) is booked at once,
  spread over the time since the baseline in proportion to the overlap with
  each interval, so a day is exactly the sum of its intervals.
- A dip of no more than the tolerance is jitter: the baseline keeps the higher
  value and its time, so the recovery books the energy once, over the whole
  time since the baseline.
- A drop whose wrapped rise (modulus - baseline + value) is plausible is a
  rollover and is booked at once.
- Any other drop, and any implausible rise, is held pending; the register's
  next reading decides it. "Near zero" is at most ``reset_band``, or twice
  what the register was counting recently over the time since the baseline,
  whichever is more. A drop to near zero that the next reading confirms
  is a counter reset (the value read after the reset is booked); one that the
  next reading contradicts by returning to the old level is a glitch. Another
  jump that the next reading continues from is a preset (the baseline moves,
  nothing is booked for the jump); one the next reading returns from is a
  decode error. A follow-up that fits neither rejects the pending reading and
  is judged afresh against the old baseline.
- A segment between consecutive readings longer than ``gap_seconds`` is a gap:
  its energy is still spread, but it adds nothing to ``covered_seconds``. One
  longer than ``max_spread_seconds`` is not spread at all: the registers start
  afresh after it.
- Negative power while import rises and export does not hints at reversed CTs;
  it is reported at most once per 24 hours of readings.

Every such judgement is recorded as a ``Decision`` and flags the intervals it
touched.

Checkpoint contract: ``state()`` is a canonical, JSON-serialisable dict (two
engines in the same logical state give equal dicts). Feeding readings r1..rn
to one engine gives the same decisions and final state, and the same interval
totals once the two engines' totals are added together, as feeding r1..rk,
building ``Engine(settings, state=engine.state())`` and feeding r(k+1)..rn.
``Engine.intervals`` therefore holds increments: what this engine object
booked since it was built, which may include intervals before its first
reading when energy is spread from an older baseline or a pending reading is
decided.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.metering.quantities import ENERGY_REGISTERS

INTERVAL = timedelta(minutes=15)

DECISION_KINDS = (
    "counter_reset",
    "rollover",
    "glitch_ignored",
    "jump_rejected",
    "register_preset",
    "jitter",
    "gap",
    "negative_import",
)

# A reversed CT shows on every reading; one decision a day is enough to act on.
NEGATIVE_IMPORT_EVERY = timedelta(hours=24)

STATE_VERSION = 2


def interval_start(ts: datetime) -> datetime:
    """Return the start of the 15-minute UTC interval holding the aware ``ts``."""
    ts = _utc(ts)
    return ts.replace(minute=ts.minute - ts.minute % 15, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored reading as the engine sees it."""

    ts: datetime
    # In ENERGY_REGISTERS order; None means the register was not reported.
    registers: tuple[float | None, float | None, float | None, float | None]
    p_kw: float | None = None


@dataclass(frozen=True)
class EngineSettings:
    """Per-device tolerances and ceilings; the defaults suit an Acuvim."""

    jitter_tolerance: float = 1.0
    max_power_kw: float = 10_000.0
    register_modulus: float = 100_000_000.0
    gap_seconds: float = 3600.0
    # What a register may read soon after it was cleared, when its recent rate
    # says nothing more (see _reset_band).
    reset_band: float = 10.0
    # A gap longer than this (a clock at the factory date, a meter back after
    # years) is not spread: the register starts afresh after it.
    max_spread_seconds: float = 400 * 86400.0


@dataclass
class IntervalTotals:
    """What one engine booked into one 15-minute interval."""

    start: datetime
    kwh_import: float = 0.0
    kwh_export: float = 0.0
    kvarh_import: float = 0.0
    kvarh_export: float = 0.0
    covered_seconds: float = 0.0
    sample_count: int = 0
    power_sum_kw: float = 0.0
    power_count: int = 0
    peak_kw: float | None = None
    flags: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Decision:
    """One judgement about one reading, for the data-quality log."""

    ts: datetime
    kind: str
    register: str | None
    detail: str


@dataclass(slots=True)
class _Register:
    base: float | None = None
    base_ts: datetime | None = None
    # The last value reported, suspicious or not: the negative-import check
    # compares raw readings, not judged ones.
    last: float | None = None
    # Readings waiting for a follow-up. A list, though the rules keep it
    # at one, because a follow-up that fits neither level rejects the older
    # reading before the follow-up itself is judged.
    pending: list[tuple[datetime, float]] = field(default_factory=list)
    # kW of the last ordinary rise: how fast the register was counting.
    rate_kw: float | None = None


class Engine:
    """Books one device's register readings into intervals; see the module doc."""

    def __init__(
        self, settings: EngineSettings, state: dict[str, Any] | None = None
    ) -> None:
        self.settings = settings
        self.intervals: dict[datetime, IntervalTotals] = {}
        self.decisions: list[Decision] = []
        self._registers = {name: _Register() for name in ENERGY_REGISTERS}
        self._last_ts: datetime | None = None
        self._negative_import_ts: datetime | None = None
        if state is not None:
            self._load(state)

    @property
    def pending(self) -> bool:
        """True while any register holds a reading still to be decided."""
        return any(register.pending for register in self._registers.values())

    def feed(self, sample: Sample) -> None:
        """Judge one reading; readings must come in strictly increasing ts."""
        ts = _utc(sample.ts)
        if self._last_ts is not None and ts <= self._last_ts:
            raise ValueError(f"reading at {ts} does not follow {self._last_ts}")
        values = dict(zip(ENERGY_REGISTERS, sample.registers, strict=True))
        p_kw = _finite(sample.p_kw)

        self._walk_segment(ts)
        self._count_sample(ts, p_kw)
        self._check_negative_import(ts, p_kw, values)

        for name, value in values.items():
            reading = _finite(value)
            if reading is not None:
                self._judge(name, ts, reading)

        self._last_ts = ts

    def state(self) -> dict[str, Any]:
        """Everything needed to carry on after the last reading fed."""
        return {
            "version": STATE_VERSION,
            "last_ts": _iso(self._last_ts),
            "negative_import_ts": _iso(self._negative_import_ts),
            "registers": {
                name: {
                    "base": register.base,
                    "base_ts": _iso(register.base_ts),
                    "last": register.last,
                    "pending": [[_iso(ts), value] for ts, value in register.pending],
                    "rate_kw": register.rate_kw,
                }
                for name, register in self._registers.items()
            },
        }

    def _load(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown energy engine state version {state!r}")

        self._last_ts = _parse_ts(state["last_ts"])
        self._negative_import_ts = _parse_ts(state["negative_import_ts"])
        for name, saved in state["registers"].items():
            register = self._registers[name]
            register.base = _float_or_none(saved["base"])
            register.base_ts = _parse_ts(saved["base_ts"])
            register.last = _float_or_none(saved["last"])
            register.pending = [
                (_require_ts(ts), float(value)) for ts, value in saved["pending"]
            ]
            register.rate_kw = _float_or_none(saved["rate_kw"])

    # Segments, coverage and per-reading counts.

    def _walk_segment(self, ts: datetime) -> None:
        if self._last_ts is None:
            return

        start = self._last_ts
        seconds = (ts - start).total_seconds()
        if seconds > self.settings.max_spread_seconds:
            detail = (
                f"no reading for {seconds / 86400:.0f} days between {_iso(start)} "
                f"and {_iso(ts)}; too long to spread, so the registers start "
                "afresh after it and nothing is booked across it"
            )
            self._decide(ts, "gap", None, detail, [interval_start(ts)])
            return
        is_gap = seconds > self.settings.gap_seconds
        touched = []
        for interval, overlap in _overlaps(start, ts):
            row = self._row(interval)
            touched.append(interval)
            if not is_gap:
                row.covered_seconds += overlap

        if is_gap:
            detail = (
                f"no reading for {seconds / 3600:.2f} h between {_iso(start)} and "
                f"{_iso(ts)}, longer than the {self.settings.gap_seconds:g} s gap "
                "limit; the energy across it is spread but not counted as covered"
            )
            self._decide(ts, "gap", None, detail, touched)

    def _count_sample(self, ts: datetime, p_kw: float | None) -> None:
        row = self._row(interval_start(ts))
        row.sample_count += 1
        if p_kw is not None:
            row.power_sum_kw += p_kw
            row.power_count += 1
            row.peak_kw = p_kw if row.peak_kw is None else max(row.peak_kw, p_kw)

    def _check_negative_import(
        self, ts: datetime, p_kw: float | None, values: dict[str, float | None]
    ) -> None:
        before = self._registers["kwh_import"].last
        after = _finite(values["kwh_import"])
        export_before = self._registers["kwh_export"].last
        export_rose = _rose(export_before, _finite(values["kwh_export"]))
        if p_kw is None or p_kw >= 0 or not _rose(before, after) or export_rose:
            return
        last = self._negative_import_ts
        if last is not None and ts - last < NEGATIVE_IMPORT_EVERY:
            return

        assert before is not None and after is not None
        self._negative_import_ts = ts
        detail = (
            f"p_kw was {_fmt(p_kw)} while kwh_import rose from {_fmt(before)} to "
            f"{_fmt(after)} and kwh_export did not; the CTs may be fitted "
            "backwards or the sign convention inverted"
        )
        self._decide(ts, "negative_import", "kwh_import", detail, [interval_start(ts)])

    # Judging one register's value.

    def _judge(self, name: str, ts: datetime, value: float) -> None:
        register = self._registers[name]
        register.last = value
        if register.base is None or self._beyond_spread(register, ts):
            register.base, register.base_ts = value, ts
            register.pending, register.rate_kw = [], None
        elif register.pending:
            self._resolve(name, register, ts, value)
        else:
            self._classify(name, register, ts, value)

    def _classify(
        self, name: str, register: _Register, ts: datetime, value: float
    ) -> None:
        """Judge ``value`` against the baseline, with nothing pending."""
        assert register.base is not None and register.base_ts is not None
        base = register.base
        rise = value - base
        limit = self._limit(register.base_ts, ts)
        wrapped = self.settings.register_modulus - base + value

        if rise > limit:
            register.pending.append((ts, value))
        elif rise >= 0:
            self._book(name, register, ts, value, rise, None)
        elif rise >= -self.settings.jitter_tolerance:
            # Every dip is its own decision, so a noisy register writes many
            # jitter events; coalescing consecutive dips into one event with a
            # count would keep the data-quality list readable.
            detail = (
                f"{name} dipped from {_fmt(base)} to {_fmt(value)}, within the "
                f"{_fmt(self.settings.jitter_tolerance)} jitter tolerance; "
                f"keeping {_fmt(base)} as the baseline"
            )
            self._decide(ts, "jitter", name, detail, [interval_start(ts)])
        elif value >= 0 and 0 <= wrapped <= limit:
            detail = (
                f"{name} wrapped from {_fmt(base)} to {_fmt(value)} past the "
                f"register maximum; booking {_fmt(wrapped)}"
            )
            touched = self._book(name, register, ts, value, wrapped, "rollover")
            self._decide(ts, "rollover", name, detail, touched)
        else:
            register.pending.append((ts, value))

    def _book(
        self,
        name: str,
        register: _Register,
        ts: datetime,
        value: float,
        amount: float,
        kind: str | None,
    ) -> list[datetime]:
        assert register.base_ts is not None
        touched = self._spread(name, amount, register.base_ts, ts, kind)
        hours = (ts - register.base_ts).total_seconds() / 3600
        register.rate_kw = amount / hours if hours > 0 else register.rate_kw
        register.base, register.base_ts = value, ts
        return touched

    def _beyond_spread(self, register: _Register, ts: datetime) -> bool:
        if register.base_ts is None:
            return False
        elapsed = (ts - register.base_ts).total_seconds()
        return elapsed > self.settings.max_spread_seconds

    def _reset_band(self, register: _Register, at: datetime) -> float:
        """How high a register may read after a clear and still count as near zero.

        Twice what it was counting at recently, over the time since the
        baseline, and never less than ``reset_band``: a reset during a busy
        hour reads hundreds of kWh, while a preset down to 2,000 kWh on a
        meter counting 40 kW must not pass for one. Never more than the
        ceiling.
        """
        assert register.base_ts is not None
        hours = (at - register.base_ts).total_seconds() / 3600
        recent = 2 * (register.rate_kw or 0.0) * hours
        band = max(self.settings.reset_band, recent)
        return min(band, self._limit(register.base_ts, at))

    def _resolve(
        self, name: str, register: _Register, ts: datetime, value: float
    ) -> None:
        """Decide the pending reading with ``value``, then judge ``value`` itself."""
        assert register.base_ts is not None
        pending_ts, pending_value = register.pending.pop(0)
        kind, detail = self._verdict(
            name, register, (pending_ts, pending_value), (ts, value)
        )

        if kind == "counter_reset":
            # The energy counted since the reset is all we know of that period.
            self._spread(name, pending_value, register.base_ts, pending_ts, kind)
        if kind in ("counter_reset", "register_preset"):
            register.base, register.base_ts = pending_value, pending_ts
        self._decide(pending_ts, kind, name, detail, [interval_start(pending_ts)])

        self._classify(name, register, ts, value)

    def _verdict(
        self,
        name: str,
        register: _Register,
        suspect: tuple[datetime, float],
        follow_up: tuple[datetime, float],
    ) -> tuple[str, str]:
        """Name what the pending reading was, given the register's next one."""
        assert register.base is not None and register.base_ts is not None
        pending_ts, pending_value = suspect
        value = follow_up[1]
        base = register.base
        near_zero = 0 <= pending_value < base and pending_value <= self._reset_band(
            register, pending_ts
        )
        verb = "jumped" if pending_value > base else "fell"
        prefix = (
            f"{name} {verb} from {_fmt(base)} to {_fmt(pending_value)} and the "
            f"next reading {_fmt(value)}"
        )
        if near_zero:
            return self._verdict_near_zero(prefix, base, pending_value, value)
        return self._verdict_jump(prefix, register, suspect, follow_up)

    def _verdict_near_zero(
        self, prefix: str, base: float, pending_value: float, value: float
    ) -> tuple[str, str]:
        tolerance = self.settings.jitter_tolerance
        if value >= base - tolerance:
            return "glitch_ignored", (
                f"{prefix} was back at the old level; ignoring "
                f"{_fmt(pending_value)} as a glitch"
            )
        if value >= pending_value - tolerance:
            return "counter_reset", f"{prefix} confirmed it; counting from zero"
        return "jump_rejected", (
            f"{prefix} fitted neither level; ignoring {_fmt(pending_value)}"
        )

    def _verdict_jump(
        self,
        prefix: str,
        register: _Register,
        suspect: tuple[datetime, float],
        follow_up: tuple[datetime, float],
    ) -> tuple[str, str]:
        assert register.base is not None and register.base_ts is not None
        tolerance = self.settings.jitter_tolerance
        (pending_ts, pending_value), (now, value) = suspect, follow_up
        back = value - register.base
        # Returning wins over continuing when both fit: the old baseline then
        # explains the value as it stands, where a preset would throw away the
        # energy used between the baseline and the jump.
        if -tolerance <= back <= self._limit(register.base_ts, now):
            return "jump_rejected", (
                f"{prefix} is within reach of the old baseline {_fmt(register.base)}; "
                f"ignoring {_fmt(pending_value)} as a decode error"
            )
        onward = value - pending_value
        if -tolerance <= onward <= self._limit(pending_ts, now):
            return "register_preset", (
                f"{prefix} continued from there; treating it as a preset and "
                f"counting from {_fmt(pending_value)}"
            )
        return "jump_rejected", (
            f"{prefix} fitted neither level; ignoring {_fmt(pending_value)}"
        )

    # Booking.

    def _limit(self, start: datetime, end: datetime) -> float:
        """The most a register can plausibly rise between ``start`` and ``end``."""
        hours = (end - start).total_seconds() / 3600
        return self.settings.max_power_kw * hours + self.settings.jitter_tolerance

    def _spread(
        self, name: str, amount: float, start: datetime, end: datetime, kind: str | None
    ) -> list[datetime]:
        """Book ``amount`` over [start, end] by overlap; return the intervals."""
        pieces = list(_overlaps(start, end))
        seconds = (end - start).total_seconds()
        booked = 0.0
        for index, (interval, overlap) in enumerate(pieces):
            # The last piece takes the remainder, so the pieces add up to amount.
            last = index == len(pieces) - 1
            share = amount - booked if last else amount * overlap / seconds
            booked += share
            row = self._row(interval)
            setattr(row, name, getattr(row, name) + share)
            if kind is not None:
                row.flags.add(kind)
        return [interval for interval, _ in pieces]

    def _decide(
        self,
        ts: datetime,
        kind: str,
        register: str | None,
        detail: str,
        touched: Iterable[datetime],
    ) -> None:
        for interval in touched:
            self._row(interval).flags.add(kind)
        self.decisions.append(Decision(ts, kind, register, detail))

    def _row(self, start: datetime) -> IntervalTotals:
        row = self.intervals.get(start)
        if row is None:
            row = self.intervals[start] = IntervalTotals(start)
        return row


def _overlaps(start: datetime, end: datetime) -> Iterator[tuple[datetime, float]]:
    """Yield each interval overlapping [start, end] with the seconds of overlap."""
    interval = interval_start(start)
    while interval < end:
        overlap = min(end, interval + INTERVAL) - max(start, interval)
        if overlap > timedelta(0):
            yield interval, overlap.total_seconds()
        interval += INTERVAL


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts!r}: readings must be aware UTC")
    return ts.astimezone(UTC)


def _finite(value: float | None) -> float | None:
    # NaN or infinity cannot be judged; the reading counts as not reported.
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _rose(before: float | None, after: float | None) -> bool:
    # A register not reported on either side did not visibly rise.
    return before is not None and after is not None and after > before


def _fmt(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _parse_ts(text: str | None) -> datetime | None:
    return None if text is None else _require_ts(text)


def _require_ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _float_or_none(value: float | None) -> float | None:
    return None if value is None else float(value)
