"""`portal tariffs import|export|list`: move tariffs between installations."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.actions import COMMAND_LINE
from portal.tariffs.actions import (
    MAX_DOCUMENT_BYTES,
    export_text,
    import_tariff,
    named,
    read_document,
)
from portal.tariffs.document import DocumentError
from portal.tariffs.models import Tariff


class Command(BaseCommand):
    help = "Import, export or list tariffs (JSON format: docs/TARIFFS.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=CommandParser
        )
        load = sub.add_parser("import", help="import a tariff from a JSON file")
        load.add_argument("file", help="the JSON file, or - for standard input")
        load.add_argument(
            "--replace",
            action="store_true",
            help="overwrite the tariff of the same name and all its versions",
        )
        dump = sub.add_parser("export", help="write a tariff as JSON")
        dump.add_argument("name", help="the tariff's name")
        dump.add_argument("--output", help="file to write; standard output if none")
        sub.add_parser("list", help="list tariffs")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list()
        elif action == "export":
            self._export(options["name"], options["output"])
        else:
            self._import(options["file"], options["replace"])

    def _list(self) -> None:
        for tariff in Tariff.objects.select_related("utility"):
            versions = tariff.versions.count()
            self.stdout.write(
                f"{tariff.name}\t{tariff.utility.name}\t{tariff.currency}\t"
                f"{versions} version{'s' if versions != 1 else ''}"
            )

    def _export(self, name: str, output: str | None) -> None:
        tariff = named(Tariff.objects, name).first() if "\x00" not in name else None
        if tariff is None:
            raise CommandError(f"no tariff named {name!r} (see `portal tariffs list`)")
        text = export_text(tariff)
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"cannot write {output}: {error.strerror}") from None
            self.stdout.write(f"tariff {tariff.name} written to {output}")
        else:
            self.stdout.write(text, ending="")

    def _import(self, file: str, replace: bool) -> None:
        try:
            raw = _read_at_most(file, MAX_DOCUMENT_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            tariff = import_tariff(read_document(raw), replace=replace, by=COMMAND_LINE)
        except DocumentError as error:
            raise CommandError(f"{file}: nothing imported: {error}") from None
        count = tariff.versions.count()
        self.stdout.write(f"tariff {tariff.name} imported with {count} version(s)")


def _read_at_most(file: str, limit: int) -> bytes:
    """The file's first `limit` bytes: enough to refuse one that is too large
    without reading all of it (/dev/zero has no end)."""
    if file == "-":
        return sys.stdin.buffer.read(limit)
    with Path(file).open("rb") as stream:
        return stream.read(limit)
