"""The JSON API: one NinjaAPI, documented at /api/docs."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from portal.ingest.api import router as ingest_router
from portal.ingest.schemas import ReadingBatchIn
from portal.metering.api import router as metering_router
from portal.tariffs.api import router as tariffs_router


class PortalAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        # The readings body is parsed record by record (one bad record must not
        # fail the batch), so Ninja does not see its schema; add it here.
        definitions = ReadingBatchIn.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions.pop("$defs", {}))
        components["ReadingBatchIn"] = definitions
        return schema


api = PortalAPI(
    title="Acuvim portal API", version="1", urls_namespace="api", docs_url="/docs"
)
api.add_router("/v1", ingest_router)
api.add_router("/v1", metering_router)
api.add_router("/v1", tariffs_router)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """A bad query parameter is a 400 that names the parameter."""
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(
        str(part) for part in first.get("loc", ()) if part not in ("query", "path")
    )
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    detail = f"{where}: {message}" if where else message
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """Say what would have worked: the same 401 for a wrong key and a key of the
    wrong scope, so it tells nothing about which keys exist."""
    detail = (
        "send Authorization: Bearer <key>: an ingest key to send readings, "
        "a read key (or a signed-in session) to read energy and readings"
    )
    return api.create_response(request, {"detail": detail}, status=401)
