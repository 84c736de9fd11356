"""Ingest endpoints: authenticate, parse, call one action, answer."""

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from portal.ingest.actions import BatchOutcome, error_dict, ingest_records
from portal.ingest.auth import ingest_key
from portal.ingest.models import IngestEvent
from portal.ingest.parsers.axm import parse_axm_snapshots
from portal.ingest.records import FormatError, ReadingRecord, RecordError
from portal.ingest.schemas import BatchResultOut, read_batch_fast, read_record

router = Router(tags=["ingest"])

_ERRORS = {400: dict[str, str], 401: dict[str, str], 413: dict[str, str]}


def _json_body(request: HttpRequest) -> Any:
    if not request.body:
        raise HttpError(400, "empty body: send a JSON document")
    try:
        return json.loads(request.body)
    except UnicodeDecodeError:
        raise HttpError(400, "body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise HttpError(
            400,
            f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None
    except RecursionError:
        raise HttpError(400, "malformed JSON: nested too deeply") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise HttpError(400, f"malformed JSON: {error}") from None


def _check_batch_size(count: int) -> None:
    limit = settings.PORTAL_MAX_BATCH_READINGS
    if count > limit:
        raise HttpError(
            413, f"{count} records in one batch; at most {limit} are accepted"
        )


def _answer(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "received": outcome.received,
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": outcome.rejected,
        "errors": [error_dict(e) for e in outcome.errors],
    }


@router.post(
    "/readings",
    auth=ingest_key,
    response={200: BatchResultOut, **_ERRORS},
    summary="Send a batch of readings",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ReadingBatchIn"}
                }
            },
        }
    },
)
def post_readings(request: HttpRequest) -> dict[str, Any]:
    """Store readings. Each record is checked on its own: a bad one is rejected
    with its index, field and reason, and the rest are stored. A reading
    already stored (same device and time) counts as a duplicate. The body may
    be gzip-compressed (`Content-Encoding: gzip`)."""
    items: Iterable[ReadingRecord | RecordError] | None = read_batch_fast(request.body)
    if items is not None:
        _check_batch_size(len(items))  # type: ignore[arg-type]
    else:
        payload = _json_body(request)
        readings = payload.get("readings") if isinstance(payload, dict) else None
        if not isinstance(readings, list):
            raise HttpError(400, 'the body must be an object with a "readings" list')
        _check_batch_size(len(readings))
        items = (read_record(index, item) for index, item in enumerate(readings))
    _, outcome = ingest_records(
        items,
        source=IngestEvent.Source.API,
        key=request.auth,  # type: ignore[attr-defined]
        bytes_received=len(request.body),
    )
    return _answer(outcome)


@router.post(
    "/axm-web2/snapshots",
    auth=ingest_key,
    response={200: BatchResultOut, **_ERRORS},
    summary="Send AXM-WEB2 JSON snapshots",
)
def post_axm_snapshots(request: HttpRequest) -> dict[str, Any]:
    """One AXM-WEB2 snapshot, a JSON list of them, or JSON lines (one snapshot a
    line). Devices are matched by serial or external id; values such as
    `"----"` are missing values, not errors."""
    payload = _snapshots_body(request)
    _check_batch_size(len(payload) if isinstance(payload, list) else 1)

    try:
        records, errors = parse_axm_snapshots(payload)
    except FormatError as error:
        raise HttpError(400, str(error)) from None
    _, outcome = ingest_records(
        [*errors, *records],
        source=IngestEvent.Source.AXM,
        key=request.auth,  # type: ignore[attr-defined]
        bytes_received=len(request.body),
    )
    return _answer(outcome)


def _snapshots_body(request: HttpRequest) -> Any:
    text = request.body.strip()
    if b"\n" in text and not text.startswith(b"["):
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return [json.loads(line) for line in lines]
        except (ValueError, RecursionError):
            pass  # not JSON lines; report it as one JSON document below
    return _json_body(request)
