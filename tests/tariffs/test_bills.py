"""Hand-computed bills of the pure cost engine (portal.tariffs.pricing).

No database: every test builds tariff versions from the JSON document shape,
feeds 15-minute UTC slots to `bill` and `interval_costs`, and compares the
result with arithmetic written out beside it. Rounding rule under test: each
bill line is rounded once, half up, to cents; tax is rounded once from the sum
of the rounded lines.

Calendar facts used below (2026): 1 March and 29 March are Sundays; 1 April is
a Wednesday; 1 May is a Friday, so 20 May is a Wednesday; 1 June is a Monday;
16 June (Youth Day) is a Tuesday; 9 August (National Women's Day) is a Sunday
and 10 August is the observed holiday; Europe/London skips 01:00-02:00 on
29 March and repeats 01:00-02:00 on 25 October.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from portal.tariffs.document import parse_version
from portal.tariffs.pricing import (
    Bill,
    BillLine,
    PricedVersion,
    Slot,
    bill,
    billing_period,
    day_plan,
    interval_costs,
    period_label,
)

JHB = ZoneInfo("Africa/Johannesburg")  # UTC+2 all year
LONDON = ZoneInfo("Europe/London")
QUARTER = timedelta(minutes=15)
D = Decimal

Reading = tuple[float, float, float]  # kwh, kvarh, kvarh_total


def priced(**fields: object) -> PricedVersion:
    version = parse_version(fields)
    return PricedVersion(version.valid_from, version.valid_to, version.body)


def steady(kwh: float, kvarh: float = 0.0, kvarh_total: float = 0.0):
    return lambda local: (kwh, kvarh, kvarh_total)


def with_specials(base: Reading, specials: dict[datetime, Reading]):
    """`base` everywhere except at the naive local starts in `specials`."""
    return lambda local: specials.get(local.replace(tzinfo=None), base)


def slots_for(
    start: date, end: date, tz: ZoneInfo, fill: Callable[[datetime], Reading]
) -> list[Slot]:
    """Every 15-minute UTC slot of the local days [start, end)."""
    at = datetime.combine(start, time(), tz).astimezone(UTC)
    stop = datetime.combine(end, time(), tz).astimezone(UTC)
    slots = []
    while at < stop:
        slots.append(Slot(at, *fill(at.astimezone(tz))))
        at += QUARTER
    return slots


def lines_of(result: Bill, kind: str) -> list[BillLine]:
    return [line for line in result.lines if line.kind == kind]


def one_line(result: Bill, kind: str) -> BillLine:
    (line,) = lines_of(result, kind)
    return line


def cost_at(
    slots: Sequence[Slot], costs: Sequence[Decimal | None], start_utc: datetime
) -> Decimal | None:
    return costs[[slot.start for slot in slots].index(start_utc)]


def by_local_day(
    slots: Sequence[Slot], costs: Sequence[Decimal | None], tz: ZoneInfo
) -> tuple[Counter[date], dict[date, Decimal]]:
    counts: Counter[date] = Counter()
    money: dict[date, Decimal] = defaultdict(Decimal)
    for slot, cost in zip(slots, costs, strict=True):
        day = slot.start.astimezone(tz).date()
        counts[day] += 1
        money[day] += cost or D(0)
    return counts, money


def span(start: str, end: str, period: str) -> dict[str, str]:
    return {"start": start, "end": end, "period": period}


# A three-period schedule on quarter-hour edges, the same in both seasons:
#   weekday:  off_peak 00:00-06:15 (6.25 h), peak 06:15-08:45 (2.5 h),
#             standard 08:45-17:30 (8.75 h), peak 17:30-19:30 (2 h),
#             standard 19:30-22:00 (2.5 h), off_peak 22:00-24:00 (2 h)
#             => peak 4.5 h, standard 11.25 h, off_peak 8.25 h (sum 24 h)
#   saturday: off_peak 00:00-07:00, standard 07:00-12:00, off_peak 12:00-18:00,
#             standard 18:00-20:00, off_peak 20:00-24:00
#             => standard 7 h, off_peak 17 h
#   sunday:   off_peak all 24 h
SCHEDULE = {
    "weekday": [
        span("00:00", "06:15", "off_peak"),
        span("06:15", "08:45", "peak"),
        span("08:45", "17:30", "standard"),
        span("17:30", "19:30", "peak"),
        span("19:30", "22:00", "standard"),
        span("22:00", "24:00", "off_peak"),
    ],
    "saturday": [
        span("00:00", "07:00", "off_peak"),
        span("07:00", "12:00", "standard"),
        span("12:00", "18:00", "off_peak"),
        span("18:00", "20:00", "standard"),
        span("20:00", "24:00", "off_peak"),
    ],
    "sunday": [span("00:00", "24:00", "off_peak")],
}
TWO_SEASONS = {
    "periods": ["peak", "standard", "off_peak"],
    "seasons": [
        {"name": "high", "months": [6, 7, 8]},
        {"name": "low", "months": [1, 2, 3, 4, 5, 9, 10, 11, 12]},
    ],
    "schedule": {"high": SCHEDULE, "low": SCHEDULE},
}


# ---------------------------------------------------------------- 1. flat


def test_flat_month_with_fixed_charges_and_vat_to_the_cent():
    """March 2026 in Johannesburg, billing day 1: 31 days, 96 slots a day.

    Energy: 31 x 96 = 2,976 slots x 0.3 kWh = 892.8 kWh (exact, not a float
    sum); 892.8 x R2.456789 = 1,785.6 + 407.8212192 = R2,193.4212192 -> 2,193.42
    Daily:  31 x R12.335 = 372 + 10.385 = R382.385 -> half up 382.39
            (half-even would give 382.38)
    Period: 1 x R250.09 = 250.09
    Subtotal 2,193.42 + 382.39 + 250.09 = R2,825.90
    VAT 15%: 2,825.90 x 0.15 = 423.885 -> half up 423.89 (half-even would
    give 423.88; tax on the unrounded 2,825.8962192 would be 423.88443 -> 423.88)
    Total 2,825.90 + 423.89 = R3,249.79
    """
    start, end = billing_period("2026-03", 1)
    assert (start, end) == (date(2026, 3, 1), date(2026, 4, 1))
    version = priced(
        valid_from="2026-01-01",
        tax_percent=15,
        charges=[
            {"kind": "energy_flat", "rate": "2.456789"},
            {"kind": "fixed_daily", "amount": "12.335"},
            {"kind": "fixed_period", "amount": "250.09"},
        ],
    )
    slots = slots_for(start, end, JHB, steady(0.3))
    assert len(slots) == 2976

    result = bill(slots, [version], JHB, start, end)

    assert result.kwh == D("892.8")
    assert result.unpriced_kwh == 0
    summary = [(line.kind, line.quantity, line.amount) for line in result.lines]
    assert summary == [
        ("energy_flat", D("892.8"), D("2193.42")),
        ("fixed_daily", D(31), D("382.39")),
        ("fixed_period", D(1), D("250.09")),
    ]
    assert result.subtotal == D("2825.90")
    (vat,) = result.taxes
    assert (vat.name, vat.percent, vat.base, vat.amount) == (
        "VAT",
        D(15),
        D("2825.90"),
        D("423.89"),
    )
    assert result.tax == D("423.89")
    assert result.total == D("3249.79")


# ---------------------------------------------------------------- 2. blocks


def test_four_inclining_blocks_over_a_month():
    """April 2026 (30 days), billing day 1: 2,880 slots x 0.3 kWh = 864 kWh.

    Blocks: 0-50 @ 1.1111, 50-350 @ 1.5555, 350-600 @ 2.2222, over 600 @ 3.3333
      block 1:  50 kWh x 1.1111 =  55.555  -> 55.56
      block 2: 300 kWh x 1.5555 = 466.65   -> 466.65
      block 3: 250 kWh x 2.2222 = 555.55   -> 555.55
      block 4: 864 - 600 = 264 kWh x 3.3333 = 879.9912 -> 879.99
    Unrounded energy 55.555 + 466.65 + 555.55 + 879.9912 = 1,957.7462;
    rounded lines 55.56 + 466.65 + 555.55 + 879.99 = 1,957.75.

    Slot 166 (0-based) starts with 166 x 0.3 = 49.8 kWh consumed: 0.2 kWh in
    block 1 and 0.1 kWh in block 2 = 0.2 x 1.1111 + 0.1 x 1.5555 = 0.22222 +
    0.15555 = 0.37777. It starts 166 x 15 min = 1 day 17:30 after 1 April
    00:00 local, i.e. 2 April 17:30 local = 15:30 UTC.
    Slot 1166 starts at 349.8 kWh: 0.2 x 1.5555 + 0.1 x 2.2222 = 0.3111 +
    0.22222 = 0.53332.
    Slot 1999 ends exactly on 600 kWh (1999 x 0.3 = 599.7): 0.3 x 2.2222 =
    0.66666; slot 2000 is wholly in block 4: 0.3 x 3.3333 = 0.99999.
    """
    start, end = billing_period("2026-04", 1)
    version = priced(
        valid_from="2026-01-01",
        charges=[
            {
                "kind": "energy_blocks",
                "blocks": [
                    {"up_to_kwh": "50", "rate": "1.1111"},
                    {"up_to_kwh": "350", "rate": "1.5555"},
                    {"up_to_kwh": "600", "rate": "2.2222"},
                    {"up_to_kwh": None, "rate": "3.3333"},
                ],
            }
        ],
    )
    slots = slots_for(start, end, JHB, steady(0.3))
    assert len(slots) == 2880

    result = bill(slots, [version], JHB, start, end)

    blocks = [(line.quantity, line.rate, line.amount) for line in result.lines]
    assert blocks == [
        (D(50), D("1.1111"), D("55.56")),
        (D(300), D("1.5555"), D("466.65")),
        (D(250), D("2.2222"), D("555.55")),
        (D(264), D("3.3333"), D("879.99")),
    ]
    assert [line.kind for line in result.lines] == ["energy_blocks"] * 4
    assert "block 1" in result.lines[0].description
    assert "block 4" in result.lines[3].description
    assert result.subtotal == D("1957.75")

    costs = interval_costs(slots, [version], JHB, billing_day=1)
    assert sum(costs) == D("1957.7462")  # type: ignore[arg-type]
    assert slots[166].start == datetime(2026, 4, 2, 15, 30, tzinfo=UTC)
    assert costs[165] == D("0.33333")  # 0.3 x 1.1111, wholly block 1
    assert costs[166] == D("0.37777")
    assert costs[167] == D("0.46665")  # 0.3 x 1.5555
    assert costs[1166] == D("0.53332")
    assert costs[1999] == D("0.66666")
    assert costs[2000] == D("0.99999")


# ---------------------------------------------------------------- 3. TOU


def test_time_of_use_across_the_season_change_with_youth_day_as_sunday():
    """Billing day 20, period 2026-05: 20 May - 20 June 2026, 31 days, at a
    steady 0.25 kWh a slot = 1 kWh an hour. High season is June - August.

    Low (20-31 May, 12 days): weekdays 20,21,22,25,26,27,28,29 = 8;
    Saturdays 23,30 = 2; Sundays 24,31 = 2.
      peak     8 x 4.5            =  36 kWh x R2.00 =  72.00
      standard 8 x 11.25 + 2 x 7  = 104 kWh x R1.20 = 124.80
      off_peak 8 x 8.25 + 2 x 17 + 2 x 24 = 66 + 34 + 48 = 148 kWh x R0.80
               = 118.40
    High (1-19 June, 19 days): weekdays 1-5, 8-12, 15-19 = 15 less Youth Day
    (Tue 16 June, billed as Sunday) = 14; Saturdays 6,13 = 2; Sundays 7,14 +
    16 June = 3.
      peak     14 x 4.5            =  63   kWh x R5.00 = 315.00
      standard 14 x 11.25 + 2 x 7  = 171.5 kWh x R1.60 = 274.40
      off_peak 14 x 8.25 + 2 x 17 + 3 x 24 = 115.5 + 34 + 72 = 221.5 kWh
               x R0.90 = 199.35
    Checks: low 36 + 104 + 148 = 288 = 12 x 24; high 63 + 171.5 + 221.5 = 456
    = 19 x 24. By period: peak 99, standard 275.5, off_peak 369.5 (sum 744).
    Total 72.00 + 124.80 + 118.40 + 315.00 + 274.40 + 199.35 = R1,103.95.
    """
    start, end = billing_period("2026-05", 20)
    assert (start, end) == (date(2026, 5, 20), date(2026, 6, 20))
    assert period_label(date(2026, 6, 19), 20) == "2026-05"
    assert period_label(date(2026, 6, 20), 20) == "2026-06"
    version = priced(
        valid_from="2026-01-01",
        holidays={"country": "ZA", "treat_as": "sunday"},
        time_of_use=TWO_SEASONS,
        charges=[
            {
                "kind": "energy_tou",
                "rates": {
                    "low": {"peak": "2.00", "standard": "1.20", "off_peak": "0.80"},
                    "high": {"peak": "5.00", "standard": "1.60", "off_peak": "0.90"},
                },
            }
        ],
    )
    youth_day = day_plan(version.body, date(2026, 6, 16))
    assert (youth_day.season, youth_day.day_type, youth_day.holiday) == (
        "high",
        "sunday",
        "Youth Day",
    )
    assert set(youth_day.periods) == {"off_peak"}
    assert day_plan(version.body, date(2026, 6, 15)).day_type == "weekday"
    assert day_plan(version.body, date(2026, 5, 31)).season == "low"
    # 9 August 2026 is a Sunday anyway; Monday 10 August is the observed day.
    womens_day = day_plan(version.body, date(2026, 8, 9))
    observed = day_plan(version.body, date(2026, 8, 10))
    assert (womens_day.day_type, womens_day.holiday) == (
        "sunday",
        "National Women's Day",
    )
    assert (observed.season, observed.day_type, observed.holiday) == (
        "high",
        "sunday",
        "National Women's Day (observed)",
    )

    slots = slots_for(start, end, JHB, steady(0.25))
    assert len(slots) == 31 * 96
    result = bill(slots, [version], JHB, start, end)

    energy = {
        line.description: (line.quantity, line.amount)
        for line in lines_of(result, "energy_tou")
    }
    assert energy == {
        "Energy (low, peak)": (D(36), D("72.00")),
        "Energy (low, standard)": (D(104), D("124.80")),
        "Energy (low, off_peak)": (D(148), D("118.40")),
        "Energy (high, peak)": (D(63), D("315.00")),
        "Energy (high, standard)": (D("171.5"), D("274.40")),
        "Energy (high, off_peak)": (D("221.5"), D("199.35")),
    }
    assert result.energy_by_period == {
        "peak": D(99),
        "standard": D("275.5"),
        "off_peak": D("369.5"),
    }
    assert result.kwh == D(744)
    assert result.subtotal == D("1103.95")
    assert result.taxes == []

    # Quarter-hour edges, local clock (UTC+2): on Wednesday 20 May (low)
    # 06:00 is off_peak (0.25 x 0.80 = 0.2), 06:15 peak (0.25 x 2.00 = 0.5),
    # 08:30 peak (0.5), 08:45 standard (0.25 x 1.20 = 0.3). On Monday
    # 15 June (high) 07:00 is peak (0.25 x 5.00 = 1.25); on Youth Day it is
    # off_peak (0.25 x 0.90 = 0.225).
    costs = interval_costs(slots, [version], JHB, billing_day=20)
    expected = {
        datetime(2026, 5, 20, 4, 0, tzinfo=UTC): D("0.2"),
        datetime(2026, 5, 20, 4, 15, tzinfo=UTC): D("0.5"),
        datetime(2026, 5, 20, 6, 30, tzinfo=UTC): D("0.5"),
        datetime(2026, 5, 20, 6, 45, tzinfo=UTC): D("0.3"),
        datetime(2026, 6, 15, 5, 0, tzinfo=UTC): D("1.25"),
        datetime(2026, 6, 16, 5, 0, tzinfo=UTC): D("0.225"),
    }
    for start_utc, cost in expected.items():
        assert cost_at(slots, costs, start_utc) == cost, start_utc
    assert sum(costs) == D("1103.95")  # type: ignore[arg-type]


# ---------------------------------------------------------------- 4. demand


def test_demand_counts_only_peak_and_standard_windows():
    """March 2026, billing day 1, low season, no holidays in the version.
    Every slot is 1 kWh, 0 kvarh (a 30-minute window: 2 kWh / 0.5 h = 4 kVA),
    except (local times, UTC+2):

      Wed 4 March 02:00, 02:15 (off_peak): 30 kWh, 40 kvarh each
          window 60 kWh, 80 kvarh: sqrt(60^2 + 80^2) = 100 kVAh / 0.5 h
          = 200 kVA, 60 / 0.5 = 120 kW   <- the site's highest, but off-peak
      Thu 5 March 06:00 (off_peak), 06:15 (peak): 20 kWh, 15 kvarh each
          window 40, 30: 50 / 0.5 = 100 kVA, 80 kW; straddles off_peak, so
          it is not wholly inside peak/standard and does not count
      Thu 5 March 07:00, 07:15 (peak): 12 kWh, 9 kvarh each
          window 24, 18: sqrt(576 + 324) = 30 / 0.5 = 60 kVA; 48 kW
      Fri 6 March 10:00, 10:15 (standard): 13 kWh, 0 kvarh each
          window 26, 0: 52 kVA; 52 kW

    kVA charge (peak, standard) @ R100: highest counted is 60 kVA, Thu 07:00
    local = 05:00 UTC -> 60 x 100 = R6,000.00.
    kW charge (peak, standard) @ R150: highest counted is 52 kW, Fri 10:00
    local = 08:00 UTC -> 52 x 150 = R7,800.00.
    The bill's own maximum demand ignores periods: 200 kVA and 120 kW, both
    at Wed 4 March 02:00 local = 00:00 UTC.
    """
    start, end = billing_period("2026-03", 1)
    version = priced(
        valid_from="2026-01-01",
        time_of_use=TWO_SEASONS,
        charges=[
            {
                "kind": "demand",
                "name": "kVA demand",
                "rate": "100",
                "unit": "kVA",
                "window_minutes": 30,
                "periods": ["peak", "standard"],
            },
            {
                "kind": "demand",
                "name": "kW demand",
                "rate": "150",
                "unit": "kW",
                "window_minutes": 30,
                "periods": ["peak", "standard"],
            },
        ],
    )
    assert day_plan(version.body, date(2026, 3, 5)).periods[24:30] == (
        "off_peak",  # 06:00
        "peak",  # 06:15
        "peak",
        "peak",
        "peak",  # 07:00
        "peak",
    )
    specials = {
        datetime(2026, 3, 4, 2, 0): (30.0, 0.0, 40.0),
        datetime(2026, 3, 4, 2, 15): (30.0, 0.0, 40.0),
        datetime(2026, 3, 5, 6, 0): (20.0, 0.0, 15.0),
        datetime(2026, 3, 5, 6, 15): (20.0, 0.0, 15.0),
        datetime(2026, 3, 5, 7, 0): (12.0, 0.0, 9.0),
        datetime(2026, 3, 5, 7, 15): (12.0, 0.0, 9.0),
        datetime(2026, 3, 6, 10, 0): (13.0, 0.0, 0.0),
        datetime(2026, 3, 6, 10, 15): (13.0, 0.0, 0.0),
    }
    slots = slots_for(start, end, JHB, with_specials((1.0, 0.0, 0.0), specials))

    result = bill(slots, [version], JHB, start, end)

    kva, kw = lines_of(result, "demand")
    assert (kva.unit, kva.quantity, kva.factor, kva.amount) == (
        "kVA",
        D(60),
        D(1),
        D("6000.00"),
    )
    assert kva.note == "highest at 2026-03-05 07:00"  # 05:00 UTC, local UTC+2
    assert kva.description == "kVA demand (peak, standard)"
    assert (kw.unit, kw.quantity, kw.amount) == ("kW", D(52), D("7800.00"))
    assert kw.note == "highest at 2026-03-06 10:00"  # 08:00 UTC
    assert result.subtotal == D("13800.00")

    site_kva, site_kw = result.max_demand_kva, result.max_demand_kw
    assert site_kva is not None
    assert site_kw is not None
    assert (site_kva.value, site_kva.unit, site_kva.window_minutes) == (
        D(200),
        "kVA",
        30,
    )
    assert site_kva.at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    assert (site_kw.value, site_kw.unit) == (D(120), "kW")
    assert site_kw.at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------- 5. versions


def test_version_change_in_the_middle_of_a_billing_period():
    """Billing day 15, period 2026-06: 15 June - 15 July 2026 = 30 days.
    Version A runs to 1 July: 15-30 June = 16 days (factor 16/30).
    Version B from 1 July: 1-14 July = 14 days (factor 14/30).

    Slots are 0.25 kWh, no kvarh (a window of 0.5 kWh = 1 kVA), except
      20 June 10:00, 10:15 local: 6 kWh, 4.5 kvarh each -> window 12, 9:
          15 / 0.5 = 30 kVA (A's highest, at 08:00 UTC)
      3 July 14:00, 14:15 local: 4.5 kWh, 6 kvarh each -> window 9, 12:
          15 / 0.5 = 30 kVA (B's highest, at 12:00 UTC)
    Each segment's demand line uses the highest window on its own days, with
    its own version's rate.

    A (VAT 15%):
      energy 16 x 96 x 0.25 = 384 + 2 x (6 - 0.25) = 395.5 kWh x R2.00 = 791.00
      daily  16 x R10.00 = 160.00
      period R300 x 16/30 = 160.00
      demand 30 kVA x R100 x 16/30 = 1,600.00
      base 791 + 160 + 160 + 1,600 = 2,711.00; VAT 2,711.00 x 0.15 = 406.65
    B (VAT 15.5%):
      energy 14 x 96 x 0.25 = 336 + 2 x (4.5 - 0.25) = 344.5 kWh x R2.20
             = 757.90
      daily  14 x R11.00 = 154.00
      period R330 x 14/30 = 154.00
      demand 30 kVA x R120 x 14/30 = 1,680.00
      base 757.90 + 154 + 154 + 1,680 = 2,745.90; VAT x 0.155 = 425.6145
             -> 425.61
    Subtotal 2,711.00 + 2,745.90 = 5,456.90; tax 406.65 + 425.61 = 832.26;
    total R6,289.16.
    """
    start, end = billing_period("2026-06", 15)
    assert (start, end) == (date(2026, 6, 15), date(2026, 7, 15))

    def charges(energy: str, daily: str, period: str, demand: str) -> list[dict]:
        return [
            {"kind": "energy_flat", "rate": energy},
            {"kind": "fixed_daily", "amount": daily},
            {"kind": "fixed_period", "amount": period},
            {"kind": "demand", "rate": demand},
        ]

    old = priced(
        valid_from="2025-07-01",
        valid_to="2026-07-01",
        tax_percent=15,
        charges=charges("2.00", "10.00", "300.00", "100"),
    )
    new = priced(
        valid_from="2026-07-01",
        tax_percent="15.5",
        charges=charges("2.20", "11.00", "330.00", "120"),
    )
    specials = {
        datetime(2026, 6, 20, 10, 0): (6.0, 0.0, 4.5),
        datetime(2026, 6, 20, 10, 15): (6.0, 0.0, 4.5),
        datetime(2026, 7, 3, 14, 0): (4.5, 0.0, 6.0),
        datetime(2026, 7, 3, 14, 15): (4.5, 0.0, 6.0),
    }
    slots = slots_for(start, end, JHB, with_specials((0.25, 0.0, 0.0), specials))
    assert len(slots) == 30 * 96

    result = bill(slots, [old, new], JHB, start, end)

    summary = [
        (line.version_from, line.kind, line.quantity, line.amount)
        for line in result.lines
    ]
    assert summary == [
        (date(2025, 7, 1), "energy_flat", D("395.5"), D("791.00")),
        (date(2025, 7, 1), "fixed_daily", D(16), D("160.00")),
        (date(2025, 7, 1), "fixed_period", D(1), D("160.00")),
        (date(2025, 7, 1), "demand", D(30), D("1600.00")),
        (date(2026, 7, 1), "energy_flat", D("344.5"), D("757.90")),
        (date(2026, 7, 1), "fixed_daily", D(14), D("154.00")),
        (date(2026, 7, 1), "fixed_period", D(1), D("154.00")),
        (date(2026, 7, 1), "demand", D(30), D("1680.00")),
    ]
    six_places = D("0.000001")
    factors = [
        (line.kind, line.factor.quantize(six_places))
        for line in result.lines
        if line.kind in ("fixed_period", "demand")
    ]
    assert factors == [
        ("fixed_period", D("0.533333")),  # 16/30
        ("demand", D("0.533333")),
        ("fixed_period", D("0.466667")),  # 14/30
        ("demand", D("0.466667")),
    ]
    old_demand, new_demand = lines_of(result, "demand")
    assert old_demand.note == "highest at 2026-06-20 10:00"  # 08:00 UTC
    assert new_demand.note == "highest at 2026-07-03 14:00"  # 12:00 UTC

    taxes = [(tax.percent, tax.base, tax.amount) for tax in result.taxes]
    assert sorted(taxes) == [
        (D(15), D("2711.00"), D("406.65")),
        (D("15.5"), D("2745.90"), D("425.61")),
    ]
    assert result.subtotal == D("5456.90")
    assert result.tax == D("832.26")
    assert result.total == D("6289.16")
    assert result.kwh == D(740)  # 395.5 + 344.5

    # The local day picks the version: 30 June 23:45 local (21:45 UTC) is
    # 0.25 x 2.00 = 0.50; 1 July 00:00 local (22:00 UTC on 30 June) is
    # 0.25 x 2.20 = 0.55. All energy: 791.00 + 757.90 = 1,548.90.
    costs = interval_costs(slots, [old, new], JHB, billing_day=15)
    assert cost_at(slots, costs, datetime(2026, 6, 30, 21, 45, tzinfo=UTC)) == D("0.50")
    assert cost_at(slots, costs, datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == D("0.55")
    assert sum(costs) == D("1548.90")  # type: ignore[arg-type]


# ---------------------------------------------------------------- 6. DST


def london_tariff() -> PricedVersion:
    """night 00:00-07:00 @ 0.10, day 07:00-24:00 @ 0.30 every day, local
    clock; 0.50 a day. At 1 kWh a slot (4 kWh an hour) a 24-hour day has
    night 7 x 4 = 28 kWh (2.80) and day 17 x 4 = 68 kWh (20.40) = 23.20."""
    every_day = [span("00:00", "07:00", "night"), span("07:00", "24:00", "day")]
    return priced(
        valid_from="2026-01-01",
        time_of_use={
            "periods": ["night", "day"],
            "seasons": [{"name": "all", "months": list(range(1, 13))}],
            "schedule": {
                "all": {
                    "weekday": every_day,
                    "saturday": every_day,
                    "sunday": every_day,
                }
            },
        },
        charges=[
            {"kind": "energy_tou", "rates": {"all": {"night": "0.10", "day": "0.30"}}},
            {"kind": "fixed_daily", "amount": "0.50"},
        ],
    )


def test_dst_spring_forward_day_has_92_intervals():
    """Europe/London, March 2026: 29 March loses 01:00-02:00 local (92 slots).
    Slots: 30 x 96 + 92 = 2,972, each 1 kWh.
    29 March: night 6 h x 4 = 24 kWh (2.40) + day 68 kWh (20.40) = 22.80.
    Month: night 30 x 28 + 24 = 864 kWh x 0.10 = 86.40;
           day 31 x 68 = 2,108 kWh x 0.30 = 632.40;
           daily 31 x 0.50 = 15.50 (a 23-hour day is still one day).
    Total 86.40 + 632.40 + 15.50 = 734.30 (no tax).
    """
    version = london_tariff()
    start, end = billing_period("2026-03", 1)
    slots = slots_for(start, end, LONDON, steady(1.0))
    assert len(slots) == 2972

    costs = interval_costs(slots, [version], LONDON, billing_day=1)
    counts, daily = by_local_day(slots, costs, LONDON)
    assert counts[date(2026, 3, 28)] == 96
    assert counts[date(2026, 3, 29)] == 92
    assert counts[date(2026, 3, 30)] == 96
    assert daily[date(2026, 3, 28)] == D("23.20")
    assert daily[date(2026, 3, 29)] == D("22.80")
    assert daily[date(2026, 3, 30)] == D("23.20")
    hours_on_29th = {
        slot.start.astimezone(LONDON).hour
        for slot in slots
        if slot.start.astimezone(LONDON).date() == date(2026, 3, 29)
    }
    assert 1 not in hours_on_29th
    # 07:00 local is 07:00 UTC before the change and 06:00 UTC after it.
    assert cost_at(slots, costs, datetime(2026, 3, 28, 6, 45, tzinfo=UTC)) == D("0.10")
    assert cost_at(slots, costs, datetime(2026, 3, 28, 7, 0, tzinfo=UTC)) == D("0.30")
    assert cost_at(slots, costs, datetime(2026, 3, 30, 5, 45, tzinfo=UTC)) == D("0.10")
    assert cost_at(slots, costs, datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == D("0.30")

    result = bill(slots, [version], LONDON, start, end, currency="GBP")

    summary = [(line.description, line.quantity, line.amount) for line in result.lines]
    assert summary == [
        ("Energy (all, night)", D(864), D("86.40")),
        ("Energy (all, day)", D(2108), D("632.40")),
        ("Daily charge", D(31), D("15.50")),
    ]
    assert result.energy_by_period == {"night": D(864), "day": D(2108)}
    assert result.total == D("734.30")


def test_dst_fall_back_day_has_100_intervals_and_repeats_0130():
    """Europe/London, October 2026: 25 October repeats 01:00-02:00 local
    (100 slots); 01:30 local is 00:30 UTC (BST) and again 01:30 UTC (GMT),
    both night at 0.10.
    Slots: 30 x 96 + 100 = 2,980, each 1 kWh.
    25 October: night 8 h x 4 = 32 kWh (3.20) + day 68 kWh (20.40) = 23.60.
    Month: night 30 x 28 + 32 = 872 kWh x 0.10 = 87.20;
           day 31 x 68 = 2,108 kWh x 0.30 = 632.40; daily 31 x 0.50 = 15.50.
    Total 87.20 + 632.40 + 15.50 = 735.10.
    """
    version = london_tariff()
    start, end = billing_period("2026-10", 1)
    slots = slots_for(start, end, LONDON, steady(1.0))
    assert len(slots) == 2980

    costs = interval_costs(slots, [version], LONDON, billing_day=1)
    counts, daily = by_local_day(slots, costs, LONDON)
    assert counts[date(2026, 10, 24)] == 96
    assert counts[date(2026, 10, 25)] == 100
    assert counts[date(2026, 10, 26)] == 96
    assert daily[date(2026, 10, 24)] == D("23.20")
    assert daily[date(2026, 10, 25)] == D("23.60")
    assert daily[date(2026, 10, 26)] == D("23.20")

    half_past_one = [
        (slot.start, cost)
        for slot, cost in zip(slots, costs, strict=True)
        if slot.start.astimezone(LONDON).replace(tzinfo=None)
        == datetime(2026, 10, 25, 1, 30)
    ]
    assert half_past_one == [
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), D("0.10")),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), D("0.10")),
    ]
    # 06:00 UTC is 07:00 local (day) before the change, 06:00 local (night)
    # after it.
    assert cost_at(slots, costs, datetime(2026, 10, 24, 6, 0, tzinfo=UTC)) == D("0.30")
    assert cost_at(slots, costs, datetime(2026, 10, 26, 6, 0, tzinfo=UTC)) == D("0.10")
    assert cost_at(slots, costs, datetime(2026, 10, 26, 7, 0, tzinfo=UTC)) == D("0.30")

    result = bill(slots, [version], LONDON, start, end, currency="GBP")

    summary = [(line.description, line.quantity, line.amount) for line in result.lines]
    assert summary == [
        ("Energy (all, night)", D(872), D("87.20")),
        ("Energy (all, day)", D(2108), D("632.40")),
        ("Daily charge", D(31), D("15.50")),
    ]
    assert result.energy_by_period == {"night": D(872), "day": D(2108)}
    assert result.total == D("735.10")


# ---------------------------------------------------------------- 7. zero


def test_zero_kwh_interval_costs_nothing():
    """Slots of 1, 0 and 1 kWh on 1 April 2026 (local 00:00, 00:15, 00:30).
    Flat R2.50: 2.50, 0, 2.50. Blocks (0-1 kWh @ R1, then R3): the first slot
    fills block 1 (1.00), the empty one costs 0, the third is all block 2
    (3.00)."""
    flat = priced(
        valid_from="2026-01-01", charges=[{"kind": "energy_flat", "rate": "2.50"}]
    )
    blocks = priced(
        valid_from="2026-01-01",
        charges=[
            {
                "kind": "energy_blocks",
                "blocks": [
                    {"up_to_kwh": "1", "rate": "1"},
                    {"up_to_kwh": None, "rate": "3"},
                ],
            }
        ],
    )
    first = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # 1 April 00:00 local
    slots = [
        Slot(first, 1.0, 0.0, 0.0),
        Slot(first + QUARTER, 0.0, 0.0, 0.0),
        Slot(first + 2 * QUARTER, 1.0, 0.0, 0.0),
    ]

    assert interval_costs(slots, [flat], JHB, billing_day=1) == [
        D("2.50"),
        D(0),
        D("2.50"),
    ]
    assert interval_costs(slots, [blocks], JHB, billing_day=1) == [
        D(1),
        D(0),
        D(3),
    ]


def test_month_of_zero_kwh_still_pays_its_fixed_charges():
    """April 2026, 30 days, every slot 0 kWh.
    Energy 0 kWh x R2.50 = 0.00; daily 30 x R5.00 = 150.00; period R100.00.
    Subtotal 250.00; VAT 15% = 37.50; total R287.50."""
    start, end = billing_period("2026-04", 1)
    version = priced(
        valid_from="2026-01-01",
        tax_percent=15,
        charges=[
            {"kind": "energy_flat", "rate": "2.50"},
            {"kind": "fixed_daily", "amount": "5.00"},
            {"kind": "fixed_period", "amount": "100.00"},
        ],
    )
    slots = slots_for(start, end, JHB, steady(0.0))

    costs = interval_costs(slots, [version], JHB, billing_day=1)
    assert len(costs) == 2880
    assert all(cost == 0 for cost in costs)

    result = bill(slots, [version], JHB, start, end)
    assert result.kwh == 0
    assert sum(line.amount for line in lines_of(result, "energy_flat")) == 0
    assert one_line(result, "fixed_daily").amount == D("150.00")
    assert one_line(result, "fixed_period").amount == D("100.00")
    assert result.subtotal == D("250.00")
    assert result.tax == D("37.50")
    assert result.total == D("287.50")


# ---------------------------------------------------------------- capacity


def test_capacity_charge_on_notified_demand():
    """April 2026 (30 days), notified maximum demand 500 kVA.
    One version @ R25.50/kVA: 500 x 25.50 = R12,750.00.
    Without a notified demand the line is 0 kVA, R0.00, with a note.
    Split at 11 April (A @ 25.50 for 1-10 April, 10 days; B @ 27.00 for
    11-30 April, 20 days): A 500 x 25.50 x 10/30 = 12,750 / 3 = 4,250.00;
    B 500 x 27.00 x 20/30 = 13,500 x 2/3 = 9,000.00."""
    start, end = billing_period("2026-04", 1)
    version = priced(
        valid_from="2026-01-01", charges=[{"kind": "capacity", "rate": "25.50"}]
    )
    slots = slots_for(start, end, JHB, steady(0.25))

    notified = bill(slots, [version], JHB, start, end, notified_demand_kva=D(500))
    line = one_line(notified, "capacity")
    assert (line.quantity, line.unit, line.factor, line.amount) == (
        D(500),
        "kVA",
        D(1),
        D("12750.00"),
    )
    assert line.note == ""

    unknown = one_line(bill(slots, [version], JHB, start, end), "capacity")
    assert (unknown.quantity, unknown.amount) == (D(0), D("0.00"))
    assert unknown.note == "site has no notified maximum demand"

    before = priced(
        valid_from="2026-01-01",
        valid_to="2026-04-11",
        charges=[{"kind": "capacity", "rate": "25.50"}],
    )
    after = priced(
        valid_from="2026-04-11", charges=[{"kind": "capacity", "rate": "27.00"}]
    )
    split = bill(slots, [before, after], JHB, start, end, notified_demand_kva=D(500))
    assert [line.amount for line in lines_of(split, "capacity")] == [
        D("4250.00"),
        D("9000.00"),
    ]
    assert split.subtotal == D("13250.00")


# ---------------------------------------------------------------- reactive


def test_reactive_charge_on_kvarh_above_the_free_share():
    """April 2026 (30 days), every slot 1 kWh; lagging kvarh 0.6 a slot on
    1-15 April and 0.1 a slot on 16-30 April (kvarh_total 0.9 throughout,
    which the reactive charge must not use).
    kWh 2,880 x R2.00 = 5,760.00.
    kvarh 1,440 x 0.6 + 1,440 x 0.1 = 864 + 144 = 1,008;
    free 0.3 x 2,880 = 864; excess 1,008 - 864 = 144 kvarh x R0.40 = 57.60.
    (Period totals, not slot by slot: slot by slot the first half alone
    would give 1,440 x 0.3 = 432 kvarh.)
    Subtotal 5,760.00 + 57.60 = 5,817.60."""
    start, end = billing_period("2026-04", 1)
    version = priced(
        valid_from="2026-01-01",
        charges=[
            {"kind": "energy_flat", "rate": "2.00"},
            {"kind": "reactive", "rate": "0.40", "free_share": "0.3"},
        ],
    )

    def fill(local: datetime) -> Reading:
        return (1.0, 0.6 if local.day <= 15 else 0.1, 0.9)

    slots = slots_for(start, end, JHB, fill)

    result = bill(slots, [version], JHB, start, end)

    reactive = one_line(result, "reactive")
    assert (reactive.quantity, reactive.unit, reactive.rate, reactive.amount) == (
        D(144),
        "kvarh",
        D("0.40"),
        D("57.60"),
    )
    assert one_line(result, "energy_flat").amount == D("5760.00")
    assert result.subtotal == D("5817.60")


def test_an_open_ended_version_runs_until_the_next_one_begins():
    """Adding a new version when prices change must not leave the old one in
    force as well. Old: 1.00/kWh and 10.00/day from 1 January, no end; new:
    2.00/kWh and 20.00/day from 16 March. March 2026 in Johannesburg, 1 kWh
    at 10:00 local every day: 15 days x (1 x 1.00 + 10.00) = 165.00 on the
    old version and 16 days x (1 x 2.00 + 20.00) = 352.00 on the new."""
    tz = ZoneInfo("Africa/Johannesburg")

    def version(start: str, rate: str, daily: str) -> PricedVersion:
        parsed = parse_version(
            {
                "valid_from": start,
                "charges": [
                    {"kind": "energy_flat", "rate": rate},
                    {"kind": "fixed_daily", "amount": daily},
                ],
            }
        )
        return PricedVersion(parsed.valid_from, parsed.valid_to, parsed.body)

    versions = [
        version("2026-03-16", "2.00", "20.00"),
        version("2026-01-01", "1", "10"),
    ]
    slots = [
        Slot(datetime(2026, 3, day, 8, tzinfo=UTC), 1.0, 0.0, 0.0)
        for day in range(1, 32)
    ]

    result = bill(slots, versions, tz, date(2026, 3, 1), date(2026, 4, 1))

    amounts = [(line.version_from, line.kind, line.amount) for line in result.lines]
    assert amounts == [
        (date(2026, 1, 1), "energy_flat", Decimal("15.00")),
        (date(2026, 1, 1), "fixed_daily", Decimal("150.00")),
        (date(2026, 3, 16), "energy_flat", Decimal("32.00")),
        (date(2026, 3, 16), "fixed_daily", Decimal("320.00")),
    ]
    assert result.subtotal == Decimal("517.00")
