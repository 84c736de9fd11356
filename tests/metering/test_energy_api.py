"""GET /api/v1/devices/<id>/energy and /readings: local buckets, paging, errors."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.ingest.actions import ingest_records
from portal.ingest.records import ReadingRecord
from portal.metering.actions import create_device, create_site, recompute_stale


def meter(external_id: str, timezone: str):
    site = create_site(code=f"S-{external_id}", name=external_id, timezone=timezone)
    return create_device(site=site, external_id=external_id, name=external_id)


def feed(device, start: datetime, end: datetime, kwh_per_interval) -> None:
    """A reading every 15 minutes from start to end; the register rises by
    kwh_per_interval(interval start) over each interval."""
    records, value, ts = [], 1000.0, start
    while ts <= end:
        records.append(ReadingRecord(device.external_id, ts, {"kwh_import": value}))
        value += kwh_per_interval(ts)
        ts += timedelta(minutes=15)
    ingest_records(records, source="api")
    recompute_stale()


def energy(client, external_id: str, secret: str, **params):
    return client.get(
        f"/api/v1/devices/{external_id}/energy",
        params,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_23_and_a_25_hour_day_are_summed_in_the_sites_time_zone(
    client, db, read_secret
):
    chicago = meter("CHI", "America/Chicago")
    # 1 kWh every 15 minutes, 4 kW all the time, from 6 March to 3 November.
    feed(
        chicago,
        datetime(2026, 3, 6, 6, tzinfo=UTC),
        datetime(2026, 3, 10, 6, tzinfo=UTC),
        lambda ts: 1.0,
    )
    feed(
        chicago,
        datetime(2026, 10, 31, 5, tzinfo=UTC),
        datetime(2026, 11, 3, 6, tzinfo=UTC),
        lambda ts: 1.0,
    )

    spring = energy(
        client, "CHI", read_secret, start="2026-03-07", end="2026-03-10"
    ).json()
    autumn = energy(
        client, "CHI", read_secret, start="2026-10-31", end="2026-11-03"
    ).json()

    # Clocks go forward on 8 March 2026 (23 hours: 92 intervals) and back on
    # 1 November 2026 (25 hours: 100 intervals).
    assert [b["kwh_import"] for b in spring["buckets"]] == [96.0, 92.0, 96.0]
    assert [b["kwh_import"] for b in autumn["buckets"]] == [96.0, 100.0, 96.0]
    assert spring["buckets"][1]["start"] == "2026-03-08T00:00:00-06:00"
    assert spring["buckets"][2]["start"] == "2026-03-09T00:00:00-05:00"
    assert all(b["coverage"] == 1.0 for b in spring["buckets"] + autumn["buckets"])


def test_a_half_hour_offset_site_gets_its_own_local_days(client, db, read_secret):
    kolkata = meter("IND", "Asia/Kolkata")

    # Power only between 18:00 and 19:00 UTC on 1 March: 4 kWh. India is
    # +05:30, so its 2 March begins at 18:30 UTC: 2 kWh fall on each local day.
    def on(ts: datetime) -> float:
        return (
            1.0
            if datetime(2026, 3, 1, 18, tzinfo=UTC)
            <= ts
            < datetime(2026, 3, 1, 19, tzinfo=UTC)
            else 0.0
        )

    feed(
        kolkata,
        datetime(2026, 2, 28, 18, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 18, 30, tzinfo=UTC),
        on,
    )

    days = energy(
        client, "IND", read_secret, start="2026-03-01", end="2026-03-03"
    ).json()["buckets"]
    hours = energy(
        client, "IND", read_secret, start="2026-03-02", end="2026-03-03", bucket="hour"
    ).json()["buckets"]

    assert [d["kwh_import"] for d in days] == [2.0, 2.0]
    assert days[1]["start"] == "2026-03-02T00:00:00+05:30"
    # 18:30-19:00 UTC is 00:00-00:30 local: the first local hour holds 2 kWh.
    assert (hours[0]["start"], hours[0]["kwh_import"]) == (
        "2026-03-02T00:00:00+05:30",
        2.0,
    )
    assert len(hours) == 24


def test_month_and_interval_buckets(client, db, read_secret):
    jhb = meter("JHB1", "Africa/Johannesburg")
    feed(
        jhb,
        datetime(2026, 3, 31, 20, tzinfo=UTC),
        datetime(2026, 3, 31, 23, tzinfo=UTC),
        lambda ts: 0.5,
    )

    months = energy(
        client,
        "JHB1",
        read_secret,
        start="2026-03-01",
        end="2026-05-01",
        bucket="month",
    ).json()
    intervals = energy(
        client,
        "JHB1",
        read_secret,
        start="2026-03-31",
        end="2026-04-01",
        bucket="interval",
    ).json()

    # 20:00-22:00 UTC is 22:00-24:00 on 31 March local (8 intervals, 4 kWh);
    # 22:00-23:00 UTC is April local (4 intervals, 2 kWh).
    assert [m["kwh_import"] for m in months["buckets"]] == [4.0, 2.0]
    assert len(intervals["buckets"]) == 96
    assert months["total"]["kwh_import"] == 6.0


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end must be after start"),
        ({"start": "2026-13-01", "end": "2026-03-01"}, "start"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "2026-03-01", "end": "2026-03-02", "bucket": "week"}, "bucket"),
        (
            {"start": "2026-01-01", "end": "2026-03-01", "bucket": "interval"},
            "at most 31 days",
        ),
    ],
)
def test_a_bad_parameter_is_400(client, device, read_secret, params, detail):
    response = energy(client, "CLD00000001", read_secret, **params)

    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_an_unknown_device_is_404(client, db, read_secret):
    response = energy(client, "NOPE", read_secret, start="2026-03-01", end="2026-03-02")

    assert response.status_code == 404


def test_reads_need_a_session_or_a_read_key(client, device, ingest_secret, plain_user):
    params = {"start": "2026-03-01", "end": "2026-03-02"}

    assert energy(client, "CLD00000001", ingest_secret, **params).status_code == 401
    assert client.get("/api/v1/devices/CLD00000001/energy", params).status_code == 401
    client.force_login(plain_user)
    assert client.get("/api/v1/devices/CLD00000001/energy", params).status_code == 200


def test_readings_come_a_page_at_a_time_with_a_next_link(client, device, read_secret):
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    records = [
        ReadingRecord(
            "CLD00000001",
            start + timedelta(minutes=m),
            {"kwh_import": 10.0 + m, "p_kw": 5.0},
        )
        for m in range(25)
    ]
    ingest_records(records, source="api")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {read_secret}"}
    url = "/api/v1/devices/CLD00000001/readings"

    pages, link = [], f"{url}?start=2026-03-02&end=2026-03-03&limit=10"
    while link:
        body = client.get(link, **auth).json()
        pages.append(body["readings"])
        link = body["next"]

    assert [len(p) for p in pages] == [10, 10, 5]
    flat = [r for page in pages for r in page]
    assert [r["kwh_import"] for r in flat] == [10.0 + m for m in range(25)]
    assert flat[0] == {"time": "2026-03-02T08:00:00Z", "kwh_import": 10.0, "p_kw": 5.0}


def test_readings_accept_instants_with_offsets_and_refuse_naive_ones(
    client, device, read_secret
):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {read_secret}"}
    url = "/api/v1/devices/CLD00000001/readings"

    ok = client.get(
        url,
        {"start": "2026-03-02T10:00:00+02:00", "end": "2026-03-02T11:00:00+02:00"},
        **auth,
    )
    naive = client.get(
        url, {"start": "2026-03-02T10:00:00", "end": "2026-03-03"}, **auth
    )

    assert ok.status_code == 200
    assert naive.status_code == 400
    assert "offset" in naive.json()["detail"]
