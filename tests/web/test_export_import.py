"""The device's CSV export, and importing files back: round trip, Acuview
files, the import report, and the upload limit."""

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from portal.ingest.models import IngestEvent
from portal.metering.models import EnergyInterval, Reading
from portal.metering.quantities import QUANTITIES

SAMPLE = Path(__file__).parent / "files" / "acuview-sample.csv"
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def awkward(index: int, ts: datetime) -> dict[str, float]:
    """Values that only read back exactly if nothing rounds them."""
    values = {
        "kwh_import": 36855.1 + index * 0.1 + 0.2,
        "p_kw": -0.1 - 0.2 * index,
        "pf": 0.1 + 0.2,
        "v1_v": 229.99999999999997,
    }
    if index % 3 == 0:
        values["frequency_hz"] = 49.98
    return values


def stored_rows(device) -> list[tuple]:
    return list(
        Reading.objects.filter(device=device)
        .order_by("ts")
        .values_list("ts", *QUANTITIES)
    )


def export(client, device, **params) -> StreamingHttpResponse:
    return client.get(reverse("device-export", args=[device.external_id]), params)


def upload(client, device, name: str, content: bytes):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(
        reverse("device-import", args=[device.external_id]), {"file": file}
    )


def test_it_streams_the_readings_of_a_range_as_portal_csv(as_user, meter, feed):
    feed(meter, START, 5, values=awkward)
    feed(meter, START + timedelta(days=3), 1, values=awkward)

    response = export(as_user, meter, start="2026-03-02", end="2026-03-03")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="CLD00000009_2026-03-02_2026-03-03.csv"'
        in response["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["device", "time", "frequency_hz"]
    assert len(rows) == 1 + 5
    assert rows[1][1] == "2026-03-02T06:00:00Z"


def test_an_export_imports_back_as_the_same_readings(as_admin, meter, feed):
    feed(meter, START, 300, values=awkward)
    before = stored_rows(meter)
    exported = b"".join(
        export(as_admin, meter, start="2026-03-01", end="2026-03-03").streaming_content
    )
    Reading.objects.filter(device=meter).delete()

    response = upload(as_admin, meter, "export.csv", exported)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.file_format, report.outcome.accepted, report.outcome.rejected) == (
        "portal-csv",
        300,
        0,
    )
    assert stored_rows(meter) == before


def test_a_large_export_comes_in_several_chunks(as_user, meter, feed):
    feed(meter, START, 4500)

    response = export(as_user, meter, start="2026-03-02", end="2026-03-06")

    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 3
    assert b"".join(chunks).count(b"\r\n") == 1 + 4500
    assert sum(chunk.count(b"device,time") for chunk in chunks) == 1


def test_an_export_with_a_bad_range_is_400(as_user, meter):
    response = export(as_user, meter, start="2026-03-05", end="2026-03-01")

    assert response.status_code == 400
    assert b"The last day is before the first." in response.content


def test_it_imports_an_acuview_export_and_shows_energy_at_once(as_admin, meter):
    response = upload(as_admin, meter, SAMPLE.name, SAMPLE.read_bytes())

    report = response.context["report"]
    assert report.file_format == "acuview-csv"
    assert (report.outcome.received, report.outcome.accepted) == (120, 120)
    assert any("Africa/Johannesburg" in note for note in report.notes)
    html = response.content.decode()
    assert "Import report" in html and "<dd>120</dd>" in html
    # Recomputed before answering, not left for the worker.
    assert EnergyInterval.objects.filter(device=meter).exists()


def test_the_report_lists_the_first_errors(as_admin, meter):
    content = b"device,time,kwh_import\r\nCLD00000009,2026-03-02T06:00:00Z,1.5\r\n"
    content += b"CLD00000009,yesterday,2\r\nOTHER,2026-03-02T06:01:00Z,2\r\n"

    response = upload(as_admin, meter, "mixed.csv", content)

    report = response.context["report"]
    assert (report.outcome.accepted, report.outcome.rejected) == (1, 2)
    assert b"not an ISO 8601 time" in response.content
    assert b"unknown device" in response.content


def test_it_refuses_a_file_it_cannot_read(as_admin, meter):
    response = upload(as_admin, meter, "report.pdf", b"%PDF-1.7 binary stuff")

    assert response.status_code == 200
    assert "PDF" in response.context["form"].errors["file"][0]
    assert not IngestEvent.objects.exists()


def test_it_refuses_a_file_over_the_upload_limit(as_admin, meter, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 1024

    response = upload(as_admin, meter, "big.csv", b"device,time\r\n" + b"x" * 5000)

    assert response.status_code == 413
    assert b"the limit is 1.0\xc2\xa0KB" in response.content
    assert not IngestEvent.objects.exists()


def test_it_needs_a_file(as_admin, meter):
    response = as_admin.post(reverse("device-import", args=[meter.external_id]), {})

    assert response.context["form"].errors["file"]


@pytest.mark.parametrize("target", ["", "section#device-import"])
def test_the_import_page_answers_htmx_with_the_fragment(as_admin, meter, target):
    response = as_admin.get(
        reverse("device-import", args=[meter.external_id]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=target,
    )

    assert response.content.decode().strip().startswith('<section id="device-import">')


def test_it_refuses_an_upload_whose_length_is_over_the_limit_before_reading_it(
    as_admin, meter, settings
):
    settings.PORTAL_MAX_UPLOAD_BYTES = 1024

    response = upload(as_admin, meter, "huge.csv", b"x" * 100_000)

    assert response.status_code == 413
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("The file is ")
    assert "the limit is 1.0\xa0KB" in error


def test_the_import_still_checks_the_csrf_token(member, meter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = upload(client, meter, SAMPLE.name, SAMPLE.read_bytes())

    assert response.status_code == 403
    assert not IngestEvent.objects.exists()


def test_a_user_who_is_not_an_admin_cannot_import(as_user, meter):
    # Users see and export data; writing readings is an admin's job.
    response = upload(as_user, meter, SAMPLE.name, SAMPLE.read_bytes())

    assert response.status_code == 403
    assert not IngestEvent.objects.exists()
