"""`portal sites add|list`: provision sites without the pages."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from portal.audit.actions import COMMAND_LINE
from portal.lib.cli import one_line
from portal.metering.actions import create_site
from portal.metering.models import Site


class Command(BaseCommand):
    help = "Add or list sites."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=CommandParser
        )
        add = sub.add_parser("add", help="add a site")
        add.add_argument("--code", required=True, help="short unique code, e.g. JHB-01")
        add.add_argument("--name", required=True, help="what people call the site")
        add.add_argument(
            "--timezone", required=True, help="IANA zone, e.g. Africa/Johannesburg"
        )
        add.add_argument("--address", default="")
        sub.add_parser("list", help="list sites")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for site in Site.objects.order_by("code"):
                self.stdout.write(f"{site.code}\t{site.name}\t{site.timezone}")
            return

        try:
            site = create_site(
                by=COMMAND_LINE,
                code=options["code"],
                name=options["name"],
                timezone=options["timezone"],
                address=options["address"],
            )
        except ValidationError as error:
            raise one_line(error) from None
        self.stdout.write(f"site {site.code} created")
