"""The device page (charts, energy, latest reading, quality and ingest
events) and the CSV export of its readings."""

from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.core.paginator import Page
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)

from portal.ingest.models import IngestEvent
from portal.metering.access import device_or_404
from portal.metering.models import Device, QualityEvent, Reading
from portal.metering.quantities import QUANTITIES
from portal.metering.queries import latest_reading, now_utc
from portal.tariffs.costs import cost_buckets
from portal.web import charts, labels
from portal.web.export import portal_csv_chunks, reading_records
from portal.web.forms import PRESETS, RangeForm
from portal.web.pages import page_of, render_page
from portal.web.rules import rule

QUALITY_EVENTS_PER_PAGE = 20
RECENT_INGEST_EVENTS = 10
# The errors of ingest events are not indexed; looking back a bounded time
# keeps the search short on an installation with years of batches.
INGEST_EVENTS_LOOK_BACK = timedelta(days=30)


class DevicePage:
    """What the device page shows. Each part is read when the template first
    asks for it, so an HTMX request for one fragment reads only that part."""

    def __init__(self, request: HttpRequest, device: Device, form: RangeForm) -> None:
        self.request = request
        self.device = device
        self.form = form
        self.now = now_utc()
        self.range = form.chart_range(device.site.tz, self.now)
        self.preset = form.chosen_preset()
        self.bucket = charts.choose_bucket(self.range, form.chosen_bucket())

    @cached_property
    def power_charts(self) -> list[charts.Chart]:
        return charts.power_charts(self.device, self.range)

    @cached_property
    def _energy(self) -> tuple[charts.Chart, dict[str, float]]:
        return charts.energy_chart(self.device, self.range, self.bucket)

    @property
    def energy_chart(self) -> charts.Chart:
        return self._energy[0]

    @property
    def energy_totals(self) -> dict[str, float]:
        return self._energy[1]

    @cached_property
    def energy_cost(self) -> Decimal | None:
        """The device's energy cost over the range; None without a tariff."""
        site = self.device.site
        costs = cost_buckets(site, [self.range.since], self.range.until, self.device)
        return None if costs is None else costs[0]

    @property
    def currency(self) -> str:
        tariff = self.device.site.tariff
        return tariff.currency if tariff is not None else ""

    @property
    def presets(self) -> list[tuple[str, str, str]]:
        """(key, label, query) of each preset link, keeping the bucket chosen."""
        return [
            (key, name, self._query(range=key)) for key, (name, _) in PRESETS.items()
        ]

    @property
    def range_query(self) -> str:
        """The query that asks for this range again (export, paging links)."""
        if self.preset == "custom":
            data = self.form.cleaned_data
            return self._query(range="custom", start=data["start"], end=data["end"])
        return self._query(range=self.preset)

    def _query(self, **params: object) -> str:
        if self.form.chosen_bucket():
            params["bucket"] = self.form.chosen_bucket()
        return urlencode(params)

    @cached_property
    def latest(self) -> Reading | None:
        return latest_reading(self.device)

    @property
    def latest_values(self) -> list[tuple[str, float | None, str]]:
        """(label, value, unit) of every quantity of the newest reading."""
        if self.latest is None:
            return []
        return [
            (labels.label(q), getattr(self.latest, q), labels.unit(q))
            for q in QUANTITIES
        ]

    @cached_property
    def quality_events(self) -> Page:
        events = QualityEvent.objects.filter(device=self.device).order_by("-ts", "-pk")
        return page_of(self.request, events, QUALITY_EVENTS_PER_PAGE, "events")

    @cached_property
    def ingest_events(self) -> list[IngestEvent]:
        """Recent batches that named this device, stored or rejected."""
        since = self.now - INGEST_EVENTS_LOOK_BACK
        events = IngestEvent.objects.filter(
            device_ids__contains=[self.device.pk], received_at__gte=since
        )
        events = events.select_related("key", "user")
        return list(events.order_by("-received_at")[:RECENT_INGEST_EVENTS])


@rule("user")
def device_page(request: HttpRequest, external_id: str) -> HttpResponse:
    device = device_or_404(request, external_id)
    form = RangeForm(request.GET)

    page = DevicePage(request, device, form)

    context = {"device": device, "form": form, "page": page}
    fragments = {"device-charts": "charts", "quality-events": "quality_events"}
    return render_page(request, "web/device/page.html", context, fragments=fragments)


@rule("user")
def device_export(request: HttpRequest, external_id: str) -> HttpResponseBase:
    """The device's readings over the range asked for, as the portal's CSV,
    which `device-import` reads back unchanged."""
    device = device_or_404(request, external_id)
    form = RangeForm(request.GET)
    if not form.is_valid():
        problems = [str(m) for errors in form.errors.values() for m in errors]
        return HttpResponseBadRequest(" ".join(problems), content_type="text/plain")

    chosen = form.chart_range(device.site.tz, now_utc())

    records = reading_records(device, chosen.since, chosen.until)
    response = StreamingHttpResponse(
        portal_csv_chunks(records), content_type="text/csv; charset=utf-8"
    )
    last_day = chosen.end_day - timedelta(days=1)
    name = f"{device.external_id}_{chosen.first_day}_{last_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
