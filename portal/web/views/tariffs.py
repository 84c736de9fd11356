"""Tariffs for admins: list, create, edit, versions, import and export."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from portal.audit.actions import Actor
from portal.tariffs.actions import (
    create_tariff,
    delete_tariff,
    delete_version,
    export_text,
    import_tariff,
    read_document,
    save_version,
    update_tariff,
)
from portal.tariffs.document import DocumentError
from portal.tariffs.models import Tariff, TariffVersion
from portal.web.forms import (
    TARIFF_FILE_BYTES,
    TariffForm,
    TariffImportForm,
    VersionForm,
)
from portal.web.pages import redirect_after_change, render_page
from portal.web.rules import rule
from portal.web.uploads import UploadLimit

STARTER_BODY = {
    "tax_percent": "15",
    "charges": [{"kind": "energy_flat", "name": "Energy", "rate": "0"}],
}


@rule("admin")
def tariff_list(request: HttpRequest) -> HttpResponse:
    tariffs = Tariff.objects.select_related("utility").annotate(
        version_count=Count("versions", distinct=True),
        site_count=Count("sites", distinct=True),
    )
    return render_page(request, "web/tariffs/list.html", {"tariffs": tariffs})


@rule("admin")
def tariff_create(request: HttpRequest) -> HttpResponse:
    form = TariffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tariff = create_tariff(**form.cleaned_data, by=Actor.of(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Tariff “{tariff.name}” created; add a version.")
            return redirect_after_change(request, "tariff", tariff.pk)
    context = {"form": form, "tariff": None}
    return render_page(request, "web/tariffs/form.html", context)


@rule("admin")
def tariff_page(request: HttpRequest, pk: int) -> HttpResponse:
    versions = Prefetch(
        "versions", queryset=TariffVersion.objects.order_by("-valid_from")
    )
    tariff = get_object_or_404(
        Tariff.objects.select_related("utility").prefetch_related(versions, "sites"),
        pk=pk,
    )
    rows = [(row, row.priced()) for row in tariff.versions.all()]
    context = {"tariff": tariff, "versions": rows}
    return render_page(request, "web/tariffs/page.html", context)


@rule("admin")
def tariff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.select_related("utility"), pk=pk)
    initial = {
        "utility": tariff.utility.name,
        "name": tariff.name,
        "currency": tariff.currency,
        "description": tariff.description,
    }
    form = TariffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_tariff(tariff, **form.cleaned_data, by=Actor.of(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Tariff “{tariff.name}” saved.")
            return redirect_after_change(request, "tariff", tariff.pk)
    context = {"form": form, "tariff": tariff}
    return render_page(request, "web/tariffs/form.html", context)


@rule("admin")
@require_POST
def tariff_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff, pk=pk)
    try:
        delete_tariff(tariff, by=Actor.of(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect_after_change(request, "tariff", pk)
    messages.success(request, f"Tariff “{tariff.name}” deleted.")
    return redirect_after_change(request, "tariffs")


@rule("admin")
def version_create(request: HttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff, pk=pk)
    latest = tariff.versions.order_by("-valid_from").first()
    body = latest.body if latest is not None else STARTER_BODY
    form = VersionForm(request.POST or None, initial={"body": _pretty(body)})
    return _version_form(request, tariff, form, None)


@rule("admin")
def version_edit(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff, pk=pk)
    row = get_object_or_404(TariffVersion, pk=version, tariff=tariff)
    initial = {
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "body": _pretty(row.body),
    }
    form = VersionForm(request.POST or None, initial=initial)
    return _version_form(request, tariff, form, row)


def _version_form(
    request: HttpRequest, tariff: Tariff, form: VersionForm, row: TariffVersion | None
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_version(
                tariff,
                form.cleaned_data["version"],
                replacing=row,
                by=Actor.of(request),
            )
        except DocumentError as error:
            field = error.where if error.where in form.fields else None
            form.add_error(field, error.why)
        else:
            messages.success(
                request,
                f"Version from {saved.valid_from} saved; costs it covers are "
                "priced with it from now on.",
            )
            return redirect_after_change(request, "tariff", tariff.pk)
    context = {"form": form, "tariff": tariff, "version": row}
    return render_page(request, "web/tariffs/version.html", context)


@rule("admin")
@require_POST
def version_delete(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    row = get_object_or_404(
        TariffVersion.objects.select_related("tariff"), pk=version, tariff_id=pk
    )
    delete_version(row, by=Actor.of(request))
    messages.success(request, f"Version from {row.valid_from} deleted.")
    return redirect_after_change(request, "tariff", pk)


@rule("admin")
def tariff_export(request: HttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.select_related("utility"), pk=pk)
    text = export_text(tariff)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    # ASCII only: a header with other characters is encoded whole, and then
    # browsers no longer see the attachment.
    filename = "".join(
        c if (c.isascii() and c.isalnum()) or c in "-_" else "-" for c in tariff.name
    )
    response["Content-Disposition"] = f'attachment; filename="tariff-{filename}.json"'
    return response


@rule("admin")
@csrf_exempt  # checked by _import_page, once the upload limit is in place
def tariff_import(request: HttpRequest) -> HttpResponse:
    # The CSRF check reads the body; the limit must be installed before it.
    limit = UploadLimit(TARIFF_FILE_BYTES)
    request.upload_handlers.insert(0, limit)
    return _import_page(request, limit)


@csrf_protect
def _import_page(request: HttpRequest, limit: UploadLimit) -> HttpResponse:
    if request.method != "POST":
        return _import_answer(request, TariffImportForm())

    form = TariffImportForm(request.POST, request.FILES)
    if limit.exceeded:
        # The file never arrived, so this is its only error, not "required".
        message = (
            f"The file is {filesizeformat(limit.size)}; a tariff file may be at "
            f"most {filesizeformat(limit.limit)}. Nothing was imported."
        )
        form.errors["file"] = form.error_class([message])
        return _import_answer(request, form, status=413)
    if not form.is_valid():
        return _import_answer(request, form, status=400)

    try:
        document = read_document(form.cleaned_data["file"].read())
        tariff = import_tariff(
            document, replace=form.cleaned_data["replace"], by=Actor.of(request)
        )
    except DocumentError as error:
        form.add_error("file", f"Nothing was imported. {error}")
        return _import_answer(request, form, status=400)
    messages.success(request, f"Tariff “{tariff.name}” imported.")
    return redirect_after_change(request, "tariff", tariff.pk)


def _import_answer(
    request: HttpRequest, form: TariffImportForm, status: int = 200
) -> HttpResponse:
    return render_page(
        request, "web/tariffs/import.html", {"form": form}, status=status
    )


def _pretty(body: object) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)
