"""`portal keys create|list|revoke`: API keys without the pages."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.actions import COMMAND_LINE
from portal.ingest.keys import create_key, revoke_key
from portal.ingest.models import IngestKey


class Command(BaseCommand):
    help = "Create, list or revoke API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=CommandParser
        )
        create = sub.add_parser("create", help="create a key and print its secret once")
        create.add_argument("--name", required=True, help="who or what uses the key")
        create.add_argument(
            "--scope",
            choices=IngestKey.Scope.values,
            default=IngestKey.Scope.INGEST,
            help="ingest: send readings (default); read: read energy and readings",
        )
        sub.add_parser("list", help="list keys (never their secrets)")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                _, secret = create_key(
                    options["name"], options["scope"], by=COMMAND_LINE
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(secret)
            # On stderr, so that `KEY=$(portal keys create ...)` gets the secret only.
            self.stderr.write(
                f"{options['scope']} key {options['name']!r} created; "
                "the secret above is shown only now"
            )
        elif action == "list":
            for key in IngestKey.objects.order_by("created_at"):
                state = "revoked" if key.revoked_at else "active"
                self.stdout.write(f"{key.prefix}\t{key.name}\t{key.scope}\t{state}")
        else:
            found = IngestKey.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(f"no key with prefix {options['prefix']!r}")
            if found.revoked_at is not None:
                self.stdout.write(f"key {found.prefix} was already revoked")
                return
            revoke_key(found, by=COMMAND_LINE)
            self.stdout.write(f"key {found.prefix} revoked")
