"""Uploading a file of readings for one device, and the import report."""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from portal.ingest.files import ImportReport, import_readings_file
from portal.ingest.records import FormatError
from portal.metering.access import device_or_404
from portal.metering.actions import recompute_next_stale
from portal.metering.models import Device
from portal.web.forms import ImportForm, too_large_message
from portal.web.pages import render_page
from portal.web.rules import rule
from portal.web.uploads import UploadLimit

TEMPLATE = "web/device/import.html"
FIRST_ERRORS_SHOWN = 20
# Longest the answer waits for energy to be recomputed; the worker does the rest.
RECOMPUTE_BUDGET_SECONDS = 20.0


@rule("admin")
@csrf_exempt  # checked by _import_page, once the upload limit is in place
def device_import(request: HttpRequest, external_id: str) -> HttpResponse:
    # The CSRF check reads the body; the limit must be installed before it.
    limit = UploadLimit(settings.PORTAL_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return _import_page(request, external_id, limit)


@csrf_protect
def _import_page(
    request: HttpRequest, external_id: str, limit: UploadLimit
) -> HttpResponse:
    device = device_or_404(request, external_id)
    if request.method != "POST":
        return _answer(request, device, ImportForm())

    form = ImportForm(request.POST, request.FILES)
    if limit.exceeded:
        # The file never arrived, so this is its only error, not "required".
        message = too_large_message(limit.size, limit.limit)
        form.errors["file"] = form.error_class([message])
        return _answer(request, device, form, status=413)
    if not form.is_valid():
        return _answer(request, device, form)

    try:
        report = _import(request, device, form.cleaned_data["file"])
    except FormatError as error:
        form.add_error("file", str(error))
        return _answer(request, device, form)
    return _answer(request, device, ImportForm(), report)


def _import(request: HttpRequest, device: Device, upload) -> ImportReport:  # type: ignore[no-untyped-def]
    report = import_readings_file(
        upload,
        device=device,
        filename=upload.name,
        size=upload.size,
        user=request.user,
    )

    # The worker recomputes energy after every import; doing it here as well,
    # within a time budget, lets the answer already show the imported energy.
    # Whatever the budget leaves stays marked stale for the worker.
    deadline = time.monotonic() + RECOMPUTE_BUDGET_SECONDS
    while time.monotonic() < deadline and recompute_next_stale(device.pk):
        pass
    return report


def _answer(
    request: HttpRequest,
    device: Device,
    form: ImportForm,
    report: ImportReport | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "device": device,
        "form": form,
        "report": report,
        "first_errors": report.outcome.errors[:FIRST_ERRORS_SHOWN] if report else [],
        "limit": settings.PORTAL_MAX_UPLOAD_BYTES,
    }
    return render_page(request, TEMPLATE, context, status=status)
