"""Devices: list, create, edit, deactivate and reactivate."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from portal.audit.actions import Actor
from portal.metering.access import device_or_404, visible_devices, visible_sites
from portal.metering.actions import create_device, set_device_active, update_device
from portal.metering.queries import now_utc
from portal.web.forms import ActiveForm, DeviceForm
from portal.web.pages import redirect_after_change, render_page
from portal.web.rules import rule
from portal.web.summaries import latest_readings

FORM_TEMPLATE = "web/devices/form.html"


@rule("user")
def device_list(request: HttpRequest) -> HttpResponse:
    devices = list(
        visible_devices(request).order_by("-is_active", "site__name", "name")
    )
    latest = latest_readings([d.pk for d in devices])

    rows = [(device, latest.get(device.pk)) for device in devices]
    context = {"rows": rows, "now": now_utc()}
    return render_page(request, "web/devices/list.html", context)


@rule("admin")
def device_create(request: HttpRequest) -> HttpResponse:
    sites = visible_sites(request).filter(is_active=True)
    form = DeviceForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            device = create_device(**form.cleaned_data, by=Actor.of(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Device “{device.name}” created.")
            return redirect_after_change(request, "device", device.external_id)

    return render_page(request, FORM_TEMPLATE, {"form": form, "device": None})


@rule("admin")
def device_edit(request: HttpRequest, external_id: str) -> HttpResponse:
    device = device_or_404(request, external_id)
    # Its own site stays selectable even when that site is deactivated.
    sites = visible_sites(request).filter(Q(is_active=True) | Q(pk=device.site_id))
    # The form checks a copy, so update_device sees what changed (see sites.py).
    form = DeviceForm(request.POST or None, instance=copy(device), sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            update_device(device, by=Actor.of(request), **form.changes())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Device “{device.name}” saved.")
            return redirect_after_change(request, "device", device.external_id)

    return render_page(request, FORM_TEMPLATE, {"form": form, "device": device})


@rule("admin")
@require_POST
def device_deactivate(request: HttpRequest, external_id: str) -> HttpResponse:
    """Deactivate a device (its readings are then refused), or reactivate it
    when the form says `active`."""
    device = device_or_404(request, external_id)
    form = ActiveForm(request.POST)
    active = form.is_valid() and form.cleaned_data["active"]

    set_device_active(device, active, by=Actor.of(request))

    if request.htmx:  # type: ignore[attr-defined]
        latest = latest_readings([device.pk]).get(device.pk)
        context = {"device": device, "latest": latest, "now": now_utc()}
        return render(request, "web/devices/list.html#device_row", context)
    state = "reactivated" if active else "deactivated"
    messages.success(request, f"Device “{device.name}” {state}.")
    return redirect_after_change(request, "devices")
