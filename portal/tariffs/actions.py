"""Every change to utilities, tariffs and versions, and a site's tariff.

Each action validates through the tariff document's schema, writes in one
transaction and leaves an audit row. Costs are computed from the versions
whenever they are asked for, so a corrected version re-prices every interval
it covers the moment it is saved."""

import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Lower

from portal.audit.actions import Actor, changes_between, record
from portal.metering.actions import update_site
from portal.metering.models import Site
from portal.tariffs.document import (
    FORMAT,
    DocumentError,
    TariffDocument,
    Version,
    VersionBody,
    check_no_overlap,
    parse_document,
    parse_header,
    unique_keys,
)
from portal.tariffs.models import Tariff, TariffVersion, Utility

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 1_000_000
MAX_VERSIONS = 200  # as the document allows


def read_document(raw: bytes | str) -> TariffDocument:
    """A tariff document from the bytes of a file, or DocumentError naming its
    first problem."""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError("", f"the file is over {MAX_DOCUMENT_BYTES:,} bytes")
    try:
        # Decoded here, not by json.loads, which would also take UTF-16.
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=unique_keys)
    except UnicodeDecodeError:
        raise DocumentError("", "the file is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise DocumentError(where, f"not JSON: {error.msg}") from None
    except DocumentError:
        raise  # a key given twice
    except RecursionError:
        raise DocumentError("", "the JSON is nested too deeply") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise DocumentError("", f"not a usable JSON value: {error}") from None
    return parse_document(data)


def import_tariff(
    document: TariffDocument, *, replace: bool = False, by: Actor | None = None
) -> Tariff:
    """Create the document's tariff, or with `replace` overwrite the tariff of
    that name and all its versions. All of it or nothing is stored."""
    with transaction.atomic():
        utility = _utility(document.utility.name, document.utility.country)
        tariff = named(Tariff.objects.select_for_update(), document.name).first()
        if tariff is not None and not replace:
            raise DocumentError(
                "name",
                f"a tariff named {tariff.name!r} exists; to overwrite it and all "
                "its versions, import again with replace (--replace, or the "
                "replace box on the import page)",
            )
        before = export_document(tariff) if tariff is not None else {}
        if tariff is None:
            tariff = Tariff(name=document.name)
        tariff.utility = utility
        tariff.currency = document.currency
        tariff.description = document.description
        try:
            _save_named(tariff)
        except ValidationError:
            raise DocumentError(
                "name", f"a tariff named {tariff.name!r} exists"
            ) from None

        tariff.versions.all().delete()
        TariffVersion.objects.bulk_create(
            _version_row(tariff, version) for version in document.versions
        )
        action = "tariff.replaced" if before else "tariff.imported"
        record(
            by,
            action,
            f"tariff {tariff.name}",
            _summary(before, export_document(tariff)),
        )

    logger.info(
        action, extra={"tariff_id": tariff.pk, "versions": len(document.versions)}
    )
    return tariff


def export_document(tariff: Tariff) -> dict[str, Any]:
    """The tariff as a document that `import_tariff` takes back unchanged."""
    versions = []
    for row in tariff.versions.order_by("valid_from"):
        version = {"valid_from": row.valid_from.isoformat()}
        if row.valid_to is not None:
            version["valid_to"] = row.valid_to.isoformat()
        versions.append(version | _readable(row.body))
    return {
        "format": FORMAT,
        "utility": {"name": tariff.utility.name, "country": tariff.utility.country},
        "name": tariff.name,
        "currency": tariff.currency,
        "description": tariff.description,
        "versions": versions,
    }


def create_tariff(
    *,
    utility: str,
    name: str,
    currency: str = "ZAR",
    description: str = "",
    by: Actor | None = None,
) -> Tariff:
    header = _header(utility, name, currency, description)
    with transaction.atomic():
        tariff = Tariff(
            utility=_utility(header.utility, ""),
            name=header.name,
            currency=header.currency,
            description=header.description,
        )
        _save_named(tariff)
        record(by, "tariff.created", f"tariff {tariff.name}", {})
    logger.info("tariff.created", extra={"tariff_id": tariff.pk})
    return tariff


def update_tariff(
    tariff: Tariff,
    *,
    utility: str,
    name: str,
    currency: str,
    description: str,
    by: Actor | None = None,
) -> Tariff:
    header = _header(utility, name, currency, description)
    with transaction.atomic():
        before = _fields(tariff)
        tariff.utility = _utility(header.utility, tariff.utility.country)
        tariff.name = header.name
        tariff.currency = header.currency
        tariff.description = header.description
        _save_named(tariff)
        diff = changes_between(before, _fields(tariff))
        record(by, "tariff.updated", f"tariff {tariff.name}", diff)
    logger.info("tariff.updated", extra={"tariff_id": tariff.pk})
    return tariff


def _header(utility: str, name: str, currency: str, description: str) -> Any:
    """The form's fields checked by the rules a tariff file obeys, so what the
    form saves always exports to a file that imports again."""
    fields = {"utility": utility, "name": name, "currency": currency}
    try:
        return parse_header(fields | {"description": description})
    except DocumentError as error:
        raise ValidationError({error.where or "name": error.why}) from None


def _save_named(tariff: Tariff) -> None:
    """Save, or say the name is taken: also when another request took it
    between the check and the save (the unique constraint decides)."""
    clash = named(Tariff.objects, tariff.name)
    if tariff.pk is not None:
        clash = clash.exclude(pk=tariff.pk)
    taken = ValidationError({"name": f"A tariff named {tariff.name!r} exists."})
    if clash.exists():
        raise taken
    try:
        with transaction.atomic():
            tariff.save()
    except IntegrityError:
        raise taken from None


def delete_tariff(tariff: Tariff, by: Actor | None = None) -> None:
    name = tariff.name
    with transaction.atomic():
        try:
            tariff.delete()
        except ProtectedError:
            sites = ", ".join(sorted(site.code for site in tariff.sites.all()))
            raise ValidationError(
                f"Tariff {name!r} is assigned to {sites}; assign those sites "
                "another tariff first."
            ) from None
        record(by, "tariff.deleted", f"tariff {name}", {})
    logger.info("tariff.deleted", extra={"tariff": name})


def save_version(
    tariff: Tariff,
    version: Version,
    *,
    replacing: TariffVersion | None = None,
    by: Actor | None = None,
) -> TariffVersion:
    """Add a version, or correct one; refused if it would overlap another."""
    with transaction.atomic():
        Tariff.objects.select_for_update().filter(pk=tariff.pk).get()
        others = tariff.versions.all()
        if replacing is not None:
            others = others.exclude(pk=replacing.pk)
        dates = list(others.only("valid_from", "valid_to"))
        if len(dates) >= MAX_VERSIONS:
            raise DocumentError(
                "valid_from", f"a tariff has at most {MAX_VERSIONS} versions"
            )
        try:
            check_no_overlap([*dates, version])
        except ValueError as error:
            raise DocumentError("valid_from", str(error)) from None

        row = replacing or TariffVersion(tariff=tariff)
        before = _version_fields(row) if replacing is not None else {}
        fresh = _version_row(tariff, version)
        row.valid_from, row.valid_to, row.body = (
            fresh.valid_from,
            fresh.valid_to,
            fresh.body,
        )
        row.save()
        action = "tariff.version_changed" if replacing else "tariff.version_added"
        record(
            by,
            action,
            f"tariff {tariff.name} from {row.valid_from}",
            _summary(before, _version_fields(row)),
        )
        tariff.save(update_fields=["updated_at"])
        _check_exportable(tariff)

    logger.info(
        action, extra={"tariff_id": tariff.pk, "valid_from": str(row.valid_from)}
    )
    return row


def _check_exportable(tariff: Tariff) -> None:
    """A tariff saved from the editor must export to a file that imports
    again; past the size an import takes, the save is undone."""
    size = len(export_text(tariff).encode())
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            "body",
            f"with this version the tariff's file would be {size:,} bytes, over "
            f"the {MAX_DOCUMENT_BYTES:,} an import takes; make it smaller",
        )


def export_text(tariff: Tariff) -> str:
    """The tariff's file, as `portal tariffs export` and the page write it."""
    return json.dumps(export_document(tariff), indent=2, ensure_ascii=False) + "\n"


def delete_version(row: TariffVersion, by: Actor | None = None) -> None:
    tariff = row.tariff
    with transaction.atomic():
        target = f"tariff {tariff.name} from {row.valid_from}"
        row.delete()
        record(by, "tariff.version_deleted", target, {})
        tariff.save(update_fields=["updated_at"])
    logger.info("tariff.version_deleted", extra={"tariff_id": tariff.pk})


def set_site_tariff(
    site: Site,
    tariff: Tariff | None,
    *,
    billing_day: int | None = None,
    by: Actor | None = None,
) -> Site:
    changes: dict[str, object] = {"tariff": tariff}
    if billing_day is not None:
        changes["billing_day"] = billing_day
    return update_site(site, by=by, **changes)


def named(rows: Any, name: str) -> Any:
    """Rows whose name equals `name` ignoring case, compared the way the
    unique constraints compare: the database's lower() on both sides."""
    return rows.annotate(name_key=Lower("name")).filter(name_key=Lower(Value(name)))


def _utility(name: str, country: str) -> Utility:
    utility = named(Utility.objects, name).first()
    if utility is None:
        try:
            with transaction.atomic():
                utility = Utility.objects.create(name=name, country=country)
        except IntegrityError:  # created by another request meanwhile
            utility = named(Utility.objects, name).get()
    elif country and utility.country != country:
        utility.country = country
        utility.save(update_fields=["country"])
    return utility


def _version_row(tariff: Tariff, version: Version) -> TariffVersion:
    body = VersionBody.model_validate(
        version.model_dump(exclude={"valid_from", "valid_to"})
    )
    return TariffVersion(
        tariff=tariff,
        valid_from=version.valid_from,
        valid_to=version.valid_to,
        body=body.model_dump(mode="json", exclude_defaults=False),
    )


def _readable(body: dict[str, Any]) -> dict[str, Any]:
    """A stored body in the schema's field order (the database keeps JSON keys
    in its own order), without the optional parts it does not use."""
    ordered = VersionBody.model_validate(body).model_dump(mode="json")
    for name in ("holidays", "time_of_use"):
        if ordered[name] is None:
            del ordered[name]
    for charge in ordered["charges"]:
        if charge.get("periods", "") is None:
            del charge["periods"]
    return ordered


def _fields(tariff: Tariff) -> dict[str, object]:
    return {
        "utility": tariff.utility.name,
        "name": tariff.name,
        "currency": tariff.currency,
        "description": tariff.description,
    }


def _version_fields(row: TariffVersion) -> dict[str, object]:
    return {
        "valid_from": str(row.valid_from),
        "valid_to": str(row.valid_to) if row.valid_to else None,
        "charges": json.dumps(row.body, sort_keys=True),
    }


def _summary(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The audit row keeps the whole document before and after, as text, so a
    correction can be read back and undone by hand."""
    return changes_between(
        {
            name: json.dumps(value, sort_keys=True)
            if isinstance(value, dict | list)
            else value
            for name, value in before.items()
        },
        {
            name: json.dumps(value, sort_keys=True)
            if isinstance(value, dict | list)
            else value
            for name, value in after.items()
        },
    )
