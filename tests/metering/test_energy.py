"""Tests for the energy engine: one test per rule, then the checkpoint contract.

Unless a test says otherwise, readings are minutes after 2025-03-01 00:00 UTC
and the settings are the defaults (jitter tolerance 1.0, ceiling 10,000 kW).
"""

import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from portal.metering.energy import (
    DECISION_KINDS,
    Engine,
    EngineSettings,
    IntervalTotals,
    Sample,
    interval_start,
)
from portal.metering.quantities import ENERGY_REGISTERS

T0 = datetime(2025, 3, 1, tzinfo=UTC)

# With a 100 kW ceiling, ten minutes allow 16.7 kWh (17.7 with the tolerance),
# small enough to make modest jumps implausible.
SMALL_METER = EngineSettings(max_power_kw=100.0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reading(
    minutes: float,
    kwh_import: float | None = None,
    kwh_export: float | None = None,
    kvarh_import: float | None = None,
    kvarh_export: float | None = None,
    p_kw: float | None = None,
) -> Sample:
    registers = (kwh_import, kwh_export, kvarh_import, kvarh_export)
    return Sample(at(minutes), registers, p_kw)


def run(samples: Iterable[Sample], settings: EngineSettings | None = None) -> Engine:
    engine = Engine(settings or EngineSettings())
    for sample in samples:
        engine.feed(sample)
    return engine


def booked(engine: Engine, register: str = "kwh_import") -> dict[int, float]:
    """Energy per interval, keyed by the interval's minutes after T0."""
    return {
        int((start - T0).total_seconds() // 60): getattr(row, register)
        for start, row in sorted(engine.intervals.items())
    }


def kinds(engine: Engine) -> list[tuple[str, datetime]]:
    return [(decision.kind, decision.ts) for decision in engine.decisions]


def total(engine: Engine, register: str = "kwh_import") -> float:
    return sum(getattr(row, register) for row in engine.intervals.values())


# interval_start


def test_interval_start_floors_to_the_quarter_hour_in_utc():
    assert interval_start(at(29.99)) == at(15)
    assert interval_start(at(30)) == at(30)

    # 01:44 at +01:00 is 00:44 UTC.
    paris = timezone(timedelta(hours=1))
    assert interval_start(datetime(2025, 3, 1, 1, 44, tzinfo=paris)) == at(30)
    assert interval_start(at(44)).tzinfo is UTC


def test_interval_start_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        interval_start(datetime(2025, 3, 1))


# Ordinary readings


def test_first_value_is_only_a_baseline():
    engine = run([reading(5, kwh_import=1234.5)])

    assert booked(engine) == {0: 0.0}
    assert engine.decisions == []
    assert not engine.pending


def test_ordinary_rise_spreads_across_intervals():
    # 100.0 -> 102.0 over 00:10..00:20 spreads 1.0 kWh into 00:00 and 1.0 into
    # 00:15, booked as soon as the second reading arrives.
    engine = run([reading(10, kwh_import=100.0), reading(20, kwh_import=102.0)])

    assert booked(engine) == {0: 1.0, 15: 1.0}
    assert engine.decisions == []
    assert engine.intervals[at(0)].flags == set()


def test_rise_over_several_intervals_is_split_by_overlap_and_covered():
    # 9.0 kWh over 00:05..00:50 (45 minutes): 10/45 -> 2.0 into 00:00,
    # 15/45 -> 3.0 into 00:15 and into 00:30, 5/45 -> 1.0 into 00:45.
    # Coverage is the same overlap in seconds: 600, 900, 900, 300.
    engine = run([reading(5, kwh_import=50.0), reading(50, kwh_import=59.0)])

    assert booked(engine) == pytest.approx({0: 2.0, 15: 3.0, 30: 3.0, 45: 1.0})
    covered = [row.covered_seconds for _, row in sorted(engine.intervals.items())]
    assert covered == [600.0, 900.0, 900.0, 300.0]


# Jitter


def test_jitter_dip_and_recovery_books_no_double_energy():
    # 100.0 at 00:00, dips to 99.6 at 00:10 (within 1.0: jitter, baseline stays
    # 100.0 from 00:00), 101.0 at 00:20 books 1.0 over 00:00..00:20: 0.75 into
    # 00:00 and 0.25 into 00:15; 101.5 at 00:30 books 0.5 into 00:15.
    # Total 1.5 = 101.5 - 100.0; the 0.4 dip is not booked again.
    engine = run(
        [
            reading(0, kwh_import=100.0),
            reading(10, kwh_import=99.6),
            reading(20, kwh_import=101.0),
            reading(30, kwh_import=101.5),
        ]
    )

    assert booked(engine) == pytest.approx({0: 0.75, 15: 0.75, 30: 0.0})
    assert kinds(engine) == [("jitter", at(10))]
    assert engine.decisions[0].register == "kwh_import"
    assert "jitter" in engine.intervals[at(0)].flags


# Drops to zero


def test_reset_to_zero_confirmed_by_the_next_reading():
    # 1520.4 at 00:00, 0.3 at 00:10 (a drop to no more than 10 minutes at
    # 10,000 kW could give: pending), 0.9 at 00:20 confirms it. The 0.3 counted
    # since the reset is spread over 00:00..00:10 (all into 00:00), then
    # 0.6 over 00:10..00:20: 0.3 into 00:00 and 0.3 into 00:15.
    engine = run([reading(0, kwh_import=1520.4), reading(10, kwh_import=0.3)])
    assert engine.pending
    assert booked(engine) == {0: 0.0}

    engine.feed(reading(20, kwh_import=0.9))

    assert not engine.pending
    assert booked(engine) == pytest.approx({0: 0.6, 15: 0.3})
    [decision] = engine.decisions
    assert (decision.kind, decision.ts, decision.register) == (
        "counter_reset",
        at(10),
        "kwh_import",
    )
    assert decision.detail == (
        "kwh_import fell from 1520.4 to 0.3 and the next reading 0.9 confirmed "
        "it; counting from zero"
    )
    assert "counter_reset" in engine.intervals[at(0)].flags


def test_single_zero_glitch_is_ignored():
    # 1520.4, 0.0 at 00:10, 1521.6 at 00:20: back at the old level, so the zero
    # is a glitch and 1.2 is spread over 00:00..00:20: 0.9 and 0.3.
    engine = run(
        [
            reading(0, kwh_import=1520.4),
            reading(10, kwh_import=0.0),
            reading(20, kwh_import=1521.6),
        ]
    )

    assert booked(engine) == pytest.approx({0: 0.9, 15: 0.3})
    assert kinds(engine) == [("glitch_ignored", at(10))]
    assert "glitch_ignored" in engine.intervals[at(0)].flags
    assert not engine.pending


# Rollover


def test_rollover_at_the_register_maximum():
    # 99,999,999.9 at 00:00 wraps to 0.4 at 00:10: 100,000,000 - 99,999,999.9
    # + 0.4 = 0.5 into 00:00, decided at once; 1.4 at 00:20 adds 1.0 over
    # 00:10..00:20: 0.5 into 00:00 and 0.5 into 00:15.
    engine = run([reading(0, kwh_import=99_999_999.9), reading(10, kwh_import=0.4)])
    assert not engine.pending
    assert booked(engine) == pytest.approx({0: 0.5})

    engine.feed(reading(20, kwh_import=1.4))

    assert booked(engine) == pytest.approx({0: 1.0, 15: 0.5})
    assert kinds(engine) == [("rollover", at(10))]
    assert "rollover" in engine.intervals[at(0)].flags


# Implausible jumps and presets


def test_implausible_jump_then_continue_is_a_preset():
    # 1000 -> 50000 in ten minutes is far beyond 17.7 kWh: pending. 50002 at
    # 00:20 continues from it: the baseline moves to 50000 at 00:10 with nothing
    # booked for the jump, then 2.0 over 00:10..00:20: 1.0 and 1.0.
    engine = run(
        [
            reading(0, kwh_import=1000.0),
            reading(10, kwh_import=50_000.0),
            reading(20, kwh_import=50_002.0),
        ],
        SMALL_METER,
    )

    assert booked(engine) == pytest.approx({0: 1.0, 15: 1.0})
    assert kinds(engine) == [("register_preset", at(10))]
    assert "register_preset" in engine.intervals[at(0)].flags


def test_implausible_jump_then_return_is_rejected():
    # 1000, 50000, 1002: the follow-up returns to the old level, so 50000 was a
    # decode error and 2.0 is spread over 00:00..00:20: 1.5 and 0.5.
    engine = run(
        [
            reading(0, kwh_import=1000.0),
            reading(10, kwh_import=50_000.0),
            reading(20, kwh_import=1002.0),
        ],
        SMALL_METER,
    )

    assert booked(engine) == pytest.approx({0: 1.5, 15: 0.5})
    assert kinds(engine) == [("jump_rejected", at(10))]
    assert "decode error" in engine.decisions[0].detail


def test_drop_to_a_non_zero_level_continued_is_a_preset():
    # 1000 -> 400 is more than 17.7 from zero, so not a reset candidate; 401
    # continues from 400: preset, then 1.0 over 00:10..00:20: 0.5 and 0.5.
    engine = run(
        [
            reading(0, kwh_import=1000.0),
            reading(10, kwh_import=400.0),
            reading(20, kwh_import=401.0),
        ],
        SMALL_METER,
    )

    assert booked(engine) == pytest.approx({0: 0.5, 15: 0.5})
    assert kinds(engine) == [("register_preset", at(10))]


def test_follow_up_fitting_neither_level_rejects_and_is_judged_afresh():
    # 1000, then 50000 (pending), then 90000: neither back near 1000 nor a
    # plausible continuation of 50000, so 50000 is rejected and 90000 becomes
    # pending against 1000. 1001 at 00:30 returns: 90000 is rejected too and
    # 1.0 is spread over 00:00..00:30: 0.5 and 0.5.
    engine = run(
        [
            reading(0, kwh_import=1000.0),
            reading(10, kwh_import=50_000.0),
            reading(20, kwh_import=90_000.0),
        ],
        SMALL_METER,
    )
    assert engine.pending
    assert kinds(engine) == [("jump_rejected", at(10))]
    assert engine.state()["registers"]["kwh_import"]["pending"] == [
        [at(20).isoformat(), 90_000.0]
    ]

    engine.feed(reading(30, kwh_import=1001.0))

    assert not engine.pending
    assert booked(engine) == pytest.approx({0: 0.5, 15: 0.5, 30: 0.0})
    assert kinds(engine) == [("jump_rejected", at(10)), ("jump_rejected", at(20))]


def test_pending_reading_waits_for_the_next_reading_of_its_register():
    # Readings without kwh_import leave the 0.3 pending, even across a
    # checkpoint; the next kwh_import value 0.9 then confirms the reset.
    engine = run(
        [
            reading(0, kwh_import=1520.4),
            reading(10, kwh_import=0.3),
            reading(20, kwh_export=5.0),
            reading(30, kwh_export=5.1),
        ]
    )
    assert engine.pending
    resumed = Engine(EngineSettings(), state=engine.state())
    assert resumed.pending

    resumed.feed(reading(40, kwh_import=0.9))

    assert not resumed.pending
    assert kinds(resumed) == [("counter_reset", at(10))]


# Gaps and coverage


def test_gap_spreads_energy_but_counts_no_coverage():
    # 100.0 at 00:00, 100.5 at 00:15 (covered: 900 s in 00:00), then nothing
    # until 104.5 at 02:15. The 2-hour segment is a gap: 4.0 kWh spread over
    # the eight intervals 00:15..02:00 (0.5 each), none of them covered.
    engine = run(
        [
            reading(0, kwh_import=100.0),
            reading(15, kwh_import=100.5),
            reading(135, kwh_import=104.5),
        ]
    )

    gap_rows = [engine.intervals[at(15 * n)] for n in range(1, 9)]
    assert [row.kwh_import for row in gap_rows] == pytest.approx([0.5] * 8)
    assert all(row.covered_seconds == 0.0 for row in gap_rows)
    assert all("gap" in row.flags for row in gap_rows)
    assert engine.intervals[at(0)].covered_seconds == 900.0
    assert "gap" not in engine.intervals[at(135)].flags
    [decision] = engine.decisions
    assert (decision.kind, decision.ts, decision.register) == ("gap", at(135), None)


def test_segment_exactly_gap_seconds_long_is_covered():
    engine = run([reading(0), reading(60)])

    assert engine.decisions == []
    covered = [row.covered_seconds for _, row in sorted(engine.intervals.items())]
    assert covered == [900.0, 900.0, 900.0, 900.0, 0.0]


def test_every_interval_between_readings_gets_a_row():
    # No registers at all: 00:00..00:50 still gives rows 00:00..00:45 with zero
    # energy, covered 900, 900, 900 and 300 s.
    engine = run([reading(0, p_kw=1.0), reading(50, p_kw=1.0)])

    assert sorted(engine.intervals) == [at(0), at(15), at(30), at(45)]
    assert engine.intervals[at(45)].covered_seconds == 300.0
    assert total(engine) == 0.0


# Per-register judgement


def test_registers_are_judged_independently():
    # kwh_import resets (1520.4, 0.3, 0.9) while kwh_export rises 50.0, 50.5,
    # 51.0: export books 0.5 into 00:00 at once although import is pending,
    # then 0.5 over 00:10..00:20 (0.25 and 0.25). kvarh_import rises 2.0 over
    # 00:00..00:20 (1.5 and 0.5) with no decision of its own.
    engine = run(
        [
            reading(0, 1520.4, 50.0, 10.0),
            reading(10, 0.3, 50.5, None),
        ]
    )
    assert engine.pending
    assert booked(engine, "kwh_export") == pytest.approx({0: 0.5})

    engine.feed(reading(20, 0.9, 51.0, 12.0))

    assert booked(engine, "kwh_export") == pytest.approx({0: 0.75, 15: 0.25})
    assert booked(engine, "kvarh_import") == pytest.approx({0: 1.5, 15: 0.5})
    assert booked(engine) == pytest.approx({0: 0.6, 15: 0.3})
    assert [d.register for d in engine.decisions] == ["kwh_import"]


def test_none_registers_are_skipped_for_that_register_only():
    # kwh_import 100 at 00:00, missing at 00:10, 102 at 00:20: 2.0 over
    # 00:00..00:20, 1.5 and 0.5. kwh_export first appears at 00:10 (baseline
    # 7.0), 8.0 at 00:20 spreads 1.0 over 00:10..00:20, 0.5 and 0.5.
    engine = run(
        [
            reading(0, kwh_import=100.0),
            reading(10, kwh_export=7.0),
            reading(20, kwh_import=102.0, kwh_export=8.0),
        ]
    )

    assert booked(engine) == pytest.approx({0: 1.5, 15: 0.5})
    assert booked(engine, "kwh_export") == pytest.approx({0: 0.5, 15: 0.5})
    assert engine.intervals[at(0)].sample_count == 2
    assert engine.decisions == []


def test_non_finite_values_count_as_not_reported():
    engine = run(
        [
            reading(0, kwh_import=100.0, p_kw=1.0),
            reading(10, kwh_import=float("nan"), p_kw=float("inf")),
            reading(20, kwh_import=102.0),
        ]
    )

    assert booked(engine) == pytest.approx({0: 1.5, 15: 0.5})
    assert engine.intervals[at(0)].power_count == 1


# Negative import


def hourly_reversed_ct(hours: int) -> list[Sample]:
    # Import rises 5 kWh an hour and export stays flat while p_kw reads -5.
    return [
        reading(60 * h, kwh_import=100.0 + 5 * h, kwh_export=10.0, p_kw=-5.0)
        for h in range(hours + 1)
    ]


def test_negative_import_is_reported_at_most_once_a_day():
    # The first reading has nothing to rise from; hour 1 is reported, then
    # nothing until hour 25 (24 hours later), then hour 49.
    engine = run(hourly_reversed_ct(50))

    assert kinds(engine) == [
        ("negative_import", at(60)),
        ("negative_import", at(60 * 25)),
        ("negative_import", at(60 * 49)),
    ]
    assert "negative_import" in engine.intervals[at(60)].flags
    assert "p_kw was -5" in engine.decisions[0].detail


def test_negative_import_limit_survives_a_checkpoint():
    samples = hourly_reversed_ct(30)
    first = run(samples[:10])
    resumed = Engine(EngineSettings(), state=first.state())
    for sample in samples[10:]:
        resumed.feed(sample)

    assert kinds(first) == [("negative_import", at(60))]
    assert kinds(resumed) == [("negative_import", at(60 * 25))]


@pytest.mark.parametrize(
    "second",
    [
        reading(10, kwh_import=101.0, kwh_export=10.5, p_kw=-5.0),  # export rose
        reading(10, kwh_import=101.0, kwh_export=10.0, p_kw=5.0),  # power positive
        reading(10, kwh_import=100.0, kwh_export=10.0, p_kw=-5.0),  # import flat
        reading(10, kwh_import=101.0, kwh_export=10.0),  # no power reported
    ],
)
def test_negative_import_needs_negative_power_import_rising_and_export_flat(second):
    engine = run([reading(0, kwh_import=100.0, kwh_export=10.0, p_kw=-5.0), second])

    assert engine.decisions == []


# Per-reading counts and ordering


def test_samples_and_power_go_to_the_interval_of_their_ts():
    # 00:01 (2 kW) and 00:05 (6 kW) fall in 00:00; 00:16 (no power) and 00:20
    # (-1 kW) in 00:15.
    engine = run(
        [reading(1, p_kw=2.0), reading(5, p_kw=6.0), reading(16), reading(20, p_kw=-1)]
    )

    first, second = engine.intervals[at(0)], engine.intervals[at(15)]
    assert (first.sample_count, first.power_sum_kw, first.power_count) == (2, 8.0, 2)
    assert first.peak_kw == 6.0
    assert (second.sample_count, second.power_sum_kw, second.power_count) == (
        2,
        -1.0,
        1,
    )
    assert second.peak_kw == -1.0


@pytest.mark.parametrize("minutes", [10, 9])
def test_non_increasing_ts_raises(minutes):
    engine = run([reading(10, kwh_import=1.0)])

    with pytest.raises(ValueError, match="does not follow"):
        engine.feed(reading(minutes, kwh_import=2.0))


def test_naive_ts_raises():
    with pytest.raises(ValueError, match="naive"):
        Engine(EngineSettings()).feed(Sample(datetime(2025, 3, 1), (1.0,) * 4))


# Long runs and the checkpoint contract


def test_long_clean_sequence_books_exactly_the_register_difference():
    # Irregular spacing (including gaps) and varying load on a register read to
    # 0.1 kWh: with nothing suspicious the intervals add up to last - first.
    rng = random.Random(20250301)
    ts, value = T0 + timedelta(seconds=7), 12_345_678.9
    engine = Engine(EngineSettings())
    first = value
    for _ in range(5000):
        engine.feed(Sample(ts, (round(value, 1), None, None, None)))
        step = rng.choice([60, 60, 60, 300, 900, 5400])
        value += rng.uniform(0, 400) * step / 3600
        ts += timedelta(seconds=step + rng.randint(0, 59))
    last = engine.state()["registers"]["kwh_import"]["base"]

    assert total(engine) == pytest.approx(last - round(first, 1), abs=1e-6)
    assert {d.kind for d in engine.decisions} <= {"gap"}


def resets_glitches_and_jitter() -> tuple[EngineSettings, list[Sample]]:
    return EngineSettings(), [
        reading(0, 1520.4, 50.0, 3.0, p_kw=3.0),
        reading(10, 1521.0, 50.2, None),
        reading(20, 0.3, 50.4, 3.5),  # import pending (drop to near zero)
        reading(30, 0.9, 50.1, 3.6),  # import reset; export jitter
        reading(40, 2.0, None, None),
        reading(50, 0.0, 50.6, 3.7),  # import pending again
        reading(55, None, 50.7, 3.8),  # still pending across a reading
        reading(60, 2.5, 50.8, None),  # glitch
        reading(70, 3.0, None, 4.0, p_kw=1.0),
        reading(200, 5.0, 51.0, 4.5),  # gap
        reading(210, 5.5, 49.0, 4.6),  # export pending (49 is within reach of 0)
        reading(300, 0.1, 51.5, 4.9),  # export glitch; import pending at the end
    ]


def jumps_and_presets() -> tuple[EngineSettings, list[Sample]]:
    values = [
        1000.0,
        50_000.0,  # pending
        50_002.0,  # preset
        50_003.0,
        10.0,  # pending, near zero
        9.5,  # reset, then 9.5 itself is jitter against 10
        90_000.0,  # pending
        40_000.0,  # fits neither: 90000 rejected, 40000 itself pending
        12.0,  # returns: rejected
        500.0,  # pending
        5.0,  # neither: 500 rejected, 5 itself pending (near zero)
        6.0,  # reset
        7000.0,  # pending at the end
    ]
    samples = [
        reading(10 * n, kwh_import=v, kvarh_export=v) for n, v in enumerate(values)
    ]
    return SMALL_METER, samples


def rollover_gap_and_reversed_ct() -> tuple[EngineSettings, list[Sample]]:
    # Hourly readings over two days: import wraps at hour 5, p_kw reads
    # negative throughout, and export and kvarh_import misread now and then.
    export_misreads = {30: 0.0, 40: 9_000_000.0}  # a glitch, a decode error
    kvarh_misreads = {46: 4_000_000.0, 51: 3_000_000.0}  # decode errors
    samples = []
    value = 99_999_984.0
    for hour in [*range(20), *range(24, 52)]:  # 5 hours without readings
        value = (value + 3.0) % 100_000_000.0
        export = export_misreads.get(hour, 10.0)
        kvarh = None if hour % 5 == 0 else kvarh_misreads.get(hour, 1.5 * hour)
        samples.append(reading(60 * hour, value, export, kvarh, None, p_kw=-3.0))
    return EngineSettings(), samples


SEQUENCES = [
    resets_glitches_and_jitter,
    jumps_and_presets,
    rollover_gap_and_reversed_ct,
]


def add_into(totals: dict[datetime, IntervalTotals], engine: Engine) -> None:
    """Add what one engine booked onto ``totals``, as the caller would."""
    for start, row in engine.intervals.items():
        into = totals.setdefault(start, IntervalTotals(start))
        for name in (*ENERGY_REGISTERS, "covered_seconds", "power_sum_kw"):
            setattr(into, name, getattr(into, name) + getattr(row, name))
        into.sample_count += row.sample_count
        into.power_count += row.power_count
        peaks = [p for p in (into.peak_kw, row.peak_kw) if p is not None]
        into.peak_kw = max(peaks, default=None)
        into.flags |= row.flags


def assert_same_totals(
    expected: dict[datetime, IntervalTotals], actual: dict[datetime, IntervalTotals]
) -> None:
    assert sorted(actual) == sorted(expected)
    for start, row in expected.items():
        other = actual[start]
        assert other.flags == row.flags, start
        assert (other.sample_count, other.power_count, other.peak_kw) == (
            row.sample_count,
            row.power_count,
            row.peak_kw,
        )
        for name in (*ENERGY_REGISTERS, "covered_seconds", "power_sum_kw"):
            # The same shares added in a different grouping: equal to rounding.
            assert getattr(other, name) == pytest.approx(getattr(row, name), abs=1e-9)


@pytest.mark.parametrize("sequence", SEQUENCES, ids=lambda s: s.__name__)
def test_checkpoint_at_every_split_gives_the_same_result(sequence):
    settings, samples = sequence()
    whole = run(samples, settings)
    split_while_pending = 0

    for k in range(len(samples) + 1):
        head = run(samples[:k], settings)
        split_while_pending += head.pending
        saved = json.loads(json.dumps(head.state()))
        tail = Engine(settings, state=saved)
        for sample in samples[k:]:
            tail.feed(sample)

        assert head.decisions + tail.decisions == whole.decisions, k
        assert tail.state() == whole.state(), k
        joined: dict[datetime, IntervalTotals] = {}
        add_into(joined, head)
        add_into(joined, tail)
        assert_same_totals(whole.intervals, joined)

    assert split_while_pending >= 3


def test_sequences_exercise_every_decision_kind():
    made = set()
    for sequence in SEQUENCES:
        settings, samples = sequence()
        made |= {d.kind for d in run(samples, settings).decisions}

    assert made == set(DECISION_KINDS)


def test_state_is_json_and_canonical():
    settings, samples = jumps_and_presets()
    engine = run(samples, settings)
    state = engine.state()

    assert json.loads(json.dumps(state)) == state
    assert Engine(settings, state=state).state() == state
    # The same readings given in another time zone reach the same state.
    paris = timezone(timedelta(hours=1))
    shifted = [Sample(s.ts.astimezone(paris), s.registers, s.p_kw) for s in samples]
    assert run(shifted, settings).state() == state


def test_unknown_state_version_is_refused():
    state = Engine(EngineSettings()).state() | {"version": 99}

    with pytest.raises(ValueError, match="version"):
        Engine(EngineSettings(), state=state)


def at_quarter(n: int) -> datetime:
    return T0 + timedelta(minutes=15 * n)


def feed_import(
    settings: EngineSettings, values: list[float], when=at_quarter
) -> Engine:
    engine = Engine(settings)
    for n, value in enumerate(values):
        engine.feed(Sample(when(n), (value, None, None, None)))
    return engine


def test_a_drop_to_a_level_the_meter_could_not_have_counted_since_a_clear_is_a_preset():
    # Counting 10 kWh a quarter hour (40 kW), the register reads 2000 after
    # 50010: far more than twice 40 kW over 15 minutes (20 kWh) could count
    # since a clear, so it is a preset down, not a reset. Energy: 10 before,
    # nothing for the jump, then 10 + 10: 30 kWh.
    engine = feed_import(EngineSettings(), [50_000.0, 50_010.0, 2000.0, 2010.0, 2020.0])

    assert total(engine) == pytest.approx(30.0)
    assert [d.kind for d in engine.decisions] == ["register_preset"]


def test_a_reset_on_a_busy_meter_still_counts_from_zero():
    # Counting 500 kWh a quarter hour (2 MW), a clear is followed by 100 kWh:
    # within twice 2 MW over 15 minutes (1000 kWh), so near zero. Energy: 500,
    # then the 100 counted since the clear, then 500: 1100 kWh.
    engine = feed_import(EngineSettings(), [100_000.0, 100_500.0, 100.0, 600.0])

    assert total(engine) == pytest.approx(1100.0)
    assert [d.kind for d in engine.decisions] == ["counter_reset"]


def test_a_gap_of_years_is_not_spread_and_the_register_starts_afresh():
    # A clock at the factory date (2001), then the real time: 25 years apart.
    # Only the rise after the real time is energy: 200.0 -> 201.5 = 1.5 kWh.
    times = [datetime(2001, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)]
    times.append(times[1] + timedelta(minutes=15))
    engine = Engine(EngineSettings())
    for ts, value in zip(times, [100.0, 200.0, 201.5], strict=True):
        engine.feed(Sample(ts, (value, None, None, None)))

    assert total(engine) == pytest.approx(1.5)
    assert len(engine.intervals) <= 3  # no rows for the 25 years between
    assert [d.kind for d in engine.decisions] == ["gap"]


def test_a_rejected_jump_says_the_next_reading_is_within_reach_of_the_old_baseline():
    # 100 -> 400 in 15 minutes is 1,200 kW, over a 1,000 kW ceiling: pending.
    # 30 minutes after the baseline, 350 is within reach of 100 (up to 501),
    # so 400 was a decode error and the 250 kWh rise to 350 is booked.
    engine = feed_import(EngineSettings(max_power_kw=1000.0), [100.0, 400.0, 350.0])

    assert total(engine) == pytest.approx(250.0)
    [decision] = engine.decisions
    assert decision.kind == "jump_rejected"
    assert "within reach of the old baseline 100" in decision.detail
