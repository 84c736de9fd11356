"""`portal devices add|list`: provision devices without the pages."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.actions import COMMAND_LINE
from portal.lib.cli import one_line
from portal.metering.actions import create_device
from portal.metering.models import Device, Site


class Command(BaseCommand):
    help = "Add or list devices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=CommandParser
        )
        add = sub.add_parser("add", help="add a device to a site")
        add.add_argument("--site", required=True, help="the site's code")
        add.add_argument(
            "--external-id", required=True, help="what the meter calls itself"
        )
        add.add_argument("--name", required=True, help="what people call the meter")
        add.add_argument("--model", default="", help="e.g. Acuvim-L")
        add.add_argument(
            "--serial", default="", help="meter serial, matched by AXM-WEB2 pushes"
        )
        sub.add_parser("list", help="list devices")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for device in Device.objects.select_related("site").order_by("external_id"):
                self.stdout.write(
                    f"{device.external_id}\t{device.name}\t{device.site.code}"
                )
            return

        site = Site.objects.filter(code=options["site"]).first()
        if site is None:
            raise CommandError(f"no site with code {options['site']!r}")
        try:
            device = create_device(
                by=COMMAND_LINE,
                site=site,
                external_id=options["external_id"],
                name=options["name"],
                model=options["model"],
                serial=options["serial"],
            )
        except ValidationError as error:
            raise one_line(error) from None
        self.stdout.write(f"device {device.external_id} created on site {site.code}")
