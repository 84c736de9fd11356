"""Energy intervals in the database: late, replayed and out-of-order readings
end up exactly where they belong, and only the intervals they touch change."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from portal.ingest.actions import ingest_records
from portal.ingest.records import ReadingRecord
from portal.metering.actions import create_device, recompute_stale, update_device
from portal.metering.models import EnergyInterval, QualityEvent, StaleSpan

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def record(minutes: float, kwh: float, device: str = "CLD00000001", **values: float):
    return ReadingRecord(
        device=device,
        ts=T0 + timedelta(minutes=minutes),
        values={"kwh_import": kwh, **values},
    )


def ingest(*records: ReadingRecord) -> None:
    ingest_records(records, source="api")
    recompute_stale()


def intervals(device) -> dict[datetime, float]:
    rows = EnergyInterval.objects.filter(device=device).order_by("start")
    return {row.start: row.kwh_import for row in rows}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_energy_is_spread_by_overlap_and_sums_to_the_register_difference(device):
    # 100.0 at 00:10 and 103.0 at 00:40: 3 kWh over 30 minutes, 0.1 kWh a minute:
    # 0.5 in [00:10, 00:15), 1.5 in [00:15, 00:30), 1.0 in [00:30, 00:40).
    ingest(record(10, 100.0), record(40, 103.0))

    result = intervals(device)
    assert result == pytest.approx({at(0): 0.5, at(15): 1.5, at(30): 1.0})
    assert StaleSpan.objects.count() == 0


def test_a_late_reading_rewrites_only_the_intervals_it_touches(device):
    # A reading every 10 minutes for 12 hours, rising 1.0 kWh each time.
    ingest(*(record(m, 1000.0 + m / 10) for m in range(0, 721, 10)))
    before = {row.start: row.pk for row in EnergyInterval.objects.filter(device=device)}
    assert intervals(device)[at(360)] == pytest.approx(1.5)

    # 06:00 is 1036.0, 06:10 is 1037.0 and 06:20 is 1038.0. A late 06:15 at
    # 1037.8 moves the split: [06:00, 06:15) gets 1.0 (06:00-06:10) + 0.8 = 1.8
    # and [06:15, 06:30) gets 0.2 + 1.0 (06:20-06:30) = 1.2, instead of 1.5 each.
    ingest(record(375, 1037.8))

    after = {row.start: row.pk for row in EnergyInterval.objects.filter(device=device)}
    result = intervals(device)
    assert result[at(360)] == pytest.approx(1.8)
    assert result[at(375)] == pytest.approx(1.2)
    assert sum(result.values()) == pytest.approx(72.0)  # 1072.0 - 1000.0, unchanged
    rewritten = {start for start in before if before[start] != after[start]}
    assert at(360) in rewritten and at(375) in rewritten
    # Far from the late reading nothing was rewritten.
    assert all(
        start not in rewritten
        for start in before
        if abs(start - at(375)) > timedelta(hours=2)
    )


def test_out_of_order_batches_give_the_same_intervals_as_one_ordered_batch(
    site, device
):
    twin = create_device(site=site, external_id="TWIN", name="Twin")
    rng = random.Random(7)
    value, readings = 500.0, []
    for minute in range(0, 6 * 60, 3):
        value += rng.choice([0.0, 0.1, 0.4, 1.3])
        readings.append((minute, round(value, 1)))

    ingest(*(record(m, v, device="TWIN") for m, v in readings))
    shuffled = readings[:]
    rng.shuffle(shuffled)
    for start in range(0, len(shuffled), 17):
        ingest(*(record(m, v) for m, v in shuffled[start : start + 17]))

    ordered, scrambled = intervals(twin), intervals(device)
    assert ordered.keys() == scrambled.keys()
    for start in ordered:
        assert scrambled[start] == pytest.approx(ordered[start], abs=1e-9)
    assert sum(scrambled.values()) == pytest.approx(readings[-1][1] - readings[0][1])


def test_a_replayed_batch_changes_nothing(device):
    batch = [record(m, 10.0 + m / 100) for m in range(0, 120, 5)]
    ingest(*batch)
    before = list(
        EnergyInterval.objects.filter(device=device).values_list("pk", "kwh_import")
    )

    ingest(*batch)

    after = list(
        EnergyInterval.objects.filter(device=device).values_list("pk", "kwh_import")
    )
    assert after == before


def test_a_counter_reset_counts_from_zero_and_leaves_an_event(device):
    # 200.0, 201.0, then the meter is cleared: 0.3, 0.8. Energy: 1.0 before the
    # reset, 0.3 counted from zero across the reset segment, then 0.5: 1.8 in all.
    ingest(record(0, 200.0), record(5, 201.0), record(10, 0.3), record(15, 0.8))

    assert sum(intervals(device).values()) == pytest.approx(1.8)
    event = QualityEvent.objects.get(device=device, kind="counter_reset")
    assert event.register == "kwh_import"
    assert event.ts == at(10)


def test_a_single_zero_between_two_normal_readings_is_a_glitch(device):
    # 50.0, 0.0 (a reboot's momentary zero), 50.6: only 0.6 kWh was used.
    ingest(record(0, 50.0), record(5, 0.0), record(10, 50.6))

    assert sum(intervals(device).values()) == pytest.approx(0.6)
    assert QualityEvent.objects.filter(kind="glitch_ignored").count() == 1


def test_a_late_reading_that_resolves_a_pending_drop_is_decided_again(device):
    # Sent as 10.0 (00:00), 11.0 (00:05), 0.1 (00:10): the drop waits. Then the
    # 00:15 reading arrives back at 11.2: the zero was a glitch, 1.2 kWh in all.
    ingest(record(0, 10.0), record(5, 11.0), record(10, 0.1))
    assert sum(intervals(device).values()) == pytest.approx(
        1.0
    )  # the drop is undecided

    ingest(record(15, 11.2))

    assert sum(intervals(device).values()) == pytest.approx(1.2)
    assert QualityEvent.objects.filter(kind="glitch_ignored").count() == 1


def test_changing_engine_settings_recomputes_the_history(device):
    # 100 -> 160 kWh in 5 minutes is 720 kW. With the default ceiling that is
    # energy; with a 100 kW ceiling and the next reading continuing, a preset.
    ingest(record(0, 100.0), record(5, 160.0), record(10, 160.5))
    assert sum(intervals(device).values()) == pytest.approx(60.5)

    update_device(device, max_power_kw=100.0)
    recompute_stale()

    assert sum(intervals(device).values()) == pytest.approx(0.5)
    assert QualityEvent.objects.filter(kind="register_preset").count() == 1


def test_a_gap_is_spread_and_its_coverage_shown(device):
    # 10.0 at 00:00, 12.0 at 02:00 (a 2-hour gap, longer than the 1-hour default):
    # 2 kWh spread evenly, 0.25 per interval, and no interval counts as covered.
    ingest(record(0, 10.0), record(120, 12.0))

    rows = list(EnergyInterval.objects.filter(device=device).order_by("start"))
    assert [round(r.kwh_import, 9) for r in rows[:8]] == [0.25] * 8
    assert all(r.coverage == 0.0 for r in rows[:8])
    assert "gap" in rows[0].flags
    assert QualityEvent.objects.filter(kind="gap").count() == 1


def test_an_unreadable_checkpoint_falls_back_to_a_full_replay(device):
    ingest(*(record(m, 100.0 + m / 10) for m in range(0, 120, 5)))
    EnergyInterval.objects.filter(device=device).update(end_state={"version": 99})

    ingest(record(125, 112.5))

    # 100.0 at 00:00 to 112.5 at 02:05: 12.5 kWh, whatever the stored states said.
    assert sum(intervals(device).values()) == pytest.approx(12.5)


def test_a_device_that_fails_does_not_hold_up_the_others(
    site, device, monkeypatch, caplog
):
    from portal.metering import actions

    healthy = create_device(site=site, external_id="HEALTHY", name="Healthy")
    ingest_records([record(0, 1.0), record(5, 2.0)], source="api")
    ingest_records(
        [record(0, 5.0, device="HEALTHY"), record(5, 7.0, device="HEALTHY")],
        source="api",
    )
    # No valid readings make the replay raise, so a defect is simulated for one
    # device: the point is that the sweep isolates it.
    real_replay = actions._replay

    def replay(dev, start, end):
        if dev.pk == device.pk:
            raise RuntimeError("simulated defect")
        return real_replay(dev, start, end)

    monkeypatch.setattr(actions, "_replay", replay)

    done = recompute_stale()

    assert done == 1
    assert sum(intervals(healthy).values()) == pytest.approx(2.0)
    assert StaleSpan.objects.filter(device=device).exists()  # kept for a later pass
    assert "energy.recompute_failed" in caplog.text
