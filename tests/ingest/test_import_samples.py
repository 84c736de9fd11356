"""The two sample Acuview exports, imported for one device (tests/fixtures/acuvim).

The expected figures are the ones the data's description gives
(tests/fixtures/acuvim/README.md): together the exports hold 7,200 distinct
readings, and the import register rises by 4,643.9 kWh from the first reading
to the last. The first file's first record reads 36855.1 kWh and the second
file's last record 41499.0 kWh (41499.0 - 36855.1 = 4643.9).
"""

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.ingest.files import import_readings_file
from portal.ingest.parsers.portal_csv import iter_portal_csv, write_portal_csv
from portal.ingest.records import ReadingRecord
from portal.metering.models import EnergyInterval, Reading
from portal.metering.queries import energy_buckets

FIXTURES = Path(__file__).parent.parent / "fixtures" / "acuvim"
FIRST = FIXTURES / "CLD00000001_Data Log 1_2026_03_04.csv"
SECOND = FIXTURES / "CLD00000001_Data Log 1_2026_03_07.csv"


def import_file(path: Path, device):
    with path.open("rb") as stream:
        return import_readings_file(
            stream, device=device, filename=path.name, size=path.stat().st_size
        )


@pytest.fixture
def imported(device):
    first, second = import_file(FIRST, device), import_file(SECOND, device)
    call_command("worker", once=True)
    return first, second


@pytest.mark.slow
def test_both_exports_give_7200_readings_without_duplicates(device, imported):
    first, second = imported

    assert Reading.objects.filter(device=device).count() == 7200
    # The second export repeats the first one's last hour: 60 records.
    assert (first.outcome.accepted, first.outcome.duplicates) == (3600, 0)
    assert (second.outcome.accepted, second.outcome.duplicates) == (3600, 60)


@pytest.mark.slow
def test_import_energy_is_4643_9_kwh_and_the_days_sum_to_it(device, imported):
    readings = Reading.objects.filter(device=device).order_by("ts")
    assert (readings.first().kwh_import, readings.last().kwh_import) == (
        36855.1,
        41499.0,
    )

    interval_total = sum(
        EnergyInterval.objects.filter(device=device).values_list(
            "kwh_import", flat=True
        )
    )
    days = energy_buckets(device, date(2026, 3, 1), date(2026, 3, 8), "day")

    assert interval_total == pytest.approx(4643.9, abs=1e-6)
    assert sum(day.kwh_import for day in days) == pytest.approx(4643.9, abs=1e-6)
    # The site is in Africa/Johannesburg: the first local day is 2 March.
    assert (
        next(d.start.isoformat() for d in days if d.kwh_import > 0)
        == "2026-03-01T22:00:00+00:00"
    )


@pytest.mark.slow
def test_the_import_report_states_the_time_zone_rule(imported):
    first, _ = imported

    assert "Africa/Johannesburg" in first.notes[0]
    assert first.event.notes == first.notes


@pytest.mark.slow
def test_the_portal_csv_export_imports_back_unchanged(site, device, imported):
    from portal.metering.actions import create_device

    exported = io.StringIO()
    rows = Reading.objects.filter(device=device).order_by("ts").values()
    write_portal_csv((_as_record(row, "COPY") for row in rows), exported)
    copy = create_device(site=site, external_id="COPY", name="Copy")

    data = exported.getvalue().encode()
    report = import_readings_file(
        io.BytesIO(data), device=copy, filename="copy.csv", size=len(data)
    )

    assert report.file_format == "portal-csv"
    assert report.outcome.accepted == 7200
    original = list(Reading.objects.filter(device=device).order_by("ts").values())
    copied = list(Reading.objects.filter(device=copy).order_by("ts").values())
    for row in original + copied:
        row.pop("device_id")
    assert copied == original


def _as_record(row: dict, device: str) -> ReadingRecord:
    values = {
        k: v for k, v in row.items() if k not in ("device_id", "ts") and v is not None
    }
    return ReadingRecord(device=device, ts=row["ts"], values=values)


def test_a_file_for_another_device_is_refused_record_by_record(site, device):
    from portal.metering.actions import create_device

    other = create_device(site=site, external_id="OTHER", name="Other")
    text = "device,time,kwh_import\r\nCLD00000001,2026-03-02T08:00:00Z,1.0\r\n"

    report = import_readings_file(
        io.BytesIO(text.encode()), device=other, filename="x.csv", size=len(text)
    )

    assert report.outcome.accepted == 0
    assert "not 'OTHER'" in report.outcome.errors[0].reason


def test_portal_import_command_reports_counts(device, capsys):
    call_command("import", str(FIRST), device="CLD00000001")

    out = capsys.readouterr().out
    assert "3600 records, 3600 stored, 0 duplicates, 0 rejected" in out


def test_portal_import_command_refuses_unknown_device_and_missing_file(device):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no device with external id 'NOPE'"):
        call_command("import", str(FIRST), device="NOPE")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "/nonexistent/file.csv", device="CLD00000001")


def test_an_unreadable_file_is_refused_as_a_whole(device):
    from django.core.management.base import CommandError

    path = Path(__file__)  # Python source, not a data log
    with pytest.raises(CommandError, match=path.name):
        call_command("import", str(path), device="CLD00000001")
    assert not Reading.objects.exists()


def test_iter_portal_csv_reads_what_write_portal_csv_writes():
    from datetime import UTC, datetime

    records = [
        ReadingRecord("D1", datetime(2026, 1, 1, tzinfo=UTC), {"kwh_import": 0.1 + 0.2})
    ]
    out = io.StringIO()
    write_portal_csv(records, out)

    assert list(iter_portal_csv(io.BytesIO(out.getvalue().encode()))) == records
