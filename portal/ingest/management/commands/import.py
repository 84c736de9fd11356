"""`portal import FILE --device X`: import an Acuview export or a portal CSV."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.ingest.files import import_readings_file
from portal.ingest.records import FormatError
from portal.metering.actions import recompute_stale
from portal.metering.models import Device


class Command(BaseCommand):
    help = (
        "Import readings from a file (Acuview data-log CSV or the portal's CSV export)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--device", required=True, help="the device's external id")
        parser.add_argument(
            "--no-recompute", action="store_true", help="leave energy to the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        device = (
            Device.objects.select_related("site")
            .filter(external_id=options["device"])
            .first()
        )
        if device is None:
            raise CommandError(f"no device with external id {options['device']!r}")
        if not path.is_file():
            raise CommandError(f"{path}: no such file")

        with path.open("rb") as stream:
            try:
                report = import_readings_file(
                    stream, device=device, filename=path.name, size=path.stat().st_size
                )
            except FormatError as error:
                raise CommandError(f"{path.name}: {error}") from None

        if not options["no_recompute"]:
            recompute_stale(limit=1_000_000)
        self._report(report)

    def _report(self, report: Any) -> None:
        o = report.outcome
        self.stdout.write(
            f"{report.file_format}: {o.received} records, {o.accepted} stored, "
            f"{o.duplicates} duplicates, {o.rejected} rejected"
        )
        for note in report.notes:
            self.stdout.write(f"  {note}")
        for error in o.errors[:10]:
            self.stdout.write(
                f"  line {error.index}: {error.field or ''} {error.reason}"
            )
        if o.rejected > len(o.errors[:10]):
            self.stdout.write(f"  ... {o.rejected - len(o.errors[:10])} more rejected")
