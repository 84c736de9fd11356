"""A device's readings as the portal's CSV, a chunk at a time.

`write_portal_csv` writes a whole file to a text stream. To stream an export
of any length in constant memory, it is called once per chunk of records and
the header it writes each time is kept only from the first call.
"""

import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from portal.ingest.parsers.portal_csv import write_portal_csv
from portal.ingest.records import ReadingRecord
from portal.metering.models import Device, Reading
from portal.metering.quantities import QUANTITIES

ROWS_PER_CHUNK = 2000


def reading_records(
    device: Device, since: datetime, until: datetime
) -> Iterator[ReadingRecord]:
    """The device's readings in [since, until), oldest first, read with a
    server-side cursor so a year of readings never sits in memory."""
    rows = (
        Reading.objects.filter(device=device, ts__gte=since, ts__lt=until)
        .order_by("ts")
        .values_list("ts", *QUANTITIES)
        .iterator(chunk_size=ROWS_PER_CHUNK)
    )
    for ts, *values in rows:
        present = {
            q: v for q, v in zip(QUANTITIES, values, strict=True) if v is not None
        }
        yield ReadingRecord(device.external_id, ts, present)


def portal_csv_chunks(records: Iterable[ReadingRecord]) -> Iterator[str]:
    header = _csv_text([])
    yield header

    iterator = iter(records)
    while chunk := list(islice(iterator, ROWS_PER_CHUNK)):
        yield _csv_text(chunk)[len(header) :]


def _csv_text(records: list[ReadingRecord]) -> str:
    out = io.StringIO(newline="")
    write_portal_csv(records, out)
    return out.getvalue()
