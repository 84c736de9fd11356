"""Recent ingest events: what each batch of readings did."""

from django.http import HttpRequest, HttpResponse

from portal.ingest.models import IngestEvent
from portal.metering.access import visible_devices
from portal.web.pages import page_of, render_page
from portal.web.rules import rule

EVENTS_PER_PAGE = 50


@rule("user")
def ingest_events(request: HttpRequest) -> HttpResponse:
    events = IngestEvent.objects.select_related("key", "user").order_by(
        "-received_at", "-pk"
    )
    if not request.user.is_staff and request.user.limited_to_sites:  # type: ignore[union-attr]
        # Only batches that named one of the user's devices.
        device_ids = list(visible_devices(request).values_list("pk", flat=True))
        events = events.filter(device_ids__overlap=device_ids)
    page = page_of(request, events, EVENTS_PER_PAGE)

    fragments = {"ingest-events": "events"}
    context = {"page": page}
    return render_page(request, "web/ingest/events.html", context, fragments=fragments)
