"""The device page: charts over a range, energy bars, the latest reading,
data-quality and ingest events, and HTMX fragments."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.ingest.actions import ingest_records
from portal.ingest.records import ReadingRecord
from portal.metering.actions import recompute_stale
from portal.metering.models import EnergyInterval, QualityEvent
from portal.web.charts import MAX_POINTS

NOW = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def three_phase(index: int, ts: datetime) -> dict[str, float]:
    return {
        "kwh_import": 1000.0 + index / 60,
        "p_kw": 60.0,
        "v1_v": 230.0,
        "v2_v": 231.0,
        "v3_v": 229.0,
        "i1_a": 87.0,
        "i2_a": 86.0,
        "i3_a": 88.0,
        "pf": 0.97,
    }


def page(client, device, **params):
    return client.get(reverse("device", args=[device.external_id]), params)


def chart_json(html: str, chart_id: str) -> dict:
    match = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no {chart_id} on the page"
    return json.loads(match.group(1))


def test_it_charts_the_last_24_hours_from_readings(as_user, meter, feed, frozen):
    feed(meter, NOW - timedelta(hours=2), 120, values=three_phase)

    html = page(as_user, meter).content.decode()

    power = chart_json(html, "chart-power")
    voltage = chart_json(html, "chart-voltage")
    assert len(power["x"]) == 120
    assert power["series"][0]["values"][0] == 60.0
    assert [s["label"] for s in voltage["series"]] == [
        "Voltage L1-N",
        "Voltage L2-N",
        "Voltage L3-N",
    ]
    assert power["tz"] == "Africa/Johannesburg"
    for chart_id in ("chart-current", "chart-pf"):
        assert chart_json(html, chart_id)["series"]
    assert 'data-chart="chart-power"' in html


def test_it_downsamples_a_week_of_readings(as_user, meter, feed, frozen):
    feed(meter, NOW - timedelta(days=7), 7 * 24 * 60, values=three_phase)

    html = page(as_user, meter, range="7d").content.decode()

    power = chart_json(html, "chart-power")
    assert 1000 < len(power["x"]) <= MAX_POINTS
    assert power["series"][0]["values"][10] == 60.0


def test_it_breaks_the_line_at_a_gap(as_user, meter, feed, frozen):
    feed(meter, NOW - timedelta(hours=20), 10, values=three_phase)
    feed(meter, NOW - timedelta(hours=2), 10, values=three_phase)

    power = chart_json(page(as_user, meter).content.decode(), "chart-power")

    assert len(power["x"]) == 21
    assert power["series"][0]["values"][10] is None


def test_a_year_comes_from_intervals_never_from_readings(as_user, meter, feed, frozen):
    feed(meter, NOW - timedelta(hours=1), 30, values=three_phase)
    EnergyInterval.objects.create(
        device=meter,
        start=NOW - timedelta(days=100),
        kwh_import=2.0,
        avg_kw=8.0,
        peak_kw=9.5,
    )

    with CaptureQueriesContext(connection) as queries:
        html = page(as_user, meter, range="1y").content.decode()

    power = chart_json(html, "chart-power")
    assert [s["label"] for s in power["series"]] == ["Average power", "Peak power"]
    assert power["series"][1]["values"][0] == 9.5
    assert 'id="chart-voltage"' not in html
    reading_queries = [q["sql"] for q in queries if "metering_reading" in q["sql"]]
    # Only the latest reading is read from the readings table.
    assert len(reading_queries) == 1 and "LIMIT 1" in reading_queries[0]


def test_it_draws_energy_bars_in_the_sites_days(as_user, meter, frozen):
    # 14 March local runs 13 March 22:00 UTC to 14 March 22:00 UTC.
    EnergyInterval.objects.create(
        device=meter, start=datetime(2026, 3, 13, 22, 0, tzinfo=UTC), kwh_import=4.0
    )
    EnergyInterval.objects.create(
        device=meter, start=datetime(2026, 3, 14, 21, 45, tzinfo=UTC), kwh_import=1.5
    )

    response = page(as_user, meter, start="2026-03-13", end="2026-03-15", bucket="day")

    energy = chart_json(response.content.decode(), "chart-energy")
    assert energy["bucket"] == "day"
    assert energy["series"][0]["values"] == [0.0, 5.5, 0.0]
    assert response.context["page"].energy_totals["kwh_import"] == 5.5


def test_it_picks_bars_per_interval_for_a_day_and_per_month_for_a_year(
    as_user, meter, frozen
):
    day = page(as_user, meter, range="24h").context["page"]
    year = page(as_user, meter, range="1y").context["page"]

    assert (day.bucket, year.bucket) == ("interval", "month")
    assert 96 <= len(day.energy_chart["x"]) <= 97


def test_it_shows_the_error_of_a_bad_custom_range_and_the_default_range(
    as_user, meter, frozen
):
    response = page(as_user, meter, start="2026-03-10", end="2026-03-01")

    assert b"The last day is before the first." in response.content
    assert response.context["page"].range.until == NOW


def test_it_shows_the_latest_reading_with_all_its_quantities(
    as_user, meter, feed, frozen
):
    feed(meter, NOW - timedelta(minutes=2), 2, values=three_phase)

    response = page(as_user, meter)

    values = {
        label: value for label, value, _ in response.context["page"].latest_values
    }
    assert values["Voltage L2-N"] == 231.0
    assert values["Power factor total"] == 0.97
    assert values["Frequency"] is None
    assert b"Current L3" in response.content


def test_it_lists_quality_events_newest_first_a_page_at_a_time(as_user, meter, frozen):
    QualityEvent.objects.bulk_create(
        QualityEvent(
            device=meter,
            ts=NOW - timedelta(hours=n),
            kind=QualityEvent.Kind.GAP,
            detail=f"gap number {n}",
            origin=QualityEvent.Origin.ENGINE,
        )
        for n in range(25)
    )

    first = page(as_user, meter).context["page"].quality_events
    second = page(as_user, meter, events=2).context["page"].quality_events

    assert [e.detail for e in first][:2] == ["gap number 0", "gap number 1"]
    assert len(first) == 20 and len(second) == 5


def test_it_answers_htmx_with_the_fragment_the_target_asks_for(as_user, meter, frozen):
    charts = as_user.get(
        reverse("device", args=[meter.external_id]),
        {"range": "7d"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="section#device-charts",
    ).content.decode()
    events = as_user.get(
        reverse("device", args=[meter.external_id]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="quality-events",
    ).content.decode()

    assert charts.strip().startswith('<section id="device-charts">')
    assert "Data quality" not in charts
    assert events.strip().startswith('<section id="quality-events">')
    assert "chart-power" not in events


def test_a_history_restore_gets_the_whole_page(as_user, meter):
    response = as_user.get(
        reverse("device", args=[meter.external_id]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert b"<html" in response.content


def test_it_lists_ingest_batches_that_rejected_its_readings(as_user, meter, frozen):
    future = NOW + timedelta(days=1)
    ingest_records(
        [ReadingRecord(meter.external_id, future, {"p_kw": 1.0})], source="api"
    )

    response = page(as_user, meter)

    (event,) = response.context["page"].ingest_events
    assert event.rejected == 1
    assert b"ahead of the server clock" in response.content


def test_energy_from_recomputed_readings_reaches_the_page(as_user, meter, feed, frozen):
    feed(meter, NOW - timedelta(hours=3), 150)
    recompute_stale()

    totals = page(as_user, meter).context["page"].energy_totals

    assert totals["kwh_import"] == pytest.approx(149.0)
