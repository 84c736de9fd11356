"""A site's energy and energy cost per local day of one month, all its
devices together."""

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse

from portal.lib.localtime import first_of_next_month
from portal.metering.access import site_or_404
from portal.metering.queries import now_utc, site_energy_buckets
from portal.tariffs.costs import bucket_costs
from portal.tariffs.pricing import PERIOD_LABEL, sum_known
from portal.web.pages import render_page
from portal.web.rules import rule


@rule("user")
def site_page(request: HttpRequest, code: str) -> HttpResponse:
    site = site_or_404(request, code)
    asked = request.GET.get("month", "")
    if asked and not PERIOD_LABEL.fullmatch(asked):
        context = {"site": site, "error": "Choose a month as YYYY-MM."}
        return render_page(request, "web/sites/page.html", context, status=400)

    today = now_utc().astimezone(site.tz).date()
    first = date.fromisoformat(f"{asked}-01") if asked else today.replace(day=1)
    end = first_of_next_month(first)
    device_ids = list(site.devices.values_list("pk", flat=True))
    days = site_energy_buckets(site, device_ids, first, end, "day")
    costs = bucket_costs(site, days)

    context = {
        "site": site,
        "month": first,
        "previous": (first - timedelta(days=1)).strftime("%Y-%m"),
        "next": end.strftime("%Y-%m"),
        "rows": list(zip(days, costs, strict=True)),
        "kwh_import": sum(day.kwh_import for day in days),
        "kwh_export": sum(day.kwh_export for day in days),
        "cost": sum_known(costs),
        "currency": site.tariff.currency if site.tariff else "",
    }
    return render_page(request, "web/sites/page.html", context)
