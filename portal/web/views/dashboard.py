"""The first page after signing in: energy, cost, power and freshness per site."""

from django.http import HttpRequest, HttpResponse

from portal.metering.access import visible_devices, visible_sites
from portal.metering.queries import now_utc
from portal.tariffs.costs import cost_today_and_month
from portal.web.pages import render_page
from portal.web.rules import rule
from portal.web.summaries import Overview, site_summaries


@rule("user")
def dashboard(request: HttpRequest) -> HttpResponse:
    sites = visible_sites(request).filter(is_active=True).select_related("tariff")
    devices = visible_devices(request).filter(is_active=True, site__is_active=True)
    now = now_utc()

    summaries = site_summaries(sites, list(devices), now)
    costs = cost_today_and_month([summary.site for summary in summaries], now)
    for summary in summaries:
        summary.cost = costs.get(summary.site.pk)

    context = {"overview": Overview(summaries), "now": now}
    return render_page(request, "web/dashboard.html", context)
