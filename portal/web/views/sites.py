"""Sites: list, create, edit, deactivate and reactivate."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from portal.audit.actions import Actor
from portal.metering.access import site_or_404, visible_sites
from portal.metering.actions import create_site, set_site_active, update_site
from portal.metering.models import Site
from portal.web.forms import ActiveForm, SiteForm
from portal.web.pages import redirect_after_change, render_page
from portal.web.rules import rule

FORM_TEMPLATE = "web/sites/form.html"


def _listed_sites(request: HttpRequest) -> QuerySet[Site]:
    return (
        visible_sites(request)
        .select_related("tariff")
        .annotate(device_count=Count("devices"))
    )


@rule("user")
def site_list(request: HttpRequest) -> HttpResponse:
    sites = _listed_sites(request).order_by("-is_active", "name")
    return render_page(request, "web/sites/list.html", {"sites": sites})


@rule("admin")
def site_create(request: HttpRequest) -> HttpResponse:
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = create_site(**form.cleaned_data, by=Actor.of(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Site “{site.name}” created.")
            return redirect_after_change(request, "sites")

    return render_page(request, FORM_TEMPLATE, {"form": form, "site": None})


@rule("admin")
def site_edit(request: HttpRequest, code: str) -> HttpResponse:
    site = site_or_404(request, code)
    # The form checks a copy: a ModelForm writes into its instance while it
    # validates, and update_site must compare the changes with what is stored.
    form = SiteForm(request.POST or None, instance=copy(site))
    if request.method == "POST" and form.is_valid():
        try:
            update_site(site, by=Actor.of(request), **form.changes())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Site “{site.name}” saved.")
            return redirect_after_change(request, "sites")

    return render_page(request, FORM_TEMPLATE, {"form": form, "site": site})


@rule("admin")
@require_POST
def site_deactivate(request: HttpRequest, code: str) -> HttpResponse:
    """Deactivate a site, or reactivate it when the form says `active`."""
    site = site_or_404(request, code)  # 404 for a code it may not see
    site = _listed_sites(request).get(pk=site.pk)  # with its device count
    form = ActiveForm(request.POST)
    active = form.is_valid() and form.cleaned_data["active"]

    set_site_active(site, active, by=Actor.of(request))

    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/sites/list.html#site_row", {"site": site})
    state = "reactivated" if active else "deactivated"
    messages.success(request, f"Site “{site.name}” {state}.")
    return redirect_after_change(request, "sites")
