"""Importing a file of readings for one device, from the pages or the CLI.

Two formats are recognised by their first line: the portal's own CSV export
(`device,time,...`) and Acuview data-log exports (anything else; the parser
refuses what it cannot read with a message saying what it found).
"""

import codecs
from dataclasses import dataclass, field
from typing import BinaryIO

from portal.ingest.actions import BatchOutcome, DeviceDirectory, ingest_records
from portal.ingest.models import IngestEvent
from portal.ingest.parsers.acuview_csv import iter_acuview_csv
from portal.ingest.parsers.portal_csv import iter_portal_csv
from portal.metering.models import Device

_SNIFF_BYTES = 4096


@dataclass
class ImportReport:
    event: IngestEvent
    outcome: BatchOutcome
    file_format: str
    notes: list[str] = field(default_factory=list)


def import_readings_file(
    stream: BinaryIO,
    *,
    device: Device,
    filename: str,
    size: int,
    user=None,  # type: ignore[no-untyped-def]
) -> ImportReport:
    """Import one file for `device`. Raises FormatError when the file as a whole
    cannot be read; otherwise stores what is valid and reports the rest."""
    file_format = sniff_format(stream)
    directory = DeviceDirectory(restrict_to=device)

    if file_format == "portal-csv":
        records = iter_portal_csv(stream)
        event, outcome = ingest_records(
            records,
            source=IngestEvent.Source.FILE,
            user=user,
            directory=directory,
            bytes_received=size,
            filename=filename,
        )
        return ImportReport(event, outcome, file_format)

    parser = iter_acuview_csv(stream, device.site.tz, device.external_id)
    event, outcome = ingest_records(
        parser,
        source=IngestEvent.Source.FILE,
        user=user,
        directory=directory,
        bytes_received=size,
        filename=filename,
    )
    notes = _acuview_notes(parser, device)
    event.notes = notes
    event.save(update_fields=["notes"])
    return ImportReport(event, outcome, file_format, notes)


def sniff_format(stream: BinaryIO) -> str:
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8-sig", errors="ignore")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    return "portal-csv" if first_line.startswith("device,time") else "acuview-csv"


def _acuview_notes(parser, device: Device) -> list[str]:  # type: ignore[no-untyped-def]
    notes = [
        f"Local times read in {device.site.timezone} (the site's time zone). "
        + parser.rule
    ]
    if parser.ambiguous_resolved:
        notes.append(
            f"{parser.ambiguous_resolved} ambiguous local times resolved "
            "by record order."
        )
    if parser.nonexistent_rejected:
        notes.append(
            f"{parser.nonexistent_rejected} local times that do not exist "
            "(clocks went forward) rejected."
        )
    if parser.ignored_columns:
        notes.append("Columns ignored: " + ", ".join(parser.ignored_columns) + ".")
    return notes
