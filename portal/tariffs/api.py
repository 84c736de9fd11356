"""The bill of a site for one billing period, as the bill page shows it."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from portal.ingest.auth import session_or_read_key
from portal.metering.access import site_or_404
from portal.metering.queries import now_utc
from portal.tariffs.costs import current_label, site_bill
from portal.tariffs.pricing import PERIOD_LABEL
from portal.tariffs.statements import bill_document

router = Router(tags=["cost"], auth=session_or_read_key)


class BillQuery(Schema):
    period: str = Field(
        default="",
        description="billing period YYYY-MM, starting on the site's billing day "
        "of that month; the current one if omitted",
    )

    @field_validator("period")
    @classmethod
    def _year_and_month(cls, value: str) -> str:
        if value and not PERIOD_LABEL.fullmatch(value):  # empty: the current
            raise ValueError("use YYYY-MM, e.g. 2026-03")
        return value


class BillLineOut(Schema):
    description: str
    kind: str
    quantity: str
    unit: str
    rate: str
    factor: str
    amount: str
    version_from: str
    note: str


class BillOut(Schema):
    site: str
    period: str
    start: str
    end: str
    timezone: str
    currency: str
    tariff: str | None
    lines: list[BillLineOut]
    subtotal: str
    taxes: list[dict[str, str]]
    total: str
    kwh: str
    unpriced_kwh: str
    energy_by_period: dict[str, str]
    max_demand: dict[str, dict[str, Any]]
    notes: list[str]


_ERRORS = {400: dict[str, str], 401: dict[str, str], 404: dict[str, str]}


@router.get("/sites/{code}/bill", response={200: BillOut, **_ERRORS})
def bill(request: HttpRequest, code: str, query: Query[BillQuery]) -> dict[str, Any]:
    """Every charge of the bill as a line with quantity, rate and amount, then
    subtotal, tax and total. Money and quantities are decimal strings; amounts
    are rounded once per line (docs/TARIFFS.md)."""
    site = site_or_404(request, code)
    label = query.period or current_label(site, now_utc())
    return bill_document(site_bill(site, label))
