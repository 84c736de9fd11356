"""Health endpoints for load balancers and orchestrators."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

from portal.web.rules import rule


@rule("anonymous")
def health(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering."""
    return JsonResponse({"status": "ok"})


@rule("anonymous")
def ready(request: HttpRequest) -> JsonResponse:
    """The database answers and every migration is applied."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return JsonResponse(
            {"status": "unavailable", "database": str(error)[:200]}, status=503
        )

    if pending:
        return JsonResponse(
            {"status": "unavailable", "pending_migrations": len(pending)}, status=503
        )
    return JsonResponse({"status": "ok"})
