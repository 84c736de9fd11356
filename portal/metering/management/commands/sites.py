"""`portal sites add|list|set-tariff`: provision sites without the pages."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.actions import COMMAND_LINE
from portal.lib.cli import one_line
from portal.metering.actions import create_site
from portal.metering.models import Site
from portal.tariffs.actions import named, set_site_tariff
from portal.tariffs.models import Tariff


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
        assign = sub.add_parser("set-tariff", help="assign a tariff to a site")
        assign.add_argument("--site", required=True, help="the site's code")
        assign.add_argument(
            "--tariff", required=True, help="the tariff's name, or none to remove it"
        )
        assign.add_argument(
            "--billing-day",
            type=int,
            help="day of the month the site's billing period starts (1 to 28)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for site in Site.objects.select_related("tariff").order_by("code"):
                tariff = site.tariff.name if site.tariff else "-"
                self.stdout.write(
                    f"{site.code}\t{site.name}\t{site.timezone}\t{tariff}"
                )
            return
        if options["action"] == "set-tariff":
            self._set_tariff(options["site"], options["tariff"], options["billing_day"])
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

    def _set_tariff(self, code: str, name: str, billing_day: int | None) -> None:
        if billing_day is not None and not 1 <= billing_day <= 28:
            raise CommandError(
                f"--billing-day {billing_day}: use a day from 1 to 28 "
                "(every month has one)"
            )
        site = Site.objects.filter(code=code).first() if "\x00" not in code else None
        if site is None:
            raise CommandError(f"no site with code {code!r} (see `portal sites list`)")
        tariff = None
        if name.lower() != "none":
            tariff = named(Tariff.objects, name).first() if "\x00" not in name else None
            if tariff is None:
                raise CommandError(
                    f"no tariff named {name!r} (see `portal tariffs list`)"
                )
        try:
            set_site_tariff(site, tariff, billing_day=billing_day, by=COMMAND_LINE)
        except ValidationError as error:
            raise one_line(error) from None
        what = f"tariff {tariff.name}" if tariff else "no tariff"
        self.stdout.write(
            f"site {site.code} has {what}, billing day {site.billing_day}"
        )
