"""The cost engine: energy intervals and tariff versions in, bills and
interval costs out. Pure: no database, no clock, so every rule has a
hand-computed test.

Rules (docs/TARIFFS.md explains each with an example):

- The version in force on an interval's local day prices it; a billing period
  that spans a version change is billed in one segment per version.
- Energy enters pricing rounded to 0.000001 kWh, so quantities are exact
  decimals; money is Decimal throughout and is rounded once, on each bill
  line (half up, to the currency's minor unit), and once more for tax.
- Inclining blocks apply to the kWh of the whole billing period, in time
  order: an interval that crosses a block edge is split across the two.
- Charges per billing period (fixed, demand, capacity) are shared between
  segments by their number of local days.
"""

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from portal.lib.localtime import first_of_next_month
from portal.tariffs.document import (
    BlockEnergy,
    Capacity,
    Charge,
    Demand,
    FixedDaily,
    FixedPeriod,
    FlatEnergy,
    Reactive,
    TouEnergy,
    VersionBody,
)

ZERO = Decimal(0)
ONE = Decimal(1)
DEMAND_WINDOW_MINUTES = 30  # for the maximum demand every bill reports
# Digits of decimal arithmetic: the largest rate (12 digits and 6 decimals)
# times the largest energy a register can hold stays exact well within it.
PRECISION = 60

# A billing period or a month as people name it: YYYY-MM.
PERIOD_LABEL = re.compile(r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])")

# ISO 4217 minor units where they are not 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0}
_MINOR_UNITS |= {"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3}
_MINOR_UNITS |= {"TND": 3}


@dataclass(frozen=True)
class Slot:
    """One 15-minute energy interval of a site (all its devices summed)."""

    start: datetime  # UTC
    kwh: float  # active energy imported
    kvarh: float  # reactive energy imported (lagging), for reactive charges
    kvarh_total: float  # reactive energy both ways, for apparent demand


@dataclass(frozen=True)
class PricedVersion:
    valid_from: date
    valid_to: date | None
    body: VersionBody

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class BillLine:
    version_from: date
    kind: str
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    factor: Decimal
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class TaxLine:
    name: str
    percent: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Peak:
    """The highest demand over one window length, and when its window began."""

    value: Decimal
    unit: str
    window_minutes: int
    at: datetime | None  # UTC start of the window


@dataclass
class Bill:
    start: date  # first local day
    end: date  # local day after the last
    currency: str
    lines: list[BillLine] = field(default_factory=list)
    taxes: list[TaxLine] = field(default_factory=list)
    kwh: Decimal = ZERO
    unpriced_kwh: Decimal = ZERO
    energy_by_period: dict[str, Decimal] = field(default_factory=dict)
    max_demand_kva: Peak | None = None
    max_demand_kw: Peak | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((line.amount for line in self.taxes), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def sum_known(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """The sum, or None when any part is unknown (a day no version prices):
    a partial total would pass for the whole."""
    parts = list(amounts)
    if any(part is None for part in parts):
        return None
    with localcontext(prec=PRECISION):
        return sum((part for part in parts if part is not None), ZERO)


# ---------------------------------------------------------------- calendars


def billing_period(label: str, billing_day: int) -> tuple[date, date]:
    """Local days [start, end) of the billing period named YYYY-MM: it starts
    on the billing day of that month."""
    year, month = (int(part) for part in label.split("-"))
    start = date(year, month, billing_day)
    return start, first_of_next_month(start).replace(day=billing_day)


def period_label(day: date, billing_day: int) -> str:
    """The billing period a local day belongs to."""
    if day.day < billing_day:
        day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class DayPlan:
    season: str
    day_type: str
    holiday: str  # the holiday's name, or ""
    periods: tuple[str, ...]  # the period of each quarter hour; () without TOU


@cache
def _holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    return dict(
        holiday_calendars.country_holidays(country, subdiv=subdivision, years=year)
    )


def day_plan(body: VersionBody, day: date) -> DayPlan:
    """Season, day type and time-of-use periods of one local day."""
    day_type = ("weekday",) * 5 + ("saturday", "sunday")
    kind = day_type[day.weekday()]
    holiday = ""
    if body.holidays is not None:
        rule = body.holidays
        holiday = _holidays(rule.country, rule.subdivision, day.year).get(day, "")
        if holiday:
            kind = rule.treat_as

    tou = body.time_of_use
    if tou is None:
        return DayPlan(season="", day_type=kind, holiday=holiday, periods=())
    season = tou.season_of(day.month)
    return DayPlan(season, kind, holiday, tou.day_periods(season, kind))


# ---------------------------------------------------------------- the walk


@dataclass(frozen=True)
class _Priced:
    """One slot placed in its tariff context."""

    slot: Slot
    local: datetime
    version: int  # index into the versions, -1 when none is in force
    plan: DayPlan | None
    period: str
    kwh: Decimal


def _walk(
    slots: Iterable[Slot], versions: Sequence[PricedVersion], tz: ZoneInfo
) -> Iterator[_Priced]:
    plans: dict[tuple[int, date], DayPlan] = {}
    for slot in slots:
        local = slot.start.astimezone(tz)
        day = local.date()
        index = _version_on(versions, day)
        kwh = Decimal(repr(round(max(slot.kwh, 0.0), 6)))
        if index < 0:
            yield _Priced(slot, local, index, None, "", kwh)
            continue

        plan = plans.get((index, day))
        if plan is None:
            plan = plans[(index, day)] = day_plan(versions[index].body, day)
        quarter = local.hour * 4 + local.minute // 15
        period = plan.periods[quarter] if plan.periods else ""
        yield _Priced(slot, local, index, plan, period, kwh)


def in_force(versions: Sequence[PricedVersion]) -> list[PricedVersion]:
    """The versions in date order, each ending where the next begins unless
    it ends earlier: a version without `valid_to` runs until the next one."""
    ordered = sorted(versions, key=lambda v: v.valid_from)
    result = []
    for index, version in enumerate(ordered):
        following = ordered[index + 1].valid_from if index + 1 < len(ordered) else None
        end = version.valid_to
        if following is not None and (end is None or end > following):
            end = following
        result.append(PricedVersion(version.valid_from, end, version.body))
    return result


def _version_on(versions: Sequence[PricedVersion], day: date) -> int:
    for index, version in enumerate(versions):
        if version.covers(day):
            return index
    return -1


def _split_blocks(
    before: Decimal, kwh: Decimal, blocks: BlockEnergy
) -> Iterator[tuple[int, Decimal]]:
    """The parts of `kwh`, consumed after `before` kWh, in each block."""
    remaining, position = kwh, before
    for index, block in enumerate(blocks.blocks):
        if remaining <= 0:
            return
        high = block.up_to_kwh
        if high is not None and position >= high:
            continue
        part = remaining if high is None else min(remaining, high - position)
        yield index, part
        remaining -= part
        position += part


def _energy_rate(charge: object, plan: DayPlan, period: str) -> Decimal | None:
    if isinstance(charge, FlatEnergy):
        return charge.rate
    if isinstance(charge, TouEnergy):
        return charge.rates[plan.season][period]
    return None


# ---------------------------------------------------------------- interval costs


def interval_costs(
    slots: Sequence[Slot],
    versions: Sequence[PricedVersion],
    tz: ZoneInfo,
    billing_day: int,
) -> list[Decimal | None]:
    """The energy charges of each slot, unrounded and before tax; None where no
    version is in force. Blocks count from the start of each billing period, so
    `slots` must begin at a billing period's start for block tariffs."""
    with localcontext(prec=PRECISION):
        return _interval_costs(slots, in_force(versions), tz, billing_day)


def _interval_costs(
    slots: Sequence[Slot],
    versions: Sequence[PricedVersion],
    tz: ZoneInfo,
    billing_day: int,
) -> list[Decimal | None]:
    costs: list[Decimal | None] = []
    consumed = ZERO
    current_period = ""
    for priced in _walk(slots, versions, tz):
        label = period_label(priced.local.date(), billing_day)
        if label != current_period:
            current_period, consumed = label, ZERO
        if priced.plan is None:
            costs.append(None)
            continue

        cost = ZERO
        for charge in versions[priced.version].body.charges:
            if isinstance(charge, BlockEnergy):
                for index, part in _split_blocks(consumed, priced.kwh, charge):
                    cost += part * charge.blocks[index].rate
            else:
                rate = _energy_rate(charge, priced.plan, priced.period)
                if rate is not None:
                    cost += priced.kwh * rate
        consumed += priced.kwh
        costs.append(cost)
    return costs


# ---------------------------------------------------------------- bills


@dataclass
class _Segment:
    """What one version's share of a billing period accumulates."""

    start: date
    end: date
    kwh: Decimal = ZERO
    energy: dict[tuple[int, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )
    reactive: dict[int, list[Decimal]] = field(default_factory=dict)
    windows: dict[int, dict[datetime, list[float]]] = field(default_factory=dict)


def bill(
    slots: Sequence[Slot],
    versions: Sequence[PricedVersion],
    tz: ZoneInfo,
    start: date,
    end: date,
    currency: str = "ZAR",
    notified_demand_kva: Decimal | None = None,
) -> Bill:
    """The bill for local days [start, end) from the slots inside them."""
    with localcontext(prec=PRECISION):
        return _bill(
            slots, in_force(versions), tz, start, end, currency, notified_demand_kva
        )


def _bill(
    slots: Sequence[Slot],
    versions: Sequence[PricedVersion],
    tz: ZoneInfo,
    start: date,
    end: date,
    currency: str,
    notified_demand_kva: Decimal | None,
) -> Bill:
    result = Bill(start=start, end=end, currency=currency)
    segments = _segments(versions, start, end)
    period_days = (end - start).days

    by_period: dict[str, Decimal] = defaultdict(Decimal)
    consumed = ZERO
    inside: list[_Priced] = []
    plans: dict[int, _ChargePlan] = {}
    for priced in _walk(slots, versions, tz):
        if not start <= priced.local.date() < end:
            continue  # a slot outside the billed days belongs to another bill
        inside.append(priced)
        result.kwh += priced.kwh
        if priced.plan is None:
            result.unpriced_kwh += priced.kwh
            continue
        if priced.period:
            by_period[priced.period] += priced.kwh
        plan = plans.get(priced.version)
        if plan is None:
            plan = plans[priced.version] = _ChargePlan.of(versions[priced.version])
        _accumulate(segments[priced.version], plan, priced, consumed)
        consumed += priced.kwh

    minor = Decimal(1).scaleb(-_MINOR_UNITS.get(currency, 2))
    for index, segment in sorted(segments.items(), key=lambda item: item[1].start):
        factor = Decimal(segment_days(segment)) / Decimal(period_days)
        result.lines += _lines(
            versions[index], segment, factor, notified_demand_kva, minor, tz
        )
    result.taxes = _taxes(result.lines, versions, minor)
    result.energy_by_period = dict(by_period)
    result.max_demand_kva, result.max_demand_kw = _site_peaks(inside)

    if result.unpriced_kwh:
        result.notes.append(
            f"{result.unpriced_kwh} kWh fall on days no tariff version covers "
            "and are not priced."
        )
    if not segments:
        result.notes.append("No tariff version is in force in this period.")
    return result


def segment_days(segment: _Segment) -> int:
    return (segment.end - segment.start).days


def _segments(
    versions: Sequence[PricedVersion], start: date, end: date
) -> dict[int, _Segment]:
    segments = {}
    for index, version in enumerate(versions):
        first = max(start, version.valid_from)
        last = end if version.valid_to is None else min(end, version.valid_to)
        if first < last:
            segments[index] = _Segment(start=first, end=last)
    return segments


@dataclass(frozen=True)
class _ChargePlan:
    """A version's charges sorted by what each interval adds to them, worked
    out once per bill rather than once per interval."""

    flat: tuple[int, ...]
    blocks: tuple[tuple[int, BlockEnergy], ...]
    tou: tuple[int, ...]
    reactive: tuple[tuple[int, frozenset[str] | None], ...]
    demand: tuple[tuple[int, int, frozenset[str] | None], ...]

    @classmethod
    def of(cls, version: PricedVersion) -> "_ChargePlan":
        charges = list(enumerate(version.body.charges))

        def chosen(periods: list[str] | None) -> frozenset[str] | None:
            return None if periods is None else frozenset(periods)

        return cls(
            flat=tuple(n for n, c in charges if isinstance(c, FlatEnergy)),
            blocks=tuple((n, c) for n, c in charges if isinstance(c, BlockEnergy)),
            tou=tuple(n for n, c in charges if isinstance(c, TouEnergy)),
            reactive=tuple(
                (n, chosen(c.periods)) for n, c in charges if isinstance(c, Reactive)
            ),
            demand=tuple(
                (n, c.window_minutes, chosen(c.periods))
                for n, c in charges
                if isinstance(c, Demand)
            ),
        )


def _accumulate(
    segment: _Segment, plan: _ChargePlan, priced: _Priced, consumed: Decimal
) -> None:
    kwh, period = priced.kwh, priced.period
    segment.kwh += kwh
    energy = segment.energy
    for number in plan.flat:
        energy[(number, "")] += kwh
    for number, charge in plan.blocks:
        for block, part in _split_blocks(consumed, kwh, charge):
            energy[(number, str(block))] += part
    if plan.tou:
        assert priced.plan is not None
        key = f"{priced.plan.season}\x1f{period}"
        for number in plan.tou:
            energy[(number, key)] += kwh
    for number, periods in plan.reactive:
        if periods is None or period in periods:
            sums = segment.reactive.setdefault(number, [ZERO, ZERO])
            sums[0] += kwh
            sums[1] += Decimal(repr(round(max(priced.slot.kvarh, 0.0), 6)))
    if plan.demand:
        minutes = priced.local.hour * 60 + priced.local.minute
        for number, window_minutes, periods in plan.demand:
            _add_to_window(segment, number, window_minutes, periods, minutes, priced)


def _add_to_window(
    segment: _Segment,
    number: int,
    window_minutes: int,
    periods: frozenset[str] | None,
    minutes: int,
    priced: _Priced,
) -> None:
    window = priced.slot.start - timedelta(minutes=minutes % window_minutes)
    windows = segment.windows.setdefault(number, {})
    sums = windows.get(window)
    if sums is None:
        sums = windows[window] = [0.0, 0.0, 1.0]
    sums[0] += max(priced.slot.kwh, 0.0)
    sums[1] += max(priced.slot.kvarh_total, 0.0)
    if periods is not None and priced.period not in periods:
        sums[2] = 0.0  # a window counts only when wholly inside the periods


def _lines(
    version: PricedVersion,
    segment: _Segment,
    factor: Decimal,
    notified_demand_kva: Decimal | None,
    minor: Decimal,
    tz: ZoneInfo,
) -> list[BillLine]:
    lines = []
    days = segment_days(segment)
    for number, charge in enumerate(version.body.charges):
        line = _line_maker(version, charge, minor)
        if isinstance(charge, FlatEnergy):
            lines.append(
                line(segment.energy.get((number, ""), ZERO), "kWh", charge.rate)
            )
        elif isinstance(charge, BlockEnergy):
            lines += _block_lines(charge, number, segment, line)
        elif isinstance(charge, TouEnergy):
            lines += _tou_lines(charge, number, segment, line)
        elif isinstance(charge, FixedDaily):
            lines.append(line(Decimal(days), "days", charge.amount))
        elif isinstance(charge, FixedPeriod):
            lines.append(line(ONE, "period", charge.amount, factor=factor))
        elif isinstance(charge, Demand):
            lines.append(_demand_line(charge, number, segment, line, factor, tz))
        elif isinstance(charge, Capacity):
            kva = notified_demand_kva if notified_demand_kva is not None else ZERO
            note = (
                ""
                if notified_demand_kva is not None
                else "site has no notified maximum demand"
            )
            lines.append(line(kva, "kVA", charge.rate, factor=factor, note=note))
        elif isinstance(charge, Reactive):
            kwh, kvarh = segment.reactive.get(number, [ZERO, ZERO])
            excess = max(ZERO, kvarh - charge.free_share * kwh)
            note = f"{kvarh} kvarh less {charge.free_share} x {kwh} kWh free"
            lines.append(line(excess, "kvarh", charge.rate, note=note))
    return lines


class _MakeLine(Protocol):
    def __call__(
        self,
        quantity: Decimal,
        unit: str,
        rate: Decimal,
        *,
        suffix: str = "",
        factor: Decimal = ONE,
        note: str = "",
    ) -> BillLine: ...


def _line_maker(version: PricedVersion, charge: Charge, minor: Decimal) -> _MakeLine:
    def make(
        quantity: Decimal,
        unit: str,
        rate: Decimal,
        *,
        suffix: str = "",
        factor: Decimal = ONE,
        note: str = "",
    ) -> BillLine:
        amount = (quantity * rate * factor).quantize(minor, rounding=ROUND_HALF_UP)
        return BillLine(
            version_from=version.valid_from,
            kind=charge.kind,
            description=charge.name + (f" ({suffix})" if suffix else ""),
            quantity=quantity,
            unit=unit,
            rate=rate,
            factor=factor,
            amount=amount,
            note=note,
        )

    return make


def _block_lines(
    charge: BlockEnergy, number: int, segment: _Segment, line: _MakeLine
) -> list[BillLine]:
    lines = []
    low = ZERO
    for index, block in enumerate(charge.blocks):
        kwh = segment.energy.get((number, str(index)), ZERO)
        high = block.up_to_kwh
        edge = f"{low} to {high} kWh" if high is not None else f"over {low} kWh"
        if kwh:
            lines.append(
                line(kwh, "kWh", block.rate, suffix=f"block {index + 1}, {edge}")
            )
        low = block.up_to_kwh or low
    return lines


def _tou_lines(
    charge: TouEnergy, number: int, segment: _Segment, line: _MakeLine
) -> list[BillLine]:
    lines = []
    for season, rates in charge.rates.items():
        for period, rate in rates.items():
            kwh = segment.energy.get((number, f"{season}\x1f{period}"), ZERO)
            if kwh:
                lines.append(line(kwh, "kWh", rate, suffix=f"{season}, {period}"))
    return lines


def _demand_line(
    charge: Demand,
    number: int,
    segment: _Segment,
    line: _MakeLine,
    factor: Decimal,
    tz: ZoneInfo,
) -> BillLine:
    hours = charge.window_minutes / 60
    best, at = 0.0, None
    for window, (kwh, kvarh, counts) in sorted(segment.windows.get(number, {}).items()):
        if not counts:
            continue
        value = (math.hypot(kwh, kvarh) if charge.unit == "kVA" else kwh) / hours
        if value > best:
            best, at = value, window
    quantity = Decimal(repr(round(best, 3)))
    when = (
        f"highest at {at.astimezone(tz):%Y-%m-%d %H:%M}" if at else "no demand recorded"
    )
    scope = ", ".join(charge.periods) if charge.periods else ""
    return line(
        quantity, charge.unit, charge.rate, suffix=scope, factor=factor, note=when
    )


def _taxes(
    lines: list[BillLine], versions: Sequence[PricedVersion], minor: Decimal
) -> list[TaxLine]:
    rule = {v.valid_from: (v.body.tax_name, v.body.tax_percent) for v in versions}
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[rule[line.version_from]] += line.amount
    taxes = []
    for (name, percent), base in bases.items():
        if percent:
            amount = (base * percent / 100).quantize(minor, rounding=ROUND_HALF_UP)
            taxes.append(TaxLine(name, percent, base, amount))
    return taxes


def _site_peaks(inside: Sequence[_Priced]) -> tuple[Peak, Peak]:
    """The highest 30-minute kVA and kW demand of the period, whatever the tariff."""
    windows: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for priced in inside:
        local, slot = priced.local, priced.slot
        minutes = (local.hour * 60 + local.minute) % DEMAND_WINDOW_MINUTES
        sums = windows[slot.start - timedelta(minutes=minutes)]
        sums[0] += max(slot.kwh, 0.0)
        sums[1] += max(slot.kvarh_total, 0.0)

    hours = DEMAND_WINDOW_MINUTES / 60
    kva = max(windows.items(), key=lambda item: math.hypot(*item[1]), default=None)
    kw = max(windows.items(), key=lambda item: item[1][0], default=None)
    return (
        _peak(kva, lambda s: math.hypot(*s) / hours, "kVA"),
        _peak(kw, lambda s: s[0] / hours, "kW"),
    )


def _peak(
    item: tuple[datetime, list[float]] | None,
    value: Callable[[list[float]], float],
    unit: str,
) -> Peak:
    if item is None:
        return Peak(ZERO, unit, DEMAND_WINDOW_MINUTES, None)
    at, sums = item
    return Peak(
        Decimal(repr(round(value(sums), 3))),
        unit,
        DEMAND_WINDOW_MINUTES,
        at.astimezone(UTC),
    )
