"""A site's bill for one billing period, as a page and as CSV."""

import csv
import io

from django.http import HttpRequest, HttpResponse

from portal.lib.spreadsheet import inert
from portal.metering.access import site_or_404
from portal.metering.models import Site
from portal.metering.queries import now_utc
from portal.tariffs.costs import current_label, months_with_data, site_bill
from portal.tariffs.pricing import PERIOD_LABEL
from portal.tariffs.statements import bill_document, bill_rows
from portal.web.pages import render_page
from portal.web.rules import rule


def _period(request: HttpRequest, site: Site) -> str | None:
    """The period asked for, the current one if none; None if malformed."""
    asked = request.GET.get("period", "")
    if not asked:
        return current_label(site, now_utc())
    return asked if PERIOD_LABEL.fullmatch(asked) else None


@rule("user")
def bill_page(request: HttpRequest, code: str) -> HttpResponse:
    site = site_or_404(request, code)
    label = _period(request, site)
    if label is None:
        context = {"site": site, "error": "Choose a period as YYYY-MM."}
        return render_page(request, "web/sites/bill.html", context, status=400)

    statement = site_bill(site, label)
    # The periods with data, the current one and the one shown, newest first.
    current = current_label(site, now_utc())
    periods = sorted({*months_with_data(site), current, label}, reverse=True)
    context = {
        "site": site,
        "statement": statement,
        "document": bill_document(statement),
        "periods": periods,
        "several_versions": len({line.version_from for line in statement.bill.lines})
        > 1,
    }
    return render_page(request, "web/sites/bill.html", context)


@rule("user")
def bill_export(request: HttpRequest, code: str) -> HttpResponse:
    site = site_or_404(request, code)
    label = _period(request, site)
    if label is None:
        return HttpResponse(
            "period must be YYYY-MM\n", status=400, content_type="text/plain"
        )

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in bill_rows(site_bill(site, label)):
        writer.writerow([inert(cell) for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="bill-{site.code}-{label}.csv"'
    )
    return response
